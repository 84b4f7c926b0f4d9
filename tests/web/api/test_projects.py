"""JSON API basics: sessions, the current user, projects and permission checks."""

from flask.testing import FlaskClient

from tests.helpers import PASSWORD, basic_header


def test_login_returns_a_bearer_token_that_opens_the_api(client: FlaskClient, admin) -> None:
    resp = client.post("/v1/sessions", json={"email": "admin", "password": PASSWORD})
    assert resp.status_code == 200
    token = resp.get_json()["token"]
    me = client.get("/v1/users/current", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["displayName"] == "admin"


def test_wrong_password_is_refused_with_a_bilingual_message(client: FlaskClient, admin) -> None:
    resp = client.post("/v1/sessions", json={"email": "admin", "password": "nope-nope"})
    assert resp.status_code == 401
    assert "รหัสผ่าน" in resp.get_json()["message"]
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_basic_auth_is_refused_over_plain_http_and_accepted_over_https(client: FlaskClient, admin) -> None:
    assert client.get("/v1/projects", headers=basic_header("admin")).status_code == 401
    resp = client.get("/v1/projects", headers=basic_header("admin"), base_url="https://localhost")
    assert resp.status_code == 200
    assert resp.get_json()[0]["name"].startswith("โครงการ")


def test_collector_cannot_create_projects(client: FlaskClient, collector, services) -> None:
    from tests.helpers import bearer_for

    resp = client.post("/v1/projects", json={"name": "x"}, headers=bearer_for(services, collector))
    assert resp.status_code == 403


def test_admin_creates_a_project_with_a_thai_name(client: FlaskClient, admin_headers) -> None:
    resp = client.post("/v1/projects", json={"name": "อำเภอเมืองเชียงใหม่"}, headers=admin_headers)
    assert resp.status_code == 200
    pid = resp.get_json()["id"]
    assert client.get(f"/v1/projects/{pid}", headers=admin_headers).get_json()["name"] == "อำเภอเมืองเชียงใหม่"
    assert client.get("/v1/projects/999", headers=admin_headers).status_code == 404


def test_api_errors_are_json_and_never_a_stack_trace(client: FlaskClient, admin_headers) -> None:
    resp = client.post("/v1/projects", data="not json", headers=admin_headers)
    assert resp.status_code == 400
    assert "JSON" in resp.get_json()["message"]
