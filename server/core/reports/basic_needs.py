"""The จปฐ. report: per village, subdistrict, district or province, households surveyed, the share
meeting each indicator, the indicators failed most, income per person, and the same against the
previous year where both exist. One SQL aggregate over report_result (one character per indicator),
limited to the reader's area like every other read of submissions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.ground.errors import BadRequest
from server.core.models import Form, ReportResult, Submission, User
from server.core.reports.evaluate import MEETS, NOT_MEETING
from server.core.reports.rules import Rules

LEVELS = ("province", "district", "subdistrict", "village")
LEVEL_NAMES = {
    "province": "จังหวัด / province",
    "district": "อำเภอ / district",
    "subdistrict": "ตำบล / subdistrict",
    "village": "หมู่บ้าน / village",
}
_COLUMNS = {
    "province": Submission.province_code,
    "district": Submission.district_code,
    "subdistrict": Submission.subdistrict_code,
    "village": Submission.village_code,
}
_BY_LENGTH = {2: "province", 4: "district", 6: "subdistrict"}
MOST_FAILED = 5


@dataclass(frozen=True)
class IndicatorFigure:
    code: str
    applicable: int
    meets: int
    not_meeting: int

    @property
    def percent(self) -> float | None:
        """Share of the households it applies to that meet it, in percent (2 decimals)."""
        return round(100.0 * self.meets / self.applicable, 2) if self.applicable else None


@dataclass
class AreaFigures:
    code: str | None
    name: str
    households: int
    people: int
    income_per_person: float | None
    indicators: list[IndicatorFigure]
    previous: AreaFigures | None = None

    def most_failed(self, limit: int = MOST_FAILED) -> list[IndicatorFigure]:
        """The indicators most households fail (those tied with the last one kept are kept too)."""
        failing = sorted((i for i in self.indicators if i.not_meeting), key=lambda i: -i.not_meeting)
        if len(failing) <= limit:
            return failing
        cut = failing[limit - 1].not_meeting
        return [i for i in failing if i.not_meeting >= cut]


@dataclass
class BasicNeedsReport:
    rules: Rules
    form: Form
    period: str | None
    previous_period: str | None
    area: str | None
    level: str
    total: AreaFigures
    groups: list[AreaFigures] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)

    @property
    def income_threshold(self) -> float | None:
        value = self.rules.settings.get("income_threshold")
        return float(value) if isinstance(value, int | float) else None


def check_area(area: str | None) -> str | None:
    """A DOPA province/district/subdistrict code or a village code from the office's list."""
    if area is None or not area.strip():
        return None
    area = area.strip()
    if len(area) > 64 or not area.isascii() or not area.isalnum():
        raise BadRequest(
            "รหัสพื้นที่ไม่ถูกต้อง (ตัวเลข 2/4/6 หลัก หรือรหัสหมู่บ้าน) / The area must be a 2, 4 or 6 digit "
            "DOPA code or a village code.",
            area=area[:64],
        )
    return area


def check_period(period: str | None) -> str | None:
    if period is None or not period.strip():
        return None
    period = period.strip()
    if not (period.isascii() and period.isdigit() and len(period) == 4 and 2400 <= int(period) <= 2700):
        raise BadRequest(
            "ช่วงเวลาต้องเป็นปี พ.ศ. 4 หลัก เช่น 2569 / The period must be a Buddhist-era year such as 2569.",
            period=period[:16],
        )
    return period


def check_level(level: str | None) -> str | None:
    if level is None or not level.strip():
        return None
    if level.strip() not in LEVELS:
        raise BadRequest(
            f"ระดับต้องเป็น {' / '.join(LEVELS)} / The level must be one of {', '.join(LEVELS)}.",
            level=level[:32],
        )
    return level.strip()


def area_condition(area: str | None) -> ColumnElement[bool]:
    if area is None:
        return true()
    kind = _BY_LENGTH.get(len(area)) if area.isdigit() else None
    return (_COLUMNS[kind] if kind else Submission.village_code) == area


def default_level(area: str | None) -> str:
    if area is None:
        return "province"
    if area.isdigit() and len(area) in _BY_LENGTH:
        return LEVELS[min(LEVELS.index(_BY_LENGTH[len(area)]) + 1, len(LEVELS) - 1)]
    return "village"


def _aggregate(
    session: Session, rules: Rules, where: Sequence[ColumnElement[bool]], group: Any | None
) -> list[tuple[Any, ...]]:
    columns: list[Any] = [func.count(), func.coalesce(func.sum(ReportResult.members), 0)]
    columns.append(func.sum(ReportResult.income_per_person * ReportResult.members))
    columns.append(
        func.sum(case((ReportResult.income_per_person.is_not(None), ReportResult.members), else_=0))
    )
    for position in range(1, len(rules.indicators) + 1):
        mark = func.substr(ReportResult.outcomes, position, 1)
        columns.append(func.sum(case((mark == MEETS, 1), else_=0)))
        columns.append(func.sum(case((mark == NOT_MEETING, 1), else_=0)))
    query = (
        select(*([group] if group is not None else []), *columns)
        .select_from(ReportResult)
        .join(Submission, Submission.id == ReportResult.submission_id)
    )
    query = query.where(*where)
    if group is not None:
        query = query.group_by(group).order_by(group)
    return [tuple(row) for row in session.execute(query).all()]


def _figures(rules: Rules, code: str | None, name: str, row: Sequence[Any]) -> AreaFigures:
    households, people, income_sum, income_people = (int(row[0]), int(row[1] or 0), row[2], int(row[3] or 0))
    indicators = []
    for n, indicator in enumerate(rules.indicators):
        meets, failing = int(row[4 + 2 * n] or 0), int(row[5 + 2 * n] or 0)
        indicators.append(IndicatorFigure(indicator.code, meets + failing, meets, failing))
    income = round(float(income_sum) / income_people, 2) if income_sum is not None and income_people else None
    return AreaFigures(code, name, households, people, income, indicators)


def periods_in_scope(session: Session, form: Form, scope: Sequence[ColumnElement[bool]]) -> list[str]:
    query = (
        select(ReportResult.period)
        .select_from(ReportResult)
        .join(Submission, Submission.id == ReportResult.submission_id)
        .where(*scope, ReportResult.period.is_not(None))
        .group_by(ReportResult.period)
        .order_by(ReportResult.period)
    )
    return [p for p in session.scalars(query) if p]


def build(
    session: Session,
    user: User | None,
    form: Form,
    rules: Rules,
    *,
    area: str | None = None,
    period: str | None = None,
    level: str | None = None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    operator: bool = False,
) -> BasicNeedsReport:
    """The report for the user's part of the project (submission.read and its area), inside `area`;
    operator=True (the command line on the server itself, no --as) reads the whole project."""
    area, period = check_area(area), check_period(period)
    level = check_level(level) or default_level(area)
    user_scope = (
        true()
        if operator
        else permissions.submission_scope(session, user, form.project_id, "submission.read")
    )
    scope = [
        ReportResult.form_id == form.id,
        ReportResult.rules_sha == rules.sha,
        Submission.deleted_at.is_(None),
        user_scope,
        area_condition(area),
    ]
    periods = periods_in_scope(session, form, scope)
    if period is None and periods:
        period = periods[-1]
    previous = str(int(period) - 1) if period is not None else None
    previous = previous if previous in periods else None
    names = labels or {}

    def figures_for(p: str | None) -> tuple[AreaFigures, dict[str | None, AreaFigures]]:
        where = [*scope, ReportResult.period == p] if p is not None else scope
        total_row = _aggregate(session, rules, where, None)[0]
        total = _figures(rules, area, _area_name(area, names), total_row)
        groups = {
            row[0]: _figures(
                rules, row[0], names.get(level, {}).get(row[0] or "", row[0] or "ไม่ระบุ / not given"), row[1:]
            )
            for row in _aggregate(session, rules, where, _COLUMNS[level])
        }
        return total, groups

    total, groups = figures_for(period)
    if previous is not None:
        old_total, old_groups = figures_for(previous)
        total.previous = old_total
        for code, figures in groups.items():
            figures.previous = old_groups.get(code)
    ordered = sorted(groups.values(), key=lambda g: (g.code is None, g.code or ""))
    return BasicNeedsReport(rules, form, period, previous, area, level, total, ordered, periods)


def _area_name(area: str | None, names: Mapping[str, Mapping[str, str]]) -> str:
    if area is None:
        return "ทุกพื้นที่ / all areas"
    for kind in LEVELS:
        if area in names.get(kind, {}):
            return names[kind][area]
    return area


def as_json(report: BasicNeedsReport) -> dict[str, Any]:
    """The figures as the API and `chumchon report --format json` give them."""

    def area_json(a: AreaFigures) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": a.code,
            "name": a.name,
            "households": a.households,
            "people": a.people,
            "incomePerPerson": a.income_per_person,
            "indicators": [
                {
                    "code": i.code,
                    "applicable": i.applicable,
                    "meets": i.meets,
                    "notMeeting": i.not_meeting,
                    "percent": i.percent,
                }
                for i in a.indicators
            ],
            "mostFailed": [{"code": i.code, "notMeeting": i.not_meeting} for i in a.most_failed()],
        }
        if a.previous is not None:
            body["previous"] = {
                "households": a.previous.households,
                "incomePerPerson": a.previous.income_per_person,
                "indicators": [{"code": i.code, "percent": i.percent} for i in a.previous.indicators],
            }
        return body

    rules = report.rules
    return {
        "report": rules.report,
        "title": rules.title,
        "titleEn": rules.title_en,
        "formId": report.form.xml_form_id,
        "period": report.period,
        "previousPeriod": report.previous_period,
        "periods": report.periods,
        "area": report.area,
        "level": report.level,
        "incomeThreshold": report.income_threshold,
        "indicatorDefinitions": [
            {"code": i.code, "section": i.section, "label": i.label, "kind": i.kind} for i in rules.indicators
        ],
        "sections": rules.sections,
        "total": area_json(report.total),
        "areas": [area_json(g) for g in report.groups],
    }
