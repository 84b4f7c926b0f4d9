"""ODK Central's Collect URLs (`/v1/key/TOKEN/projects/ID`, `/v1/projects/ID`) answer like
Chumchon's own: form list, form, manifest, media, HEAD + POST submission, same auth; the links inside
stay in the /v1 family the phone used; an API client still gets the form XML at the shared URL."""

from __future__ import annotations

import hashlib

from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.core.ground.services import Services
from server.core.models import Submission, User
from tests.core.submissions.test_intake import add_form, submission_xml
from tests.helpers import PASSWORD, bearer_for
from tests.web.openrosa.test_auth import digest_authorization
from tests.web.openrosa.test_forms import DEVICE, KITCHEN, local, parse_list, publish
from tests.web.openrosa.test_submission import post


def test_token_urls_at_centrals_paths(client: FlaskClient, services: Services, collector: User) -> None:
    publish(services, KITCHEN, "kitchen_sink.md", media={"logo.png": b"\x89PNG logo"})
    base = f"/v1/key/{collector.collect_token}/projects/1"
    resp = client.get(base + "/formList" + DEVICE)
    assert resp.status_code == 200 and resp.headers["X-OpenRosa-Version"] == "1.0"
    entry = parse_list(resp.data)[0]
    assert entry["downloadUrl"] == f"http://localhost{base}/forms/kitchen_sink.xml"
    assert entry["manifestUrl"] == f"http://localhost{base}/forms/kitchen_sink/manifest"
    form = client.get(local(entry["downloadUrl"]))
    assert form.status_code == 200 and "md5:" + hashlib.md5(form.data).hexdigest() == entry["hash"]
    manifest = client.get(local(entry["manifestUrl"]))
    assert manifest.status_code == 200
    assert f"{base}/forms/kitchen_sink/attachments/logo.png".encode() in manifest.data
    assert client.get(f"{base}/forms/kitchen_sink/attachments/logo.png").data == b"\x89PNG logo"
    assert client.get("/v1/key/not-a-token/projects/1/formList").status_code == 403


def test_submission_through_centrals_token_url(client: FlaskClient, services: Services, collector: User) -> None:
    with services.db.session() as session:
        add_form(session, 1)
    url = f"/v1/key/{collector.collect_token}/projects/1/submission?deviceID=collect%3Aabc"
    assert client.head(url).status_code == 204
    resp = post(client, url, submission_xml())
    assert resp.status_code == 201 and b"OpenRosaResponse" in resp.data
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 1


def test_digest_at_v1_projects_and_the_shared_form_url(
    client: FlaskClient, services: Services, collector: User, admin_headers: dict[str, str]
) -> None:
    publish(services)
    uri = "/v1/projects/1/formList"
    first = client.get(uri)
    assert first.status_code == 401 and first.headers["WWW-Authenticate"].startswith("Digest")
    challenge = first.headers["WWW-Authenticate"]
    auth = digest_authorization(challenge, "GET", uri, "somchai", PASSWORD)
    entry = parse_list(client.get(uri, headers={"Authorization": auth}).data)[0]
    assert entry["downloadUrl"] == "http://localhost/v1/projects/1/forms/kitchen_sink.xml"
    path = local(entry["downloadUrl"])
    again = digest_authorization(challenge, "GET", path, "somchai", PASSWORD, 2)
    form = client.get(path, headers={"Authorization": again})
    assert form.status_code == 200 and form.headers["X-OpenRosa-Version"] == "1.0"
    assert "md5:" + hashlib.md5(form.data).hexdigest() == entry["hash"]
    # pyodk reads the same URL with its Bearer token.
    api = client.get(path, headers=admin_headers)
    assert api.status_code == 200 and api.data == form.data
    collector_api = client.get(path, headers=bearer_for(services, collector))
    assert collector_api.status_code == 200
    assert client.head("/v1/projects/1/submission").status_code == 401
