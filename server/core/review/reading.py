"""One submission as a reviewer reads it: processed values, repeats, flags and attachments, with
sensitive answers masked for roles without submission.read_sensitive. Every read that shows an
answered sensitive field unmasked is written to the audit trail (action "submission.read_sensitive")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.ground.errors import Forbidden
from server.core.models import Attachment, Form, FormVersion, Record, RepeatRow, SubmissionVersion, User
from server.core.review.access import audit, visible_submission
from server.core.review.masking import has_sensitive_answer, mask_values, sensitive_paths
from server.core.submissions import queries


@dataclass
class SubmissionView:
    detail: queries.SubmissionDetail
    masked: bool  # sensitive answers were replaced by masking.MASK
    sensitive_paths: frozenset[str]


def read_submission(session: Session, user: User | None, form: Form, instance_id: str) -> SubmissionView:
    """The current version of a submission the user may read (project and area). The caller commits
    (the audit event of an unmasked sensitive read must be kept)."""
    submission = visible_submission(session, user, form, instance_id)
    detail = queries.submission_detail(session, form, submission.instance_id)
    form_version = session.get(FormVersion, detail.item.version.form_version_id)
    paths = sensitive_paths(form_version.field_schema if form_version is not None else {})
    reveal = permissions.can(session, user, "submission.read_sensitive", form.project_id)
    shown = has_sensitive_answer(detail.values or {}, paths) or any(
        has_sensitive_answer(r["values"], paths) for r in detail.repeats
    )
    if not reveal:
        if detail.values is not None:
            detail.values = mask_values(detail.values, paths)
        for row in detail.repeats:
            row["values"] = mask_values(row["values"], paths)
    elif shown and paths:
        audit(
            session,
            user,
            "submission.read_sensitive",
            submission,
            {"fields": sorted(paths), "versionId": detail.item.version.instance_id},
        )
        session.flush()
    return SubmissionView(detail=detail, masked=not reveal and shown, sensitive_paths=paths)


def _sensitive_file_names(session: Session, version_id: int, paths: frozenset[str]) -> set[str]:
    names: set[str] = set()
    rows = [session.scalar(select(Record.values).where(Record.submission_version_id == version_id)) or {}]
    rows += list(
        session.scalars(select(RepeatRow.values).where(RepeatRow.submission_version_id == version_id))
    )
    for values in rows:
        names |= {str(values[p]) for p in paths if values.get(p)}
    return names


def readable_attachment(
    session: Session, user: User | None, form: Form, instance_id: str, name: str
) -> Attachment:
    """A received attachment of a submission the user may read. A file answering a sensitive field
    (an ID card photo …) needs submission.read_sensitive, and each download of one is audited; the
    caller commits."""
    submission = visible_submission(session, user, form, instance_id)
    attachment = queries.get_attachment(session, form, submission.instance_id, name)
    version = session.get(SubmissionVersion, attachment.submission_version_id)
    form_version = session.get(FormVersion, version.form_version_id) if version is not None else None
    paths = sensitive_paths(form_version.field_schema if form_version is not None else {})
    if paths and name in _sensitive_file_names(session, attachment.submission_version_id, paths):
        if not permissions.can(session, user, "submission.read_sensitive", form.project_id):
            raise Forbidden(
                "ไฟล์นี้เป็นข้อมูลอ่อนไหว ต้องมีสิทธิ์ดูข้อมูลอ่อนไหว / This file is sensitive data; you need the "
                "right to read sensitive fields.",
                name=name,
            )
        audit(session, user, "submission.attachment.read_sensitive", submission, {"name": name})
        session.flush()
    return attachment


def visible_attachments(
    session: Session, user: User | None, form: Form, instance_id: str
) -> list[dict[str, Any]]:
    """[{name, exists}] of a submission the user may read (project and area)."""
    submission = visible_submission(session, user, form, instance_id)
    return queries.attachment_list(session, form, submission.instance_id)
