"""ODK Central's submission endpoints as pyodk uses them: create by POST of the XML, attachments one by
one, edit by PUT, the XML and versions, the whole list, X-Extended-Metadata and comment shapes."""

from __future__ import annotations

from io import BytesIO

from flask.testing import FlaskClient

from server.core.models import User
from tests.web.api.central import (
    ACTOR_KEYS,
    FORMS,
    PROBLEM_KEYS,
    SUBMISSION_KEYS,
    SUBMISSION_VERSION_KEYS,
    publish_form,
    submission_xml,
)

SUBS = f"{FORMS}/central_form/submissions"
XML = {"Content-Type": "application/xml"}


def post(client: FlaskClient, headers: dict[str, str], body: bytes):  # type: ignore[no-untyped-def]
    return client.post(SUBS, data=body, headers={**headers, **XML})


def test_create_by_post_of_the_xml(client: FlaskClient, admin_headers: dict[str, str], admin: User) -> None:
    publish_form(client, admin_headers)
    xml = submission_xml("uuid:one")
    resp = client.post(f"{SUBS}?deviceID=pyodk-test", data=xml, headers={**admin_headers, **XML})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert SUBMISSION_KEYS <= set(body) and SUBMISSION_VERSION_KEYS <= set(body["currentVersion"])
    assert "attachments" not in body  # pyodk adds its own list to what POST answers
    assert body["instanceId"] == "uuid:one" and body["submitterId"] == admin.id and body["deviceId"] == "pyodk-test"
    assert body["reviewState"] is None and body["createdAt"].endswith("Z")
    assert client.get(f"{SUBS}/uuid:one.xml", headers=admin_headers).data == xml
    # The same XML again is a retry; other XML under the same instanceID is Central's 409.1.
    assert post(client, admin_headers, xml).status_code == 200
    conflict = post(client, admin_headers, submission_xml("uuid:one", name="Other"))
    assert conflict.status_code == 409 and conflict.get_json()["code"] == 409.1
    wrong_form = post(client, admin_headers, xml.replace(b'id="central_form"', b'id="another"'))
    assert wrong_form.status_code == 400 and PROBLEM_KEYS <= set(wrong_form.get_json())
    broken = [
        post(client, admin_headers, b"<data"),
        post(client, admin_headers, b""),
        post(client, admin_headers, xml.replace(b'version="1"', b'version="9"')),
        client.post(SUBS, data=xml, headers={**admin_headers, "Content-Type": "image/png"}),
    ]
    assert [r.status_code for r in broken] == [400, 400, 404, 400]
    assert all(PROBLEM_KEYS <= set(r.get_json()) for r in broken)


def test_attachments_one_by_one(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    publish_form(client, admin_headers)
    post(client, admin_headers, submission_xml("uuid:pic", photo="house.jpg"))
    listing = client.get(f"{SUBS}/uuid:pic/attachments", headers=admin_headers).get_json()
    assert listing == [{"name": "house.jpg", "exists": False}]
    up = client.post(
        f"{SUBS}/uuid:pic/attachments/house.jpg", data=b"\xff\xd8jpeg", headers={**admin_headers, "Content-Type": "image/jpeg"}
    )
    assert up.status_code == 200 and up.get_json() == {"success": True}
    assert client.get(f"{SUBS}/uuid:pic/attachments", headers=admin_headers).get_json()[0]["exists"] is True
    assert client.get(f"{SUBS}/uuid:pic/attachments/house.jpg", headers=admin_headers).data == b"\xff\xd8jpeg"
    unknown = client.post(f"{SUBS}/uuid:pic/attachments/other.jpg", data=b"x", headers=admin_headers)
    assert unknown.status_code == 404 and unknown.get_json()["code"] == 404.1
    sneaky = client.post(f"{SUBS}/uuid:pic/attachments/..%2Fsecret", data=b"x", headers=admin_headers)
    assert sneaky.status_code in (400, 404)
    assert client.delete(f"{SUBS}/uuid:pic/attachments/house.jpg", headers=admin_headers).get_json() == {
        "success": True
    }
    assert client.get(f"{SUBS}/uuid:pic/attachments", headers=admin_headers).get_json()[0]["exists"] is False
    assert client.delete(f"{SUBS}/uuid:pic/attachments/house.jpg", headers=admin_headers).status_code == 404


def test_multipart_post_with_the_attachment(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    publish_form(client, admin_headers)
    resp = client.post(
        SUBS,
        data={
            "xml_submission_file": (BytesIO(submission_xml("uuid:mp", photo="a.jpg")), "submission.xml"),
            "a.jpg": (BytesIO(b"jpegbytes"), "a.jpg"),
        },
        headers=admin_headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.get_json()
    assert client.get(f"{SUBS}/uuid:mp/attachments", headers=admin_headers).get_json() == [
        {"name": "a.jpg", "exists": True}
    ]


def test_edit_by_put_makes_a_new_version(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    publish_form(client, admin_headers)
    post(client, admin_headers, submission_xml("uuid:v1", photo="a.jpg"))
    client.post(f"{SUBS}/uuid:v1/attachments/a.jpg", data=b"photo", headers=admin_headers)
    edit = submission_xml("uuid:v2", name="Somchai J.", photo="a.jpg", deprecated="uuid:v1")
    resp = client.put(f"{SUBS}/uuid:v1", data=edit, headers={**admin_headers, **XML})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["instanceId"] == "uuid:v1" and body["currentVersion"]["instanceId"] == "uuid:v2"
    assert body["reviewState"] == "edited"
    assert client.get(f"{SUBS}/uuid:v1.xml", headers=admin_headers).data == edit
    versions = client.get(f"{SUBS}/uuid:v1/versions", headers=admin_headers).get_json()
    assert [v["instanceId"] for v in versions] == ["uuid:v2", "uuid:v1"]
    assert all(SUBMISSION_VERSION_KEYS <= set(v) for v in versions)
    assert client.get(f"{SUBS}/uuid:v1/versions/uuid:v1.xml", headers=admin_headers).data == submission_xml(
        "uuid:v1", photo="a.jpg"
    )
    one = client.get(f"{SUBS}/uuid:v1/versions/uuid:v1", headers=admin_headers).get_json()
    assert one["instanceId"] == "uuid:v1" and one["current"] is False
    # The photo was carried forward to the new version.
    assert client.get(f"{SUBS}/uuid:v1/versions/uuid:v2/attachments", headers=admin_headers).get_json() == [
        {"name": "a.jpg", "exists": True}
    ]
    stale = client.put(
        f"{SUBS}/uuid:v1", data=submission_xml("uuid:v3", deprecated="uuid:v1"), headers={**admin_headers, **XML}
    )
    assert stale.status_code == 409 and stale.get_json()["code"] == 409.9
    plain = client.put(f"{SUBS}/uuid:v1", data=submission_xml("uuid:v4"), headers={**admin_headers, **XML})
    assert plain.status_code == 400 and plain.get_json()["code"] == 400.19
    missing = client.put(
        f"{SUBS}/uuid:nope", data=submission_xml("uuid:v5", deprecated="uuid:nope"), headers={**admin_headers, **XML}
    )
    assert missing.status_code == 404


def test_the_list_returns_every_submission_and_pages_only_on_request(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    publish_form(client, admin_headers)
    for i in range(105):
        assert post(client, admin_headers, submission_xml(f"uuid:{i:03d}")).status_code == 200
    everything = client.get(SUBS, headers=admin_headers)
    assert len(everything.get_json()) == 105 and everything.headers["X-Total-Count"] == "105"
    assert everything.get_json()[0]["instanceId"] == "uuid:104"  # newest first, as Central
    page = client.get(f"{SUBS}?limit=10", headers=admin_headers)
    assert len(page.get_json()) == 10 and page.headers["X-Next-Cursor"]


def test_extended_metadata_and_comments(client: FlaskClient, admin_headers: dict[str, str], admin: User) -> None:
    publish_form(client, admin_headers)
    post(client, admin_headers, submission_xml("uuid:ext"))
    ext = {**admin_headers, "X-Extended-Metadata": "true"}
    listed = client.get(SUBS, headers=ext).get_json()[0]
    assert ACTOR_KEYS <= set(listed["submitter"]) and listed["submitter"]["id"] == admin.id
    assert listed["currentVersion"]["submitter"]["id"] == admin.id and listed["formVersion"] == "1"
    one = client.get(f"{SUBS}/uuid:ext", headers=ext).get_json()
    assert one["submitter"]["displayName"] == admin.display_name
    form = client.get(f"{FORMS}/central_form", headers=ext).get_json()
    assert form["submissions"] == 1 and form["reviewStates"]["received"] == 1 and form["lastSubmission"]
    comment = client.post(f"{SUBS}/uuid:ext/comments", json={"body": "ตรวจแล้ว"}, headers=admin_headers)
    assert set(comment.get_json()) == {"body", "actorId", "createdAt"}
    review = client.patch(f"{SUBS}/uuid:ext", json={"reviewState": "approved"}, headers=admin_headers)
    assert review.status_code == 200 and review.get_json()["reviewState"] == "approved"
    audits = client.get(f"{SUBS}/uuid:ext/audits", headers=admin_headers).get_json()
    assert {"actorId", "action", "acteeId", "details", "loggedAt", "notes"} <= set(audits[0])
