"""Entity lists (ODK "datasets") of a project, their properties, entities and every entity version,
and the link from each processed submission version to what it did to an entity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base, JSONType, UTCDateTime, utcnow

# Where an entity version came from.
SOURCE_SUBMISSION, SOURCE_API, SOURCE_UPLOAD = "submission", "api", "upload"
# Conflict kinds, as ODK Central: soft = made against an old version without touching what changed
# since; hard = it also changed a property (or the label) that changed since its base version.
SOFT, HARD = "soft", "hard"


class EntityList(Base):
    """A named list of entities in a project (Central: dataset); forms create, update and read it."""

    __tablename__ = "entity_list"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    approval_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Raised once per transaction that changes any entity of the list: the served CSV's md5 comes from
    # it, so a manifest never hashes the whole list.
    list_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EntityProperty(Base):
    """A property of a list, with the form version that first saved to it (None: made by the API)."""

    __tablename__ = "entity_property"
    __table_args__ = (UniqueConstraint("entity_list_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_list_id: Mapped[int] = mapped_column(ForeignKey("entity_list.id"))
    name: Mapped[str] = mapped_column(String(255))
    form_version_id: Mapped[int | None] = mapped_column(ForeignKey("form_version.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EntityListForm(Base):
    """A form version that declares the list, and what it may do to it ("create", "update")."""

    __tablename__ = "entity_list_form"
    __table_args__ = (UniqueConstraint("entity_list_id", "form_version_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_list_id: Mapped[int] = mapped_column(ForeignKey("entity_list.id"))
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_version.id"), index=True)
    actions: Mapped[list[str]] = mapped_column(JSONType)


class Entity(Base):
    """One entity: its uuid, and a copy of its current version (label, data) for fast lists."""

    __tablename__ = "entity"
    __table_args__ = (
        UniqueConstraint("entity_list_id", "uuid"),
        Index("ix_entity_list_live", "entity_list_id", "deleted_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_list_id: Mapped[int] = mapped_column(ForeignKey("entity_list.id"))
    uuid: Mapped[str] = mapped_column(String(36))
    label: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer, default=1)
    conflict: Mapped[str | None] = mapped_column(String(8))
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EntityVersion(Base):
    """Every version of an entity, never changed afterwards (except `resolved` marks)."""

    __tablename__ = "entity_version"
    __table_args__ = (UniqueConstraint("entity_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entity.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # What this version's source sent (properties and label), before merging into the previous data.
    data_received: Mapped[dict[str, Any]] = mapped_column(JSONType)
    source: Mapped[str] = mapped_column(String(16))
    source_name: Mapped[str | None] = mapped_column(String(255))  # an uploaded file's name
    submission_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission_version.id"), index=True
    )
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), index=True)
    base_version: Mapped[int | None] = mapped_column(Integer)
    trunk_version: Mapped[int | None] = mapped_column(Integer)
    branch_id: Mapped[str | None] = mapped_column(String(36))
    branch_base_version: Mapped[int | None] = mapped_column(Integer)
    conflict: Mapped[str | None] = mapped_column(String(8))
    conflicting_properties: Mapped[list[str] | None] = mapped_column(JSONType)
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EntitySubmission(Base):
    """What processing did with one entity block of a submission version: created / updated an
    entity, skipped it (no create/update asked), held it (an offline update waiting for its base) or
    an error a person can read. The row makes processing idempotent."""

    __tablename__ = "entity_submission"
    __table_args__ = (UniqueConstraint("submission_version_id", "ordinal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_version_id: Mapped[int] = mapped_column(ForeignKey("submission_version.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    entity_list_name: Mapped[str | None] = mapped_column(String(255))
    entity_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    entity_version_id: Mapped[int | None] = mapped_column(ForeignKey("entity_version.id"))
    message: Mapped[str | None] = mapped_column(Text)
    # A held block as it was read (system attributes, label, data), to apply once its base arrives.
    block: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
