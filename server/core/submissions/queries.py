"""Reading submissions for the API: pages of a form's submissions, one submission with its processed
values, quality flags and attachments. Values come from the processed rows; XML is never re-parsed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.ground.errors import NotFound
from server.core.models import (
    Attachment,
    Form,
    FormVersion,
    QualityFlag,
    Record,
    RepeatRow,
    Submission,
    SubmissionVersion,
)


@dataclass
class SubmissionItem:
    submission: Submission
    version: SubmissionVersion
    form_version: str | None


@dataclass
class SubmissionDetail:
    item: SubmissionItem
    values: dict[str, Any] | None  # None until processed
    repeats: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, str]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)


def _listing(form: Form) -> Any:
    return (
        select(Submission, SubmissionVersion, FormVersion.version)
        .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id)
        .join(FormVersion, FormVersion.id == SubmissionVersion.form_version_id)
        .where(Submission.form_id == form.id, Submission.deleted_at.is_(None))
    )


def list_submissions(
    session: Session, form: Form, limit: int, offset: int
) -> tuple[int, list[SubmissionItem]]:
    """(total, one page), newest first as in ODK Central."""
    total = (
        session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(Submission.form_id == form.id, Submission.deleted_at.is_(None))
        )
        or 0
    )
    rows = session.execute(
        _listing(form)
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return total, [SubmissionItem(s, v, fv) for s, v, fv in rows]


def get_submission(session: Session, form: Form, instance_id: str) -> SubmissionItem:
    """A submission by the instanceID it was first sent with (Central's instanceId)."""
    row = session.execute(_listing(form).where(Submission.instance_id == instance_id)).first()
    if row is None:
        raise NotFound(
            f"ไม่พบข้อมูลที่ส่ง {instance_id} / Submission {instance_id!r} not found.", instance_id=instance_id
        )
    return SubmissionItem(row[0], row[1], row[2])


def submission_detail(session: Session, form: Form, instance_id: str) -> SubmissionDetail:
    """The current version's processed values, repeat rows, quality flags and attachments."""
    item = get_submission(session, form, instance_id)
    vid = item.version.id
    record = session.scalar(select(Record).where(Record.submission_version_id == vid))
    repeats = session.scalars(
        select(RepeatRow).where(RepeatRow.submission_version_id == vid).order_by(RepeatRow.ordinal)
    ).all()
    flags = session.scalars(
        select(QualityFlag).where(QualityFlag.submission_version_id == vid).order_by(QualityFlag.id)
    ).all()
    return SubmissionDetail(
        item=item,
        values=record.values if record is not None else None,
        repeats=[
            {"repeat": r.repeat_path, "key": r.key, "parentKey": r.parent_key, "values": r.values}
            for r in repeats
        ],
        flags=[{"path": f.field_path, "code": f.code, "message": f.message} for f in flags],
        attachments=attachment_list(session, form, instance_id, item=item),
    )


def attachment_list(
    session: Session, form: Form, instance_id: str, *, item: SubmissionItem | None = None
) -> list[dict[str, Any]]:
    """[{name, exists}] for the current version, as ODK Central lists them."""
    item = item or get_submission(session, form, instance_id)
    rows = session.scalars(
        select(Attachment)
        .where(Attachment.submission_version_id == item.version.id)
        .order_by(Attachment.name)
    ).all()
    return [{"name": a.name, "exists": a.blob_sha256 is not None} for a in rows]


def get_attachment(session: Session, form: Form, instance_id: str, name: str) -> Attachment:
    """A received attachment of the current version; 404 if it is unknown or not received yet."""
    item = get_submission(session, form, instance_id)
    attachment = session.scalar(
        select(Attachment).where(Attachment.submission_version_id == item.version.id, Attachment.name == name)
    )
    if attachment is None or attachment.blob_sha256 is None:
        raise NotFound(f"ไม่พบไฟล์แนบ {name} / Attachment {name!r} not found.", name=name)
    return attachment
