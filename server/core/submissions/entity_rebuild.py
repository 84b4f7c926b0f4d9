"""Rebuild a project's entity lists from scratch (`chumchon reprocess --rebuild-entities`): every
entity and version is deleted and the history is replayed in the order it was first written —
each submission version's entity blocks parsed again from its stored XML, each version made through
the API or a CSV upload applied again as it was received. Conflicts marked resolved and deletions are
applied again afterwards; timestamps of versions that come out the same are kept. One transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.core.entities.declarations import entity_blocks
from server.core.entities.lists import list_lists, touch_lists
from server.core.entities.processing import SubmissionRef, apply_submission_entities, new_version
from server.core.ground.storage import BlobStore
from server.core.models import (
    AuditEvent,
    Entity,
    EntityListForm,
    EntitySubmission,
    EntityVersion,
    Form,
    FormVersion,
    Submission,
    SubmissionVersion,
)
from server.core.models.submissions import PROCESSED
from server.core.submissions.xmlsafe import parse_xml


@dataclass(frozen=True)
class _Old:
    """One version as it was, with what its entity looked like (read before anything is deleted)."""

    list_id: int
    uuid: str
    version: int
    label: str
    data: dict[str, Any]
    received: dict[str, Any]
    source: str
    source_name: str | None
    submission_version_id: int | None
    conflict: str | None
    creator_id: int | None
    user_agent: str | None
    created_at: datetime


@dataclass(frozen=True)
class RebuildCounts:
    entities_before: int
    entities_after: int
    versions_before: int
    versions_after: int
    submissions: int
    failed: int


@dataclass(frozen=True)
class _Was:
    creator_id: int | None
    created_at: datetime
    deleted_at: datetime | None


def _old_history(session: Session, list_ids: list[int]) -> tuple[list[_Old], dict[str, _Was]]:
    rows = session.execute(
        select(EntityVersion, Entity.entity_list_id, Entity.uuid)
        .join(Entity, Entity.id == EntityVersion.entity_id)
        .where(Entity.entity_list_id.in_(list_ids))
        .order_by(EntityVersion.id)
    ).all()
    history = [
        _Old(
            list_id, uuid, v.version, v.label, dict(v.data), dict(v.data_received), v.source, v.source_name,
            v.submission_version_id, v.conflict, v.creator_id, v.user_agent, v.created_at,
        )
        for v, list_id, uuid in rows
    ]
    entities = {
        e.uuid: _Was(e.creator_id, e.created_at, e.deleted_at)
        for e in session.scalars(select(Entity).where(Entity.entity_list_id.in_(list_ids)))
    }
    return history, entities


def _replay_submission(session: Session, blobs: BlobStore, version_id: int) -> bool:
    version = session.get(SubmissionVersion, version_id)
    form_version = session.get(FormVersion, version.form_version_id) if version is not None else None
    if version is None or form_version is None:
        return False
    try:
        xml = version.xml if version.xml is not None else blobs.read_bytes(version.xml_sha256)
        blocks = entity_blocks(parse_xml(xml, max_bytes=1 << 30), form_version.field_schema.get("entities"))
    except Exception:  # noqa: BLE001  # processing marked it failed the first time too
        return False
    ref = SubmissionRef(version.id, version.submission_id, version.form_id, version.form_version_id, version.submitter_id)
    apply_submission_entities(session, ref, blocks)
    return True


def _replay_by_hand(session: Session, old: _Old, before: _Was | None) -> None:
    """A version made through the API or an upload, applied again onto the rebuilt entity."""
    entity = session.scalar(select(Entity).where(Entity.entity_list_id == old.list_id, Entity.uuid == old.uuid))
    if entity is None:
        entity = Entity(
            entity_list_id=old.list_id,
            uuid=old.uuid,
            label=old.label,
            data=dict(old.data),
            version=0,
            creator_id=before.creator_id if before is not None else old.creator_id,
        )
        session.add(entity)
        session.flush()
        label, data, base, conflict = old.label, dict(old.data), None, None
    else:
        received = {k: v for k, v in old.received.items() if k != "label"}
        label = old.received.get("label") or entity.label
        data = {**entity.data, **received}
        base = entity.version
        conflict = None if old.conflict is None else entity.conflict  # None: resolved with this edit
    new_version(
        session, entity, label=label, data=data, received=dict(old.received), source=old.source,
        source_name=old.source_name, base_version=base, conflict=conflict, creator_id=old.creator_id,
        user_agent=old.user_agent, created_at=old.created_at,
    )  # fmt: skip


def _resolved_versions(session: Session, uuids: list[str]) -> dict[str, int]:
    """The last version at which each entity's conflict was marked resolved."""
    found: dict[str, int] = {}
    targets = [f"entity:{u}" for u in uuids]
    for start in range(0, len(targets), 1000):
        for target, details in session.execute(
            select(AuditEvent.target, AuditEvent.details).where(
                AuditEvent.action == "entity.update.resolve", AuditEvent.target.in_(targets[start : start + 1000])
            )
        ):
            uuid = (target or "").split(":", 1)[-1]
            found[uuid] = max(found.get(uuid, 0), int((details or {}).get("version") or 0))
    return found


def _restore(session: Session, list_ids: list[int], history: list[_Old], before: dict[str, _Was],
             resolved: dict[str, int]) -> None:  # fmt: skip
    old_versions = {(o.uuid, o.version): o for o in history}
    for entity in session.scalars(select(Entity).where(Entity.entity_list_id.in_(list_ids))):
        was = before.get(entity.uuid)
        if was is not None:
            entity.created_at, entity.deleted_at = was.created_at, was.deleted_at
        versions = list(session.scalars(select(EntityVersion).where(EntityVersion.entity_id == entity.id)))
        for v in versions:
            old = old_versions.get((entity.uuid, v.version))
            if old is not None and (old.source, old.submission_version_id) == (v.source, v.submission_version_id):
                v.created_at = old.created_at
        at = resolved.get(entity.uuid)
        if at is not None and entity.conflict is not None:
            if not any(v.conflict is not None and v.version > at for v in versions):
                entity.conflict = None


def rebuild_entities(session: Session, blobs: BlobStore, project_id: int) -> RebuildCounts:
    """Delete the project's entities, versions and submission outcomes and replay them; the caller
    commits. Entities made through the API or a CSV upload come back with their uuids and versions."""
    list_ids = [entity_list.id for entity_list in list_lists(session, project_id)]
    if not list_ids:
        return RebuildCounts(0, 0, 0, 0, 0, 0)
    history, before = _old_history(session, list_ids)
    resolved = _resolved_versions(session, list(before))
    submission_ids = select(Submission.id).join(Form, Form.id == Submission.form_id).where(
        Form.project_id == project_id
    )
    touched_versions = set(
        session.scalars(
            select(EntitySubmission.submission_version_id).where(EntitySubmission.submission_id.in_(submission_ids))
        )
    )
    # And every processed version of a form version that declares one of the lists (rows may be lost).
    touched_versions |= set(
        session.scalars(
            select(SubmissionVersion.id).where(
                SubmissionVersion.processing_state == PROCESSED,
                SubmissionVersion.form_version_id.in_(
                    select(EntityListForm.form_version_id).where(EntityListForm.entity_list_id.in_(list_ids))
                ),
            )
        )
    )
    session.execute(delete(EntitySubmission).where(EntitySubmission.submission_id.in_(submission_ids)))
    entity_ids = select(Entity.id).where(Entity.entity_list_id.in_(list_ids))
    session.execute(delete(EntityVersion).where(EntityVersion.entity_id.in_(entity_ids)))
    session.execute(delete(Entity).where(Entity.entity_list_id.in_(list_ids)))
    session.expunge_all()
    replayed: set[int] = set()
    failed = 0
    for old in history:
        if old.submission_version_id is None:
            _replay_by_hand(session, old, before.get(old.uuid))
        elif old.submission_version_id not in replayed:
            replayed.add(old.submission_version_id)
            failed += not _replay_submission(session, blobs, old.submission_version_id)
    # Versions whose blocks made nothing (errors, held, waiting for approval), in arrival order.
    for version_id in sorted(touched_versions - replayed):
        replayed.add(version_id)
        failed += not _replay_submission(session, blobs, version_id)
    session.flush()
    _restore(session, list_ids, history, before, resolved)
    touch_lists(session, list_ids)
    session.flush()
    after_entities = len(list(session.scalars(select(Entity.id).where(Entity.entity_list_id.in_(list_ids)))))
    after_versions = len(list(session.scalars(select(EntityVersion.id).where(EntityVersion.entity_id.in_(entity_ids)))))
    return RebuildCounts(len(before), after_entities, len(history), after_versions, len(replayed), failed)
