"""Roles and role assignments as ODK Central: ids and system names (App User is 2, as pyodk assumes),
verbs, project and site-wide assignments on Chumchon's grants."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.helpers import bearer_for

ROLE_KEYS = {"id", "name", "system", "verbs", "createdAt", "updatedAt"}


def test_roles_are_public_with_centrals_ids_and_verbs(client: FlaskClient) -> None:
    roles = client.get("/v1/roles").get_json()
    assert all(set(r) == ROLE_KEYS for r in roles)
    by_system = {r["system"]: r for r in roles}
    assert by_system["admin"]["id"] == 1 and by_system["admin"]["name"] == "Administrator"
    assert by_system["app-user"]["id"] == 2 and "submission.create" in by_system["app-user"]["verbs"]
    assert {"manager", "viewer", "formfill", "pub-link", "supervisor"} <= set(by_system)
    assert "submission.update" not in by_system["viewer"]["verbs"]
    assert len(by_system["admin"]["verbs"]) > 10
    assert client.get("/v1/roles/admin").get_json()["id"] == 1
    assert client.get("/v1/roles/2").get_json()["system"] == "app-user"
    assert client.get("/v1/roles/aoeu").status_code == 404
    assert client.get("/v1/roles/999").status_code == 404


def test_project_assignments_grant_and_revoke_chumchon_roles(client, admin_headers, services, make_user) -> None:
    clerk = make_user("clerk", "viewer")
    listed = client.get("/v1/projects/1/assignments", headers=admin_headers).get_json()
    assert {"actorId": clerk.id, "roleId": 6} in listed
    url = f"/v1/projects/1/assignments/manager/{clerk.id}"
    assert client.post(url, headers=admin_headers).get_json() == {"success": True}
    managers = client.get("/v1/projects/1/assignments/manager", headers=admin_headers).get_json()
    assert [m["id"] for m in managers] == [clerk.id] and managers[0]["type"] == "user"
    # The new manager may now list the project's app users.
    assert client.get("/v1/projects/1/app-users", headers=bearer_for(services, clerk)).status_code == 200
    assert client.delete(url, headers=admin_headers).status_code == 200
    assert client.delete(url, headers=admin_headers).status_code == 404
    assert client.post(f"/v1/projects/1/assignments/admin/{clerk.id}", headers=admin_headers).status_code == 400
    assert client.post(f"/v1/projects/1/assignments/pub-link/{clerk.id}", headers=admin_headers).status_code == 400
    assert client.post("/v1/projects/1/assignments/viewer/999999", headers=admin_headers).status_code == 404
    wide = client.get("/v1/projects/1/assignments", headers={**admin_headers, "X-Extended-Metadata": "true"})
    assert {"actor", "roleId"} == set(wide.get_json()[0])


def test_site_assignments_are_the_administrators(client, admin_headers, admin, services, make_user) -> None:
    assert client.get("/v1/assignments", headers=admin_headers).get_json() == [{"actorId": admin.id, "roleId": 1}]
    other = make_user("boss", "viewer")
    assert client.post(f"/v1/assignments/admin/{other.id}", headers=admin_headers).status_code == 200
    assert [a["id"] for a in client.get("/v1/assignments/admin", headers=admin_headers).get_json()] == [
        admin.id,
        other.id,
    ]
    assert client.post(f"/v1/assignments/viewer/{other.id}", headers=admin_headers).status_code == 400
    assert client.delete(f"/v1/assignments/admin/{admin.id}", headers=admin_headers).status_code == 400
    assert client.get("/v1/assignments", headers=bearer_for(services, make_user("v2", "viewer"))).status_code == 403
