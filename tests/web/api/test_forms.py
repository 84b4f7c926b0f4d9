"""The forms JSON API (/v1/projects/<id>/forms): publishing, state, versions, fields and media."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from io import BytesIO

from flask.testing import FlaskClient
from lxml import etree

from server.core.ground.services import Services
from server.core.models import User
from tests.helpers import FIXTURES, basic_header, bearer_for

KITCHEN = (FIXTURES / "kitchen_sink.md").read_bytes()
FORMS = "/v1/projects/1/forms"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_FORM_ID = b"""
| survey |
| | type | name | label |
| | text | house_no | House number |
"""


def upload(
    client: FlaskClient, headers: dict[str, str], source: bytes = KITCHEN, filename: str = "kitchen_sink.md"
):  # type: ignore[no-untyped-def]
    return client.post(
        FORMS, data={"file": (BytesIO(source), filename)}, headers=headers, content_type="multipart/form-data"
    )


def test_publish_by_multipart_returns_centrals_form_json(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    resp = upload(client, admin_headers)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["projectId"] == 1 and body["xmlFormId"] == "kitchen_sink"
    assert body["name"] == "แบบทดสอบครบทุกชนิดคำถาม"
    assert body["version"] == "2026112301" and body["state"] == "open"
    assert len(body["hash"]) == 32 and body["warnings"] == []
    assert body["createdAt"].endswith("Z") and body["publishedAt"].endswith("Z")
    assert {"path": "/data/members/citizen_id", "type": "text", "sensitive": True} in body["fields"]
    xml = client.get(f"{FORMS}/kitchen_sink.xml", headers=admin_headers)
    assert xml.status_code == 200 and hashlib.md5(xml.data).hexdigest() == body["hash"]


def test_publish_a_raw_body_with_a_form_id_fallback_header(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    headers = {**admin_headers, "X-XlsForm-FormId-Fallback": "house_visits", "Content-Type": "text/markdown"}
    resp = client.post(f"{FORMS}?ignoreWarnings=true", data=NO_FORM_ID, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["xmlFormId"] == "house_visits"


def test_publish_raw_body_named_by_query_filename(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    resp = client.post(f"{FORMS}?filename=visits.md", data=NO_FORM_ID, headers=admin_headers)
    assert resp.status_code == 200 and resp.get_json()["xmlFormId"] == "visits"


def test_raw_body_without_form_id_or_fallback_is_refused(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    resp = client.post(FORMS, data=NO_FORM_ID, headers={**admin_headers, "Content-Type": "text/markdown"})
    assert resp.status_code == 400 and "form_id" in resp.get_json()["message"]


def test_unknown_upload_types_are_refused_clearly(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    resp = client.post(FORMS, data=b"<h:html/>", headers={**admin_headers, "Content-Type": "application/xml"})
    assert resp.status_code == 400 and "XForm" in resp.get_json()["message"]
    resp = client.post(FORMS, data=b"x", headers={**admin_headers, "Content-Type": "image/png"})
    assert resp.status_code == 400 and "image/png" in resp.get_json()["message"]
    resp = upload(client, admin_headers, filename="kitchen_sink.pdf")
    assert resp.status_code == 400 and ".xlsx" in resp.get_json()["message"]


def test_broken_xlsform_is_400_with_the_row_number(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    resp = upload(
        client, admin_headers, (FIXTURES / "broken_missing_calculation.md").read_bytes(), "broken.md"
    )
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["code"] == 400.3
    assert "[row : 3]" in body["message"] and body["message"].startswith("แบบฟอร์มมีข้อผิดพลาด")
    resp = upload(client, admin_headers, b"PK\x03\x04 not really a workbook", "household.xlsx")
    assert resp.status_code == 400 and resp.get_json()["code"] == 400.3


def test_same_version_different_content_is_a_conflict(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    assert upload(client, admin_headers).status_code == 200
    assert upload(client, admin_headers).status_code == 200  # identical: idempotent
    resp = upload(client, admin_headers, KITCHEN.replace("บ้านเลขที่".encode(), "เลขที่บ้าน".encode()))
    assert resp.status_code == 409 and "bump the version" in resp.get_json()["message"]


def test_warnings_refuse_unless_ignored_as_central(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    source = KITCHEN.replace(b"max-pixels=1024", b"               ")

    def send(query: str):  # type: ignore[no-untyped-def]
        return client.post(
            f"{FORMS}?{query}",
            data={"file": (BytesIO(source), "k.md")},
            headers=admin_headers,
            content_type="multipart/form-data",
        )

    refused = send("ignoreWarnings=false")
    assert refused.status_code == 400 and refused.get_json()["code"] == 400.16
    assert any("max-pixels" in w for w in refused.get_json()["details"]["warnings"]["xlsFormWarnings"])
    resp = send("ignoreWarnings=true")
    assert resp.status_code == 200
    assert any("max-pixels" in w for w in resp.get_json()["warnings"])


def test_list_get_versions_and_fields(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    upload(client, admin_headers)
    upload(client, admin_headers, KITCHEN.replace(b"2026112301", b"2026112302"))
    listed = client.get(FORMS, headers=admin_headers).get_json()
    assert [(f["xmlFormId"], f["version"]) for f in listed] == [("kitchen_sink", "2026112302")]
    one = client.get(f"{FORMS}/kitchen_sink", headers=admin_headers).get_json()
    assert one["version"] == "2026112302" and "fields" in one
    versions = client.get(f"{FORMS}/kitchen_sink/versions", headers=admin_headers).get_json()
    assert [v["version"] for v in versions] == ["2026112302", "2026112301"]
    fields = client.get(f"{FORMS}/kitchen_sink/fields", headers=admin_headers).get_json()
    photo = next(f for f in fields if f["path"] == "/household/house_photo")  # Central's paths and types
    assert photo["type"] == "binary" and photo["binary"] is True and photo["xlsformType"] == "image"
    assert next(f for f in fields if f["name"] == "savings")["selectMultiple"] is True
    assert client.get(f"{FORMS}/nope", headers=admin_headers).status_code == 404
    assert client.get(f"{FORMS}/nope.xml", headers=admin_headers).status_code == 404


def test_patch_state_closes_and_reopens(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    upload(client, admin_headers)
    resp = client.patch(f"{FORMS}/kitchen_sink", json={"state": "closing"}, headers=admin_headers)
    assert resp.status_code == 200 and resp.get_json()["state"] == "closed"
    resp = client.patch(f"{FORMS}/kitchen_sink", json={"state": "open"}, headers=admin_headers)
    assert resp.get_json()["state"] == "open"
    resp = client.patch(f"{FORMS}/kitchen_sink", json={"state": "deleted"}, headers=admin_headers)
    assert resp.status_code == 400
    assert client.patch(f"{FORMS}/kitchen_sink", json={}, headers=admin_headers).status_code == 400


def test_attachments_list_upload_and_manifest(
    client: FlaskClient, admin_headers: dict[str, str], collector: User
) -> None:
    upload(client, admin_headers)
    listed = client.get(f"{FORMS}/kitchen_sink/attachments", headers=admin_headers).get_json()
    assert listed == [
        {
            "name": "logo.png",
            "type": "image",
            "exists": False,
            "blobExists": False,
            "datasetExists": False,
            "hash": None,
            "updatedAt": None,
        }
    ]
    logo = b"\x89PNG logo bytes"
    resp = client.post(
        f"{FORMS}/kitchen_sink/attachments/logo.png",
        data=logo,
        headers={**admin_headers, "Content-Type": "application/octet-stream"},
    )
    assert resp.status_code == 200
    assert resp.get_json()["exists"] is True and resp.get_json()["hash"] == hashlib.md5(logo).hexdigest()
    manifest = client.get(f"/key/{collector.collect_token}/projects/1/forms/kitchen_sink/manifest")
    root = etree.fromstring(manifest.data)
    ns = {"m": "http://openrosa.org/xforms/xformsManifest"}
    assert root.findtext("m:mediaFile/m:hash", namespaces=ns) == "md5:" + hashlib.md5(logo).hexdigest()
    media = client.get(f"/key/{collector.collect_token}/projects/1/forms/kitchen_sink/attachments/logo.png")
    assert media.data == logo and media.headers["Content-Type"] == "image/png"


def test_attachment_names_the_form_does_not_use_or_with_tricks_are_refused(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    upload(client, admin_headers)
    resp = client.post(f"{FORMS}/kitchen_sink/attachments/other.png", data=b"x", headers=admin_headers)
    assert resp.status_code == 404 and "logo.png" in resp.get_json()["message"]
    for name in ("..logo.png", ".logo.png", "logo.png%00.exe"):
        resp = client.post(f"{FORMS}/kitchen_sink/attachments/{name}", data=b"x", headers=admin_headers)
        assert resp.status_code == 400, name
    resp = client.post(
        f"{FORMS}/kitchen_sink/attachments/..%2F..%2Fetc%2Fpasswd", data=b"x", headers=admin_headers
    )
    assert resp.status_code == 404


def test_permissions(
    client: FlaskClient, services: Services, admin_headers: dict[str, str], make_user: Callable[..., User]
) -> None:
    upload(client, admin_headers)
    supervisor = bearer_for(services, make_user("supervisor1", "supervisor"))
    assert client.get(FORMS, headers=supervisor).status_code == 200
    assert upload(client, supervisor).status_code == 403
    assert (
        client.patch(f"{FORMS}/kitchen_sink", json={"state": "closed"}, headers=supervisor).status_code == 403
    )
    assert (
        client.post(f"{FORMS}/kitchen_sink/attachments/logo.png", data=b"x", headers=supervisor).status_code
        == 403
    )
    manager = bearer_for(services, make_user("manager1", "manager"))
    assert upload(client, manager, KITCHEN.replace(b"2026112301", b"2026112305")).status_code == 200
    assert client.get(FORMS).status_code == 401


def test_basic_over_https_works_for_the_api(client: FlaskClient, admin: User) -> None:
    resp = client.post(
        FORMS,
        data={"file": (BytesIO(KITCHEN), "kitchen_sink.md")},
        headers=basic_header("admin"),
        content_type="multipart/form-data",
        base_url="https://localhost",
    )
    assert resp.status_code == 200


def test_unknown_project(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    assert client.get("/v1/projects/99/forms", headers=admin_headers).status_code == 404
    resp = client.post(
        "/v1/projects/99/forms",
        data={"file": (BytesIO(KITCHEN), "k.md")},
        headers=admin_headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 404
