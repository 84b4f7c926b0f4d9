"""ODK Central's sessions, current user and project endpoints: shapes, X-Extended-Metadata with verbs,
PATCH / PUT / DELETE, and problems for bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask.testing import FlaskClient

from server.core.ground.services import Services
from server.core.models import User
from tests.helpers import PASSWORD, bearer_for
from tests.web.api.central import ACTOR_KEYS, PROBLEM_KEYS, PROJECT_KEYS, publish_form, submission_xml


def test_sessions_answer_token_csrf_and_a_real_expiry(client: FlaskClient, admin: User) -> None:
    resp = client.post("/v1/sessions", json={"email": "admin", "password": PASSWORD})
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"token", "csrf", "createdAt", "expiresAt"}
    created = datetime.fromisoformat(body["createdAt"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(body["expiresAt"].replace("Z", "+00:00"))
    assert (expires - created).total_seconds() == 24 * 3600
    me = client.get("/v1/users/current", headers={"Authorization": f"Bearer {body['token']}"}).get_json()
    assert ACTOR_KEYS | {"email"} <= set(me) and me["email"] == "admin" and me["type"] == "user"
    wrong = client.post("/v1/sessions", json={"email": "admin", "password": "nope"})
    assert wrong.status_code == 401 and wrong.get_json()["code"] == 401.2
    not_json = client.post("/v1/sessions", data=b"email=admin", content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 400 and PROBLEM_KEYS <= set(not_json.get_json())


def test_projects_with_extended_metadata_and_verbs(
    client: FlaskClient, admin_headers: dict[str, str], make_user: Callable[..., User], services: Services
) -> None:
    make_user("somchai", "collector")
    publish_form(client, admin_headers)
    client.post(
        "/v1/projects/1/forms/central_form/submissions",
        data=submission_xml("uuid:p1"),
        headers={**admin_headers, "Content-Type": "application/xml"},
    )
    plain = client.get("/v1/projects", headers=admin_headers).get_json()
    assert PROJECT_KEYS <= set(plain[0]) and "verbs" not in plain[0]
    ext = client.get("/v1/projects/1", headers={**admin_headers, "X-Extended-Metadata": "true"}).get_json()
    assert ext["forms"] == 1 and ext["appUsers"] == 1 and ext["datasets"] == 0
    assert ext["lastSubmission"].endswith("Z")
    assert {"project.update", "form.create", "submission.read"} <= set(ext["verbs"])
    viewer = bearer_for(services, make_user("viewer", "viewer"))
    seen = client.get("/v1/projects/1", headers={**viewer, "X-Extended-Metadata": "true"}).get_json()
    assert "form.create" not in seen["verbs"] and "submission.read" in seen["verbs"]


def test_patch_put_and_delete_a_project(
    client: FlaskClient, admin_headers: dict[str, str], make_user: Callable[..., User], services: Services
) -> None:
    made = client.post("/v1/projects", json={"name": "ตำบลบางรัก"}, headers=admin_headers).get_json()
    url = f"/v1/projects/{made['id']}"
    patched = client.patch(url, json={"description": "ปี 2569", "archived": True}, headers=admin_headers)
    assert patched.status_code == 200
    body = patched.get_json()
    assert body["name"] == "ตำบลบางรัก" and body["description"] == "ปี 2569" and body["archived"] is True
    assert body["updatedAt"] is not None
    put = client.put(url, json={"name": "ตำบลสีลม", "description": "", "archived": False}, headers=admin_headers)
    assert put.get_json()["name"] == "ตำบลสีลม" and put.get_json()["archived"] is False
    bad = [
        client.patch(url, json={"archived": "yes"}, headers=admin_headers),
        client.patch(url, json={"name": ""}, headers=admin_headers),
        client.put(url, json={"description": "no name"}, headers=admin_headers),
    ]
    assert [r.status_code for r in bad] == [400, 400, 400]
    manager = bearer_for(services, make_user("manager", "manager"))
    assert client.delete(url, headers=manager).status_code == 403
    assert client.delete(url, headers=admin_headers).get_json() == {"success": True}
    assert client.get(url, headers=admin_headers).status_code == 404
    assert made["id"] not in [p["id"] for p in client.get("/v1/projects", headers=admin_headers).get_json()]
