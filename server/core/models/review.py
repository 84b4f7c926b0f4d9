"""Review of submissions: the comment thread of each submission and the text its search box reads."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base, UTCDateTime, utcnow

# Substring search on SQLite is a LIKE scan; a partial index over no rows keeps the trigram index
# declared once for both backends without costing SQLite any space.
_NOTHING = text("0")


class Comment(Base):
    """One comment on a submission (ODK Central: body, actorId, createdAt); never edited."""

    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_submission_created", "submission_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubmissionSearch(Base):
    """All answer text of a submission's current version, lower-cased, for the search box. Sensitive
    answers (citizen IDs …) are kept apart so that only roles allowed to read them can search them.
    Derived: rebuilt whenever the version is processed. On PostgreSQL both columns have trigram
    indexes (pg_trgm) so that a substring search is an index scan."""

    __tablename__ = "submission_search"
    __table_args__ = (
        Index(
            "ix_submission_search_body_trgm",
            "body",
            postgresql_using="gin",
            postgresql_ops={"body": "gin_trgm_ops"},
            sqlite_where=_NOTHING,
        ),
        Index(
            "ix_submission_search_sensitive_trgm",
            "sensitive_body",
            postgresql_using="gin",
            postgresql_ops={"sensitive_body": "gin_trgm_ops"},
            sqlite_where=_NOTHING,
        ),
    )

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True
    )
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id"), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    sensitive_body: Mapped[str] = mapped_column(Text, default="")


class SubmissionTally(Base):
    """Live submissions (not deleted) counted per form, Thai day, surveyor, place and review state:
    what the dashboard and the table's total read instead of scanning every submission. Kept by
    database triggers on `submission` (migration 0012_million), so every writer — intake,
    processing, review, deletion, a COPY — keeps it right. Unknowns are stored as '' (codes, state:
    '' is "received") and 0 (surveyor), so that the key is a plain primary key."""

    __tablename__ = "submission_tally"

    form_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    submitter_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    subdistrict_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    village_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    review_state: Mapped[str] = mapped_column(String(16), primary_key=True)
    # the writing connection's slot on PostgreSQL (0015_tallyslots), 0 on SQLite: sum over it
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0, server_default="0")
    n: Mapped[int] = mapped_column(Integer, default=0)


class FlagTally(Base):
    """Live submissions whose current version carries at least one quality flag of a kind, counted
    per submission_tally's key and the flag's code: the dashboard's flags by kind. Kept by database
    triggers on `submission` and `quality_flag` (migration 0013_flags), so processing, reprocessing,
    an edit's new version, review changes and deletion keep it right; unknowns as in SubmissionTally."""

    __tablename__ = "flag_tally"

    form_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    submitter_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    subdistrict_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    village_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    review_state: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    # the writing connection's slot on PostgreSQL (0015_tallyslots), 0 on SQLite: sum over it
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0, server_default="0")
    n: Mapped[int] = mapped_column(Integer, default=0)
