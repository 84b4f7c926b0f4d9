"""The comment thread of a submission (ODK Central's …/submissions/ID/comments)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.ground.errors import BadRequest
from server.core.models import Comment, Form, User
from server.core.review.access import audit, visible_submission
from server.core.review.states import MAX_COMMENT


def list_comments(session: Session, user: User | None, form: Form, instance_id: str) -> list[Comment]:
    """Oldest first. Needs submission.read for the submission (project and area)."""
    submission = visible_submission(session, user, form, instance_id)
    return list(
        session.scalars(
            select(Comment)
            .where(Comment.submission_id == submission.id)
            .order_by(Comment.created_at, Comment.id)
        )
    )


def add_comment(session: Session, user: User | None, form: Form, instance_id: str, body: object) -> Comment:
    """Add a comment. Commenting is part of review, so it needs submission.update (project and area).
    The caller commits."""
    submission = visible_submission(session, user, form, instance_id, "submission.update")
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        raise BadRequest("ความเห็นต้องไม่ว่าง / The comment body must not be empty.", field="body")
    if len(text) > MAX_COMMENT:
        raise BadRequest(
            f"ความเห็นยาวเกิน {MAX_COMMENT} ตัวอักษร / The comment is longer than {MAX_COMMENT} characters."
        )
    comment = Comment(submission_id=submission.id, actor_id=user.id if user else None, body=text)
    session.add(comment)
    audit(session, user, "submission.comment", submission, notes=None)
    session.flush()
    return comment
