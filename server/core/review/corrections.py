"""Editing a submission in the browser and sending it back to its surveyor for correction.

Who may edit: a reviewer (submission.update in the submission's area) who may also read its sensitive
answers when the form has any (the editor sees every answer); and the surveyor who sent it, but only
while it is "needsCorrection" (returned to him). An edit goes through the same intake as Collect's
(meta/deprecatedID naming the current version), becomes a new version and sets "edited"; the editor
and his reason are an audit event that the version history shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.ground.cache import LookupCache
from server.core.ground.errors import BadRequest, Conflict, Forbidden, NotFound
from server.core.ground.storage import BlobStore
from server.core.models import Attachment, Comment, Form, FormVersion, Submission, SubmissionVersion, User
from server.core.review.access import audit, visible_submission
from server.core.review.masking import sensitive_paths
from server.core.review.states import NEEDS_CORRECTION
from server.core.submissions import intake
from server.core.submissions.audits import EDIT_ACTION
from server.core.submissions.intake import IncomingFile, IntakeResult
from server.core.submissions.xmlsafe import parse_submission

MAX_REASON = 1000


@dataclass(frozen=True)
class Editable:
    submission: Submission
    version: SubmissionVersion  # the current version, the one being edited
    as_reviewer: bool  # False: the surveyor correcting his own returned submission


@dataclass
class Returned:
    """A submission returned to its surveyor, with the thread of comments that say what to fix."""

    form: Form
    submission: Submission
    instance_name: str | None
    returned_at: datetime
    comments: list[Comment] = field(default_factory=list)


def _not_editable(instance_id: str) -> NotFound:
    return NotFound(
        f"ไม่พบข้อมูลที่แก้ไขได้ {instance_id} / Submission {instance_id!r} not found or not open for you to edit.",
        instance_id=instance_id,
    )


def editable_submission(session: Session, user: User | None, form: Form, instance_id: str) -> Editable:
    """The submission if `user` may edit it (see the module docstring). Without submission.create in
    the project: Forbidden (whether or not it exists); otherwise NotFound when it is not his to edit."""
    permissions.require(session, user, "submission.create", form.project_id)
    assert user is not None  # require() refuses anonymous users
    if permissions.can(session, user, "submission.update", form.project_id):
        try:
            submission = visible_submission(session, user, form, instance_id, "submission.update")
        except NotFound:
            submission = None
        if submission is not None:
            version = _current(session, submission)
            if not _reveals_sensitive(session, user, form, version):
                raise Forbidden(
                    "แบบฟอร์มนี้มีข้อมูลอ่อนไหว ผู้แก้ไขต้องมีสิทธิ์ดูข้อมูลอ่อนไหว / This form has sensitive "
                    "answers: editing it needs the right to read sensitive fields (a manager or administrator), "
                    "or send it back to its surveyor.",
                    instance_id=instance_id,
                )
            return Editable(submission, version, as_reviewer=True)
    submission = session.scalar(
        select(Submission).where(
            Submission.form_id == form.id,
            Submission.instance_id == instance_id,
            Submission.deleted_at.is_(None),
            Submission.submitter_id == user.id,
            Submission.review_state == NEEDS_CORRECTION,
        )
    )
    if submission is None:
        raise _not_editable(instance_id)
    return Editable(submission, _current(session, submission), as_reviewer=False)


def _current(session: Session, submission: Submission) -> SubmissionVersion:
    version = session.get(SubmissionVersion, submission.current_version_id)
    if version is None:
        raise _not_editable(submission.instance_id)
    return version


def _reveals_sensitive(session: Session, user: User, form: Form, version: SubmissionVersion) -> bool:
    form_version = session.get(FormVersion, version.form_version_id)
    if not sensitive_paths(form_version.field_schema if form_version is not None else {}):
        return True
    return permissions.can(session, user, "submission.read_sensitive", form.project_id)


def instance_xml(session: Session, blobs: BlobStore, user: User | None, form: Form, instance_id: str) -> bytes:
    """The current version's raw XML, for the editor to load; every answer is shown, so a form with
    sensitive fields makes this a sensitive read (audited, the caller commits)."""
    editable = editable_submission(session, user, form, instance_id)
    version = editable.version
    form_version = session.get(FormVersion, version.form_version_id)
    paths = sensitive_paths(form_version.field_schema if form_version is not None else {})
    if paths:
        audit(session, user, "submission.read_sensitive", editable.submission,
              {"fields": sorted(paths), "via": "edit"})
        session.flush()
    return version.xml if version.xml is not None else blobs.read_bytes(version.xml_sha256)


def instance_attachments(session: Session, user: User | None, form: Form, instance_id: str) -> list[Attachment]:
    """The received files of the current version (Web Forms loads them with the instance)."""
    version = editable_submission(session, user, form, instance_id).version
    return [a for a in version.attachments if a.blob_sha256 is not None]


def instance_attachment(session: Session, user: User | None, form: Form, instance_id: str, name: str) -> Attachment:
    found = next((a for a in instance_attachments(session, user, form, instance_id) if a.name == name), None)
    if found is None:
        raise NotFound(f"ไม่พบไฟล์แนบ {name} / Attachment {name!r} not found.", name=name)
    return found


def check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise BadRequest(
            "กรุณาเขียนเหตุผลหรือสิ่งที่แก้ไข / Please say why you edit this submission (what you corrected).",
            field="reason",
        )
    if len(text) > MAX_REASON:
        raise BadRequest(
            f"เหตุผลยาวเกิน {MAX_REASON} ตัวอักษร / The reason is longer than {MAX_REASON} characters.",
            field="reason",
        )
    return text


def edit_submission(
    session: Session,
    blobs: BlobStore,
    user: User | None,
    form: Form,
    instance_id: str,
    xml: bytes,
    files: Sequence[IncomingFile],
    reason: str | None,
    *,
    cache: LookupCache | None = None,
    user_agent: str | None = None,
    max_xml_bytes: int | None = None,
) -> IntakeResult:
    """Store an edited instance of `instance_id` as its new version, through Collect's intake. The XML
    must name the current version in meta/deprecatedID (an editor working from an older copy gets a
    409). The caller commits, then wakes the worker if result.enqueue."""
    editable = editable_submission(session, user, form, instance_id)
    text = check_reason(reason)
    parsed = parse_submission(xml) if max_xml_bytes is None else parse_submission(xml, max_bytes=max_xml_bytes)
    if parsed.form_id != form.xml_form_id:
        raise BadRequest(
            f"ข้อมูลนี้เป็นของแบบฟอร์ม {parsed.form_id} ไม่ใช่ {form.xml_form_id} / This instance belongs to form "
            f"{parsed.form_id!r}, not {form.xml_form_id!r}."
        )
    if parsed.deprecated_id != editable.version.instance_id:
        raise Conflict(
            "ข้อมูลนี้ถูกแก้ไขไปแล้ว กรุณาเปิดฉบับล่าสุดแล้วแก้ใหม่ / This submission has changed since you opened "
            "it (or the edit does not name its current version): open the latest version and edit again.",
            deprecated_id=parsed.deprecated_id,
        )
    result = intake.accept_submission(
        session, blobs, form.project_id, xml, files, user=user, user_agent=user_agent,
        max_xml_bytes=max_xml_bytes, cache=cache, edit_via=None,
    )
    audit(
        session, user, EDIT_ACTION, editable.submission,
        {"versionId": result.version_id, "via": "web", "correction": not editable.as_reviewer},
        text,
    )
    session.flush()
    return result


def returned_to(session: Session, user: User) -> list[Returned]:
    """The submissions returned to this surveyor for correction, most recently returned first, in
    the projects where he may still submit, each with its comments (oldest first)."""
    rows = session.execute(
        select(Submission, Form, SubmissionVersion.instance_name)
        .join(Form, Form.id == Submission.form_id)
        .outerjoin(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id)
        .where(
            Submission.submitter_id == user.id,
            Submission.review_state == NEEDS_CORRECTION,
            Submission.deleted_at.is_(None),
        )
        .order_by(Submission.updated_at.desc(), Submission.id.desc())
    ).all()
    allowed: dict[int, bool] = {}
    items: list[Returned] = []
    for submission, form, name in rows:
        if form.project_id not in allowed:
            allowed[form.project_id] = permissions.can(session, user, "submission.create", form.project_id)
        if allowed[form.project_id]:
            items.append(Returned(form, submission, name, submission.updated_at))
    if items:
        by_id = {item.submission.id: item for item in items}
        for comment in session.scalars(
            select(Comment).where(Comment.submission_id.in_(list(by_id))).order_by(Comment.created_at, Comment.id)
        ):
            by_id[comment.submission_id].comments.append(comment)
    return items
