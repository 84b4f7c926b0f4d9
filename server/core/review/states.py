"""Review states as in ODK Central: received (stored as NULL), hasIssues, edited, approved, rejected,
and Chumchon's needsCorrection ("sent back": the surveyor who sent it corrects it in the browser).

A reviewer sets hasIssues / needsCorrection / edited / approved / rejected; `edited` is also set by
intake when a new version arrives with meta/deprecatedID (a correction comes back so). hasIssues,
needsCorrection and rejected need a comment (the surveyor must know what to fix). Every change goes into the submission's comment thread (when there is a comment) and the
audit trail (action "submission.update", details {"reviewState", "previous"}, notes = the comment).
Approving also makes the entities that wait for it (lists with approvalRequired), in the same
transaction, whichever surface (API, web application, bulk, CLI) asked."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.orm import Session

from server.core.entities import approval
from server.core.ground.errors import BadRequest
from server.core.models import AuditEvent, Comment, Form, Submission, User, utcnow
from server.core.review.access import audit, submission_target, visible_submission
from server.core.review.listing import (
    REVIEW_STATE_NAMES,
    SubmissionFilter,
    matching_ids_query,
    visible_conditions,
)
from server.core.webhooks import outbox
from server.core.webhooks.subscriptions import REVIEWED

RECEIVED = "received"
NEEDS_CORRECTION = "needsCorrection"
APPROVED = "approved"
REVIEW_STATES = REVIEW_STATE_NAMES
SETTABLE_STATES = ("hasIssues", NEEDS_CORRECTION, "edited", "approved", "rejected")
NEEDS_COMMENT = frozenset({"hasIssues", NEEDS_CORRECTION, "rejected"})
MAX_COMMENT = 10_000
MAX_BULK = 100_000  # one transaction; a larger selection should be narrowed by a filter first


class InvalidReviewState(BadRequest):
    code = "400.20"


class CommentRequired(BadRequest):
    code = "400.21"


def shown_state(stored: str | None) -> str:
    """The state as users see it: NULL is "received"."""
    return stored or RECEIVED


def stored_state(shown: str) -> str | None:
    return None if shown == RECEIVED else shown


def check_review(state: object, comment: str | None) -> tuple[str, str | None]:
    """Validate a requested review state and its comment; returns (state, cleaned comment or None)."""
    if not isinstance(state, str) or state not in SETTABLE_STATES:
        raise InvalidReviewState(
            f"สถานะการตรวจ {state!r} ไม่ถูกต้อง ใช้ได้: {', '.join(SETTABLE_STATES)} / "
            f"Review state {state!r} is not valid; use one of: {', '.join(SETTABLE_STATES)}.",
            field="reviewState",
            allowed=list(SETTABLE_STATES),
        )
    text = (comment or "").strip() or None
    if text is not None and len(text) > MAX_COMMENT:
        raise BadRequest(
            f"ความเห็นยาวเกิน {MAX_COMMENT} ตัวอักษร / The comment is longer than {MAX_COMMENT} characters."
        )
    if state in NEEDS_COMMENT and text is None:
        raise CommentRequired(
            "ต้องเขียนความเห็นเมื่อตั้งสถานะ “มีปัญหา” “ส่งกลับให้แก้ไข” หรือ “ไม่อนุมัติ” เพื่อให้ผู้เก็บข้อมูลรู้ว่า"
            "ต้องแก้อะไร / A comment is required for hasIssues, needsCorrection and rejected, so the surveyor "
            "knows what to fix.",
            field="comment",
            reviewState=state,
        )
    return state, text


def set_review_state(
    session: Session,
    user: User | None,
    form: Form,
    instance_id: str,
    state: str,
    comment: str | None = None,
) -> Submission:
    """Set one submission's review state (needs submission.update in its project and area). The
    comment, if any, joins the submission's thread. The caller commits."""
    state, text = check_review(state, comment)
    submission = visible_submission(session, user, form, instance_id, "submission.update")
    previous = submission.review_state
    submission.review_state = state
    submission.updated_at = utcnow()
    if text is not None:
        session.add(Comment(submission_id=submission.id, actor_id=user.id if user else None, body=text))
    audit(session, user, "submission.update", submission, {"reviewState": state, "previous": previous}, text)
    _record_reviewed(session, user, form, [(submission.id, submission.instance_id, previous)], state)
    session.flush()
    if state == APPROVED:  # entity lists that require approval make the waiting entities now
        approval.apply_approved(session, [submission.id])
    return submission


def _record_reviewed(
    session: Session, user: User | None, form: Form, rows: Sequence[tuple[int, str, str | None]], state: str
) -> None:
    """The webhook event for each changed submission, in the review's own transaction."""
    payloads = [
        {
            "projectId": form.project_id,
            "xmlFormId": form.xml_form_id,
            "instanceId": instance_id,
            "submissionId": submission_id,
            "reviewState": state,
            "previous": shown_state(previous),
            "actorId": user.id if user is not None else None,
        }
        for submission_id, instance_id, previous in rows
    ]
    outbox.record(session, form.project_id, REVIEWED, payloads)


def bulk_review(
    session: Session,
    user: User | None,
    form: Form,
    state: str,
    comment: str | None = None,
    *,
    instance_ids: Sequence[str] | None = None,
    filters: SubmissionFilter | None = None,
) -> int:
    """Set the review state of many submissions in one transaction: those named by instance_ids, or
    every one matching `filters` (both: the named ones that also match). Only submissions the user
    may review (project and area) are touched; others in the list are silently out of reach, as in a
    filtered table. One comment goes to each submission's thread. Returns how many were changed."""
    state, text = check_review(state, comment)
    if instance_ids is None and filters is None:
        raise BadRequest("ต้องเลือกข้อมูลหรือระบุตัวกรอง / Choose submissions or give a filter.")
    query: Select[int] = matching_ids_query(
        session, user, form, filters or SubmissionFilter(), verb="submission.update"
    )
    if instance_ids is not None:
        query = query.where(Submission.instance_id.in_(list(instance_ids)))
    rows = session.execute(query.add_columns(Submission.instance_id, Submission.review_state)).all()
    if len(rows) > MAX_BULK:
        raise BadRequest(
            f"เลือกไว้ {len(rows)} รายการ มากเกิน {MAX_BULK} กรุณากรองให้แคบลง / {len(rows)} submissions "
            f"selected, more than {MAX_BULK}; narrow the filter.",
        )
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    now = utcnow()
    actor = user.id if user is not None else None
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        session.execute(
            update(Submission)
            .where(Submission.id.in_(chunk))
            .values(review_state=state, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    if text is not None:
        session.execute(
            insert(Comment),
            [{"submission_id": sid, "actor_id": actor, "body": text, "created_at": now} for sid in ids],
        )
    session.execute(
        insert(AuditEvent),
        [
            {
                "actor_id": actor,
                "action": "submission.update",
                "target": submission_target(sid),
                "details": {
                    "instanceId": iid,
                    "formId": form.id,
                    "reviewState": state,
                    "previous": previous,
                    "bulk": True,
                },
                "notes": text,
                "logged_at": now,
            }
            for sid, iid, previous in rows
        ],
    )
    _record_reviewed(session, user, form, [(sid, iid, previous) for sid, iid, previous in rows], state)
    if state == APPROVED:
        approval.apply_approved(session, ids)
    session.expire_all()
    return len(ids)


def review_counts(session: Session, user: User | None, form: Form) -> dict[str, int]:
    """{state: count} over the submissions the user may read (Central's X-Extended-Metadata style)."""
    conditions = visible_conditions(session, user, form, SubmissionFilter())
    rows = session.execute(
        select(Submission.review_state, func.count()).where(*conditions).group_by(Submission.review_state)
    ).all()
    counts = dict.fromkeys(REVIEW_STATES, 0)
    for stored, count in rows:
        counts[shown_state(stored)] = count
    return counts
