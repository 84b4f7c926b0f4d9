"""Report results: what a form's indicator rules (forms/FORM.indicators.toml) make of each processed
submission. Derived, like Record: rebuilt from the current version whenever it is processed again or
the rules file changes (`rules_sha`), and never the source of truth."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base, JSONType, UTCDateTime, utcnow


class ReportResult(Base):
    """One submission's results under its form's rules: one character per indicator of the rules
    file, in its order (Y meets, N does not meet, - not applicable), so that a report's shares are a
    plain SQL aggregate; the period (พ.ศ. year) it counts in; its measures (income per person …)."""

    __tablename__ = "report_result"
    __table_args__ = (Index("ix_report_result_form_period", "form_id", "period"),)

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True
    )
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id"))
    submission_version_id: Mapped[int] = mapped_column(Integer)
    rules_sha: Mapped[str] = mapped_column(String(64))
    period: Mapped[str | None] = mapped_column(String(16))
    outcomes: Mapped[str] = mapped_column(String(255), default="")
    income_per_person: Mapped[float | None] = mapped_column(Float)
    members: Mapped[int | None] = mapped_column(Integer)
    measures: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
