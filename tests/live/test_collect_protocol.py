"""ODK Collect's conversation with a real `chumchon serve` process (Granian web processes + a real Celery worker):
Digest challenge and retry, form list and download, HEAD then POST, split upload, retry, edit, errors,
then processing by the worker and a CSV export whose cells are checked."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path

import requests
from lxml import etree
from requests.auth import HTTPDigestAuth

from tests.live.harness import LiveServer, wait_until
from tests.live.submissions import kitchen_sink_xml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
XFORMS_LIST = "{http://openrosa.org/xforms/xformsList}"
OR_HEADERS = {"X-OpenRosa-Version": "1.0", "User-Agent": "org.odk.collect.android/v2026.3.3 Dalvik/2.1.0"}
DEVICE = {"deviceID": "collect:AbCdEf0123456789"}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2048 + b"\xff\xd9"


def publish_kitchen_sink(live: LiveServer) -> None:
    api = live.api()
    source = (FIXTURES / "kitchen_sink.md").read_bytes()
    resp = api.post(f"{live.url}/v1/projects/1/forms", files={"file": ("kitchen_sink.md", source)})
    assert resp.status_code in (200, 201), resp.text


def post_submission(url: str, xml: bytes, files: dict[str, bytes], auth=None, incomplete: bool = False):
    parts: list[tuple[str, tuple]] = [
        ("xml_submission_file", ("Kitchen_2026-11-20_10-20-30.xml", xml, "text/xml"))
    ]
    parts += [(name, (name, data, "image/jpeg")) for name, data in files.items()]
    data = {"*isIncomplete*": "yes"} if incomplete else None
    return requests.post(
        url, params=DEVICE, files=parts, data=data, headers=OR_HEADERS, auth=auth, timeout=30
    )


def message_of(resp: requests.Response) -> str:
    root = etree.fromstring(resp.content)
    return "".join(root.itertext()).strip()


def test_collect_round_trip_against_a_real_server(live: LiveServer) -> None:
    publish_kitchen_sink(live)
    digest = HTTPDigestAuth("admin", live.admin_password)

    # Collect asks without credentials first and must get a Digest challenge, then retries.
    first = requests.get(f"{live.url}/formList", params=DEVICE, headers=OR_HEADERS, timeout=10)
    assert first.status_code == 401
    assert first.headers["WWW-Authenticate"].startswith("Digest ")
    listing = requests.get(f"{live.url}/formList", params=DEVICE, headers=OR_HEADERS, auth=digest, timeout=10)
    assert listing.status_code == 200
    assert "text/xml" in listing.headers["Content-Type"]
    assert listing.headers["X-OpenRosa-Version"] == "1.0"
    forms = etree.fromstring(listing.content).findall(f"{XFORMS_LIST}xform")
    entry = next(f for f in forms if f.findtext(f"{XFORMS_LIST}formID") == "kitchen_sink")
    assert entry.findtext(f"{XFORMS_LIST}name") == "แบบทดสอบครบทุกชนิดคำถาม"
    download = requests.get(
        entry.findtext(f"{XFORMS_LIST}downloadUrl"),
        params=DEVICE,
        headers=OR_HEADERS,
        auth=digest,
        timeout=10,
    )
    assert download.status_code == 200
    assert entry.findtext(f"{XFORMS_LIST}hash") == "md5:" + hashlib.md5(download.content).hexdigest()

    # HEAD pre-flight, then a split upload: the XML alone with *isIncomplete*, then again with the photo.
    submission_url = f"{live.url}/submission"
    head = requests.head(submission_url, params=DEVICE, headers=OR_HEADERS, auth=digest, timeout=10)
    assert head.status_code == 204
    assert int(head.headers["X-OpenRosa-Accept-Content-Length"]) > 0
    iid, xml = kitchen_sink_xml()
    part1 = post_submission(submission_url, xml, {}, auth=digest, incomplete=True)
    assert part1.status_code == 201, part1.text
    part2 = post_submission(submission_url, xml, {"รูปบ้าน.jpg": JPEG}, auth=digest)
    assert part2.status_code == 201
    assert "OpenRosaResponse" in part2.text

    # Collect resends after a lost answer: same XML again is fine; different XML under the same ID is not.
    assert post_submission(submission_url, xml, {}, auth=digest).status_code == 201
    _, changed = kitchen_sink_xml(iid, remarks="แก้ไขโดยไม่ตั้งใจ")
    conflict = post_submission(submission_url, changed, {}, auth=digest)
    assert conflict.status_code == 409
    assert message_of(conflict)

    # An edit made on the phone carries deprecatedID and becomes a new version.
    edit_iid, edit_xml = kitchen_sink_xml(house_no="99/2", deprecated_id=iid)
    assert post_submission(submission_url, edit_xml, {}, auth=digest).status_code == 201

    # Errors Collect shows to the surveyor.
    _, unknown_version = kitchen_sink_xml(version="1999")
    missing = post_submission(submission_url, unknown_version, {}, auth=digest)
    assert missing.status_code == 404 and "1999" in message_of(missing)
    broken = post_submission(submission_url, b"<data id='kitchen_sink'><unclosed>", {}, auth=digest)
    assert broken.status_code == 400 and message_of(broken)

    # The worker processes what was accepted; the API shows typed values and the photo.
    api = live.api()
    form_url = f"{live.url}/v1/projects/1/forms/kitchen_sink"

    def processed_edit() -> dict | None:
        resp = api.get(f"{form_url}/submissions/{iid}")
        current = (resp.json() if resp.status_code == 200 else {}).get("currentVersion", {})
        done = current.get("processingState") == "processed"
        return current if done and (current.get("instanceName") or "").startswith("99/2") else None

    current = wait_until(processed_edit, 60, "the worker to process the edited submission")
    assert current["instanceId"] == edit_iid

    # A CSV export built by the worker, downloaded and read cell by cell.
    started = api.post(f"{form_url}/exports", json={"format": "csv"})
    assert started.status_code in (200, 201, 202), started.text
    export_id = started.json()["id"]
    wait_until(
        lambda: api.get(f"{live.url}/v1/exports/{export_id}").json()["state"] == "done", 60, "the export"
    )
    zipped = api.get(f"{live.url}/v1/exports/{export_id}/download")
    assert zipped.status_code == 200
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        main = archive.read("kitchen_sink.csv")
        members = archive.read("kitchen_sink-members.csv")
    assert main.startswith(b"\xef\xbb\xbf")  # BOM so Excel reads Thai
    rows = list(csv.DictReader(io.StringIO(main.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["household-house_no"] == "99/2"
    assert row["remarks"] == "บ้านไม้สองชั้น"
    assert row["household-location-Latitude"] == "18.7883"
    assert row["KEY"] == iid or row["KEY"] == edit_iid
    member_rows = list(csv.DictReader(io.StringIO(members.decode("utf-8-sig"))))
    assert [m["full_name"] for m in member_rows] == ["นายสมชาย ใจดี", "นางสมหญิง ใจดี"]
    assert all(m["PARENT_KEY"] == row["KEY"] for m in member_rows)
    assert member_rows[0]["citizen_id"] == "1112034563562"
