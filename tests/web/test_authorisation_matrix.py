"""The authorisation matrix, generated from the app's routes: every route must be listed here with
the permission it needs, so a new endpoint without a permission check fails CI; each listed route is
then tried without credentials and by a user of another project, and must refuse both."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.core.exports import jobs
from server.core.ground.services import Services
from server.core.models import User
from tests.core.submissions.test_intake import add_form
from tests.helpers import basic_header, bearer_for

PUBLIC, LOGIN = "public", "login"  # anyone; any logged-in user (the answer is filtered to what they may see)
# (method, rule) -> the verb a user needs in the route's project (or PUBLIC / LOGIN).
EXPECTED: dict[tuple[str, str], str] = {
    ("POST", "/v1/sessions"): PUBLIC,
    ("DELETE", "/v1/sessions/current"): LOGIN,
    ("DELETE", "/v1/sessions/<token>"): LOGIN,
    ("GET", "/v1/users/current"): LOGIN,
    ("GET", "/v1/projects"): LOGIN,
    ("POST", "/v1/projects"): "project.create",
    ("GET", "/v1/projects/<int:project_id>"): "project.read",
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
    ("GET", "/static/<path:filename>"): PUBLIC,
}
for _prefix in ("", "/projects/<int:project_id>", "/key/<token>/projects/<int:project_id>"):
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


def test_every_route_is_in_the_permission_table(app: Flask) -> None:
    unlisted = [f"{m} {r}" for m, r in routes(app) if (m, r) not in EXPECTED]
    assert not unlisted, "routes without an expected permission (add them to EXPECTED): " + ", ".join(unlisted)
    stale = [f"{m} {r}" for m, r in EXPECTED if (m, r) not in set(routes(app))]
    assert not stale, "EXPECTED lists routes that no longer exist: " + ", ".join(stale)


@pytest.fixture
def outsider(make_user: Callable[..., User], services: Services) -> dict[str, str]:
    """A manager (and a collector) of project 2 only: every verb there, none in project 1."""
    from server.core.accounts.projects import create_project

    with services.db.session() as session:
        create_project(session, "อีกโครงการ")
        add_form(session, 1)
        fv = add_form(session, 2, form_id="other")
        jobs.request_export(session, fv.form, "csv", {}, None)
        own = add_form(session, 1, form_id="mine")
        jobs.request_export(session, own.form, "csv", {}, None)  # export 2, in project 1
    manager = make_user("outsider", "manager", project_id=2)
    collector = make_user("outsider_phone", "collector", project_id=2)
    return {**bearer_for(services, manager), "token": collector.collect_token or ""}


def fill(rule: str, token: str) -> str:
    values = {
        "project_id": "1",
        "xml_form_id": "household_survey",
        "instance_id": "uuid:x",
        "name": "x.jpg",
        "path:name": "x.jpg",
        "export_id": "2",
        "token": token,
        "path:filename": "nothing.css",
    }
    return re.sub(r"<(?:int:)?([^>]+)>", lambda m: values[m.group(1)], rule)


def _send(client: FlaskClient, method: str, url: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.open(url, method=method, headers=headers, json={} if method in ("POST", "PATCH") else None)


@pytest.mark.parametrize("method,rule", [k for k, v in EXPECTED.items() if v != PUBLIC])
def test_anonymous_is_refused(client: FlaskClient, outsider: dict[str, str], method: str, rule: str) -> None:
    resp = _send(client, method, fill(rule, "not-a-real-token"), {})
    # A token route with an unknown token is a 403 (a 401 would make Collect ask for a password).
    expected = 403 if rule.startswith("/key/") else 401
    assert resp.status_code == expected, f"{method} {rule}: {resp.status_code} {resp.get_data(as_text=True)[:200]}"


@pytest.mark.parametrize("method,rule", [k for k, v in EXPECTED.items() if v not in (PUBLIC, LOGIN)])
def test_a_user_of_another_project_is_refused(
    client: FlaskClient, outsider: dict[str, str], method: str, rule: str
) -> None:
    url = fill(rule, outsider["token"])
    if rule.startswith("/key/"):
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
