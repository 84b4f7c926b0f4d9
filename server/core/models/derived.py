"""Derived data, rebuilt from raw submissions by processing (`chumchon reprocess`): never the source of truth."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base, JSONType, UTCDateTime, utcnow


class Record(Base):
    """Typed values of one submission version's main (non-repeat) fields, keyed by field path."""

    __tablename__ = "record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_version_id: Mapped[int] = mapped_column(
        ForeignKey("submission_version.id", ondelete="CASCADE"), unique=True
    )
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id"), index=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The CSV answer cells rendered at processing for the layout named by csv_layout
    # (exports.prerendered): a default CSV export copies them instead of rendering every cell.
    csv_layout: Mapped[str | None] = mapped_column(String(16), nullable=True)
    csv_cells: Mapped[str | None] = mapped_column(Text, nullable=True)


class RepeatRow(Base):
    """One instance of a repeat group, with its own KEY and its parent's KEY (as in ODK CSV exports)."""

    __tablename__ = "repeat_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_version_id: Mapped[int] = mapped_column(
        ForeignKey("submission_version.id", ondelete="CASCADE"), index=True
    )
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id"), index=True)
    repeat_path: Mapped[str] = mapped_column(String(1024))
    ordinal: Mapped[int] = mapped_column(Integer)  # document order within the submission
    key: Mapped[str] = mapped_column(Text)
    parent_key: Mapped[str] = mapped_column(Text)
    values: Mapped[dict[str, Any]] = mapped_column(JSONType)
    csv_line: Mapped[str | None] = mapped_column(Text, nullable=True)  # under its record's csv_layout


class QualityFlag(Base):
    """A problem found while processing (e.g. a citizen ID failing its checksum)."""

    __tablename__ = "quality_flag"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_version_id: Mapped[int] = mapped_column(
        ForeignKey("submission_version.id", ondelete="CASCADE"), index=True
    )
    field_path: Mapped[str] = mapped_column(String(1024))
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
