"""Entity lists and their properties: made by publishing a form that declares them, or by the API."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.core.accounts import projects
from server.core.ground.errors import BadRequest, Conflict, NotFound
from server.core.models import (
    AuditEvent,
    Entity,
    EntityList,
    EntityListForm,
    EntityProperty,
    Form,
    FormVersion,
    utcnow,
)

# A valid XML name without a period (ODK's rule for list and property names), at most 255 characters.
_NAME = re.compile(r"^[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_\-\u00B7\u00C0-\uFFFF]{0,254}$")
_RESERVED_PROPERTIES = {"name", "label"}


def check_list_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or name.startswith("__"):
        raise BadRequest(
            f"ชื่อรายการไม่ถูกต้อง {name!r} (ตัวอักษร ตัวเลข _ - ห้ามมีจุด ห้ามขึ้นต้นด้วย __) / "
            f"Invalid entity list name {name!r}: letters, digits, '_' and '-', no period, not starting"
            " with '__'.",
            field="name",
        )
    return name


def check_property_name(name: Any) -> str:
    if (
        not isinstance(name, str)
        or not _NAME.match(name)
        or name.startswith("__")
        or name.lower() in _RESERVED_PROPERTIES
    ):
        raise BadRequest(
            f"ชื่อคุณสมบัติไม่ถูกต้อง {name!r} / Invalid property name {name!r}: a valid XML name"
            " without a period, not 'name' or 'label', not starting with '__'.",
            field="name",
        )
    return name


def find_list(session: Session, project_id: int, name: str) -> EntityList | None:
    return session.scalar(select(EntityList).where(EntityList.project_id == project_id, EntityList.name == name))


def get_list(session: Session, project_id: int, name: str) -> EntityList:
    found = find_list(session, project_id, name)
    if found is None:
        raise NotFound(
            f"ไม่พบรายการ {name} / Entity list {name!r} not found in project {project_id}.",
            name=name,
            project_id=project_id,
        )
    return found


def list_lists(session: Session, project_id: int) -> list[EntityList]:
    return list(session.scalars(select(EntityList).where(EntityList.project_id == project_id).order_by(EntityList.name)))


def properties_of(session: Session, entity_list: EntityList) -> list[EntityProperty]:
    """In the order they were made: the order of the served CSV's columns."""
    return list(
        session.scalars(
            select(EntityProperty)
            .where(EntityProperty.entity_list_id == entity_list.id)
            .order_by(EntityProperty.id)
        )
    )


def property_names(session: Session, entity_list: EntityList) -> list[str]:
    return [p.name for p in properties_of(session, entity_list)]


def create_list(
    session: Session, project_id: int, name: str, *, user_id: int | None = None, approval_required: bool = False
) -> EntityList:
    projects.get_project(session, project_id)
    check_list_name(name)
    if find_list(session, project_id, name) is not None:
        raise Conflict(
            f"มีรายการชื่อ {name} อยู่แล้ว / An entity list named {name!r} already exists.", name=name
        )
    entity_list = EntityList(project_id=project_id, name=name, approval_required=approval_required)
    session.add(entity_list)
    session.flush()
    session.add(
        AuditEvent(
            actor_id=user_id,
            action="dataset.create",
            target=f"dataset:{project_id}/{name}",
            details={"name": name},
        )
    )
    return entity_list


def add_property(
    session: Session, entity_list: EntityList, name: str, *, form_version_id: int | None = None
) -> EntityProperty:
    check_property_name(name)
    existing = session.scalar(
        select(EntityProperty).where(
            EntityProperty.entity_list_id == entity_list.id, EntityProperty.name == name
        )
    )
    if existing is not None:
        if form_version_id is None:
            raise Conflict(
                f"รายการ {entity_list.name} มีคุณสมบัติ {name} อยู่แล้ว / The list already has a property"
                f" named {name!r}.",
                name=name,
            )
        return existing
    prop = EntityProperty(entity_list_id=entity_list.id, name=name, form_version_id=form_version_id)
    session.add(prop)
    session.flush()
    touch_lists(session, [entity_list.id])  # a new column changes the served CSV
    return prop


def declare_lists(
    session: Session, project_id: int, form_version: FormVersion, declarations: dict[str, Any] | None
) -> list[EntityList]:
    """At publish: make each declared list (if new), add the properties this version saves to, and
    record what the version may do (create / update). A list's existing properties are kept."""
    made: list[EntityList] = []
    for declaration in (declarations or {}).get("lists", []):
        name = check_list_name(declaration["dataset"])
        entity_list = find_list(session, project_id, name)
        if entity_list is None:
            entity_list = EntityList(project_id=project_id, name=name)
            session.add(entity_list)
            session.flush()
        # "order" is missing from schemas stored before it existed.
        for prop in declaration.get("order") or declaration["properties"]:
            add_property(session, entity_list, prop, form_version_id=form_version.id)
        session.add(
            EntityListForm(
                entity_list_id=entity_list.id,
                form_version_id=form_version.id,
                actions=list(declaration["actions"]),
            )
        )
        made.append(entity_list)
    session.flush()
    return made


def permitted_actions(session: Session, entity_list_id: int, form_version_id: int) -> list[str]:
    actions = session.scalar(
        select(EntityListForm.actions).where(
            EntityListForm.entity_list_id == entity_list_id,
            EntityListForm.form_version_id == form_version_id,
        )
    )
    return list(actions or [])


def touch_lists(session: Session, list_ids: list[int] | set[int]) -> None:
    """Raise the lists' version: their served CSV's md5 changes (once per transaction is enough)."""
    if list_ids:
        session.execute(
            update(EntityList)
            .where(EntityList.id.in_(list(list_ids)))
            .values(list_version=EntityList.list_version + 1, updated_at=utcnow()),
            execution_options={"synchronize_session": False},
        )


def list_md5(entity_list: EntityList) -> str:
    """The served CSV's hash as the manifest announces it: it changes exactly when the list does."""
    key = f"entity-list:{entity_list.id}:{entity_list.list_version}"
    return hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class ListSummary:
    entity_list: EntityList
    entities: int
    properties: list[EntityProperty]
    forms: list[dict[str, Any]]


def summarise(session: Session, entity_list: EntityList) -> ListSummary:
    count = session.scalar(
        select(func.count())
        .select_from(Entity)
        .where(Entity.entity_list_id == entity_list.id, Entity.deleted_at.is_(None))
    )
    forms = [
        {"xmlFormId": xml_form_id, "version": version, "actions": actions}
        for xml_form_id, version, actions in session.execute(
            select(Form.xml_form_id, FormVersion.version, EntityListForm.actions)
            .join(FormVersion, FormVersion.id == EntityListForm.form_version_id)
            .join(Form, Form.id == FormVersion.form_id)
            .where(EntityListForm.entity_list_id == entity_list.id)
            .order_by(EntityListForm.id)
        )
    ]
    return ListSummary(entity_list, int(count or 0), properties_of(session, entity_list), forms)
