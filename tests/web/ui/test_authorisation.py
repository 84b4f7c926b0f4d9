"""Authorisation matrix for the web application: every UI route × role (admin, manager, supervisor,
collector, signed out) × own and other project → the expected status, and no other project's data."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

import pytest
from flask.testing import FlaskClient

from server.core.accounts import projects
from server.core.forms.publishing import publish_form
from server.core.ground.services import Services
from server.core.models import User
from tests.web.openrosa.test_submission import multipart
from tests.web.ui.conftest import csrf_of
from workers.tasks import process_submission_job

OWN, OTHER = 1, 2
ROLES = ("admin", "manager", "supervisor", "viewer", "collector", "anonymous")
OTHER_TITLE = "แบบฟอร์มลับของโครงการอื่น"
OTHER_COLLECTOR = "other_collector_xyz"

FORM = """
| survey |
| | type | name | label |
| | text | house_no | บ้านเลขที่ |
| settings |
| | form_id | version | form_title |
| | f{project} | 1 | {title} |
"""


@pytest.fixture
def world(services: Services, make_user: Callable[..., User], admin: User, app) -> None:  # type: ignore[no-untyped-def]
    with services.db.session() as s:
        projects.create_project(s, "โครงการอื่น")
        publish_form(s, services.blobs, OWN, FORM.format(project=OWN, title="แบบฟอร์มของเรา").encode(), "f.md")
        publish_form(s, services.blobs, OTHER, FORM.format(project=OTHER, title=OTHER_TITLE).encode(), "f.md")
    make_user("manager", "manager", OWN)
    make_user("supervisor", "supervisor", OWN)
    make_user("viewer", "viewer", OWN)
    own_collector = make_user("collector", "collector", OWN)
    other_collector = make_user(OTHER_COLLECTOR, "collector", OTHER)
    client = app.test_client()
    for project, user in ((OWN, own_collector), (OTHER, other_collector)):
        xml = (f'<data id="f{project}" version="1"><house_no>{OTHER_TITLE if project == OTHER else "1/1"}</house_no>'
               f'<meta><instanceID>uuid:sub-{project}</instanceID></meta></data>').encode()
        body, ctype = multipart(xml)
        resp = client.post(f"/key/{user.collect_token}/projects/{project}/submission", data=body, content_type=ctype,
                           headers={"X-OpenRosa-Version": "1.0"})
        assert resp.status_code == 201
    for _task, args in services.tasks.sent:  # type: ignore[attr-defined]
        process_submission_job(services, int(args[0]))


def _client(role: str, signed_in: Callable[..., FlaskClient], app) -> FlaskClient:  # type: ignore[no-untyped-def]
    return app.test_client() if role == "anonymous" else signed_in(role)


def _verbs(role: str, own: bool) -> set[str]:
    if role == "admin":
        return {"read", "update", "create", "users", "audit", "sub.read", "sub.review", "export.read",
                "export.create"}
    if not own or role == "anonymous":
        return {"users"} if role == "manager" else set()
    everything_on_data = {"sub.read", "sub.review", "export.read", "export.create"}
    return {
        "manager": {"read", "update", "create", "users"} | everything_on_data,
        "supervisor": {"read"} | everything_on_data,
        "viewer": {"read", "sub.read", "export.read", "export.create"},
        "collector": {"read"},
    }[role]


def _expect(role: str, needs: str, own: bool, ok: int) -> int:
    if role == "anonymous":
        return 302
    if needs == "audit":
        return ok if role == "admin" else 403
    if needs == "users":
        return ok if role in ("admin", "manager") else 403
    return ok if needs in _verbs(role, own) else 403


ROUTES: list[tuple[str, str, str, int]] = [
    # method, path (with {p}), the permission it needs, status when allowed
    ("GET", "/ui/projects/{p}/forms/f{p}", "read", 200),
    ("GET", "/ui/projects/{p}/forms/f{p}/xlsform", "read", 200),
    ("GET", "/ui/projects/{p}/forms/f{p}/xform", "read", 200),
    ("POST", "/ui/projects/{p}/forms/f{p}/state", "update", 302),
    ("POST", "/ui/projects/{p}/forms/f{p}/media", "update", 400),  # allowed, then "choose a file"
    ("POST", "/ui/projects/{p}/forms/f{p}/publish", "create", 302),
    ("GET", "/ui/projects/{p}/publish", "create", 200),
    ("POST", "/ui/projects/{p}/publish", "create", 302),
    ("GET", "/ui/projects/{p}/forms/f{p}/submissions", "sub.read", 200),
    ("GET", "/ui/projects/{p}/forms/f{p}/submissions?q=1", "sub.read", 200),
    ("POST", "/ui/projects/{p}/forms/f{p}/submissions/review", "sub.review", 302),
    ("GET", "/ui/projects/{p}/forms/f{p}/submissions/uuid:sub-{p}", "sub.read", 200),
    ("GET", "/ui/projects/{p}/forms/f{p}/submissions/uuid:sub-{p}/attachments/none.jpg", "sub.read", 404),
    ("POST", "/ui/projects/{p}/forms/f{p}/submissions/uuid:sub-{p}/comments", "sub.review", 302),
    ("POST", "/ui/projects/{p}/forms/f{p}/submissions/uuid:sub-{p}/review", "sub.review", 302),
    ("GET", "/ui/projects/{p}/forms/f{p}/dashboard", "sub.read", 200),
    ("GET", "/ui/projects/{p}/forms/f{p}/dashboard/per-day.json", "sub.read", 200),
    ("GET", "/ui/projects/{p}/forms/f{p}/dashboard/points.json", "sub.read", 200),
    ("GET", "/ui/projects/{p}/forms/f{p}/exports", "export.read", 200),
    ("POST", "/ui/projects/{p}/forms/f{p}/exports", "export.create", 302),
]

SITE_ROUTES: list[tuple[str, str, str, int]] = [
    ("GET", "/ui/users", "users", 200),
    ("GET", "/ui/users/sheets", "users", 200),
    ("GET", "/ui/audit", "audit", 200),
    ("GET", "/ui/audit.csv", "audit", 200),
]


def _call(client: FlaskClient, method: str, path: str, project: int) -> int:
    if method == "GET":
        return client.get(path).status_code
    data: dict[str, object] = {"csrf_token": csrf_of(client, "/ui/")}
    if path.endswith("/state"):
        data["state"] = "closed"
    if path.endswith("/review"):
        data["state"] = "approved"
        data["scope"] = "filter"
    if path.endswith("/comments"):
        data["body"] = "ดีมาก"
    if path.endswith("/publish"):
        data["file"] = (BytesIO(FORM.format(project=project, title="v").replace("| 1 |", "| 2 |").encode()), "f.md")
    return client.post(path, data=data, content_type="multipart/form-data").status_code


@pytest.mark.parametrize("role", ROLES)
def test_project_routes_by_role_and_project(role: str, world: None, signed_in, app) -> None:  # type: ignore[no-untyped-def]
    client = _client(role, signed_in, app)
    if role == "anonymous":
        client.get("/ui/login")  # a browser has the sign-in page's CSRF nonce
    failures = []
    for method, template, needs, ok in ROUTES:
        for project in (OWN, OTHER):
            path = template.format(p=project)
            if role == "anonymous" and method == "POST":
                expected = 302  # CSRF passes with the nonce, then "please sign in"
            else:
                expected = _expect(role, needs, project == OWN, ok)
            got = _call(client, method, path, project)
            if got != expected:
                failures.append(f"{role} {method} {path}: {got}, expected {expected}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_site_routes_by_role(role: str, world: None, signed_in, app) -> None:  # type: ignore[no-untyped-def]
    client = _client(role, signed_in, app)
    failures = []
    for _method, path, needs, ok in SITE_ROUTES:
        expected = _expect(role, needs, True, ok)
        got = client.get(path).status_code
        if got != expected:
            failures.append(f"{role} GET {path}: {got}, expected {expected}")
    home = client.get("/ui/")
    assert home.status_code == (302 if role == "anonymous" else 200)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["manager", "supervisor", "viewer", "collector"])
def test_no_other_project_data_in_any_body(role: str, world: None, signed_in) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(role)
    bodies = [client.get(p).get_data(as_text=True) for p in (
        "/ui/", "/ui/users", "/ui/users/sheets", "/ui/projects/1/forms/f1", "/ui/projects/2/forms/f2",
        "/ui/projects/1/forms/f1/submissions", "/ui/projects/2/forms/f2/submissions",
        "/ui/projects/2/forms/f2/submissions/uuid:sub-2", "/ui/projects/2/forms/f2/dashboard",
        "/ui/projects/2/forms/f2/exports",
    )]
    for body in bodies:
        assert OTHER_TITLE not in body and "โครงการอื่น" not in body and OTHER_COLLECTOR not in body
    assert "แบบฟอร์มของเรา" in bodies[0]


def test_admin_sees_every_project(world: None, signed_in) -> None:  # type: ignore[no-untyped-def]
    body = signed_in("admin").get("/ui/").get_data(as_text=True)
    assert OTHER_TITLE in body and "แบบฟอร์มของเรา" in body


def test_a_manager_cannot_manage_another_projects_user_or_grant_admin(
    world: None, signed_in, services: Services  # type: ignore[no-untyped-def]
) -> None:
    client = signed_in("manager")
    with services.db.session() as s:
        from sqlalchemy import select

        other = s.scalar(select(User).where(User.username == OTHER_COLLECTOR))
        admin = s.scalar(select(User).where(User.username == "admin"))
        assert other is not None and admin is not None
        other_id, admin_id = other.id, admin.id
    token = csrf_of(client, "/ui/users")
    for uid in (other_id, admin_id):
        assert client.post(f"/ui/users/{uid}/active", data={"csrf_token": token, "active": "0"}).status_code == 403
        assert client.post(f"/ui/users/{uid}/password",
                           data={"csrf_token": token, "password": "whatever-123"}).status_code == 403
    grant_admin = client.post("/ui/users", data={"csrf_token": token, "username": "boss", "role": "admin",
                                                 "project_id": "1"})
    assert grant_admin.status_code == 400
    other_project = client.post("/ui/users", data={"csrf_token": token, "username": "x1", "role": "collector",
                                                   "project_id": "2"})
    assert other_project.status_code == 403
    own = client.post("/ui/users", data={"csrf_token": token, "username": "x2", "role": "collector",
                                         "project_id": "1"})
    assert own.status_code == 302
