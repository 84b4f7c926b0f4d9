"""ODK Central's form endpoints as its clients use them: drafts (create, attachments, publish with a
version, delete), XForm or XLSForm uploads, versions, fields and X-Extended-Metadata."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask.testing import FlaskClient

from server.core.ground.services import Services
from server.core.models import User
from tests.helpers import basic_header, bearer_for
from tests.web.api.central import (
    ACTOR_KEYS,
    FIELD_KEYS,
    FORM_ATTACHMENT_KEYS,
    FORM_EXTENDED_KEYS,
    FORM_KEYS,
    FORMS,
    PROBLEM_KEYS,
    XFORM,
    XLSFORM,
    create_draft,
    publish_form,
)

CENTRAL = f"{FORMS}/central_form"


def collect_form_list(client: FlaskClient):  # type: ignore[no-untyped-def]
    """The form list as ODK Collect reads it (Basic over HTTPS as the admin)."""
    headers = {**basic_header("admin"), "X-OpenRosa-Version": "1.0"}
    return client.get("/formList", headers=headers, base_url="https://localhost")


def test_publish_false_makes_a_draft_that_collect_does_not_see(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    resp = create_draft(client, admin_headers)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert FORM_KEYS <= set(body)
    assert body["xmlFormId"] == "central_form" and body["version"] == "1" and body["name"] == "Central form"
    assert body["publishedAt"] is None and isinstance(body["draftToken"], str) and len(body["draftToken"]) == 64
    assert len(body["sha"]) == 40 and len(body["sha256"]) == 64 and len(body["hash"]) == 32
    draft = client.get(f"{CENTRAL}/draft", headers=admin_headers).get_json()
    assert draft["draftToken"] == body["draftToken"] and draft["publishedAt"] is None
    assert client.get(f"{CENTRAL}/versions", headers=admin_headers).get_json() == []
    listed = client.get(FORMS, headers=admin_headers).get_json()
    assert [(f["xmlFormId"], f["publishedAt"]) for f in listed] == [("central_form", None)]
    # The form list Collect reads has nothing yet.
    collect = collect_form_list(client)
    assert collect.status_code == 200 and b"central_form" not in collect.data
    xml = client.get(f"{CENTRAL}/draft.xml", headers=admin_headers)
    assert xml.status_code == 200 and hashlib.md5(xml.data).hexdigest() == body["hash"]


def test_draft_attachments_then_publish_as_pyodk_does(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    create_draft(client, admin_headers)
    listed = client.get(f"{CENTRAL}/draft/attachments", headers=admin_headers).get_json()
    assert [(a["name"], a["exists"]) for a in listed] == [("villages.csv", False)]
    assert FORM_ATTACHMENT_KEYS <= set(listed[0])
    up = client.post(
        f"{CENTRAL}/draft/attachments/villages.csv",
        data=b"name,label\n1001,Ban Nong\n",
        headers={**admin_headers, "Content-Type": "text/csv"},
    )
    assert up.status_code == 200 and up.get_json()["exists"] is True
    assert client.get(f"{CENTRAL}/draft/attachments/villages.csv", headers=admin_headers).data.startswith(b"name,")
    unknown = client.post(f"{CENTRAL}/draft/attachments/other.csv", data=b"x", headers=admin_headers)
    assert unknown.status_code == 404 and PROBLEM_KEYS <= set(unknown.get_json())
    assert client.post(f"{CENTRAL}/draft/publish", headers=admin_headers).get_json() == {"success": True}
    form = client.get(CENTRAL, headers=admin_headers).get_json()
    assert form["publishedAt"] is not None and form["draftToken"] is None and form["version"] == "1"
    assert client.get(f"{CENTRAL}/draft", headers=admin_headers).status_code == 404
    media = client.get(f"{CENTRAL}/attachments", headers=admin_headers).get_json()
    assert [(a["name"], a["exists"]) for a in media] == [("villages.csv", True)]
    assert b"<formID>central_form</formID>" in collect_form_list(client).data


def test_new_draft_from_the_published_version_needs_a_new_version_to_publish(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    publish_form(client, admin_headers)
    assert client.post(f"{CENTRAL}/draft", headers=admin_headers).get_json() == {"success": True}
    draft = client.get(f"{CENTRAL}/draft", headers=admin_headers).get_json()
    assert draft["version"] == "1" and draft["publishedAt"] is None
    # The copy keeps the published media.
    media = client.get(f"{CENTRAL}/draft/attachments", headers=admin_headers).get_json()
    assert [a["exists"] for a in media] == [True]
    clash = client.post(f"{CENTRAL}/draft/publish", headers=admin_headers)
    assert clash.status_code == 409 and clash.get_json()["code"] == 409.6
    same = client.post(f"{CENTRAL}/draft/publish?version=1", headers=admin_headers)
    assert same.status_code == 409
    ok = client.post(f"{CENTRAL}/draft/publish?version=2026-12-01", headers=admin_headers)
    assert ok.get_json() == {"success": True}
    form = client.get(CENTRAL, headers=admin_headers).get_json()
    assert form["version"] == "2026-12-01"
    xml = client.get(f"{CENTRAL}.xml", headers=admin_headers).data
    assert b'version="2026-12-01"' in xml and hashlib.md5(xml).hexdigest() == form["hash"]
    versions = client.get(f"{CENTRAL}/versions", headers=admin_headers).get_json()
    assert [v["version"] for v in versions] == ["2026-12-01", "1"]
    assert FORM_KEYS <= set(versions[1])
    old = client.get(f"{CENTRAL}/versions/1.xml", headers=admin_headers)
    assert old.status_code == 200 and b'version="1"' in old.data
    assert client.get(f"{CENTRAL}/versions/1", headers=admin_headers).get_json()["version"] == "1"
    old_media = client.get(f"{CENTRAL}/versions/1/attachments", headers=admin_headers).get_json()
    assert [a["name"] for a in old_media] == ["villages.csv"]
    assert client.get(f"{CENTRAL}/versions/9", headers=admin_headers).status_code == 404


def test_delete_a_draft_and_centrals_conflicts(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    create_draft(client, admin_headers)
    never = client.delete(f"{CENTRAL}/draft", headers=admin_headers)
    assert never.status_code == 409 and never.get_json()["code"] == 409.7
    again = create_draft(client, admin_headers)
    assert again.status_code == 409 and again.get_json()["code"] == 409.3
    client.post(f"{CENTRAL}/draft/attachments/villages.csv", data=b"a,b\n", headers=admin_headers)
    client.post(f"{CENTRAL}/draft/publish", headers=admin_headers)
    client.post(f"{CENTRAL}/draft", headers=admin_headers)
    assert client.delete(f"{CENTRAL}/draft", headers=admin_headers).get_json() == {"success": True}
    gone = client.get(f"{CENTRAL}/draft", headers=admin_headers)
    assert gone.status_code == 404 and gone.get_json()["code"] == 404.1
    assert client.delete(f"{CENTRAL}/draft", headers=admin_headers).status_code == 404


def test_a_new_draft_from_an_upload_with_another_form_id_is_refused(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    publish_form(client, admin_headers)
    resp = client.post(
        f"{CENTRAL}/draft", data=XFORM, headers={**admin_headers, "Content-Type": "application/xml"}
    )
    assert resp.status_code == 400 and resp.get_json()["details"]["field"] == "xmlFormId"


def test_xform_upload_and_centrals_fields(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    resp = client.post(
        f"{FORMS}?publish=true", data=XFORM, headers={**admin_headers, "Content-Type": "application/xml"}
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["xmlFormId"] == "simple_xml" and body["version"] == "2" and body["name"] == "Simple XForm"
    served = client.get(f"{FORMS}/simple_xml.xml", headers=admin_headers).data
    assert served == XFORM  # an uploaded XForm is served exactly as sent
    fields = client.get(f"{FORMS}/simple_xml/fields", headers=admin_headers).get_json()
    central = [{k: f[k] for k in FIELD_KEYS} for f in fields]
    assert central == [
        {"path": "/name", "name": "name", "type": "string", "binary": None, "selectMultiple": None},
        {"path": "/age", "name": "age", "type": "int", "binary": None, "selectMultiple": None},
        {"path": "/photo", "name": "photo", "type": "binary", "binary": True, "selectMultiple": None},
        {"path": "/colour", "name": "colour", "type": "string", "binary": None, "selectMultiple": None},
        {"path": "/meta", "name": "meta", "type": "structure", "binary": None, "selectMultiple": None},
        {"path": "/meta/instanceID", "name": "instanceID", "type": "string", "binary": None, "selectMultiple": None},
    ]
    assert [f["xlsformType"] for f in fields][:4] == ["text", "integer", "image", "select_one"]


def test_xlsform_fields_in_centrals_shape(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    publish_form(client, admin_headers)
    fields = {f["path"]: f for f in client.get(f"{CENTRAL}/fields", headers=admin_headers).get_json()}
    assert all(FIELD_KEYS <= set(f) for f in fields.values())
    assert fields["/age"]["type"] == "int"
    assert fields["/colours"]["selectMultiple"] is True and fields["/colours"]["type"] == "string"
    assert fields["/photo"]["binary"] is True and fields["/photo"]["type"] == "binary"
    assert fields["/house"]["type"] == "structure" and fields["/house/house_no"]["type"] == "string"
    assert fields["/members"]["type"] == "repeat" and "/members/member" in fields
    assert fields["/meta/instanceID"]["type"] == "string"


def test_extended_metadata_of_forms(client: FlaskClient, admin_headers: dict[str, str], admin: User) -> None:
    publish_form(client, admin_headers)
    plain = client.get(FORMS, headers=admin_headers).get_json()[0]
    assert not FORM_EXTENDED_KEYS & set(plain)
    ext = client.get(FORMS, headers={**admin_headers, "X-Extended-Metadata": "true"}).get_json()[0]
    assert FORM_EXTENDED_KEYS <= set(ext)
    assert ext["submissions"] == 0 and ext["reviewStates"] == {"received": 0, "hasIssues": 0, "edited": 0}
    assert ext["lastSubmission"] is None
    assert ACTOR_KEYS <= set(ext["createdBy"]) and ext["createdBy"]["id"] == admin.id


def test_form_state_patch_and_bad_input_answers_problems(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    publish_form(client, admin_headers)
    client.post(f"{CENTRAL}/draft", headers=admin_headers)
    closed = client.patch(CENTRAL, json={"state": "closing"}, headers=admin_headers)
    assert closed.status_code == 200 and closed.get_json()["state"] == "closed"
    bad = [
        client.post(FORMS, data=b"<h:html", headers={**admin_headers, "Content-Type": "application/xml"}),
        client.post(FORMS, data=b"<html/>", headers={**admin_headers, "Content-Type": "text/xml"}),
        client.post(FORMS, data=b"", headers={**admin_headers, "Content-Type": "application/xml"}),
        client.post(FORMS, data=b"x", headers={**admin_headers, "Content-Type": "image/png"}),
        client.patch(CENTRAL, json={"state": "gone"}, headers=admin_headers),
        client.post(f"{CENTRAL}/draft/publish?version=a%00b", headers=admin_headers),
        client.post(f"{FORMS}/nothing/draft/publish", headers=admin_headers),
    ]
    assert [r.status_code for r in bad] == [400, 400, 400, 400, 400, 400, 404]
    assert all(PROBLEM_KEYS <= set(r.get_json()) and isinstance(r.get_json()["code"], float) for r in bad)


def test_xlsform_warnings_need_ignore_warnings(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    source = XLSFORM.replace(b"Photo | max-pixels=1024 |", b"Photo | |")
    refused = create_draft(client, admin_headers, source)
    assert refused.status_code == 400 and refused.get_json()["code"] == 400.16
    assert refused.get_json()["details"]["warnings"]["xlsFormWarnings"]
    accepted = create_draft(client, admin_headers, source, "publish=false&ignoreWarnings=true")
    assert accepted.status_code == 200 and accepted.get_json()["warnings"]


def test_only_form_managers_see_drafts(
    client: FlaskClient, admin_headers: dict[str, str], services: Services, make_user: Callable[..., User]
) -> None:
    create_draft(client, admin_headers)
    viewer = bearer_for(services, make_user("viewer", "viewer"))
    assert client.get(FORMS, headers=viewer).get_json() == []
    assert client.get(f"{CENTRAL}/draft", headers=viewer).status_code == 403
    assert client.get(CENTRAL, headers=viewer).status_code == 403
