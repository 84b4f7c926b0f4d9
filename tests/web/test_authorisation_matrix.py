"""The authorisation matrix, generated from the app's routes: every route must be listed here with
the permission it needs, so a new endpoint without a permission check fails CI; each listed route is
then tried without credentials and by a user of another project, and must refuse both."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.core.accounts import users
from server.core.accounts.projects import create_project, ensure_default_project
from server.core.exports import jobs
from server.core.ground.broker import RecordingSender
from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.core.models import RoleGrant
from server.web.app import create_app
from tests.conftest import server_env
from tests.core.submissions.test_intake import add_form
from tests.helpers import PASSWORD, basic_header, bearer_for
from tests.web.ui.conftest import csrf_of, sign_in

PUBLIC, LOGIN = "public", "login"  # anyone; any logged-in user (the answer is filtered to what they may see)
ADMIN = "*"  # site administrators only
MANAGER = "user.update in some project"  # managers (and admins); the page lists only the accounts they manage
DRAFT_TOKEN = "the draft's token"  # Central's /v1/test/TOKEN/… draft-testing URLs: a wrong token is a 404
# (method, rule) -> the verb a user needs in the route's project (or PUBLIC / LOGIN).
EXPECTED: dict[tuple[str, str], str] = {
    ("POST", "/v1/sessions"): PUBLIC,
    ("DELETE", "/v1/sessions/current"): LOGIN,
    ("DELETE", "/v1/sessions/<token>"): LOGIN,
    ("GET", "/v1/users/current"): LOGIN,
    ("GET", "/v1/projects"): LOGIN,
    ("POST", "/v1/projects"): "project.create",
    ("GET", "/v1/projects/<int:project_id>"): "project.read",
    ("GET", "/v1/projects/<int:project_id>/dashboard/forms"): "submission.read",
    ("GET", "/v1/projects/<int:project_id>/forms"): "form.read",
    ("POST", "/v1/projects/<int:project_id>/forms"): "form.create",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>"): "form.read",
    ("PATCH", "/v1/projects/<int:project_id>/forms/<xml_form_id>"): "form.update",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>.xml"): "form.read",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>/versions"): "form.read",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>/fields"): "form.read",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>/attachments"): "form.read",
    ("POST", "/v1/projects/<int:project_id>/forms/<xml_form_id>/attachments/<name>"): "form.update",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>/submissions"): "submission.read",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>/submissions/<instance_id>"): "submission.read",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>/submissions/<instance_id>/attachments"): "submission.read",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>/submissions/<instance_id>/attachments/<path:name>"): "submission.read",
    ("POST", "/v1/projects/<int:project_id>/forms/<xml_form_id>/exports"): "export.create",
    ("GET", "/v1/exports/<int:export_id>"): "export.read",
    ("GET", "/v1/exports/<int:export_id>/download"): "export.read",
    ("DELETE", "/v1/exports/<int:export_id>"): "export.create",
    ("POST", "/v1/exports/<int:export_id>/cancel"): "export.create",
    ("GET", "/static/<path:filename>"): PUBLIC,
    # Accounts (server/web/api/app_users.py, roles.py, users.py, webhooks.py, openapi.py).
    ("GET", "/v1/projects/<int:project_id>/app-users"): "user.read",
    ("POST", "/v1/projects/<int:project_id>/app-users"): "user.update",
    ("GET", "/v1/projects/<int:project_id>/app-users/<int:actor_id>"): "user.read",
    ("DELETE", "/v1/projects/<int:project_id>/app-users/<int:actor_id>"): "user.update",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>/assignments"): "user.read",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>/assignments/<role_id>"): "user.read",
    ("POST", "/v1/projects/<int:project_id>/forms/<xml_form_id>/assignments/<role_id>/<int:actor_id>"): "user.update",
    ("DELETE", "/v1/projects/<int:project_id>/forms/<xml_form_id>/assignments/<role_id>/<int:actor_id>"): "user.update",
    ("GET", "/v1/projects/<int:project_id>/assignments"): "user.read",
    ("GET", "/v1/projects/<int:project_id>/assignments/<role_id>"): "user.read",
    ("POST", "/v1/projects/<int:project_id>/assignments/<role_id>/<int:actor_id>"): "user.update",
    ("DELETE", "/v1/projects/<int:project_id>/assignments/<role_id>/<int:actor_id>"): "user.update",
    ("GET", "/v1/assignments"): ADMIN,
    ("GET", "/v1/assignments/<role_id>"): ADMIN,
    ("POST", "/v1/assignments/<role_id>/<int:actor_id>"): ADMIN,
    ("DELETE", "/v1/assignments/<role_id>/<int:actor_id>"): ADMIN,
    ("GET", "/v1/roles"): PUBLIC,
    ("GET", "/v1/roles/<role_id>"): PUBLIC,
    ("GET", "/v1/users"): LOGIN,  # administrators see all, managers their projects' accounts, others []
    ("POST", "/v1/users"): ADMIN,
    ("GET", "/v1/users/<int:user_id>"): "user.update",  # oneself, an administrator, or one's manager
    ("PATCH", "/v1/users/<int:user_id>"): "user.update",
    ("DELETE", "/v1/users/<int:user_id>"): ADMIN,
    ("PUT", "/v1/users/<int:user_id>/password"): "user.update",  # oneself or an administrator
    ("GET", "/v1/audits"): ADMIN,
    ("GET", "/v1/projects/<int:project_id>/webhooks"): "webhook.manage",
    ("POST", "/v1/projects/<int:project_id>/webhooks"): "webhook.manage",
    ("DELETE", "/v1/projects/<int:project_id>/webhooks/<int:webhook_id>"): "webhook.manage",
    ("GET", "/v1/projects/<int:project_id>/webhooks/<int:webhook_id>/deliveries"): "webhook.manage",
    ("POST", "/v1/projects/<int:project_id>/webhooks/<int:webhook_id>/test"): "webhook.manage",
    ("GET", "/v1/openapi.json"): PUBLIC,
    ("GET", "/v1/docs"): PUBLIC,
    # Reports (server/web/api/reports.py): submission.read, then the reader's area in the core.
    ("GET", "/v1/projects/<int:project_id>/reports"): "submission.read",
    ("GET", "/v1/projects/<int:project_id>/reports/<name>"): "submission.read",
    # Review JSON API (server/web/api/review.py): form.read first (403 before 404), then the verb in the core.
    ("PATCH", "/v1/projects/<int:project_id>/forms/<xml_form_id>/submissions/<instance_id>"): "submission.update",
    ("POST", "/v1/projects/<int:project_id>/forms/<xml_form_id>/submissions/bulk-review"): "submission.update",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>/submissions/<instance_id>/comments"): "submission.read",
    ("POST", "/v1/projects/<int:project_id>/forms/<xml_form_id>/submissions/<instance_id>/comments"): "submission.update",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>/submissions/<instance_id>/versions"): "submission.read",
    ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>/submissions/<instance_id>/audits"): "submission.read",
    # The web application (server/web/ui/).
    ("GET", "/"): PUBLIC,  # a redirect to /ui/
    ("GET", "/ui/static/<path:filename>"): PUBLIC,
    ("GET", "/ui/login"): PUBLIC,
    ("POST", "/ui/login"): PUBLIC,
    ("POST", "/ui/lang"): PUBLIC,
    ("POST", "/ui/logout"): PUBLIC,  # ends this browser's session, if any
    ("GET", "/ui/"): LOGIN,
    ("GET", "/ui/projects/<int:project_id>/reports/<name>"): "submission.read",
    ("GET", "/ui/projects/<int:project_id>/reports/basic_needs/map.json"): "submission.read",
    ("GET", "/ui/projects/<int:project_id>/entities"): "entity.read",
    ("GET", "/ui/projects/<int:project_id>/entities/<name>"): "entity.read",
    ("GET", "/ui/projects/<int:project_id>/entities/<name>/<entity_uuid>"): "entity.read",
    ("POST", "/ui/projects/<int:project_id>/entities/<name>/<entity_uuid>/resolve"): "entity.update",
    ("POST", "/ui/projects/<int:project_id>/entities/<name>/approval"): "dataset.update",
    ("GET", "/ui/account/password"): LOGIN,
    ("POST", "/ui/account/password"): LOGIN,
    ("GET", "/ui/audit"): ADMIN,
    ("GET", "/ui/audit.csv"): ADMIN,
    ("GET", "/ui/users"): MANAGER,
    ("GET", "/ui/users/sheets"): MANAGER,
    ("POST", "/ui/users"): MANAGER,  # the project in the form is checked: another project's is a 403
    ("POST", "/ui/users/<int:user_id>/grant"): "user.update",
    ("POST", "/ui/users/<int:user_id>/revoke/<int:grant_id>"): "user.update",
    ("POST", "/ui/users/<int:user_id>/active"): "user.update",
    ("POST", "/ui/users/<int:user_id>/password"): "user.update",
    ("GET", "/ui/users/<int:user_id>/sheet/<int:project_id>"): "user.update",
    ("GET", "/ui/exports/<int:export_id>/progress"): "export.read",
    ("GET", "/ui/exports/<int:export_id>/download"): "export.read",
    ("POST", "/ui/exports/<int:export_id>/cancel"): "export.create",
    ("GET", "/ui/projects/<int:project_id>/publish"): "form.create",
    ("POST", "/ui/projects/<int:project_id>/publish"): "form.create",
}
_UI_FORM = "/ui/projects/<int:project_id>/forms/<xml_form_id>"
EXPECTED.update(
    {
        ("GET", _UI_FORM): "form.read",
        ("GET", f"{_UI_FORM}/xlsform"): "form.read",
        ("GET", f"{_UI_FORM}/xform"): "form.read",
        ("POST", f"{_UI_FORM}/state"): "form.update",
        ("POST", f"{_UI_FORM}/media"): "form.update",
        ("POST", f"{_UI_FORM}/publish"): "form.create",
        ("GET", f"{_UI_FORM}/submissions"): "submission.read",
        ("POST", f"{_UI_FORM}/submissions/review"): "submission.update",
        ("GET", f"{_UI_FORM}/submissions/<instance_id>"): "submission.read",
        ("GET", f"{_UI_FORM}/submissions/<instance_id>/attachments/<path:name>"): "submission.read",
        ("POST", f"{_UI_FORM}/submissions/<instance_id>/review"): "submission.update",
        ("POST", f"{_UI_FORM}/submissions/<instance_id>/comments"): "submission.update",
        ("GET", f"{_UI_FORM}/dashboard"): "submission.read",
        ("GET", f"{_UI_FORM}/dashboard/per-day.json"): "submission.read",
        ("GET", f"{_UI_FORM}/dashboard/points.json"): "submission.read",
        ("GET", f"{_UI_FORM}/places/<kind>.json"): "submission.read",
        ("GET", f"{_UI_FORM}/exports"): "export.read",
        ("POST", f"{_UI_FORM}/exports"): "export.create",
        # ODK Web Forms (server/web/ui/webforms.py): the edit rules come after submission.create.
        ("GET", f"{_UI_FORM}/new"): "submission.create",
        ("POST", f"{_UI_FORM}/new"): "submission.create",
        ("GET", f"{_UI_FORM}/media/<name>"): "form.read",
        ("GET", f"{_UI_FORM}/submissions/<instance_id>/edit"): "submission.create",
        ("POST", f"{_UI_FORM}/submissions/<instance_id>/edit"): "submission.create",
        ("GET", f"{_UI_FORM}/submissions/<instance_id>/edit/instance.xml"): "submission.create",
        ("GET", f"{_UI_FORM}/submissions/<instance_id>/edit/attachments/<path:name>"): "submission.create",
        # Public links (server/web/ui/public_links.py, server/web/api/public_links.py): managers make them;
        # the link's own pages need no sign-in, the secret token in the URL is the permission.
        ("POST", f"{_UI_FORM}/public-links"): "form.update",
        ("POST", f"{_UI_FORM}/public-links/<int:actor_id>/revoke"): "form.update",
        ("GET", "/ui/f/<token>"): PUBLIC,
        ("POST", "/ui/f/<token>"): PUBLIC,
        ("GET", "/ui/f/<token>/form.xml"): PUBLIC,
        ("GET", "/ui/f/<token>/media/<name>"): PUBLIC,
        ("GET", "/v1/projects/<int:project_id>/forms/<xml_form_id>/public-links"): "form.update",
        ("POST", "/v1/projects/<int:project_id>/forms/<xml_form_id>/public-links"): "form.update",
        ("DELETE", "/v1/projects/<int:project_id>/forms/<xml_form_id>/public-links/<int:actor_id>"): "form.update",
    }
)
# ODK Central's REST (server/web/api/forms.py, drafts.py, submitting.py, projects.py).
_API_FORM = "/v1/projects/<int:project_id>/forms/<xml_form_id>"
_API_SUB = f"{_API_FORM}/submissions/<instance_id>"
EXPECTED.update(
    {
        ("PATCH", "/v1/projects/<int:project_id>"): "project.update",
        ("PUT", "/v1/projects/<int:project_id>"): "project.update",
        ("DELETE", "/v1/projects/<int:project_id>"): "project.delete",
        ("GET", f"{_API_FORM}/attachments/<name>"): "form.read",
        ("GET", f"{_API_FORM}/versions/<version>"): "form.read",
        ("GET", f"{_API_FORM}/versions/<version>.xml"): "form.read",
        ("GET", f"{_API_FORM}/versions/<version>/fields"): "form.read",
        ("GET", f"{_API_FORM}/versions/<version>/attachments"): "form.read",
        ("GET", f"{_API_FORM}/versions/<version>/attachments/<name>"): "form.read",
        ("POST", f"{_API_FORM}/draft"): "form.update",
        ("GET", f"{_API_FORM}/draft"): "form.update",
        ("DELETE", f"{_API_FORM}/draft"): "form.update",
        ("POST", f"{_API_FORM}/draft/publish"): "form.update",
        ("GET", f"{_API_FORM}/draft.xml"): "form.update",
        ("GET", f"{_API_FORM}/draft/fields"): "form.update",
        ("GET", f"{_API_FORM}/draft/attachments"): "form.update",
        ("GET", f"{_API_FORM}/draft/attachments/<name>"): "form.update",
        ("POST", f"{_API_FORM}/draft/attachments/<name>"): "form.update",
        ("DELETE", f"{_API_FORM}/draft/attachments/<name>"): "form.update",
        ("POST", f"{_API_FORM}/submissions"): "submission.create",
        ("PUT", _API_SUB): "submission.update",
        ("GET", f"{_API_SUB}.xml"): "submission.read",
        ("POST", f"{_API_SUB}/attachments/<path:name>"): "submission.create",
        ("DELETE", f"{_API_SUB}/attachments/<path:name>"): "submission.update",
        ("GET", f"{_API_SUB}/versions/<version_id>"): "submission.read",
        ("GET", f"{_API_SUB}/versions/<version_id>.xml"): "submission.read",
        ("GET", f"{_API_SUB}/versions/<version_id>/attachments"): "submission.read",
        ("GET", f"{_API_SUB}/versions/<version_id>/attachments/<path:name>"): "submission.read",
    }
)

_DS = "/v1/projects/<int:project_id>/datasets"
EXPECTED.update(
    {
        ("GET", _DS): "entity.read",
        ("POST", _DS): "dataset.create",
        ("GET", f"{_DS}/<name>"): "entity.read",
        ("PATCH", f"{_DS}/<name>"): "dataset.update",
        ("POST", f"{_DS}/<name>/properties"): "dataset.update",
        ("GET", f"{_DS}/<name>/entities"): "entity.read",
        ("POST", f"{_DS}/<name>/entities"): "entity.create",
        ("POST", f"{_DS}/<name>/entities.csv"): "entity.create",
        ("GET", f"{_DS}/<name>/entities/<entity_uuid>"): "entity.read",
        ("PATCH", f"{_DS}/<name>/entities/<entity_uuid>"): "entity.update",
        ("DELETE", f"{_DS}/<name>/entities/<entity_uuid>"): "entity.delete",
        ("GET", f"{_DS}/<name>/entities/<entity_uuid>/versions"): "entity.read",
        ("GET", f"{_DS}/<name>.svc"): "entity.read",
        ("GET", f"{_DS}/<name>.svc/$metadata"): "entity.read",
        ("GET", f"{_DS}/<name>.svc/Entities"): "entity.read",
    }
)
# Delete/restore and draft testing (server/web/api/forms.py, data.py, drafts.py, odata.py, openrosa/draft_test.py).
EXPECTED.update(
    {
        ("DELETE", _API_FORM): "form.delete",
        ("POST", "/v1/projects/<int:project_id>/forms/<int:form_id>/restore"): "form.restore",
        ("DELETE", _API_SUB): "submission.delete",
        ("POST", f"{_API_SUB}/restore"): "submission.restore",
        ("GET", f"{_API_SUB}/diffs"): "submission.read",
        ("GET", f"{_API_FORM}/draft/submissions"): "form.update",
        ("POST", f"{_API_FORM}/draft/submissions"): "form.update",
        **{("GET", f"{_API_FORM}/draft.svc{s}"): "form.update" for s in ("", "/", "/$metadata", "/<path:subpath>")},
    }
)
_TEST = "/v1/test/<token>/projects/<int:project_id>/forms/<xml_form_id>"
for _method, _suffix in (
    ("GET", "/draft/formList"), ("GET", ".xml"), ("GET", "/draft/manifest"), ("GET", "/draft/attachments/<name>"),
    ("GET", "/draft/submission"), ("POST", "/draft/submission"), ("POST", "/draft/submissions"),
):  # fmt: skip
    EXPECTED[(_method, _TEST + ("/draft" + _suffix if _suffix == ".xml" else _suffix))] = DRAFT_TOKEN
for _name in ("per-day", "surveyors", "villages", "flags", "points", "grid"):
    EXPECTED[("GET", f"/v1/projects/<int:project_id>/forms/<xml_form_id>/dashboard/{_name}")] = "submission.read"
# OData and Central's CSV (server/web/api/odata.py): form.read first (403 before 404), then submission.read.
_ODATA_FORM = "/v1/projects/<int:project_id>/forms/<xml_form_id>"
for _suffix in (".svc", ".svc/", ".svc/$metadata", ".svc/<path:subpath>", "/submissions.csv.zip", "/submissions.csv"):
    EXPECTED[("GET", _ODATA_FORM + _suffix)] = "submission.read"
_PREFIXES = ("", "/projects/<int:project_id>", "/key/<token>/projects/<int:project_id>")
# ODK Central's Collect URLs answer the same OpenRosa routes.
_PREFIXES += ("/v1/projects/<int:project_id>", "/v1/key/<token>/projects/<int:project_id>")
for _prefix in _PREFIXES:
    EXPECTED.update(
        {
            ("GET", f"{_prefix}/formList"): LOGIN,
            ("GET", f"{_prefix}/forms/<xml_form_id>.xml"): "form.read",
            ("GET", f"{_prefix}/forms/<xml_form_id>/manifest"): "form.read",
            ("GET", f"{_prefix}/forms/<xml_form_id>/attachments/<name>"): "form.read",
            ("GET", f"{_prefix}/submission"): "submission.create",
            ("POST", f"{_prefix}/submission"): "submission.create",
        }
    )


def routes(app: Flask) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule))
    return sorted(found)


@dataclass
class Matrix:
    """One server for the whole module: every case here is a request that must be refused, and a
    refused request changes nothing, so the cases share a database, its accounts and the app."""

    app: Flask
    outsider: dict[str, str]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory, migrated_template: str) -> Iterator[Matrix]:
    """A manager (and a collector) of project 2 only: every verb there, none in project 1."""
    settings = load_settings(server_env(tmp_path_factory.mktemp("matrix"), migrated_template))
    services = build_services(settings, tasks=RecordingSender())
    with services.db.session() as session:
        ensure_default_project(session)
        create_project(session, "อีกโครงการ")
        add_form(session, 1)
        fv = add_form(session, 2, form_id="other")
        jobs.request_export(session, fv.form, "csv", {}, None)
        own = add_form(session, 1, form_id="mine")
        jobs.request_export(session, own.form, "csv", {}, None)  # export 2, in project 1
    with services.db.session() as session:
        manager = users.create_user(session, "outsider", "manager", password=PASSWORD, project_id=2)
        collector = users.create_user(session, "outsider_phone", "collector", password=PASSWORD, project_id=2)
        # someone the outsider does not manage
        insider = users.create_user(session, "insider_phone", "collector", password=PASSWORD, project_id=1)
    with services.db.session() as session:
        grant_id = session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == insider.id))
    app = create_app(services)
    app.testing = True
    yield Matrix(app, {
        **bearer_for(services, manager),
        "token": collector.collect_token or "",
        "user_id": str(insider.id),
        "grant_id": str(grant_id),
    })
    services.close()


@pytest.fixture
def client(matrix: Matrix) -> FlaskClient:
    """A new browser (no cookies) for every case."""
    return matrix.app.test_client()


@pytest.fixture
def outsider(matrix: Matrix) -> dict[str, str]:
    return matrix.outsider


def test_every_route_is_in_the_permission_table(matrix: Matrix) -> None:
    app = matrix.app
    unlisted = [f"{m} {r}" for m, r in routes(app) if (m, r) not in EXPECTED]
    assert not unlisted, "routes without an expected permission (add them to EXPECTED): " + ", ".join(unlisted)
    stale = [f"{m} {r}" for m, r in EXPECTED if (m, r) not in set(routes(app))]
    assert not stale, "EXPECTED lists routes that no longer exist: " + ", ".join(stale)


def fill(rule: str, token: str, ids: dict[str, str] | None = None) -> str:
    values = {
        "project_id": "1",
        "xml_form_id": "household_survey",
        "instance_id": "uuid:x",
        "name": "x.jpg",
        "path:name": "x.jpg",
        "export_id": "2",
        "token": token,
        "path:filename": "nothing.css",
        "path:subpath": "Submissions",
        "user_id": "1",
        "grant_id": "1",
        "kind": "district",
        "version": "1",
        "version_id": "uuid:x",
        "actor_id": "1",
        "role_id": "app-user",
        "webhook_id": "1",
        "entity_uuid": "0b5c6a4e-34a9-4d5e-9c1a-2d8f7a6b5c4d",
        "form_id": "1",
        **(ids or {}),
    }
    return re.sub(r"<(?:int:)?([^>]+)>", lambda m: values[m.group(1)], rule)


def _send(client: FlaskClient, method: str, url: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.open(url, method=method, headers=headers, json={} if method in ("POST", "PATCH") else None)


def _ui_send(client: FlaskClient, method: str, url: str):  # type: ignore[no-untyped-def]
    # A browser: the page's CSRF token with every post (the sign-in page's nonce when signed out).
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_of(client, "/ui/")})


@pytest.mark.parametrize("method,rule", [k for k, v in EXPECTED.items() if v != PUBLIC])
def test_anonymous_is_refused(client: FlaskClient, outsider: dict[str, str], method: str, rule: str) -> None:
    if rule.startswith("/ui/"):
        resp = _ui_send(client, method, fill(rule, "not-a-real-token"))
        # The web application sends a signed-out browser to the sign-in page.
        assert resp.status_code == 302 and "/ui/login" in resp.headers["Location"], f"{method} {rule}"
        return
    resp = _send(client, method, fill(rule, "not-a-real-token"), {})
    if EXPECTED[(method, rule)] == DRAFT_TOKEN:
        assert resp.status_code == 404, f"{method} {rule}: {resp.status_code}"
        return
    # A token route with an unknown token is a 403 (a 401 would make Collect ask for a password).
    expected = 403 if rule.startswith(("/key/", "/v1/key/")) else 401
    assert resp.status_code == expected, f"{method} {rule}: {resp.status_code} {resp.get_data(as_text=True)[:200]}"


@pytest.mark.parametrize("method,rule", [k for k, v in EXPECTED.items() if v not in (PUBLIC, LOGIN, MANAGER, DRAFT_TOKEN)])
def test_a_user_of_another_project_is_refused(
    client: FlaskClient, outsider: dict[str, str], method: str, rule: str
) -> None:
    url = fill(rule, outsider["token"], {k: outsider[k] for k in ("user_id", "grant_id")})
    if rule.startswith("/ui/"):
        assert sign_in(client, "outsider").status_code == 302
        resp = _ui_send(client, method, url)
    elif rule.startswith(("/key/", "/v1/key/")):
        resp = _send(client, method, url, {})
    elif rule.startswith("/v1/"):
        resp = _send(client, method, url, {"Authorization": outsider["Authorization"]})
    else:  # OpenRosa with a password (Basic, over HTTPS as Collect would)
        resp = client.open(url, method=method, headers=basic_header("outsider"), base_url="https://localhost")
    assert resp.status_code == 403, f"{method} {rule}: {resp.status_code} {resp.get_data(as_text=True)[:200]}"


def test_a_user_of_another_project_sees_an_empty_form_list(client: FlaskClient, outsider: dict[str, str]) -> None:
    resp = client.get(f"/key/{outsider['token']}/projects/1/formList")
    assert resp.status_code == 200 and b"<xform>" not in resp.data
    listed = client.get("/v1/projects", headers={"Authorization": outsider["Authorization"]}).get_json()
    assert [p["id"] for p in listed] == [2]
