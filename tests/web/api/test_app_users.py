"""App users (Central's field keys) and form assignments: Central's shapes, codes and order, and what
ODK Collect sees with an app user's token (only its assigned forms; existing collectors unchanged)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from server.core.ground.services import Services
from tests.core.submissions.test_intake import add_form, submission_xml
from tests.helpers import bearer_for
from tests.web.openrosa.test_submission import post

FIELD_KEY_KEYS = {"id", "type", "displayName", "token", "createdAt", "updatedAt", "deletedAt", "projectId"}


@pytest.fixture
def forms(services: Services, project) -> None:
    with services.db.session() as session:
        add_form(session, project.id)  # household_survey
        add_form(session, project.id, form_id="welfare")


def _create(client: FlaskClient, headers: dict[str, str], name: str) -> dict:
    resp = client.post("/v1/projects/1/app-users", json={"displayName": name}, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def form_ids(client: FlaskClient, token: str) -> list[str]:
    body = client.get(f"/key/{token}/projects/1/formList").get_data(as_text=True)
    return [part.split("</formID>")[0] for part in body.split("<formID>")[1:]]


def test_created_app_user_has_centrals_shape_and_lists_newest_first(client, admin_headers, admin) -> None:
    first = _create(client, admin_headers, "อาสาสมัคร หมู่ 1")
    second = _create(client, admin_headers, "อาสาสมัคร หมู่ 2")
    assert set(first) == FIELD_KEY_KEYS
    assert first["type"] == "field_key" and first["projectId"] == 1 and len(first["token"]) >= 48
    listed = client.get("/v1/projects/1/app-users", headers=admin_headers).get_json()
    assert [a["displayName"] for a in listed] == ["อาสาสมัคร หมู่ 2", "อาสาสมัคร หมู่ 1"]
    assert listed[0]["token"] == second["token"]
    wide = client.get(
        "/v1/projects/1/app-users", headers={**admin_headers, "X-Extended-Metadata": "true"}
    ).get_json()
    assert wide[0]["createdBy"]["id"] == admin.id and wide[0]["lastUsed"] is None
    assert set(wide[0]) == FIELD_KEY_KEYS | {"createdBy", "lastUsed", "properties"}
    one = client.get(f"/v1/projects/1/app-users/{first['id']}", headers=admin_headers)
    assert one.status_code == 200 and one.get_json()["displayName"] == "อาสาสมัคร หมู่ 1"


def test_a_new_app_user_sees_no_form_until_one_is_assigned(client, admin_headers, forms) -> None:
    app_user = _create(client, admin_headers, "ทดสอบ")
    token = app_user["token"]
    assert form_ids(client, token) == []
    assert post(client, f"/key/{token}/projects/1/submission", submission_xml()).status_code == 403
    url = f"/v1/projects/1/forms/household_survey/assignments/app-user/{app_user['id']}"
    assert client.post(url, headers=admin_headers).get_json() == {"success": True}
    assert form_ids(client, token) == ["household_survey"]
    assert client.get(f"/key/{token}/projects/1/forms/household_survey/manifest").status_code == 200
    assert client.get(f"/key/{token}/projects/1/forms/welfare/manifest").status_code == 403
    assert post(client, f"/key/{token}/projects/1/submission", submission_xml()).status_code == 201
    listed = client.get("/v1/projects/1/forms/household_survey/assignments", headers=admin_headers).get_json()
    assert listed == [{"actorId": app_user["id"], "roleId": 2}]
    by_role = client.get("/v1/projects/1/forms/household_survey/assignments/2", headers=admin_headers).get_json()
    assert [a["id"] for a in by_role] == [app_user["id"]]
    used = client.get(
        f"/v1/projects/1/app-users/{app_user['id']}", headers={**admin_headers, "X-Extended-Metadata": "true"}
    ).get_json()
    assert used["lastUsed"] is not None
    assert client.delete(url, headers=admin_headers).status_code == 200
    assert client.delete(url, headers=admin_headers).status_code == 404  # no such assignment any more
    assert form_ids(client, token) == []


def test_an_existing_collector_keeps_every_form_until_forms_are_assigned(
    client, admin_headers, collector, forms
) -> None:
    token = collector.collect_token
    assert form_ids(client, token) == ["household_survey", "welfare"]
    listed = client.get("/v1/projects/1/app-users", headers=admin_headers).get_json()
    assert [a["id"] for a in listed] == [collector.id]  # collectors are the project's app users
    assert client.post(
        f"/v1/projects/1/forms/welfare/assignments/app-user/{collector.id}", headers=admin_headers
    ).status_code == 200
    assert form_ids(client, token) == ["welfare"]


def test_deleting_an_app_user_stops_its_token(client, admin_headers, forms) -> None:
    app_user = _create(client, admin_headers, "ชั่วคราว")
    client.post(f"/v1/projects/1/forms/welfare/assignments/app-user/{app_user['id']}", headers=admin_headers)
    assert client.delete(f"/v1/projects/1/app-users/{app_user['id']}", headers=admin_headers).get_json() == {
        "success": True
    }
    assert client.get(f"/key/{app_user['token']}/projects/1/formList").status_code == 403
    assert client.get("/v1/projects/1/app-users", headers=admin_headers).get_json() == []
    assert client.get(f"/v1/projects/1/app-users/{app_user['id']}", headers=admin_headers).status_code == 404
    audits = client.get("/v1/audits?action=field_key", headers=admin_headers).get_json()
    assert [a["action"] for a in audits] == ["field_key.delete", "field_key.assignment.create", "field_key.create"]


def test_bad_requests_are_4xx_with_centrals_codes(client, admin_headers, services, make_user, forms) -> None:
    assert client.post("/v1/projects/1/app-users", json={}, headers=admin_headers).status_code == 400
    assert client.post("/v1/projects/1/app-users", json={"displayName": "  "}, headers=admin_headers).status_code == 400
    assert client.post("/v1/projects/1/app-users", json={"displayName": 5}, headers=admin_headers).status_code == 400
    assert client.get("/v1/projects/99/app-users", headers=admin_headers).status_code == 404
    app_user = _create(client, admin_headers, "x")
    base = "/v1/projects/1/forms/household_survey/assignments"
    assert client.post(f"{base}/manager/{app_user['id']}", headers=admin_headers).status_code == 400
    assert client.post(f"{base}/nonsense/{app_user['id']}", headers=admin_headers).status_code == 404
    assert client.post(f"{base}/app-user/999999", headers=admin_headers).status_code == 404
    assert client.post("/v1/projects/1/forms/nope/assignments/app-user/1", headers=admin_headers).status_code == 404
    viewer = make_user("clerk", "viewer")
    clerk = bearer_for(services, viewer)
    assert client.get("/v1/projects/1/app-users", headers=clerk).status_code == 403
    assert client.post("/v1/projects/1/app-users", json={"displayName": "y"}, headers=clerk).status_code == 403
