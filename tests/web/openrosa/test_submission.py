"""POST /submission as ODK Collect sends it: byte-for-byte multipart with raw UTF-8 names, retries,
split uploads, edits, and every kind of bad input answered with an OpenRosa message and no rows."""

from __future__ import annotations

import io
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.core.forms.publishing import publish_form
from server.core.ground.services import Services
from server.core.models import Attachment, Form, Submission, SubmissionVersion
from tests.core.submissions.test_intake import add_form, submission_xml
from tests.helpers import FIXTURES
from tests.web.openrosa.test_auth import digest_authorization

KITCHEN_SINK = FIXTURES / "kitchen_sink.md"
USER_AGENT = "org.odk.collect.android/v2026.3.3 Dalvik/2.1.0 (Linux; U; Android 14; SM-A155F)"


def multipart(
    xml: bytes, files: list[tuple[str, bytes]] = (), *, incomplete: bool = False, xml_type: str = "text/xml"
) -> tuple[bytes, str]:
    """The body Collect's OkHttp builds: XML part first, one part per file (name = filename, raw UTF-8)."""
    boundary = uuid.uuid4().hex
    out = bytearray()

    def part(headers: str, body: bytes) -> None:
        out.extend(f"--{boundary}\r\n{headers}\r\n\r\n".encode())
        out.extend(body)
        out.extend(b"\r\n")

    part(
        'Content-Disposition: form-data; name="xml_submission_file"; filename="household_2026-01-05_10-20-30.xml"'
        f"\r\nContent-Type: {xml_type}",
        xml,
    )
    for name, content in files:
        part(
            f'Content-Disposition: form-data; name="{name}"; filename="{name}"\r\nContent-Type: image/jpeg',
            content,
        )
    if incomplete:
        part('Content-Disposition: form-data; name="*isIncomplete*"', b"yes")
    out.extend(f"--{boundary}--\r\n".encode())
    return bytes(out), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def form(services: Services, project):
    with services.db.session() as session:
        return add_form(session, project.id)


@pytest.fixture
def url(collector) -> str:
    return f"/key/{collector.collect_token}/projects/1/submission?deviceID=collect%3Aabc"


def post(client: FlaskClient, url: str, xml: bytes, files=(), **kw):
    body, content_type = multipart(xml, list(files), **kw)
    return client.post(url, data=body, content_type=content_type, headers={"User-Agent": USER_AGENT})


def rows(services: Services) -> tuple[int, int, int]:
    with services.db.session() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(m))
            for m in (Submission, SubmissionVersion, Attachment)
        )


def blob_files(services: Services) -> list:
    root = services.settings.blob_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_head_preflight_is_204_with_openrosa_headers_and_empty_body(client: FlaskClient, url, form) -> None:
    resp = client.head(url)
    assert resp.status_code == 204 and resp.get_data() == b""
    assert resp.headers["X-OpenRosa-Version"] == "1.0"
    assert int(resp.headers["X-OpenRosa-Accept-Content-Length"]) == 5 * 1024 * 1024
    assert client.get(url).status_code == 204


class CommitCheckingSender:
    """Records, at wake-up time, how many received versions another session can already see."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.sent: list[tuple[str, tuple[object, ...], int]] = []

    def send(self, task: str, *args: object) -> bool:
        raise AssertionError("intake sends wake-ups, not per-version tasks")

    def wake(self, task: str) -> None:
        with self.services.db.session() as session:
            visible = session.scalar(
                select(func.count()).select_from(SubmissionVersion).where(SubmissionVersion.processing_state == "received")
            )
        self.sent.append((task, (), int(visible or 0)))


def test_post_is_201_with_openrosa_message_rows_blobs_and_task_after_commit(
    client, url, form, services
) -> None:
    services.tasks = CommitCheckingSender(services)
    xml = submission_xml()
    resp = post(client, url, xml, [("house.jpg", b"\xff\xd8JPEG")])
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_data(as_text=True)
    assert "<OpenRosaResponse" in body and 'nature="submit_success"' in body and "ส่งข้อมูลเรียบร้อย" in body
    assert resp.headers["X-OpenRosa-Version"] == "1.0" and "text/xml" in resp.headers["Content-Type"]
    with services.db.session() as session:
        version = session.scalars(select(SubmissionVersion)).one()
        assert version.device_id == "collect:abc" and version.user_agent == USER_AGENT
        assert version.xml == xml  # committed in the row
        assert services.blobs.read_bytes(version.attachments[0].blob_sha256) == b"\xff\xd8JPEG"
        # The wake-up went out after the commit: the row was already readable by another session.
        assert services.tasks.sent == [("submissions.process_pending", (), 1)]


def test_split_upload_then_retry_keeps_every_attachment_and_one_row(client, url, form, services) -> None:
    xml = submission_xml(member_photos=("m1.jpg",))
    first = post(client, url, xml, [("house.jpg", b"A")], incomplete=True)
    assert first.status_code == 201 and "รอไฟล์แนบ" in first.get_data(as_text=True)
    second = post(client, url, xml, [("m1.jpg", b"B")])
    assert second.status_code == 201
    retry = post(client, url, xml)
    assert retry.status_code == 201
    assert rows(services) == (1, 1, 2)
    with services.db.session() as session:
        assert all(a.blob_sha256 for a in session.scalars(select(Attachment)))
    assert len(services.tasks.sent) == 1  # processing needs the XML only, sent once


def test_same_instance_id_with_different_xml_is_409_with_message(client, url, form, services) -> None:
    post(client, url, submission_xml())
    resp = post(client, url, submission_xml(house_no="77"))
    assert resp.status_code == 409
    assert "different XML" in resp.get_data(as_text=True) and "OpenRosaResponse" in resp.get_data(
        as_text=True
    )
    assert rows(services)[1] == 1


def test_edit_with_deprecated_id_adds_a_version_and_outdated_edit_is_409(client, url, form, services) -> None:
    post(client, url, submission_xml(), [("house.jpg", b"A")])
    edit = post(
        client, url, submission_xml("uuid:bbb", house_no="14", deprecated="uuid:aaa"), [("house.jpg", b"A")]
    )
    assert edit.status_code == 201
    with services.db.session() as session:
        sub = session.scalars(select(Submission)).one()
        assert sub.review_state == "edited"
        assert [(v.instance_id, v.current) for v in sub.versions] == [("uuid:aaa", False), ("uuid:bbb", True)]
    stale = post(client, url, submission_xml("uuid:ccc", house_no="15", deprecated="uuid:aaa"))
    assert stale.status_code == 409 and "OpenRosaResponse" in stale.get_data(as_text=True)
    assert len(services.tasks.sent) == 2


@pytest.mark.parametrize(
    ("xml", "status", "words"),
    [
        (submission_xml(form_id="nope"), 404, "nope"),
        (submission_xml(version="1999"), 404, "1999"),
        (submission_xml(root="household"), 400, "household"),
        (b'<data id="household_survey"><meta><instanceID>uuid:x</instanceID>', 400, "well-formed"),
        (
            (
                b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
                b'<data id="household_survey" version="2026112301"><x>&b;</x><meta><instanceID>uuid:x</instanceID></meta></data>'
            ),
            400,
            "DOCTYPE",
        ),
        (
            (
                b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><data id="household_survey" version="2026112301">'
                b"<x>&x;</x><meta><instanceID>uuid:x</instanceID></meta></data>"
            ),
            400,
            "DOCTYPE",
        ),
        (
            '<?xml version="1.0" encoding="ISO-8859-1"?><data id="household_survey" version="2026112301"><x>é</x>'
            "<meta><instanceID>uuid:x</instanceID></meta></data>".encode("latin-1"),
            400,
            "UTF-8",
        ),
        (
            (
                b'<data id="household_survey" version="2026112301"><x>\xe9</x><meta><instanceID>uuid:x</instanceID>'
                b"</meta></data>"
            ),
            400,
            "UTF-8",
        ),
        (b'<data id="household_survey" version="2026112301"><meta/></data>', 400, "instanceID"),
    ],
)
def test_bad_submissions_get_a_message_and_leave_nothing_behind(
    client, url, form, services, xml, status, words
) -> None:
    resp = post(client, url, xml, [("house.jpg", b"A")])
    body = resp.get_data(as_text=True)
    assert resp.status_code == status and "OpenRosaResponse" in body and words in body
    assert "root:" not in body  # nothing of /etc/passwd
    assert rows(services) == (0, 0, 0) and services.tasks.sent == []


def test_closed_form_is_refused_with_a_message(client, url, form, services) -> None:
    with services.db.session() as session:
        session.get(Form, form.form_id).state = "closed"
    resp = post(client, url, submission_xml())
    assert resp.status_code == 409 and "ปิดรับข้อมูล" in resp.get_data(as_text=True)
    assert rows(services) == (0, 0, 0)


@pytest.mark.parametrize("name", ["../../etc/cron.d/x", "a/b.jpg", "..\\x.jpg", ".hidden.jpg"])
def test_path_tricks_in_attachment_names_are_refused_and_nothing_is_written(
    client, url, form, services, name
) -> None:
    resp = post(client, url, submission_xml(photo=name), [(name, b"EVIL")])
    assert resp.status_code == 400 and "OpenRosaResponse" in resp.get_data(as_text=True)
    assert rows(services) == (0, 0, 0) and blob_files(services) == []


def test_thai_attachment_name_is_kept_exactly(client, url, form, services) -> None:
    resp = post(client, url, submission_xml(photo="รูปบ้าน.jpg"), [("รูปบ้าน.jpg", b"J")])
    assert resp.status_code == 201
    with services.db.session() as session:
        att = session.scalars(select(Attachment)).one()
        assert att.name == "รูปบ้าน.jpg" and att.blob_sha256 is not None


def test_oversize_upload_is_413_with_an_openrosa_message(client, url, form, services) -> None:
    resp = post(client, url, submission_xml(), [("house.jpg", b"x" * (5 * 1024 * 1024 + 10))])
    assert resp.status_code == 413 and "OpenRosaResponse" in resp.get_data(as_text=True)
    assert rows(services) == (0, 0, 0)


def test_missing_xml_part_non_multipart_and_garbage_are_400_not_500(client, url, form) -> None:
    body, ctype = multipart(b"")
    no_xml = client.post(url, data={"house.jpg": (io.BytesIO(b"A"), "house.jpg")})
    assert no_xml.status_code == 400 and "xml_submission_file" in no_xml.get_data(as_text=True)
    plain = client.post(url, data=submission_xml(), content_type="text/xml")
    assert plain.status_code == 400 and "multipart" in plain.get_data(as_text=True)
    garbage = client.post(url, data=b"\x00\x01garbage", content_type="multipart/form-data; boundary=zzz")
    assert garbage.status_code == 400 and "OpenRosaResponse" in garbage.get_data(as_text=True)
    empty = client.post(url, data=body, content_type=ctype)
    assert empty.status_code == 400 and "OpenRosaResponse" in empty.get_data(as_text=True)


def test_application_xml_part_and_digest_login_on_the_bare_url(client, form, collector, services) -> None:
    target = "/submission?deviceID=collect%3Azz"
    body, ctype = multipart(submission_xml(), xml_type="application/xml")
    challenge = client.post(target, data=body, content_type=ctype).headers["WWW-Authenticate"]
    auth = digest_authorization(challenge, "POST", target, "somchai", "correct-horse-battery")
    resp = client.post(target, data=body, content_type=ctype, headers={"Authorization": auth})
    assert resp.status_code == 201
    with services.db.session() as session:
        assert session.scalars(select(SubmissionVersion)).one().submitter_id == collector.id


KITCHEN_SINK_SUBMISSION = """<?xml version='1.0' encoding='UTF-8' ?>
<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms"
      id="kitchen_sink" version="2026112301">
  <household><house_no>99/1</house_no><village>1</village><location>18.79 98.98 310 5</location>
    <house_photo>รูปบ้าน.jpg</house_photo></household>
  <members><full_name>สมชาย ใจดี</full_name><citizen_id>1101700203451</citizen_id><sex>male</sex>
    <age>44</age><disabled>no</disabled></members>
  <member_count>1</member_count><has_well>yes</has_well><savings>bank fund</savings><rooms>3</rooms>
  <income>120000.50</income><visit_date>2026-01-05</visit_date><remarks/>
  <meta><instanceID>uuid:6f0c2d4e-0000-4000-8000-000000000001</instanceID>
    <instanceName>99/1 2026-01-05</instanceName></meta>
</data>""".encode()


def test_a_form_published_from_xlsform_takes_a_collect_submission(client, url, services, project) -> None:
    with services.db.session() as session:
        publish_form(session, services.blobs, project.id, KITCHEN_SINK.read_bytes(), "kitchen_sink.md")
    resp = post(client, url, KITCHEN_SINK_SUBMISSION, [("รูปบ้าน.jpg", b"\xff\xd8photo"), ("extra.txt", b"x")])
    assert resp.status_code == 201, resp.get_data(as_text=True)
    with services.db.session() as session:
        version = session.scalars(select(SubmissionVersion)).one()
        assert version.instance_name == "99/1 2026-01-05"
        assert [(a.name, services.blobs.read_bytes(a.blob_sha256)) for a in version.attachments] == [
            ("รูปบ้าน.jpg", b"\xff\xd8photo")
        ]
