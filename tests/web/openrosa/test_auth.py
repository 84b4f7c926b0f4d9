"""Authentication as ODK Collect does it: a challenge first, then Digest (or Basic over HTTPS only),
or a token in the URL path that needs no challenge at all."""

from __future__ import annotations

import hashlib
import os

from flask.testing import FlaskClient

from server.core.accounts import digest
from server.core.accounts.projects import create_project
from tests.helpers import PASSWORD, basic_header


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def digest_authorization(
    challenge: str, method: str, uri: str, username: str, password: str, nc: int = 1
) -> str:
    """What okhttp-digest sends back: MD5, qop=auth, a fresh cnonce, the opaque echoed."""
    assert challenge.startswith("Digest ")
    params = digest.parse_authorization(challenge[len("Digest ") :])
    assert params["qop"] == "auth"
    cnonce = os.urandom(8).hex()  # at least 48 random bits, as the OpenRosa spec asks
    ha1 = _md5(f"{username}:{params['realm']}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    nc_text = f"{nc:08x}"
    response = _md5(f"{ha1}:{params['nonce']}:{nc_text}:{cnonce}:auth:{ha2}")
    return (
        f'Digest username="{username}", realm="{params["realm"]}", nonce="{params["nonce"]}", uri="{uri}", '
        f'algorithm=MD5, response="{response}", qop=auth, nc={nc_text}, cnonce="{cnonce}", '
        f'opaque="{params.get("opaque", "")}"'
    )


URI = "/submission?deviceID=collect%3Aabcdef0123456789"


def test_no_credentials_gives_a_digest_challenge_and_a_digest_answer_gets_in(
    client: FlaskClient, collector
) -> None:
    first = client.head(URI)
    assert first.status_code == 401
    challenge = first.headers["WWW-Authenticate"]
    assert (
        challenge.startswith('Digest realm="chumchon"')
        and 'qop="auth"' in challenge
        and "nonce=" in challenge
    )
    auth = digest_authorization(challenge, "HEAD", URI, "somchai", PASSWORD)
    second = client.head(URI, headers={"Authorization": auth})
    assert second.status_code == 204
    assert second.headers["X-OpenRosa-Version"] == "1.0"
    # okhttp-digest then sends the header pre-emptively with the next nonce count.
    third = client.head(
        URI, headers={"Authorization": digest_authorization(challenge, "HEAD", URI, "somchai", PASSWORD, 2)}
    )
    assert third.status_code == 204


def test_two_phones_challenged_in_the_same_second_both_get_in(client: FlaskClient, collector) -> None:
    # Each phone counts nc from 1 on its own nonce; a shared nonce would make the second look like a replay.
    challenges = [client.head(URI).headers["WWW-Authenticate"] for _ in range(2)]
    assert challenges[0] != challenges[1]
    for challenge in challenges:
        auth = digest_authorization(challenge, "HEAD", URI, "somchai", PASSWORD)
        assert client.head(URI, headers={"Authorization": auth}).status_code == 204


def test_wrong_digest_password_is_refused_with_a_new_challenge(client: FlaskClient, collector) -> None:
    challenge = client.head(URI).headers["WWW-Authenticate"]
    resp = client.head(
        URI, headers={"Authorization": digest_authorization(challenge, "HEAD", URI, "somchai", "wrong-one")}
    )
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Digest")


def test_basic_is_refused_over_http_and_accepted_over_https(client: FlaskClient, collector) -> None:
    assert client.head("/submission", headers=basic_header("somchai")).status_code == 401
    resp = client.head("/submission", headers=basic_header("somchai"), base_url="https://localhost")
    assert resp.status_code == 204
    # Over HTTPS the challenge also offers Basic, which Collect uses only there.
    challenges = client.head("/submission", base_url="https://localhost").headers.getlist("WWW-Authenticate")
    assert any(c.startswith("Basic") for c in challenges)


def test_token_url_needs_no_credentials_and_a_bad_token_is_403_without_challenge(
    client: FlaskClient, collector
) -> None:
    ok = client.head(f"/key/{collector.collect_token}/projects/1/submission?deviceID=collect%3Aabc")
    assert ok.status_code == 204
    bad = client.head("/key/not-a-real-token/projects/1/submission")
    assert bad.status_code == 403 and "WWW-Authenticate" not in bad.headers
    body = client.post("/key/not-a-real-token/projects/1/submission").get_data(as_text=True)
    assert "OpenRosaResponse" in body and "QR" in body


def test_collector_of_one_project_cannot_submit_to_another(client: FlaskClient, collector, services) -> None:
    with services.db.session() as session:
        other = create_project(session, "โครงการอำเภออื่น").id
    resp = client.head(f"/key/{collector.collect_token}/projects/{other}/submission")
    assert resp.status_code == 403
    resp = client.post(f"/key/{collector.collect_token}/projects/{other}/submission")
    assert resp.status_code == 403 and "OpenRosaResponse" in resp.get_data(as_text=True)
    via_login = client.head(
        f"/projects/{other}/submission", headers=basic_header("somchai"), base_url="https://localhost"
    )
    assert via_login.status_code == 403


def test_thai_credentials_cannot_use_digest_but_basic_over_https_works(
    client: FlaskClient, make_user
) -> None:
    # Collect encodes Digest credentials as US-ASCII, so no HA1 is kept for a Thai name; such accounts
    # use HTTPS Basic (UTF-8 clients) or, for phones, the token URL from the QR code.
    make_user("สมหญิง", "collector")
    challenge = client.head(URI).headers["WWW-Authenticate"]
    resp = client.head(
        URI, headers={"Authorization": digest_authorization(challenge, "HEAD", URI, "สมหญิง", PASSWORD)}
    )
    assert resp.status_code == 401
    resp = client.head("/submission", headers=basic_header("สมหญิง"), base_url="https://localhost")
    assert resp.status_code == 204
