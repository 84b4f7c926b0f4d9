"""Entities made and changed by people (the API, a CSV upload): create one or many, update against a
base version (or forced), resolve a conflict, delete; and reading an entity with its versions."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.entities.lists import property_names, touch_lists
from server.core.entities.processing import EntityProblem, new_version, normalise_uuid
from server.core.ground.errors import BadRequest, Conflict, NotFound
from server.core.models import AuditEvent, Entity, EntityList, EntitySubmission, EntityVersion, utcnow
from server.core.models.entities import SOURCE_API

MAX_LABEL = 10_000
MAX_VALUE = 100_000
_BODY_KEYS = ("label", "uuid", "data")


def _bad(message: str, **details: Any) -> BadRequest:
    return BadRequest(message, **details)


def checked_entity(
    body: Any, props: list[str], *, existing: Entity | None = None
) -> tuple[str, str, dict[str, str], dict[str, str]]:
    """(uuid, label, merged data, data received) from an API body, with Central's rules: only label,
    uuid and data; a label that is not blank; values are strings of known properties."""
    if not isinstance(body, dict):
        raise _bad("ต้องส่งข้อมูลเป็น JSON object / Each entity must be a JSON object.")
    unexpected = [k for k in body if k not in _BODY_KEYS]
    if unexpected:
        raise _bad(
            f"มีช่องที่ไม่รู้จัก {', '.join(unexpected)} / Unexpected members {unexpected}; expected label, uuid, data.",
            expected=list(_BODY_KEYS),
        )
    if existing is not None:
        entity_uuid = existing.uuid
    elif body.get("uuid") is None:
        entity_uuid = str(uuidlib.uuid4())
    else:
        try:
            entity_uuid = normalise_uuid(body["uuid"])
        except EntityProblem as problem:
            raise _bad(problem.message, field="uuid") from problem
    label = body.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL):
        raise _bad("label ต้องเป็นข้อความที่ไม่ว่าง / label must be a non-blank string.", field="label")
    if label is None and existing is None:
        raise _bad("ต้องระบุ label / The field 'label' is required.", field="label")
    data = body.get("data")
    if data is None and label is None:
        raise _bad("ไม่มี data หรือ label / No entity data or label provided.")
    if data is not None and not isinstance(data, dict):
        raise _bad("data ต้องเป็น object / data must be a JSON object.", field="data")
    received: dict[str, str] = {}
    for key, value in (data or {}).items():
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            raise _bad(f"ค่าของ {key} ต้องเป็นข้อความ / The value of {key!r} must be a string.", field=key)
        if key not in props:
            raise _bad(
                f"รายการนี้ไม่มีคุณสมบัติ {key} / The entity list has no property {key!r}.", field=key
            )
        received[key] = value
    merged = {**(existing.data if existing is not None else {}), **received}
    final_label = label if label is not None else (existing.label if existing is not None else "")
    if label is not None:
        received = {**received, "label": label}
    return entity_uuid, final_label, merged, received


def _uuid_taken(session: Session, entity_list: EntityList, uuids: Iterable[str]) -> list[str]:
    wanted = list(uuids)
    if not wanted:
        return []
    return list(
        session.scalars(
            select(Entity.uuid).where(Entity.entity_list_id == entity_list.id, Entity.uuid.in_(wanted))
        )
    )


def create_entities(
    session: Session,
    entity_list: EntityList,
    bodies: list[Any],
    *,
    user_id: int | None,
    user_agent: str | None = None,
    source: str = SOURCE_API,
    source_name: str | None = None,
) -> list[Entity]:
    """Create every entity or none (a bad one refuses the whole request before anything is written)."""
    props = property_names(session, entity_list)
    checked = [checked_entity(body, props) for body in bodies]
    uuids = [c[0] for c in checked]
    duplicates = sorted({u for u in uuids if uuids.count(u) > 1}) if len(set(uuids)) != len(uuids) else []
    taken = duplicates or _uuid_taken(session, entity_list, uuids)
    if taken:
        raise Conflict(
            f"มีรายการรหัสนี้อยู่แล้ว / An entity with uuid {taken[0]} already exists.", uuid=taken[0]
        )
    made = []
    for entity_uuid, label, data, received in checked:
        entity = Entity(
            entity_list_id=entity_list.id, uuid=entity_uuid, label=label, data=data, version=0, creator_id=user_id
        )
        session.add(entity)
        session.flush()
        new_version(
            session,
            entity,
            label=label,
            data=data,
            received=received,
            source=source,
            source_name=source_name,
            base_version=None,
            conflict=None,
            creator_id=user_id,
            user_agent=user_agent,
        )
        made.append(entity)
    touch_lists(session, [entity_list.id])
    session.add(
        AuditEvent(
            actor_id=user_id,
            action="entity.bulk.create" if len(made) != 1 else "entity.create",
            target=f"dataset:{entity_list.project_id}/{entity_list.name}",
            details={"count": len(made), "source": source_name},
        )
    )
    session.flush()
    return made


def get_entity(session: Session, entity_list: EntityList, entity_uuid: str, *, deleted: bool = False) -> Entity:
    entity = session.scalar(
        select(Entity).where(Entity.entity_list_id == entity_list.id, Entity.uuid == entity_uuid.lower())
    )
    if entity is None or (entity.deleted_at is not None and not deleted):
        raise NotFound(f"ไม่พบรายการ {entity_uuid} / Entity {entity_uuid!r} not found.", uuid=entity_uuid)
    return entity


def current_version(session: Session, entity: Entity) -> EntityVersion:
    found = session.scalar(
        select(EntityVersion).where(EntityVersion.entity_id == entity.id, EntityVersion.version == entity.version)
    )
    assert found is not None
    return found


def current_versions(session: Session, entities: list[Entity]) -> dict[int, EntityVersion]:
    """Each entity's current version, in one query per page of entities."""
    found: dict[int, EntityVersion] = {}
    wanted = {e.id: e.version for e in entities}
    ids = list(wanted)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for version in session.scalars(select(EntityVersion).where(EntityVersion.entity_id.in_(chunk))):
            if wanted[version.entity_id] == version.version:
                found[version.entity_id] = version
    return found


def versions_of(session: Session, entity: Entity) -> list[EntityVersion]:
    return list(
        session.scalars(select(EntityVersion).where(EntityVersion.entity_id == entity.id).order_by(EntityVersion.version))
    )


def list_entities(session: Session, entity_list: EntityList, *, deleted: bool = False) -> list[Entity]:
    query = select(Entity).where(Entity.entity_list_id == entity_list.id)
    query = query.where(Entity.deleted_at.is_not(None) if deleted else Entity.deleted_at.is_(None))
    return list(session.scalars(query.order_by(Entity.id)))


def update_entity(
    session: Session,
    entity_list: EntityList,
    entity_uuid: str,
    body: Any,
    *,
    base_version: int | None,
    force: bool = False,
    resolve: bool = False,
    user_id: int | None = None,
    user_agent: str | None = None,
) -> Entity:
    """Central's PATCH: `baseVersion` must be the current version (409 otherwise) unless forced;
    with `resolve` the entity's conflict is cleared (a body with label or data also makes a version)."""
    entity = get_entity(session, entity_list, entity_uuid)
    if resolve and entity.conflict is None:
        raise BadRequest(
            "รายการนี้ไม่มีความขัดแย้ง / The entity has no conflict to resolve.", uuid=entity.uuid
        )
    if not force and base_version is None and not resolve:
        raise BadRequest(
            "ต้องระบุ baseVersion หรือ force=true / Send ?baseVersion=N or ?force=true.", field="baseVersion"
        )
    if base_version is not None and not force and base_version != entity.version:
        raise Conflict(
            f"รายการถูกแก้ไขไปแล้ว (รุ่นปัจจุบัน {entity.version}) / The entity was changed since version"
            f" {base_version}: its current version is {entity.version}.",
            current=entity.version,
        )
    has_change = isinstance(body, dict) and (body.get("label") is not None or body.get("data") is not None)
    if has_change or not resolve:
        _uuid, label, data, received = checked_entity(body, property_names(session, entity_list), existing=entity)
        base = entity.version
        new_version(
            session,
            entity,
            label=label,
            data=data,
            received=received,
            source=SOURCE_API,
            base_version=base,
            conflict=None if resolve else entity.conflict,
            creator_id=user_id,
            user_agent=user_agent,
        )
    if resolve:
        entity.conflict = None
        session.add(
            AuditEvent(
                actor_id=user_id,
                action="entity.update.resolve",
                target=f"entity:{entity.uuid}",
                details={"version": entity.version},
            )
        )
    entity.updated_at = utcnow()
    touch_lists(session, [entity_list.id])
    session.flush()
    return entity


def delete_entity(session: Session, entity_list: EntityList, entity_uuid: str, *, user_id: int | None) -> None:
    entity = get_entity(session, entity_list, entity_uuid)
    entity.deleted_at = utcnow()
    touch_lists(session, [entity_list.id])
    session.add(
        AuditEvent(actor_id=user_id, action="entity.delete", target=f"entity:{entity.uuid}", details={})
    )
    session.flush()


def touching_submissions(session: Session, entity: Entity) -> list[EntitySubmission]:
    """Every processed submission block that named this entity (applied, held or failed)."""
    return list(
        session.scalars(
            select(EntitySubmission)
            .where(EntitySubmission.entity_uuid == entity.uuid)
            .order_by(EntitySubmission.submission_version_id)
        )
    )
