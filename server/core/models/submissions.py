"""Submissions as received: the raw, durable record. Everything else is derived from these rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.core.models.base import Base, UTCDateTime, utcnow

# processing_state of a SubmissionVersion: the row itself is the outbox (see DESIGN.md).
RECEIVED = "received"
PROCESSED = "processed"
FAILED = "failed"


class Submission(Base):
    """One logical submission; edits add versions, the first version's instanceID names it."""

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("form_id", "instance_id"),
        # Keyset paging (newest first) and the filters of the submissions table, each an index range.
        Index("ix_submission_form_created", "form_id", "created_at", "id"),
        Index("ix_submission_form_province", "form_id", "province_code", "created_at", "id"),
        Index("ix_submission_form_district", "form_id", "district_code", "created_at", "id"),
        Index("ix_submission_form_subdistrict", "form_id", "subdistrict_code", "created_at", "id"),
        Index("ix_submission_form_village", "form_id", "village_code", "created_at", "id"),
        Index("ix_submission_form_review", "form_id", "review_state", "created_at", "id"),
        Index("ix_submission_form_submitter", "form_id", "submitter_id", "created_at", "id"),
        # The newest live submission (form summaries) and the median interview lengths (per surveyor);
        # the dashboard's counts are read from submission_tally.
        Index(
            "ix_submission_dash_day",
            "form_id",
            "created_at",
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        # Quality flags by kind: from each flag to the submission whose current version carries it.
        Index("ix_submission_current_version", "current_version_id"),
        Index(
            "ix_submission_dash_surveyor",
            "form_id",
            "submitter_id",
            postgresql_include=["review_state", "interview_seconds"],
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id"), index=True)
    instance_id: Mapped[str] = mapped_column(String(255))
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "submission_version.id",
            use_alter=True,
            name="fk_submission_current_version_id_submission_version",
        )
    )
    # null = received (not yet reviewed), then hasIssues / edited / approved / rejected as in ODK Central.
    review_state: Mapped[str | None] = mapped_column(String(16))
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Facts of the current version, copied out of its processed values (server.core.submissions.facts)
    # so that area limits, filters and dashboards are indexed SQL: DOPA place codes (province 2 digits,
    # district 4, subdistrict 6), the village code, the first geopoint, and the interview length.
    province_code: Mapped[str | None] = mapped_column(String(2))
    district_code: Mapped[str | None] = mapped_column(String(4))
    subdistrict_code: Mapped[str | None] = mapped_column(String(6))
    village_code: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    interview_seconds: Mapped[float | None] = mapped_column(Float)

    versions: Mapped[list[SubmissionVersion]] = relationship(
        back_populates="submission",
        foreign_keys="SubmissionVersion.submission_id",
        order_by="SubmissionVersion.id",
    )
    current_version: Mapped[SubmissionVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class SubmissionVersion(Base):
    """The raw XML of one version of a submission plus what came with it.

    The XML lives in the row (`xml`), committed with it in one durable transaction; rows from before
    that change have it in the blob store under xml_sha256 only."""

    __tablename__ = "submission_version"
    __table_args__ = (
        UniqueConstraint("form_id", "instance_id"),
        Index("ix_submission_version_state_received", "processing_state", "received_at"),
        # The worker's claim: only the waiting versions, oldest first (0016_waiting).
        Index(
            "ix_submission_version_waiting",
            "id",
            postgresql_where=text("processing_state IN ('received', 'failed')"),
            sqlite_where=text("processing_state IN ('received', 'failed')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id"))
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_version.id"), index=True)
    instance_id: Mapped[str] = mapped_column(String(255))
    deprecated_id: Mapped[str | None] = mapped_column(String(255))
    instance_name: Mapped[str | None] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    xml_sha256: Mapped[str] = mapped_column(String(64))
    xml_size: Mapped[int] = mapped_column(BigInteger)
    xml: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    device_id: Mapped[str | None] = mapped_column(String(255))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processing_state: Mapped[str] = mapped_column(String(16), default=RECEIVED)
    processing_attempts: Mapped[int] = mapped_column(Integer, default=0)
    processing_error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A worker's lease on a batch it claimed (see processing.claim_batch); once it has passed, any worker
    # may claim the version again. For a failed version: not to be retried before this time.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))

    submission: Mapped[Submission] = relationship(back_populates="versions", foreign_keys=[submission_id])
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="submission_version", order_by="Attachment.name", cascade="all, delete-orphan"
    )


class Attachment(Base):
    """A file named in a submission. blob_sha256 is NULL while it is expected but not yet received."""

    __tablename__ = "attachment"
    __table_args__ = (UniqueConstraint("submission_version_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_version_id: Mapped[int] = mapped_column(ForeignKey("submission_version.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    blob_sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(127))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    submission_version: Mapped[SubmissionVersion] = relationship(back_populates="attachments")
