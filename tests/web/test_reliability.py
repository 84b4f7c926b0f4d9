"""Issue 8's specific answers: 503 with Retry-After when the database is out of reach, logging out,
Digest replays refused, broken XLSForm expressions refused with their row."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from server.core.accounts import digest
from server.core.ground.broker import RecordingSender
from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.web.app import create_app
from tests.core.submissions.test_intake import add_form
from tests.helpers import PASSWORD
from tests.web.openrosa.test_auth import digest_authorization
from tests.web.openrosa.test_submission import multipart, rows, submission_xml


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def unreachable_db_client(tmp_path: Path) -> FlaskClient:
    settings = load_settings(
        {
            "CHUMCHON_DATA_DIR": str(tmp_path),
            "CHUMCHON_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/gone",
            "CHUMCHON_SECRET_KEY": "test-secret-key",
        }
    )
    app = create_app(build_services(settings, tasks=RecordingSender()))
    return app.test_client()


def test_database_out_of_reach_is_503_with_retry_after_for_collect(unreachable_db_client: FlaskClient) -> None:
    resp = unreachable_db_client.post("/key/sometoken/projects/1/submission", data=b"x", content_type="text/xml")
    assert resp.status_code == 503
    assert int(resp.headers["Retry-After"]) > 0
    assert resp.mimetype == "text/xml" and b"OpenRosaResponse" in resp.data
    assert "ฐานข้อมูล" in resp.get_data(as_text=True) and "send again" in resp.get_data(as_text=True)


def test_database_out_of_reach_is_503_json_for_the_api(unreachable_db_client: FlaskClient) -> None:
    resp = unreachable_db_client.get("/v1/projects", headers={"Authorization": "Bearer abc"})
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    assert resp.get_json()["code"] == 503.1


def test_database_out_of_reach_is_a_readable_503_page_for_the_web_application(
    unreachable_db_client: FlaskClient,
) -> None:
    # A browser with a session cookie: looking the session up is the first thing that fails.
    unreachable_db_client.set_cookie("chumchon_session", "some-token")
    for path in ("/ui/", "/ui/login"):
        resp = unreachable_db_client.get(path)
        assert resp.status_code == 503 and int(resp.headers["Retry-After"]) > 0
        assert resp.mimetype == "text/html"
        page = resp.get_data(as_text=True)
        assert "ฐานข้อมูลไม่พร้อม" in page and "try again" in page and "Traceback" not in page


def test_logout_ends_the_session(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    assert client.get("/v1/users/current", headers=admin_headers).status_code == 200
    assert client.delete("/v1/sessions/current", headers=admin_headers).status_code == 200
    assert client.get("/v1/users/current", headers=admin_headers).status_code == 401


def test_delete_session_by_token_as_central_and_not_someone_elses(
    client: FlaskClient, admin, collector, make_user
) -> None:
    login = client.post("/v1/sessions", json={"email": "admin", "password": PASSWORD}).get_json()["token"]
    make_user("mgr", "manager")
    other = client.post("/v1/sessions", json={"email": "mgr", "password": PASSWORD}).get_json()["token"]
    mine = {"Authorization": f"Bearer {login}"}
    theirs = {"Authorization": f"Bearer {other}"}
    # A manager cannot end the admin's session, and learns nothing about it (404).
    assert client.delete(f"/v1/sessions/{login}", headers=theirs).status_code == 404
    assert client.get("/v1/users/current", headers=mine).status_code == 200
    assert client.delete(f"/v1/sessions/{login}", headers=mine).status_code == 200
    assert client.get("/v1/users/current", headers=mine).status_code == 401


URI = "/formList"


def test_a_replayed_digest_request_gets_a_new_challenge(client: FlaskClient, collector) -> None:
    challenge = client.get(URI).headers["WWW-Authenticate"]
    first = digest_authorization(challenge, "GET", URI, "somchai", PASSWORD, nc=1)
    assert client.get(URI, headers={"Authorization": first}).status_code == 200
    replay = client.get(URI, headers={"Authorization": first})
    assert replay.status_code == 401
    assert "stale=true" in replay.headers["WWW-Authenticate"]  # Collect answers without asking the user
    assert digest.parse_authorization(replay.headers["WWW-Authenticate"][7:])["nonce"]
    # Collect's next request on the same nonce counts up, and goes through; going back does not.
    assert client.get(URI, headers={"Authorization": digest_authorization(challenge, "GET", URI, "somchai", PASSWORD, nc=2)}).status_code == 200
    assert client.get(URI, headers={"Authorization": digest_authorization(challenge, "GET", URI, "somchai", PASSWORD, nc=1)}).status_code == 401


def test_a_replayed_digest_submission_is_refused_and_stores_nothing(client: FlaskClient, collector, services) -> None:
    # A submission records its nonce count in its own transaction: the replay still finds it used.
    with services.db.session() as session:
        add_form(session, 1)
    url = "/projects/1/submission"
    challenge = client.head(url).headers["WWW-Authenticate"]
    auth = digest_authorization(challenge, "POST", url, "somchai", PASSWORD, nc=1)
    for instance, expected in (("uuid:1", 201), ("uuid:2", 401)):
        body, content_type = multipart(submission_xml(instance, photo=None), [])
        answer = client.post(url, data=body, content_type=content_type, headers={"Authorization": auth})
        assert answer.status_code == expected
    assert rows(services)[:2] == (1, 1)


BROKEN = b"""
| survey |
| | type | name | label | relevant | calculation |
| | integer | n | N | | |
| | text | t | T | ${n} +* (2 | |
| | calculate | a | | | ${b} + 1 |
| | calculate | b | | | ${a} * 2 |
| settings |
| | form_id | version |
| | broken_xpath | 1 |
"""


def test_broken_xpath_and_circular_calculations_are_refused_with_their_rows(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    resp = client.post(
        "/v1/projects/1/forms",
        data={"file": (io.BytesIO(BROKEN), "broken.md")},
        headers=admin_headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
    body = resp.get_json()
    assert "[sheet: survey] [row: 3] [column: relevant]" in body["message"]
    assert "${n} +* (2" in body["message"]
    assert "Circular calculation: ${a} → ${b} → ${a}" in body["message"]
    rows = {(p["row"], p["column"]) for p in body["details"]["problems"]}
    assert rows == {(3, "relevant"), (4, "calculation")}
    assert client.get("/v1/projects/1/forms", headers=admin_headers).get_json() == []
