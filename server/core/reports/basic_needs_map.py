"""The จปฐ. map: the households of the reader's area (a subdistrict, say) with a GPS point, each
marked as meeting or failing one chosen indicator, for the report page's map."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.ground.errors import BadRequest
from server.core.models import Form, ReportResult, Submission, User
from server.core.reports.basic_needs import area_condition, check_area, check_period
from server.core.reports.evaluate import MEETS, NOT_MEETING
from server.core.reports.rules import Rules

MAX_POINTS = 20000


@dataclass(frozen=True)
class HouseholdPoint:
    instance_id: str
    latitude: float
    longitude: float
    village: str | None
    meets: bool


def indicator_position(rules: Rules, code: str | None) -> int:
    """1-based position of an indicator's character in report_result.outcomes."""
    for n, indicator in enumerate(rules.indicators, 1):
        if indicator.code == (code or "").strip():
            return n
    raise BadRequest(
        "ไม่มีตัวชี้วัดข้อนี้ / No such indicator.", indicator=(code or "")[:16],
    )  # fmt: skip


def household_points(
    session: Session,
    user: User | None,
    form: Form,
    rules: Rules,
    indicator: str | None,
    *,
    area: str | None = None,
    period: str | None = None,
    operator: bool = False,
    limit: int = MAX_POINTS,
) -> list[HouseholdPoint]:
    """Households the indicator applies to, with their GPS point, failing ones first (at most `limit`)."""
    position = indicator_position(rules, indicator)
    area, period = check_area(area), check_period(period)
    scope = (
        true()
        if operator
        else permissions.submission_scope(session, user, form.project_id, "submission.read")
    )
    mark = func.substr(ReportResult.outcomes, position, 1)
    query = (
        select(
            Submission.instance_id, Submission.latitude, Submission.longitude, Submission.village_code, mark
        )
        .select_from(ReportResult)
        .join(Submission, Submission.id == ReportResult.submission_id)
        .where(
            ReportResult.form_id == form.id,
            ReportResult.rules_sha == rules.sha,
            Submission.deleted_at.is_(None),
            Submission.latitude.is_not(None),
            Submission.longitude.is_not(None),
            scope,
            area_condition(area),
            mark.in_([MEETS, NOT_MEETING]),
            *([ReportResult.period == period] if period is not None else []),
        )
        .order_by(mark, Submission.id)  # "N" before "Y": a cut keeps the failing households
        .limit(limit)
    )
    return [
        HouseholdPoint(i, float(lat), float(lon), village, m == MEETS)
        for i, lat, lon, village, m in session.execute(query)
    ]
