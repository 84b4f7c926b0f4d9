"""What ODK Collect sees when it looks for forms: formList, form XML, manifest and media files."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from lxml import etree

from server.core.accounts import projects
from server.core.forms import form_media, publishing
from server.core.ground.services import Services
from server.core.models import Project, User
from tests.helpers import FIXTURES, basic_header

KITCHEN = (FIXTURES / "kitchen_sink.md").read_bytes()
LIST_NS = {"x": "http://openrosa.org/xforms/xformsList"}
MANIFEST_NS = {"m": "http://openrosa.org/xforms/xformsManifest"}
DEVICE = "?deviceID=collect%3AAbCdEf0123456789"

EXTERNAL = """
| survey |
| | type | name | label | choice_filter |
| | select_one provinces | province | Province | |
| | select_one_external cities | city | City | province=${province} |
| choices |
| | list_name | name | label |
| | provinces | 10 | Bangkok |
| external_choices |
| | list_name | name | label | province |
| | cities | 1001 | Phra Nakhon | 10 |
| settings |
| | form_id | version | form_title |
| | cascade | 1 | เมืองตามจังหวัด |
""".encode()


def publish(
    services: Services,
    source: bytes = KITCHEN,
    filename: str = "kitchen_sink.md",
    project_id: int = 1,
    media: dict[str, bytes] | None = None,
) -> None:
    with services.db.session() as session:
        publishing.publish_form(session, services.blobs, project_id, source, filename, media=media)


def key_url(user: User, path: str, project_id: int = 1) -> str:
    return f"/key/{user.collect_token}/projects/{project_id}{path}"


def local(url: str) -> str:
    """The test client takes paths: strip scheme and host from a URL the server generated."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def parse_list(body: bytes) -> list[dict[str, str]]:
    root = etree.fromstring(body)
    assert root.tag == "{http://openrosa.org/xforms/xformsList}xforms"
    return [
        {etree.QName(child).localname: child.text or "" for child in xform}
        for xform in root.findall("x:xform", LIST_NS)
    ]


def assert_openrosa_xml(resp) -> None:  # type: ignore[no-untyped-def]
    assert resp.status_code == 200, resp.data
    assert resp.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert resp.headers["X-OpenRosa-Version"] == "1.0"


def test_form_list_entries_are_complete_and_hashes_match_the_downloads(
    client: FlaskClient, services: Services, collector: User
) -> None:
    publish(services)
    publish(services, EXTERNAL, "cascade.md")
    resp = client.get(key_url(collector, "/formList" + DEVICE))
    assert_openrosa_xml(resp)
    entries = parse_list(resp.data)
    assert [e["formID"] for e in entries] == ["cascade", "kitchen_sink"]
    for entry in entries:
        assert entry["name"] and entry["downloadUrl"] and entry["version"]
        assert entry["hash"].startswith("md5:")
        download = client.get(local(entry["downloadUrl"]) + DEVICE)
        assert download.status_code == 200
        assert download.headers["X-OpenRosa-Version"] == "1.0"
        assert "md5:" + hashlib.md5(download.data).hexdigest() == entry["hash"]
    kitchen = entries[1]
    assert kitchen["name"] == "แบบทดสอบครบทุกชนิดคำถาม"
    assert kitchen["downloadUrl"].endswith(
        f"/key/{collector.collect_token}/projects/1/forms/kitchen_sink.xml"
    )
    assert kitchen["manifestUrl"].endswith("/forms/kitchen_sink/manifest")


def test_form_list_without_media_has_no_manifest_url(
    client: FlaskClient, services: Services, collector: User
) -> None:
    publish(services, KITCHEN.replace(b"logo.png", b""), "kitchen_sink.md")
    entries = parse_list(client.get(key_url(collector, "/formList")).data)
    assert "manifestUrl" not in entries[0]


def test_form_id_filter_is_honoured(client: FlaskClient, services: Services, collector: User) -> None:
    publish(services)
    publish(services, EXTERNAL, "cascade.md")
    entries = parse_list(client.get(key_url(collector, "/formList?formID=cascade&deviceID=collect%3Ax")).data)
    assert [e["formID"] for e in entries] == ["cascade"]


def test_closed_forms_leave_the_form_list(client: FlaskClient, services: Services, collector: User) -> None:
    publish(services)
    with services.db.session() as session:
        publishing.set_form_state(session, publishing.get_form(session, 1, "kitchen_sink"), "closed")
    resp = client.get(key_url(collector, "/formList"))
    assert_openrosa_xml(resp)
    assert parse_list(resp.data) == []


def test_a_collector_of_another_project_sees_nothing(
    client: FlaskClient, services: Services, make_user: Callable[..., User]
) -> None:
    publish(services)
    with services.db.session() as session:
        other = projects.create_project(session, "อำเภอเมือง").id
    outsider = make_user("malee", "collector", project_id=other)
    resp = client.get(key_url(outsider, "/formList", project_id=1))
    assert_openrosa_xml(resp)
    assert parse_list(resp.data) == []
    assert client.get(key_url(outsider, "/forms/kitchen_sink.xml", project_id=1)).status_code == 403
    assert parse_list(client.get(key_url(outsider, "/formList", project_id=other)).data) == []


def test_admin_with_basic_over_https_on_the_bare_and_project_urls(
    client: FlaskClient, services: Services, admin: User
) -> None:
    publish(services)
    for prefix in ("", "/projects/1"):
        resp = client.get(
            f"{prefix}/formList{DEVICE}", headers=basic_header("admin"), base_url="https://localhost"
        )
        assert_openrosa_xml(resp)
        entry = parse_list(resp.data)[0]
        assert entry["downloadUrl"] == f"https://localhost{prefix}/forms/kitchen_sink.xml"


def test_unauthenticated_form_list_gets_a_challenge(client: FlaskClient, services: Services) -> None:
    resp = client.get("/formList")
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Digest")
    assert resp.headers["X-OpenRosa-Version"] == "1.0"


def test_bad_token_is_forbidden_with_an_openrosa_message(client: FlaskClient, services: Services) -> None:
    resp = client.get("/key/not-a-token/projects/1/formList")
    assert resp.status_code == 403
    assert b"OpenRosaResponse" in resp.data


def test_form_xml_is_the_exact_published_bytes(
    client: FlaskClient, services: Services, collector: User
) -> None:
    publish(services)
    resp = client.get(key_url(collector, "/forms/kitchen_sink.xml" + DEVICE))
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/xml")
    with services.db.session() as session:
        version = publishing.current_version(publishing.get_form(session, 1, "kitchen_sink"))
        assert resp.data == services.blobs.read_bytes(version.xform_sha256)


def test_unknown_form_is_404_with_an_openrosa_message(
    client: FlaskClient, services: Services, collector: User
) -> None:
    for path in ("/forms/nope.xml", "/forms/nope/manifest", "/forms/nope/attachments/logo.png"):
        resp = client.get(key_url(collector, path + DEVICE))
        assert resp.status_code == 404
        assert resp.headers["X-OpenRosa-Version"] == "1.0"
        root = etree.fromstring(resp.data)
        assert "nope" in root.findtext("{http://openrosa.org/http/response}message")


def test_manifest_lists_only_uploaded_media_with_their_md5(
    client: FlaskClient, services: Services, collector: User
) -> None:
    publish(services)
    manifest_url = key_url(collector, "/forms/kitchen_sink/manifest" + DEVICE)
    empty = client.get(manifest_url)
    assert_openrosa_xml(empty)
    assert etree.fromstring(empty.data).findall("m:mediaFile", MANIFEST_NS) == []

    logo = b"\x89PNG\r\n\x1a\n fake logo"
    with services.db.session() as session:
        version = publishing.current_version(publishing.get_form(session, 1, "kitchen_sink"))
        form_media.attach_media(session, services.blobs, version, "logo.png", logo, "image/png")
    resp = client.get(manifest_url)
    assert_openrosa_xml(resp)
    root = etree.fromstring(resp.data)
    assert root.tag == "{http://openrosa.org/xforms/xformsManifest}manifest"
    files = root.findall("m:mediaFile", MANIFEST_NS)
    assert len(files) == 1
    assert files[0].findtext("m:filename", namespaces=MANIFEST_NS) == "logo.png"
    assert files[0].findtext("m:hash", namespaces=MANIFEST_NS) == "md5:" + hashlib.md5(logo).hexdigest()
    download = client.get(local(files[0].findtext("m:downloadUrl", namespaces=MANIFEST_NS) or "") + DEVICE)
    assert download.status_code == 200
    assert download.data == logo
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["X-OpenRosa-Version"] == "1.0"


def test_itemsets_csv_from_select_one_external_is_served(
    client: FlaskClient, services: Services, collector: User
) -> None:
    publish(services, EXTERNAL, "cascade.md")
    entry = parse_list(client.get(key_url(collector, "/formList")).data)[0]
    manifest = etree.fromstring(client.get(local(entry["manifestUrl"])).data)
    names = [
        f.findtext("m:filename", namespaces=MANIFEST_NS) for f in manifest.findall("m:mediaFile", MANIFEST_NS)
    ]
    assert names == ["itemsets.csv"]
    csv = client.get(key_url(collector, "/forms/cascade/attachments/itemsets.csv" + DEVICE))
    assert csv.status_code == 200
    assert csv.data.splitlines()[0] == b'"list_name","name","label","province"'


def test_missing_or_tricky_media_names_are_404(
    client: FlaskClient, services: Services, collector: User
) -> None:
    publish(services)
    # logo.png is expected but not uploaded yet; the others are not form media at all.
    for name in ("logo.png", "..logo.png", ".hidden", "other.png"):
        resp = client.get(key_url(collector, f"/forms/kitchen_sink/attachments/{name}"))
        assert resp.status_code == 404
        assert b"OpenRosaResponse" in resp.data
    # An encoded slash never reaches a file: no route takes it.
    assert (
        client.get(key_url(collector, "/forms/kitchen_sink/attachments/..%2F..%2Fsecret")).status_code == 404
    )


@pytest.mark.parametrize("form_id", ["Spec test", "แบบสำรวจ.ครัวเรือน"])
def test_form_ids_with_spaces_thai_or_dots_are_url_encoded(
    client: FlaskClient, services: Services, collector: User, project: Project, form_id: str
) -> None:
    source = KITCHEN.replace(b"| kitchen_sink |", f"| {form_id} |".encode())
    publish(services, source)
    entry = parse_list(client.get(key_url(collector, "/formList")).data)[0]
    assert entry["formID"] == form_id
    assert " " not in entry["downloadUrl"]
    download = client.get(local(entry["downloadUrl"]))
    assert download.status_code == 200
    assert "md5:" + hashlib.md5(download.data).hexdigest() == entry["hash"]
    assert client.get(local(entry["manifestUrl"])).status_code == 200
