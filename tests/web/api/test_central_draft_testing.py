"""ODK Central's draft testing: a draft's Collect URL (/v1/test/TOKEN/projects/ID/forms/XML/draft),
test submissions by OpenRosa and REST, the draft's submission list and OData feed (…/draft.svc); test
data never mixes with the form's own and is dropped when the draft is published or deleted."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask.testing import FlaskClient
from lxml import etree

from server.core.ground.cache import LookupCache
from server.core.ground.services import Services
from server.core.models import Entity, Form, Submission, User
from server.core.submissions.batches import process_pending
from tests.helpers import bearer_for
from tests.web.api.central import FORMS, SUBMISSION_KEYS, publish_form, submission_xml

CENTRAL = f"{FORMS}/central_form"
XML = {"Content-Type": "application/xml"}
OPENROSA = {"X-OpenRosa-Version": "1.0"}
NS = {"x": "http://openrosa.org/xforms/xformsList", "m": "http://openrosa.org/xforms/xformsManifest"}


def draft_token(client: FlaskClient, headers: dict[str, str]) -> str:
    """central_form published, then a new draft copied from it; the draft's token."""
    publish_form(client, headers)
    assert client.post(f"{CENTRAL}/draft", headers=headers).get_json() == {"success": True}
    token = client.get(f"{CENTRAL}/draft", headers=headers).get_json()["draftToken"]
    assert isinstance(token, str) and len(token) > 20
    return token


def draft_base(token: str) -> str:
    return f"/v1/test/{token}/projects/1/forms/central_form/draft"


def process(services: Services) -> None:
    process_pending(services.db.sessions, LookupCache(), services.blobs)


def instance_ids(body: list[dict[str, Any]]) -> list[str]:
    return sorted(s["instanceId"] for s in body)


def test_collect_downloads_the_draft_and_sends_to_it_with_the_token_only(
    client: FlaskClient, admin_headers: dict[str, str], services: Services
) -> None:
    token = draft_token(client, admin_headers)
    base = draft_base(token)
    listed = client.get(f"{base}/formList", headers=OPENROSA)
    assert listed.status_code == 200 and listed.headers["X-OpenRosa-Version"] == "1.0"
    root = etree.fromstring(listed.data)
    assert root.findtext("x:xform/x:formID", namespaces=NS) == "central_form"
    assert root.findtext("x:xform/x:version", namespaces=NS) == "1"
    download = root.findtext("x:xform/x:downloadUrl", namespaces=NS)
    assert download == f"http://localhost{base}.xml"
    xml = client.get(f"{base}.xml")
    assert xml.status_code == 200 and b'id="central_form"' in xml.data
    manifest = etree.fromstring(client.get(f"{base}/manifest").data)
    url = manifest.findtext("m:mediaFile/m:downloadUrl", namespaces=NS)
    assert manifest.findtext("m:mediaFile/m:filename", namespaces=NS) == "villages.csv"
    assert url == f"http://localhost{base}/attachments/villages.csv"
    assert client.get(url.removeprefix("http://localhost")).data.startswith(b"name,label")
    assert client.head(f"{base}/submission").status_code == 204
    sent = client.post(
        f"{base}/submission",
        data={"xml_submission_file": (BytesIO(submission_xml("uuid:test-1")), "submission.xml")},
        headers=OPENROSA,
    )
    assert sent.status_code == 201 and b"<OpenRosaResponse" in sent.data
    # A wrong token is "not found" everywhere, and nothing reached the published form.
    for path in ("/formList", ".xml", "/manifest", "/submission"):
        assert client.get(draft_base("x" * 64) + path).status_code == 404
    assert client.get(f"{CENTRAL}/submissions", headers=admin_headers).get_json() == []
    drafted = client.get(f"{CENTRAL}/draft/submissions", headers=admin_headers).get_json()
    assert instance_ids(drafted) == ["uuid:test-1"] and SUBMISSION_KEYS <= set(drafted[0])
    assert drafted[0]["currentVersion"]["formVersion"] == "1"


def test_rest_test_submissions_their_feed_and_their_end_at_publish(
    client: FlaskClient, admin_headers: dict[str, str], services: Services
) -> None:
    token = draft_token(client, admin_headers)
    live = client.post(f"{CENTRAL}/submissions", data=submission_xml("uuid:live"), headers={**admin_headers, **XML})
    assert live.status_code == 200
    made = client.post(
        f"{CENTRAL}/draft/submissions", data=submission_xml("uuid:t1", name="Test"), headers={**admin_headers, **XML}
    )
    assert made.status_code == 200, made.get_json()
    assert made.get_json()["instanceId"] == "uuid:t1"
    # The same instanceID may be a test submission and a live one: the two never meet.
    twin = client.post(f"{CENTRAL}/draft/submissions", data=submission_xml("uuid:live"), headers={**admin_headers, **XML})
    assert twin.status_code == 200
    by_token = client.post(f"{draft_base(token)}/submissions", data=submission_xml("uuid:t2"), headers=XML)
    assert by_token.status_code == 200 and by_token.get_json()["submitterId"] is None
    wrong_form = client.post(
        f"{CENTRAL}/draft/submissions",
        data=submission_xml("uuid:t3").replace(b'id="central_form"', b'id="other"'),
        headers={**admin_headers, **XML},
    )
    assert wrong_form.status_code == 400 and wrong_form.get_json()["code"] == 400.1
    process(services)
    drafted = client.get(f"{CENTRAL}/draft/submissions", headers=admin_headers).get_json()
    assert instance_ids(drafted) == ["uuid:live", "uuid:t1", "uuid:t2"]
    assert instance_ids(client.get(f"{CENTRAL}/submissions", headers=admin_headers).get_json()) == ["uuid:live"]

    svc = client.get(f"{CENTRAL}/draft.svc", headers=admin_headers)
    assert svc.status_code == 200 and svc.headers["OData-Version"] == "4.0"
    assert svc.get_json()["@odata.context"] == f"http://localhost{CENTRAL}/draft.svc/$metadata"
    metadata = client.get(f"{CENTRAL}/draft.svc/$metadata", headers=admin_headers)
    assert metadata.status_code == 200 and b'EntityContainer Name="central_form"' in metadata.data
    feed = client.get(f"{CENTRAL}/draft.svc/Submissions?$count=true", headers=admin_headers).get_json()
    assert feed["@odata.count"] == 3 and {r["name"] for r in feed["value"]} == {"Test", "Somchai"}
    published_feed = client.get(f"{FORMS}/central_form.svc/Submissions", headers=admin_headers).get_json()
    assert [r["__id"] for r in published_feed["value"]] == ["uuid:live"]

    # Publishing the draft drops its test data, as Central; the live submission stays.
    assert client.post(f"{CENTRAL}/draft/publish?version=2", headers=admin_headers).get_json() == {"success": True}
    with services.db.session() as session:
        twin_form = session.query(Form).filter(Form.draft_of_id.is_not(None)).one()
        assert session.query(Submission).filter(Submission.form_id == twin_form.id).count() == 0
    assert instance_ids(client.get(f"{CENTRAL}/submissions", headers=admin_headers).get_json()) == ["uuid:live"]
    assert client.get(f"{draft_base(token)}/formList").status_code == 404  # the old token is spent
    assert client.get(f"{CENTRAL}/draft/submissions", headers=admin_headers).status_code == 404
    # Forms lists never show the twin.
    assert [f["xmlFormId"] for f in client.get(FORMS, headers=admin_headers).get_json()] == ["central_form"]


def test_deleting_the_draft_drops_its_test_submissions(
    client: FlaskClient, admin_headers: dict[str, str], services: Services
) -> None:
    draft_token(client, admin_headers)
    client.post(f"{CENTRAL}/draft/submissions", data=submission_xml("uuid:t1"), headers={**admin_headers, **XML})
    process(services)
    assert client.delete(f"{CENTRAL}/draft", headers=admin_headers).get_json() == {"success": True}
    client.post(f"{CENTRAL}/draft", headers=admin_headers)
    assert client.get(f"{CENTRAL}/draft/submissions", headers=admin_headers).get_json() == []
    assert client.get(f"{CENTRAL}/draft.svc/Submissions", headers=admin_headers).get_json()["value"] == []


def test_draft_test_routes_need_form_update(
    client: FlaskClient, admin_headers: dict[str, str], services: Services, collector: User
) -> None:
    draft_token(client, admin_headers)
    collector_headers = bearer_for(services, collector)
    for resp in (
        client.get(f"{CENTRAL}/draft/submissions", headers=collector_headers),
        client.post(f"{CENTRAL}/draft/submissions", data=submission_xml("uuid:c"), headers={**collector_headers, **XML}),
        client.get(f"{CENTRAL}/draft.svc/Submissions", headers=collector_headers),
    ):
        assert resp.status_code == 403


def test_test_submissions_make_no_entities(client: FlaskClient, admin_headers: dict[str, str], services: Services) -> None:
    """Central keeps entity lists free of test data; a draft with an entities sheet proves it here."""
    registration = b"""
| survey |
| | type | name | label | save_to |
| | text | hh_name | Name | hh_name |
| entities |
| | list_name | label |
| | households | ${hh_name} |
| settings |
| | form_id | version |
| | reg | 1 |
"""
    made = client.post(f"{FORMS}?publish=false", data=registration, headers={**admin_headers, "Content-Type": "text/markdown"})
    assert made.status_code == 200, made.get_json()
    xml = (
        b'<data id="reg" version="1"><hh_name>Test house</hh_name>'
        b'<meta><instanceID>uuid:e1</instanceID><entity dataset="households" id="7c1d2b34-1111-4222-8333-444455556666"'
        b' create="1"><label>Test house</label></entity></meta></data>'
    )
    sent = client.post(f"{FORMS}/reg/draft/submissions", data=xml, headers={**admin_headers, **XML})
    assert sent.status_code == 200, sent.get_json()
    process(services)
    with services.db.session() as session:
        assert session.query(Entity).count() == 0
    listed = client.get(f"{FORMS}/reg/draft/submissions", headers=admin_headers).get_json()
    assert listed[0]["currentVersion"]["processingState"] == "processed"
    # The same registration sent live once the draft is published does make its entity.
    assert client.post(f"{FORMS}/reg/draft/publish", headers=admin_headers).get_json() == {"success": True}
    assert client.post(f"{FORMS}/reg/submissions", data=xml, headers={**admin_headers, **XML}).status_code == 200
    process(services)
    with services.db.session() as session:
        assert session.query(Entity).count() == 1
