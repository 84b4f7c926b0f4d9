"""/v1/users as ODK Central: the list (empty for those who may not list), exact-match lookup,
creating an account without roles, renaming, deleting (deactivating), changing one's password."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.helpers import PASSWORD, bearer_for

USER_KEYS = {"id", "type", "displayName", "email", "createdAt", "updatedAt", "deletedAt", "lastLoginAt"}


def test_admin_creates_lists_and_searches_users(client: FlaskClient, admin_headers, admin) -> None:
    resp = client.post("/v1/users", json={"email": "somsri@example.go.th", "password": "long-enough-1"},
                       headers=admin_headers)
    assert resp.status_code == 200
    created = resp.get_json()
    assert USER_KEYS <= set(created) and created["type"] == "user" and created["roles"] == []
    assert created["displayName"] == "somsri@example.go.th"  # Central copies the email when none is given
    emails = [u["email"] for u in client.get("/v1/users", headers=admin_headers).get_json()]
    assert emails == ["admin", "somsri@example.go.th"]
    found = client.get("/v1/users?q=SOMSRI", headers=admin_headers).get_json()
    assert [u["id"] for u in found] == [created["id"]]
    login = client.post("/v1/sessions", json={"email": "somsri@example.go.th", "password": "long-enough-1"})
    assert login.status_code == 200
    assert client.post("/v1/users", json={"email": "somsri@example.go.th", "password": "long-enough-1"},
                       headers=admin_headers).status_code == 409
    assert client.post("/v1/users", json={"email": "x"}, headers=admin_headers).status_code == 400
    assert client.post("/v1/users", json={"email": 7}, headers=admin_headers).status_code == 400


def test_others_see_only_an_exact_match_or_nothing(client, services, make_user, admin) -> None:
    clerk = make_user("clerk", "viewer")
    headers = bearer_for(services, clerk)
    assert client.get("/v1/users", headers=headers).get_json() == []
    assert [u["email"] for u in client.get("/v1/users?q=admin", headers=headers).get_json()] == ["admin"]
    assert client.get(f"/v1/users/{admin.id}", headers=headers).status_code == 403
    assert client.get("/v1/users/999999", headers=headers).status_code == 403  # no existence oracle
    assert client.get(f"/v1/users/{clerk.id}", headers=headers).get_json()["email"] == "clerk"
    assert client.post("/v1/users", json={"email": "x@y"}, headers=headers).status_code == 403
    assert client.delete(f"/v1/users/{admin.id}", headers=headers).status_code == 403


def test_rename_and_change_password(client, services, make_user) -> None:
    clerk = make_user("clerk", "viewer")
    headers = bearer_for(services, clerk)
    renamed = client.patch(f"/v1/users/{clerk.id}", json={"displayName": "สมศรี ใจดี"}, headers=headers)
    assert renamed.status_code == 200 and renamed.get_json()["displayName"] == "สมศรี ใจดี"
    url = f"/v1/users/{clerk.id}/password"
    assert client.put(url, json={"old": "wrong-password", "new": "new-password-1"}, headers=headers).status_code == 401
    assert client.put(url, json={"old": PASSWORD, "new": "short"}, headers=headers).status_code == 400
    assert client.put(url, json={"old": PASSWORD, "new": "new-password-1"}, headers=headers).get_json() == {
        "success": True
    }
    assert client.get(f"/v1/users/{clerk.id}", headers=headers).status_code == 200  # this session stays
    assert client.post("/v1/sessions", json={"email": "clerk", "password": PASSWORD}).status_code == 401
    assert client.post("/v1/sessions", json={"email": "clerk", "password": "new-password-1"}).status_code == 200


def test_delete_deactivates_and_ends_sessions(client, admin_headers, admin, services, make_user) -> None:
    clerk = make_user("clerk", "viewer")
    headers = bearer_for(services, clerk)
    assert client.delete(f"/v1/users/{clerk.id}", headers=admin_headers).get_json() == {"success": True}
    assert client.get("/v1/projects", headers=headers).status_code == 401
    assert client.get(f"/v1/users/{clerk.id}", headers=admin_headers).status_code == 404
    assert client.delete(f"/v1/users/{admin.id}", headers=admin_headers).status_code == 400
    actions = [a["action"] for a in client.get("/v1/audits?action=user", headers=admin_headers).get_json()]
    assert actions[0] == "user.delete"
