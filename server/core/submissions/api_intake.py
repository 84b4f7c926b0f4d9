"""Submissions sent through the JSON API (ODK Central's REST POST and PUT of the XML, and attachments
uploaded one by one afterwards): the same intake and durability as OpenRosa, plus Central's checks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.ground.cache import LookupCache
from server.core.ground.errors import BadRequest, Conflict, Forbidden, NotFound
from server.core.ground.storage import BlobStore
from server.core.models import Attachment, AuditEvent, Form, Submission, SubmissionVersion, User, utcnow
from server.core.submissions.intake import (
    IncomingFile,
    IntakeResult,
    accept_submission,
    check_attachment_name,
)
from server.core.submissions.xmlsafe import SubmissionXml, parse_submission


class ExpectedDeprecation(BadRequest):
    code = "400.19"


class OutdatedEdit(Conflict):
    code = "409.9"


def _checked(form: Form, xml: bytes) -> SubmissionXml:
    parsed = parse_submission(xml)
    if parsed.form_id != form.xml_form_id:
        raise BadRequest(
            f"รหัสแบบฟอร์มในข้อมูล ({parsed.form_id}) ไม่ตรงกับที่อยู่ ({form.xml_form_id}) / Unexpected form id"
            f" value {parsed.form_id}; did not match the form ID in the URL.",
            field="form id",
            value=parsed.form_id,
        )
    return parsed


def _submission(session: Session, user: User, form: Form, instance_id: str, verb: str) -> Submission:
    """A submission the user holds `verb` for (project and area); NotFound outside his area."""
    scope = permissions.submission_scope(session, user, form.project_id, verb)
    found = session.scalar(
        select(Submission).where(
            Submission.form_id == form.id,
            Submission.instance_id == instance_id,
            Submission.deleted_at.is_(None),
            scope,
        )
    )
    if found is None:
        raise NotFound(f"ไม่พบข้อมูลที่ส่ง {instance_id} / Submission {instance_id!r} not found.", instance_id=instance_id)
    return found


def create_submission(
    session: Session,
    blobs: BlobStore,
    form: Form,
    xml: bytes,
    files: Sequence[IncomingFile] = (),
    *,
    user: User,
    device_id: str | None,
    user_agent: str | None,
    cache: LookupCache | None = None,
) -> tuple[Submission, IntakeResult]:
    """POST …/submissions: a new submission (identical XML again is a retry; other XML under the same
    instanceID a 409). The caller commits, then wakes processing if result.enqueue."""
    if _checked(form, xml).deprecated_id is not None:
        raise BadRequest(
            "ข้อมูลนี้มี deprecatedID: ส่งการแก้ไขด้วย PUT …/submissions/INSTANCE_ID / This XML carries a"
            " deprecatedID: send edits with PUT …/submissions/INSTANCE_ID.",
            field="deprecatedID",
        )
    result = accept_submission(
        session, blobs, form.project_id, xml, files, user=user, device_id=device_id, user_agent=user_agent, cache=cache
    )
    submission = session.get(Submission, result.submission_id)
    assert submission is not None
    return submission, result


def edit_submission(
    session: Session,
    blobs: BlobStore,
    form: Form,
    instance_id: str,
    xml: bytes,
    *,
    user: User,
    device_id: str | None,
    user_agent: str | None,
    cache: LookupCache | None = None,
) -> tuple[Submission, IntakeResult]:
    """PUT …/submissions/INSTANCE_ID: a new version whose meta/deprecatedID names the current one.
    Needs submission.update (Central needs submission.create; editing others' data here is review)."""
    parsed = _checked(form, xml)
    if parsed.deprecated_id is None:
        raise ExpectedDeprecation(
            "ต้องมี meta/deprecatedID ที่ชี้ไปยังฉบับปัจจุบัน / This PUT endpoint expects a deprecatedID metadata"
            " tag pointing at the current version instanceID."
        )
    submission = _submission(session, user, form, instance_id, "submission.update")
    current = session.get(SubmissionVersion, submission.current_version_id)
    if current is None or current.instance_id != parsed.deprecated_id:
        raise OutdatedEdit(
            f"ฉบับที่แก้ ({parsed.deprecated_id}) ไม่ใช่ฉบับล่าสุดแล้ว / You tried to update a submission, but the"
            f" copy you were editing ({parsed.deprecated_id}) is now out of date.",
            deprecatedId=parsed.deprecated_id,
        )
    result = accept_submission(
        session, blobs, form.project_id, xml, [], user=user, device_id=device_id, user_agent=user_agent, cache=cache,
        edit_via="api",
    )
    return submission, result


def _current_attachment(
    session: Session, user: User, form: Form, instance_id: str, name: str, verb: str
) -> tuple[Submission, Attachment]:
    check_attachment_name(name)
    submission = _submission(session, user, form, instance_id, verb)
    attachment = session.scalar(
        select(Attachment).where(
            Attachment.submission_version_id == submission.current_version_id, Attachment.name == name
        )
    )
    if attachment is None:
        raise NotFound(
            f"ข้อมูลนี้ไม่ได้อ้างถึงไฟล์ {name} / The submission does not reference a file named {name!r}.",
            name=name,
        )
    return submission, attachment


def upload_attachment(
    session: Session,
    blobs: BlobStore,
    form: Form,
    instance_id: str,
    name: str,
    data: bytes,
    content_type: str | None,
    *,
    user: User,
) -> Attachment:
    """Store one file the current version references. Reviewers (submission.update) may replace any;
    a collector may only fill in a file still missing from a submission he sent. The caller commits."""
    may_update = permissions.can(session, user, "submission.update", form.project_id)
    submission, attachment = _current_attachment(
        session, user, form, instance_id, name, "submission.update" if may_update else "submission.create"
    )
    if not may_update and (submission.submitter_id != user.id or attachment.blob_sha256 is not None):
        raise Forbidden("คุณไม่มีสิทธิ์เปลี่ยนไฟล์นี้ / You may not replace this file.", name=name)
    stored = blobs.put_bytes(data)
    old = attachment.blob_sha256
    attachment.blob_sha256, attachment.size = stored.sha256, stored.size
    attachment.content_type = (content_type or "application/octet-stream")[:127]
    attachment.received_at = utcnow()
    session.add(
        AuditEvent(
            actor_id=user.id,
            action="submission.attachment.update",
            target=f"submission:{submission.id}",
            details={"name": name, "old": old, "new": stored.sha256},
        )
    )
    session.flush()
    return attachment


def clear_attachment(session: Session, form: Form, instance_id: str, name: str, *, user: User) -> None:
    """Forget a received file of the current version (it becomes missing again). The caller commits."""
    submission, attachment = _current_attachment(session, user, form, instance_id, name, "submission.update")
    if attachment.blob_sha256 is None:
        raise NotFound(f"ยังไม่ได้รับไฟล์ {name} / The file {name!r} has not been received.", name=name)
    old, attachment.blob_sha256 = attachment.blob_sha256, None
    attachment.size = attachment.content_type = attachment.received_at = None
    session.add(
        AuditEvent(
            actor_id=user.id,
            action="submission.attachment.update",
            target=f"submission:{submission.id}",
            details={"name": name, "old": old, "new": None},
        )
    )
    session.flush()


def version_xml(blobs: BlobStore, version: SubmissionVersion) -> bytes:
    """The XML exactly as it was received."""
    return version.xml if version.xml is not None else blobs.read_bytes(version.xml_sha256)
