"""Finding a submission the acting user may see or change, and writing its audit events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.ground.errors import NotFound
from server.core.models import AuditEvent, Form, Submission, User
from server.core.submissions.audits import submission_target as submission_target  # re-exported


def visible_submission(
    session: Session, user: User | None, form: Form, instance_id: str, verb: str = "submission.read"
) -> Submission:
    """The submission named by its first instanceID, if the user holds `verb` for it (project and
    area). Forbidden without the verb in the project; NotFound outside the user's area, so another
    district's submissions cannot even be probed for."""
    scope = permissions.submission_scope(session, user, form.project_id, verb)
    submission = session.scalar(
        select(Submission).where(
            Submission.form_id == form.id,
            Submission.instance_id == instance_id,
            Submission.deleted_at.is_(None),
            scope,
        )
    )
    if submission is None:
        raise NotFound(
            f"ไม่พบข้อมูลที่ส่ง {instance_id} / Submission {instance_id!r} not found.", instance_id=instance_id
        )
    return submission


def audit(
    session: Session,
    user: User | None,
    action: str,
    submission: Submission,
    details: dict[str, Any] | None = None,
    notes: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=user.id if user is not None else None,
        action=action,
        target=submission_target(submission.id),
        details={"instanceId": submission.instance_id, "formId": submission.form_id, **(details or {})},
        notes=notes,
    )
    session.add(event)
    return event
