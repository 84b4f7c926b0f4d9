"""Deleting and restoring submissions, as ODK Central: a deleted submission stays stored but leaves
every list, export, feed and dashboard (OData shows it only to a $filter on __system/deletedAt) until
it is restored; Collect may not send it again meanwhile."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.ground.errors import NotFound
from server.core.models import Form, Submission, User, utcnow
from server.core.review.access import audit, visible_submission


def delete_submission(session: Session, user: User, form: Form, instance_id: str) -> Submission:
    """Soft-delete (submission.delete in the user's area). The caller commits."""
    submission = visible_submission(session, user, form, instance_id, "submission.delete")
    submission.deleted_at = utcnow()
    audit(session, user, "submission.delete", submission, {"instance_id": instance_id})
    session.flush()
    return submission


def restore_submission(session: Session, user: User, form: Form, instance_id: str) -> Submission:
    """Undo a delete (submission.restore in the user's area); 404 unless it is deleted. The caller commits."""
    scope = permissions.submission_scope(session, user, form.project_id, "submission.restore")
    submission = session.scalar(
        select(Submission).where(
            Submission.form_id == form.id,
            Submission.instance_id == instance_id,
            Submission.deleted_at.is_not(None),
            scope,
        )
    )
    if submission is None:
        raise NotFound(
            f"ไม่พบข้อมูลที่ถูกลบ {instance_id} / Could not find the resource you were looking for.",
            instance_id=instance_id,
        )
    submission.deleted_at = None
    audit(session, user, "submission.restore", submission, {"instance_id": instance_id})
    session.flush()
    return submission
