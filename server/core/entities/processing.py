"""Entities from processed submissions, with ODK Central's rules: create with the label and the saved
properties; update by entity id against `baseVersion`, merged into the current data; offline chains
(`branchId` / `trunkVersion`) found by their branch; an update made against an old version is applied
and marked as a soft or hard conflict; an offline update whose base has not arrived waits ("held")
and is applied when it does; a create for a list that requires approval waits ("pending") until the
submission is approved (server.core.entities.approval). One `entity_submission` row per block records
what happened, so processing a version again changes nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from server.core.entities.declarations import EntityBlock
from server.core.entities.lists import find_list, permitted_actions, touch_lists
from server.core.models import (
    Entity,
    EntityList,
    EntitySubmission,
    EntityVersion,
    Form,
    Submission,
    SubmissionVersion,
    utcnow,
)
from server.core.models.entities import HARD, SOFT, SOURCE_SUBMISSION

CREATED, UPDATED, SKIPPED, HELD, ERROR = "created", "updated", "skipped", "held", "error"
PENDING = "pending"  # a create waiting for the submission's approval (the list requires approval)
APPLIED = (CREATED, UPDATED)
APPROVED = "approved"
_SUPERSEDED = "แทนที่ด้วยฉบับแก้ไขที่ส่งภายหลัง / Replaced by a later version of the submission."
_UUID = re.compile(
    r"^(?:uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$", re.IGNORECASE
)


class EntityProblem(Exception):
    """Why one entity block could not be applied; kept on its entity_submission row."""

    def __init__(self, message: str, *, not_found: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.not_found = not_found


@dataclass(frozen=True)
class SubmissionRef:
    version_id: int
    submission_id: int
    form_id: int
    form_version_id: int
    submitter_id: int | None


def is_true(value: str | None) -> bool:
    """Collect writes the result of create_if / update_if as "1"/"0" (or "true"/"false")."""
    return value in ("1", "true")


def normalise_uuid(value: Any, field: str = "uuid") -> str:
    match = _UUID.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise EntityProblem(
            f"รหัส {field} ต้องเป็น UUID รุ่น 4 / {field} must be a version 4 UUID, not {value!r}."
        )
    return match.group(1).lower()


def _integer(value: str | None, field: str) -> int | None:
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit():
        raise EntityProblem(f"{field} ต้องเป็นจำนวนเต็ม / {field} must be an integer, not {value!r}.")
    return int(value.strip())


def _entity(session: Session, entity_list: EntityList, uuid: str, *, lock: bool = False) -> Entity | None:
    query = select(Entity).where(Entity.entity_list_id == entity_list.id, Entity.uuid == uuid)
    return session.scalar(query.with_for_update() if lock else query)


def _version(session: Session, entity: Entity, **condition: Any) -> EntityVersion | None:
    query = select(EntityVersion).where(EntityVersion.entity_id == entity.id)
    for column, value in condition.items():
        query = query.where(getattr(EntityVersion, column) == value)
    return session.scalar(query.order_by(EntityVersion.version).limit(1))


def changed_since(current: EntityVersion, base: EntityVersion) -> dict[str, Any]:
    """What changed on the server between a base version and the current one (label included)."""
    diff = {k: v for k, v in current.data.items() if base.data.get(k, None) != v or k not in base.data}
    if current.label != base.label:
        diff["label"] = current.label
    return diff


def conflict_of(received: dict[str, Any], server_changes: dict[str, Any], previous: str | None) -> str:
    """Hard when the update also changed something that changed since its base; never downgraded."""
    if previous == HARD:
        return HARD
    return HARD if conflicting(received, server_changes) else SOFT


def conflicting(received: dict[str, Any], server_changes: dict[str, Any]) -> list[str]:
    return sorted(k for k, v in received.items() if k in server_changes and server_changes[k] != v)


def new_version(
    session: Session,
    entity: Entity,
    *,
    label: str,
    data: dict[str, Any],
    received: dict[str, Any],
    source: str,
    base_version: int | None,
    conflict: str | None,
    conflicting_properties: list[str] | None = None,
    creator_id: int | None = None,
    ref: SubmissionRef | None = None,
    branch: tuple[str | None, int | None, int | None] = (None, None, None),
    source_name: str | None = None,
    user_agent: str | None = None,
    created_at: datetime | None = None,
) -> EntityVersion:
    """Add the next version to an entity and make it current (the one place that writes versions);
    `created_at` is given only when a rebuild replays a version."""
    number = (entity.version or 0) + 1 if entity.id is not None else 1
    branch_id, trunk_version, branch_base_version = branch
    version = EntityVersion(
        entity_id=entity.id,
        version=number,
        label=label,
        data=data,
        data_received=received,
        source=source,
        source_name=source_name,
        submission_version_id=ref.version_id if ref else None,
        submission_id=ref.submission_id if ref else None,
        base_version=base_version,
        trunk_version=trunk_version,
        branch_id=branch_id,
        branch_base_version=branch_base_version,
        conflict=conflict,
        conflicting_properties=conflicting_properties,
        creator_id=creator_id,
        user_agent=(user_agent or "")[:255] or None,
        created_at=created_at or utcnow(),
    )
    entity.version, entity.label, entity.data, entity.conflict = number, label, data, conflict
    if number > 1:
        entity.updated_at = version.created_at
    session.add(version)
    session.flush()
    return version


def _create(session: Session, entity_list: EntityList, block: EntityBlock, ref: SubmissionRef) -> EntityVersion:
    uuid = normalise_uuid(block.system.get("id"), "id")
    label = block.label
    if label is None or not label.strip():
        raise EntityProblem("ต้องมีชื่อ (label) ของรายการ / An entity being created needs a label.")
    if _entity(session, entity_list, uuid) is not None:
        raise EntityProblem(f"มีรายการรหัส {uuid} อยู่แล้ว / An entity with id {uuid} already exists.")
    entity = Entity(entity_list_id=entity_list.id, uuid=uuid, label=label, data=dict(block.data), version=0)
    entity.creator_id = ref.submitter_id
    session.add(entity)
    session.flush()
    return new_version(
        session,
        entity,
        label=label,
        data=dict(block.data),
        received={**block.data, "label": label},
        source=SOURCE_SUBMISSION,
        base_version=None,
        conflict=None,
        creator_id=ref.submitter_id,
        ref=ref,
        branch=(
            _branch_id(block),
            _integer(block.system.get("trunkVersion"), "trunkVersion"),
            None,
        ),
    )


def _branch_id(block: EntityBlock) -> str | None:
    raw = block.system.get("branchId")
    return normalise_uuid(raw, "branchId") if raw else None


class Held(Exception):
    """An offline update whose base version has not been processed yet."""


class AwaitingApproval(Exception):
    """A create for a list that requires approval, from a submission not approved (yet)."""


def _check_approval(session: Session, entity_list: EntityList, ref: SubmissionRef) -> None:
    """As ODK Central: a list with approvalRequired gets entities created only from approved
    submissions; updates are applied when received whatever the review state."""
    if not entity_list.approval_required:
        return
    state = session.scalar(select(Submission.review_state).where(Submission.id == ref.submission_id))
    if state != APPROVED:
        raise AwaitingApproval()


def _update(session: Session, entity_list: EntityList, block: EntityBlock, ref: SubmissionRef) -> EntityVersion:
    uuid = normalise_uuid(block.system.get("id"), "id")
    base_version = _integer(block.system.get("baseVersion"), "baseVersion")
    branch_id = _branch_id(block)
    trunk_version = _integer(block.system.get("trunkVersion"), "trunkVersion")
    if trunk_version is not None and branch_id is None:
        raise EntityProblem("trunkVersion ต้องมี branchId / trunkVersion needs a branchId.")
    entity = _entity(session, entity_list, uuid, lock=True)
    if entity is None:
        raise EntityProblem(
            f"ไม่พบรายการรหัส {uuid} ใน {entity_list.name} / Entity {uuid} not found in {entity_list.name}.",
            not_found=True,
        )
    if entity.deleted_at is not None:
        raise EntityProblem(f"รายการ {uuid} ถูกลบแล้ว / Entity {uuid} has been deleted.")
    if base_version is None:
        raise EntityProblem("การแก้ไขต้องมี baseVersion / An update needs a baseVersion.", not_found=True)
    if branch_id is None:
        base = _version(session, entity, version=base_version)
    elif base_version == 1:
        base = _version(session, entity, version=1)
    elif base_version == trunk_version:  # the first update of an offline branch
        base = _version(session, entity, version=base_version)
    else:  # later in an offline branch: the branch's own previous update
        base = _version(session, entity, branch_id=branch_id, branch_base_version=base_version - 1)
        if base is None:
            raise Held()
    if base is None:
        raise EntityProblem(
            f"ไม่พบรุ่น {base_version} ของรายการ {uuid} / Version {base_version} of entity {uuid} not found."
        )
    if trunk_version is not None and trunk_version > entity.version:
        raise EntityProblem(
            f"ไม่พบรุ่น trunkVersion={trunk_version} / trunkVersion {trunk_version} of entity {uuid} not found."
        )
    current = _version(session, entity, version=entity.version)
    assert current is not None
    received = dict(block.data)
    label = block.label if block.label and block.label.strip() else None
    if label is not None:
        received["label"] = label
    conflict, props = entity.conflict, None
    if base.version != current.version:
        changes = changed_since(current, base)
        props = conflicting(received, changes)
        conflict = conflict_of(received, changes, entity.conflict)
    elif branch_id is not None and _interrupted(session, entity, branch_id, trunk_version) and conflict != HARD:
        conflict = SOFT
    return new_version(
        session,
        entity,
        label=label or current.label,
        data={**current.data, **block.data},
        received=received,
        source=SOURCE_SUBMISSION,
        base_version=base.version,
        conflict=conflict,
        conflicting_properties=props,
        creator_id=ref.submitter_id,
        ref=ref,
        branch=(branch_id, trunk_version, base_version if branch_id else None),
    )


def _interrupted(session: Session, entity: Entity, branch_id: str, trunk_version: int | None) -> bool:
    """Another device's (or the server's) version came in after the branch's trunk version."""
    found = session.scalar(
        select(EntityVersion.id)
        .where(
            EntityVersion.entity_id == entity.id,
            EntityVersion.version > (trunk_version or 1),
            (EntityVersion.branch_id != branch_id) | EntityVersion.branch_id.is_(None),
        )
        .limit(1)
    )
    return found is not None


def _apply_block(
    session: Session, project_id: int, block: EntityBlock, ref: SubmissionRef
) -> tuple[str, EntityVersion | None]:
    name = block.system.get("dataset")
    if not name or not name.strip():
        raise EntityProblem("ไม่ได้ระบุรายการ (dataset) / The entity block names no dataset.")
    entity_list = find_list(session, project_id, name)
    if entity_list is None:
        raise EntityProblem(f"ไม่พบรายการ {name} / Entity list {name!r} not found.")
    allowed = permitted_actions(session, entity_list.id, ref.form_version_id)
    for action in ("create", "update"):
        if is_true(block.system.get(action)) and action not in allowed:
            raise EntityProblem(
                f"แบบฟอร์มนี้ไม่ได้ประกาศการ {action} / This form version does not declare {action!r}"
                f" for {name} (it declares {', '.join(allowed) or 'nothing'})."
            )
    if is_true(block.system.get("update")):
        try:
            return UPDATED, _update(session, entity_list, block, ref)
        except EntityProblem as problem:
            if not (problem.not_found and is_true(block.system.get("create"))):
                raise
        _check_approval(session, entity_list, ref)
        return CREATED, _create(session, entity_list, block, ref)
    if is_true(block.system.get("create")):
        _check_approval(session, entity_list, ref)
        return CREATED, _create(session, entity_list, block, ref)
    return SKIPPED, None


def _block_json(block: EntityBlock) -> dict[str, Any]:
    return {"ordinal": block.ordinal, "system": block.system, "label": block.label, "data": block.data}


def _block_from(row: dict[str, Any]) -> EntityBlock:
    return EntityBlock(ordinal=row["ordinal"], system=row["system"], label=row["label"], data=row["data"])


def _outcome(
    session: Session, ref: SubmissionRef, project_id: int, block: EntityBlock, row: EntitySubmission
) -> int | None:
    """Apply one block and fill its outcome row; returns the list id it changed (or None)."""
    row.entity_list_name = (block.system.get("dataset") or "")[:255] or None
    raw_id = block.system.get("id") or ""
    row.entity_uuid = normalise_uuid(raw_id) if _UUID.match(raw_id.strip()) else None
    try:
        outcome, version = _apply_block(session, project_id, block, ref)
    except Held:
        row.outcome, row.block = HELD, _block_json(block)
        row.message = "รอรุ่นก่อนหน้าจากเครื่องเดียวกัน / Waiting for the earlier offline update."
        return None
    except AwaitingApproval:
        row.outcome, row.block = PENDING, _block_json(block)
        row.message = "รอการอนุมัติข้อมูลที่ส่ง / Waiting for the submission to be approved."
        return None
    except EntityProblem as problem:
        row.outcome, row.message, row.block = ERROR, problem.message, None
        return None
    row.outcome, row.message, row.block = outcome, None, None
    row.entity_version_id = version.id if version is not None else None
    if version is None:
        return None
    entity = session.get(Entity, version.entity_id)
    return entity.entity_list_id if entity is not None else None


def apply_submission_entities(session: Session, ref: SubmissionRef, blocks: list[EntityBlock]) -> list[str]:
    """Create or update the entities of one processed submission version in the caller's transaction.
    Idempotent: a version (or an earlier version of the same submission) that already made or changed
    an entity is left alone; earlier errors and skips are tried again. Returns the outcomes."""
    if not blocks:
        return []
    done = session.scalar(
        select(EntitySubmission.id)
        .where(EntitySubmission.submission_id == ref.submission_id, EntitySubmission.outcome.in_(APPLIED))
        .limit(1)
    )
    if done is not None:
        return []
    session.execute(delete(EntitySubmission).where(EntitySubmission.submission_version_id == ref.version_id))
    # A create still waiting for approval from an earlier version gives way to this version's.
    session.execute(
        update(EntitySubmission)
        .where(
            EntitySubmission.submission_id == ref.submission_id,
            EntitySubmission.submission_version_id < ref.version_id,
            EntitySubmission.outcome == PENDING,
        )
        .values(outcome=SKIPPED, block=None, message=_SUPERSEDED),
        execution_options={"synchronize_session": False},
    )
    form = session.get(Form, ref.form_id)
    if form is None:
        return []
    touched: set[int] = set()
    outcomes: list[str] = []
    for block in blocks:
        row = EntitySubmission(
            submission_version_id=ref.version_id,
            submission_id=ref.submission_id,
            ordinal=block.ordinal,
            outcome=SKIPPED,
        )
        changed = _outcome(session, ref, form.project_id, block, row)
        session.add(row)
        session.flush()
        outcomes.append(row.outcome)
        if changed is not None:
            touched.add(changed)
            touched |= _release_held(session, form.project_id, row.entity_uuid)
    touch_lists(session, touched)
    return outcomes


def retry_stored(session: Session, row: EntitySubmission, project_id: int) -> set[int]:
    """Apply a stored (held or pending) block again in the caller's transaction; returns the ids of
    the lists it changed, with those of the held offline updates it released."""
    sv = session.get(SubmissionVersion, row.submission_version_id)
    if sv is None or row.block is None:
        return set()
    ref = SubmissionRef(sv.id, sv.submission_id, sv.form_id, sv.form_version_id, sv.submitter_id)
    changed = _outcome(session, ref, project_id, _block_from(row.block), row)
    session.flush()
    if changed is None:
        return set()
    return {changed} | _release_held(session, project_id, row.entity_uuid)


def _release_held(session: Session, project_id: int, uuid: str | None) -> set[int]:
    """Apply offline updates of this entity that were waiting, as long as one more can be applied."""
    touched: set[int] = set()
    while uuid is not None:
        held = list(
            session.scalars(
                select(EntitySubmission)
                .where(EntitySubmission.entity_uuid == uuid, EntitySubmission.outcome == HELD)
                .order_by(EntitySubmission.submission_version_id)
            )
        )
        progressed = False
        for row in held:
            sv = session.get(SubmissionVersion, row.submission_version_id)
            if sv is None or row.block is None:
                continue
            ref = SubmissionRef(sv.id, sv.submission_id, sv.form_id, sv.form_version_id, sv.submitter_id)
            changed = _outcome(session, ref, project_id, _block_from(row.block), row)
            if changed is not None:
                touched.add(changed)
                progressed = True
        session.flush()
        if not progressed:
            break
    return touched
