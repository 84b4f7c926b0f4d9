"""Entity lists that require approval (ODK Central's `approvalRequired`): a submission's entity
creates wait ("pending") until a reviewer approves the submission, and switching the setting off can
make the waiting ones at once (`convert`). Updates are not held back, as in Central."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.core.entities.lists import find_list, touch_lists
from server.core.entities.processing import PENDING, retry_stored
from server.core.ground.errors import BadRequest
from server.core.models import AuditEvent, EntityList, EntitySubmission, Form, Submission

_CHUNK = 1000


class PendingSubmissions(BadRequest):
    """Central's 400.29: switching approval off while creates wait, without saying what to do."""

    code = "400.29"


def _pending_rows(session: Session, entity_list: EntityList) -> list[EntitySubmission]:
    """The waiting creates of one list, of submissions not rejected, oldest first."""
    return list(
        session.scalars(
            select(EntitySubmission)
            .join(Submission, Submission.id == EntitySubmission.submission_id)
            .join(Form, Form.id == Submission.form_id)
            .where(
                Form.project_id == entity_list.project_id,
                EntitySubmission.entity_list_name == entity_list.name,
                EntitySubmission.outcome == PENDING,
                Submission.deleted_at.is_(None),
                or_(Submission.review_state.is_(None), Submission.review_state != "rejected"),
            )
            .order_by(EntitySubmission.submission_version_id, EntitySubmission.ordinal)
        )
    )


def pending_count(session: Session, entity_list: EntityList) -> int:
    """How many submissions (not rejected) have a create waiting for approval in this list."""
    return len({row.submission_id for row in _pending_rows(session, entity_list)})


def _apply(session: Session, rows: Iterable[EntitySubmission], *, only_if_required: bool) -> int:
    touched: set[int] = set()
    applied = 0
    lists: dict[tuple[int, str], EntityList | None] = {}
    projects: dict[int, int] = {}
    for row in rows:
        if row.outcome != PENDING or row.entity_list_name is None:
            continue  # already applied by an earlier row's release
        project_id = projects.get(row.submission_id)
        if project_id is None:
            project_id = session.scalar(
                select(Form.project_id).join(Submission, Submission.form_id == Form.id).where(
                    Submission.id == row.submission_id
                )
            )
            if project_id is None:
                continue
            projects[row.submission_id] = project_id
        key = (project_id, row.entity_list_name)
        if key not in lists:
            lists[key] = find_list(session, project_id, row.entity_list_name)
        entity_list = lists[key]
        if entity_list is None or (only_if_required and not entity_list.approval_required):
            continue  # Central: once approval is off, approving makes nothing for the list
        touched |= retry_stored(session, row, project_id)
        applied += row.outcome != PENDING
    touch_lists(session, touched)
    return applied


def apply_approved(session: Session, submission_ids: Iterable[int]) -> int:
    """Called by the review operation when submissions become approved, in its transaction: their
    waiting creates are made now. Returns how many blocks were applied (or failed)."""
    ids = list(submission_ids)
    applied = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = list(
            session.scalars(
                select(EntitySubmission)
                .where(EntitySubmission.submission_id.in_(chunk), EntitySubmission.outcome == PENDING)
                .order_by(EntitySubmission.submission_version_id, EntitySubmission.ordinal)
            )
        )
        if rows:
            applied += _apply(session, rows, only_if_required=True)
    return applied


def set_approval_required(
    session: Session,
    entity_list: EntityList,
    required: bool,
    *,
    convert: bool | None = None,
    user_id: int | None = None,
) -> int:
    """Central's PATCH …/datasets/NAME: switching approval off while creates wait needs `convert`
    (true: make them now; false: leave them, approving them later makes nothing). Returns how many
    waiting creates were made."""
    waiting = pending_count(session, entity_list) if not required and entity_list.approval_required else 0
    if waiting and convert is None:
        raise PendingSubmissions(
            f"มีข้อมูลที่ส่ง {waiting} รายการรอการอนุมัติเพื่อสร้างรายการ ระบุ convert=true เพื่อสร้างทันที หรือ"
            f" convert=false เพื่อไม่สร้าง / There are {waiting} pending submissions: send convert=true to"
            " create their entities now, or convert=false to leave them.",
            count=waiting,
        )
    previous = entity_list.approval_required
    entity_list.approval_required = required
    session.flush()
    made = _apply(session, _pending_rows(session, entity_list), only_if_required=False) if waiting and convert else 0
    session.add(
        AuditEvent(
            actor_id=user_id,
            action="dataset.update",
            target=f"dataset:{entity_list.project_id}/{entity_list.name}",
            details={"approvalRequired": required, "previous": previous, "convert": convert, "converted": made},
        )
    )
    session.flush()
    return made

