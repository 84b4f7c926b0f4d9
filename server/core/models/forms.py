"""Projects, forms, immutable form versions and their media files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.core.models.base import Base, JSONType, UTCDateTime, utcnow


class Project(Base):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # HMAC key for pseudonymised exports (PDPA): made on first use, never exported or shown.
    pseudonym_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by DELETE /v1/projects/ID (as ODK Central): the project then answers 404 everywhere.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    forms: Mapped[list[Form]] = relationship(back_populates="project")


class Form(Base):
    """A form as Collect knows it (one xmlFormId in a project); its content lives in versions."""

    __tablename__ = "form"
    __table_args__ = (UniqueConstraint("project_id", "xml_form_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    xml_form_id: Mapped[str] = mapped_column(String(255))
    # open: listed and accepting; closed: hidden from formList and refusing submissions.
    state: Mapped[str] = mapped_column(String(16), default="open")
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("form_version.id", use_alter=True, name="fk_form_current_version_id_form_version")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set by DELETE …/forms/ID (as ODK Central): the form is in the trash until restored.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A draft's test submissions live under a hidden twin of the form (server.core.forms.draft_testing):
    # the twin has no versions and points here at the real form, so no list, export or feed of the
    # real form ever sees them.
    draft_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("form.id", name="fk_form_draft_of_id_form"), index=True
    )

    project: Mapped[Project] = relationship(back_populates="forms")
    versions: Mapped[list[FormVersion]] = relationship(
        back_populates="form", foreign_keys="FormVersion.form_id", order_by="FormVersion.id"
    )
    current_version: Mapped[FormVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class FormVersion(Base):
    """One published version: never changed after publishing, except for its media files.

    A form's draft (ODK Central's) is a row with draft_token set: its real version string waits in
    draft_version (it may equal a published one until it is published) and `version` holds a
    placeholder that no submission can name; drafts are never listed, served or submitted to."""

    __tablename__ = "form_version"
    __table_args__ = (UniqueConstraint("form_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id"), index=True)
    version: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(Text)
    source_filename: Mapped[str | None] = mapped_column(String(255))
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    xform_sha256: Mapped[str] = mapped_column(String(64))
    xform_md5: Mapped[str] = mapped_column(String(32))
    # Field schema extracted once at publish (see server.core.forms.schema); drives processing and exports.
    field_schema: Mapped[dict[str, Any]] = mapped_column(JSONType)
    warnings: Mapped[list[str]] = mapped_column(JSONType, default=list)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    draft_token: Mapped[str | None] = mapped_column(String(64))
    draft_version: Mapped[str | None] = mapped_column(String(255))

    form: Mapped[Form] = relationship(back_populates="versions", foreign_keys=[form_id])
    media: Mapped[list[FormMedia]] = relationship(back_populates="form_version", order_by="FormMedia.name")


class FormMedia(Base):
    """A file a form version references (image, CSV list, itemsets.csv); blob may be missing until uploaded."""

    __tablename__ = "form_media"
    __table_args__ = (UniqueConstraint("form_version_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_version.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(32), default="file")  # image|audio|video|file
    expected: Mapped[bool] = mapped_column(Boolean, default=True)
    blob_sha256: Mapped[str | None] = mapped_column(String(64))
    md5: Mapped[str | None] = mapped_column(String(32))
    size: Mapped[int | None] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(127))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    form_version: Mapped[FormVersion] = relationship(back_populates="media")
