"""Submission intake rules: new, retry, split upload, conflict, edits, refusals — checked on the rows."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.accounts.projects import create_project
from server.core.ground.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    FormClosed,
    FormVersionNotFound,
    InvalidXml,
    NotFound,
)
from server.core.ground.services import Services
from server.core.models import Attachment, Form, FormVersion, Submission, SubmissionVersion, User
from server.core.submissions import intake

FORM_ID = "household_survey"
VERSION = "2026112301"


def _field(path: str, type_: str, bind: str, repeat: str | None = None) -> dict[str, Any]:
    return {
        "path": path,
        "name": path.rsplit("/", 1)[1],
        "type": type_,
        "bind_type": bind,
        "labels": {},
        "choice_list": None,
        "repeat": repeat,
        "sensitive": False,
        "checks": [],
        "calculation": None,
    }


# Written by hand in the shape of the field-schema contract (common.md), so these tests need no publisher.
SCHEMA: dict[str, Any] = {
    "form_id": FORM_ID,
    "version": VERSION,
    "title": "สำรวจครัวเรือน",
    "root": "data",
    "default_language": None,
    "languages": [],
    "fields": [
        _field("/data/hh", "group", ""),
        _field("/data/hh/house_no", "text", "string"),
        _field("/data/hh/house_photo", "image", "binary"),
        _field("/data/members", "repeat", ""),
        _field("/data/members/photo", "image", "binary", repeat="/data/members"),
        _field("/data/meta", "meta", ""),
        _field("/data/meta/audit", "audit", "binary"),
        _field("/data/meta/instanceID", "meta", "string"),
        _field("/data/meta/deprecatedID", "meta", "string"),
    ],
    "repeats": [{"path": "/data/members", "name": "members", "parent": None, "labels": {}}],
    "choices": {},
    "media": [],
}


def add_form(
    session: Session, project_id: int, form_id: str = FORM_ID, version: str = VERSION, state: str = "open"
) -> FormVersion:
    """A published form version row, as the publisher would leave it."""
    form = session.scalar(select(Form).where(Form.project_id == project_id, Form.xml_form_id == form_id))
    if form is None:
        form = Form(project_id=project_id, xml_form_id=form_id, state=state)
        session.add(form)
        session.flush()
    fv = FormVersion(
        form_id=form.id,
        version=version,
        title="สำรวจครัวเรือน",
        xform_sha256="0" * 64,
        xform_md5="0" * 32,
        field_schema=dict(SCHEMA, form_id=form_id, version=version),
    )
    session.add(fv)
    session.flush()
    form.current_version_id = fv.id
    return fv


def submission_xml(
    instance_id: str = "uuid:aaa",
    *,
    house_no: str = "12/3",
    photo: str | None = "house.jpg",
    member_photos: tuple[str, ...] = (),
    deprecated: str | None = None,
    version: str = VERSION,
    form_id: str = FORM_ID,
    root: str = "data",
    audit: bool = False,
) -> bytes:
    members = "".join(f"<members><photo>{p}</photo></members>" for p in member_photos)
    dep = f"<deprecatedID>{deprecated}</deprecatedID>" if deprecated else ""
    aud = "<audit>audit.csv</audit>" if audit else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><{root} xmlns:jr="http://openrosa.org/javarosa" '
        f'id="{form_id}" version="{version}"><hh><house_no>{house_no}</house_no>'
        f"<house_photo>{photo or ''}</house_photo></hh>{members}"
        f"<meta>{aud}<instanceID>{instance_id}</instanceID>{dep}</meta></{root}>"
    ).encode()


@pytest.fixture
def form(services: Services, project) -> FormVersion:
    with services.db.session() as session:
        return add_form(session, project.id)


def accept(services: Services, user: User | None, xml: bytes, files=(), project_id: int = 1, **kw):
    with services.db.session() as session:
        user_row = session.get(User, user.id) if user else None
        return intake.accept_submission(
            session, services.blobs, project_id, xml, list(files), user=user_row, **kw
        )


def count(services: Services, model: type) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def attachments(services: Services, version_id: int) -> dict[str, str | None]:
    with services.db.session() as session:
        rows = session.scalars(select(Attachment).where(Attachment.submission_version_id == version_id))
        return {a.name: a.blob_sha256 for a in rows}


def test_new_submission_stores_xml_blob_rows_and_expected_attachments(services, collector, form) -> None:
    xml = submission_xml(member_photos=("m1.jpg",), audit=True)
    res = accept(
        services,
        collector,
        xml,
        [
            ("house.jpg", "image/jpeg", b"JPEG1"),
            ("stray.txt", None, b"x"),
            ("audit.csv", "text/csv", b"event,node,start,end\n"),
        ],
        device_id="collect:abc",
        user_agent="org.odk.collect.android/v2026.3.3",
    )
    assert res.status == 201 and res.created and res.enqueue
    assert sorted(res.missing_files) == ["m1.jpg"]
    with services.db.session() as session:
        version = session.get(SubmissionVersion, res.version_id)
        assert version.processing_state == "received" and version.current
        assert version.device_id == "collect:abc"
        # The raw XML is committed in the row itself (no separate blob file to fsync).
        assert version.xml == xml and version.xml_sha256 == hashlib.sha256(xml).hexdigest()
        assert not services.blobs.exists(version.xml_sha256)
        assert version.submission.current_version_id == version.id
        assert version.submission.submitter_id == collector.id
    found = attachments(services, res.version_id)
    assert set(found) == {"house.jpg", "m1.jpg", "audit.csv"}  # stray.txt is not referenced: ignored
    assert services.blobs.read_bytes(found["house.jpg"]) == b"JPEG1"
    assert found["m1.jpg"] is None


def test_identical_resubmission_fills_in_missing_attachments_without_new_rows(
    services, collector, form
) -> None:
    xml = submission_xml(member_photos=("m1.jpg",))
    first = accept(services, collector, xml, [("house.jpg", "image/jpeg", b"A")], is_incomplete=True)
    again = accept(services, collector, xml, [("m1.jpg", "image/jpeg", b"B")])
    assert again.status == 201 and not again.created and not again.enqueue
    assert again.version_id == first.version_id and again.missing_files == []
    assert count(services, Submission) == 1 and count(services, SubmissionVersion) == 1
    assert all(attachments(services, first.version_id).values())


def test_same_instance_id_with_different_xml_is_a_conflict(services, collector, form) -> None:
    accept(services, collector, submission_xml())
    with pytest.raises(Conflict) as err:
        accept(services, collector, submission_xml(house_no="99"))
    assert "different XML" in err.value.message and err.value.status == 409


def test_edit_makes_a_new_version_keeps_history_and_carries_files_forward(services, collector, form) -> None:
    first = accept(services, collector, submission_xml(), [("house.jpg", "image/jpeg", b"A")])
    edit = accept(services, collector, submission_xml("uuid:bbb", house_no="14", deprecated="uuid:aaa"))
    assert edit.created and edit.enqueue and edit.submission_id == first.submission_id
    assert edit.missing_files == []  # house.jpg carried forward from the edited version
    with services.db.session() as session:
        sub = session.get(Submission, first.submission_id)
        assert sub.review_state == "edited" and sub.current_version_id == edit.version_id
        assert [v.current for v in sub.versions] == [False, True]
        assert sub.instance_id == "uuid:aaa"
    # Collect resending the same edit is a retry.
    again = accept(services, collector, submission_xml("uuid:bbb", house_no="14", deprecated="uuid:aaa"))
    assert again.status == 201 and not again.created and count(services, SubmissionVersion) == 2
    # Editing the old version again is refused.
    with pytest.raises(Conflict):
        accept(services, collector, submission_xml("uuid:ccc", house_no="15", deprecated="uuid:aaa"))
    with pytest.raises(NotFound):
        accept(services, collector, submission_xml("uuid:ddd", deprecated="uuid:nope"))


def test_refusals_write_nothing(services, collector, form, project) -> None:
    cases = [
        (submission_xml(form_id="other"), NotFound, "other"),
        (submission_xml(version="1999"), FormVersionNotFound, "1999"),
        (submission_xml(root="household"), InvalidXml, "household"),
    ]
    for xml, error, words in cases:
        with pytest.raises(error) as err:
            accept(services, collector, xml, [("house.jpg", "image/jpeg", b"A")])
        assert words in err.value.message
    for bad in ("../x.jpg", "a/b.jpg", "a\\b.jpg", ".hidden", "nul\x00.jpg"):
        with pytest.raises(BadRequest):
            accept(services, collector, submission_xml(photo=bad), [(bad, "image/jpeg", b"A")])
    assert count(services, Submission) == 0 and count(services, SubmissionVersion) == 0
    assert not services.settings.blob_dir.exists() or not any(services.settings.blob_dir.rglob("*/*/*"))


def test_closed_form_and_missing_permission_are_refused(services, make_user, form, project) -> None:
    outsider = make_user("outsider", "collector", project_id=None)
    with services.db.session() as session:
        other = create_project(session, "โครงการอื่น")
        session.get(Form, form.form_id).state = "closed"
    with pytest.raises(FormClosed) as err:
        accept(services, outsider, submission_xml())
    assert "closed" in err.value.message
    with pytest.raises(Forbidden):
        accept(services, outsider, submission_xml(), project_id=other.id)


def test_thai_attachment_name_is_kept_exactly(services, collector, form) -> None:
    res = accept(services, collector, submission_xml(photo="รูปบ้าน.jpg"), [("รูปบ้าน.jpg", "image/jpeg", b"J")])
    assert list(attachments(services, res.version_id)) == ["รูปบ้าน.jpg"]
    assert res.missing_files == []


def test_two_identical_posts_at_once_make_one_submission(services, collector, form) -> None:
    xml = submission_xml()
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def post() -> None:
        barrier.wait()
        results.append(accept(services, collector, xml, [("house.jpg", "image/jpeg", b"A")]))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in results] == [201, 201]
    assert count(services, Submission) == 1 and count(services, SubmissionVersion) == 1
