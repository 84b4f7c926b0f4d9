"""Dashboard aggregates of a form, over the submissions the user may read (project and area) and an
optional filter: submissions per day, per surveyor, per village, quality flags by kind, map points.
Days are counted in Thailand's time zone (UTC+7, no daylight saving), as an office reads a calendar."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, cast, func, literal, select, tablesample
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import ClauseAdapter

from server.core.accounts import permissions
from server.core.ground.errors import BadRequest
from server.core.models import FlagTally, Form, QualityFlag, Submission, SubmissionTally, User, utcnow
from server.core.review import tally
from server.core.review.listing import SubmissionFilter, visible_conditions
from server.core.review.states import shown_state

THAI_OFFSET = timedelta(hours=7)
MAX_POINTS = 2_000  # single points; beyond that the map should draw map_grid's cells
# Above this many matching submissions (PostgreSQL), the map grid and the median interview lengths are
# computed from a fixed random sample of the table's pages of about this many rows (TABLESAMPLE
# SYSTEM, REPEATABLE: the same pages every time), the grid's counts scaled up to the exact total.
SAMPLE_ABOVE = 25_000


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class SurveyorStats:
    submitter_id: int | None
    name: str | None
    count: int
    approved: int
    has_issues: int
    median_interview_seconds: float | None
    needs_correction: int = 0  # sent back to the surveyor, not yet corrected

    @property
    def approved_share(self) -> float:
        return self.approved / self.count if self.count else 0.0

    @property
    def has_issues_share(self) -> float:
        return self.has_issues / self.count if self.count else 0.0


@dataclass(frozen=True)
class PlaceCount:
    village_code: str | None
    subdistrict_code: str | None
    count: int


@dataclass(frozen=True)
class FlagCount:
    code: str
    count: int  # submissions whose current version has at least one flag of this kind


@dataclass(frozen=True)
class GridCell:
    latitude: float  # mean position of the cell's submissions
    longitude: float
    review_state: str
    count: int


@dataclass(frozen=True)
class MapPoint:
    instance_id: str
    latitude: float
    longitude: float
    review_state: str


def _scope(
    session: Session, user: User | None, form: Form, filters: SubmissionFilter | None
) -> list[ColumnElement[bool]]:
    return visible_conditions(session, user, form, filters or SubmissionFilter())


def _thai_day(session: Session) -> Any:
    # Thailand keeps UTC+7 all year: fixed-offset arithmetic is much cheaper per row than a zone lookup.
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", Submission.created_at) + THAI_OFFSET, Date)
    return func.date(Submission.created_at, "+7 hours")


def submissions_per_day(
    session: Session, user: User | None, form: Form, filters: SubmissionFilter | None = None
) -> list[DayCount]:
    """Days with at least one submission, oldest first."""
    counted = tally.conditions(session, user, form, filters or SubmissionFilter())
    if counted is not None:
        T = SubmissionTally
        total = func.sum(T.n)
        rows = session.execute(
            select(T.day, total).where(*counted).group_by(T.day).having(total > 0).order_by(T.day)
        ).all()
        return [DayCount(d if isinstance(d, date) else date.fromisoformat(str(d)), int(n)) for d, n in rows]
    conds = _scope(session, user, form, filters)
    day = _thai_day(session)
    rows = session.execute(select(day, func.count()).where(*conds).group_by(day).order_by(day)).all()
    return [DayCount(d if isinstance(d, date) else date.fromisoformat(str(d)), int(n)) for d, n in rows]


def _sqlite_medians(session: Session, conds: list[ColumnElement[bool]]) -> dict[int | None, float]:
    lengths: dict[int | None, list[float]] = {}
    for sid, seconds in session.execute(
        select(Submission.submitter_id, Submission.interview_seconds).where(
            *conds, Submission.interview_seconds.is_not(None)
        )
    ):
        if seconds is not None:
            lengths.setdefault(sid, []).append(float(seconds))
    return {sid: statistics.median(values) for sid, values in lengths.items()}


def per_surveyor(
    session: Session, user: User | None, form: Form, filters: SubmissionFilter | None = None
) -> list[SurveyorStats]:
    """Per submitter: count, approved, hasIssues and needsCorrection counts (shares as properties), median interview
    length (end − start) in seconds. Most submissions first. One scan on PostgreSQL."""
    conds = _scope(session, user, form, filters)
    postgres = session.get_bind().dialect.name == "postgresql"
    counted = tally.conditions(session, user, form, filters or SubmissionFilter())
    if counted is not None:
        return _per_surveyor_tallied(session, conds, counted, postgres)
    columns: list[Any] = [
        Submission.submitter_id,
        func.count(),
        func.count().filter(Submission.review_state == "approved"),
        func.count().filter(Submission.review_state == "hasIssues"),
        func.count().filter(Submission.review_state == "needsCorrection"),
    ]
    if postgres:
        columns.append(func.percentile_cont(0.5).within_group(Submission.interview_seconds))
    rows = [
        tuple(r) for r in session.execute(select(*columns).where(*conds).group_by(Submission.submitter_id))
    ]
    medians: dict[int | None, float | None]
    if postgres:
        medians = {r[0]: (float(r[5]) if r[5] is not None else None) for r in rows}
    else:
        medians = dict(_sqlite_medians(session, conds))
    names = dict(
        session.execute(
            select(User.id, User.display_name).where(User.id.in_([r[0] for r in rows if r[0] is not None]))
        ).all()
    )
    stats = [
        SurveyorStats(
            submitter_id=sid,
            name=names.get(sid) if sid is not None else None,
            count=int(count),
            approved=int(approved),
            has_issues=int(has_issues),
            median_interview_seconds=medians.get(sid),
            needs_correction=int(returned),
        )
        for sid, count, approved, has_issues, returned, *_median in rows
    ]
    return sorted(stats, key=lambda s: (-s.count, s.name or "", s.submitter_id or 0))


def _per_surveyor_tallied(
    session: Session, conds: list[ColumnElement[bool]], counted: list[ColumnElement[bool]], postgres: bool
) -> list[SurveyorStats]:
    T = SubmissionTally
    total = func.sum(T.n)
    rows = session.execute(
        select(
            T.submitter_id,
            total,
            func.sum(T.n).filter(T.review_state == "approved"),
            func.sum(T.n).filter(T.review_state == "hasIssues"),
            func.sum(T.n).filter(T.review_state == "needsCorrection"),
        )
        .where(*counted)
        .group_by(T.submitter_id)
        .having(total > 0)
    ).all()
    medians = _medians(session, conds, postgres, sum(int(r[1]) for r in rows))
    ids = [int(r[0]) for r in rows if r[0]]
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
    stats = [
        SurveyorStats(
            submitter_id=int(sid) or None,
            name=names.get(sid) if sid else None,
            count=int(n),
            approved=int(approved or 0),
            has_issues=int(has_issues or 0),
            median_interview_seconds=medians.get(int(sid) or None),
            needs_correction=int(returned or 0),
        )
        for sid, n, approved, has_issues, returned in rows
    ]
    return sorted(stats, key=lambda s: (-s.count, s.name or "", s.submitter_id or 0))


def _sampled(total: int) -> tuple[Any, Callable[[ColumnElement[Any]], Any]]:
    """A page sample of submission of about SAMPLE_ABOVE of `total` matching rows, and a function
    moving a condition or column on Submission onto it."""
    percent = min(100.0, 100.0 * SAMPLE_ABOVE / max(total, 1))
    sample = tablesample(Submission.__table__, func.system(percent), name="sample", seed=literal(7))
    adapter = ClauseAdapter(sample)

    def move(clause: Any) -> Any:  # an ORM attribute is moved as its column
        return adapter.traverse(clause.__clause_element__() if hasattr(clause, "__clause_element__") else clause)

    return sample, move


def _medians(
    session: Session, conds: list[ColumnElement[bool]], postgres: bool, total: int = 0
) -> dict[int | None, float]:
    if not postgres:
        return _sqlite_medians(session, conds)
    source: Any = Submission.__table__
    move: Callable[[Any], Any] = lambda c: c  # noqa: E731
    if total > SAMPLE_ABOVE:
        source, move = _sampled(total)
    seconds = move(Submission.interview_seconds)
    rows = session.execute(
        select(move(Submission.submitter_id), func.percentile_cont(0.5).within_group(seconds))
        .select_from(source)
        .where(*[move(c) for c in conds], seconds.is_not(None))
        .group_by(move(Submission.submitter_id))
    ).all()
    return {sid: float(m) for sid, m in rows if m is not None}


def per_village(
    session: Session, user: User | None, form: Form, filters: SubmissionFilter | None = None
) -> list[PlaceCount]:
    """Submissions per village / community code (None: no village answered), most first."""
    counted = tally.conditions(session, user, form, filters or SubmissionFilter())
    if counted is not None:
        T = SubmissionTally
        total = func.sum(T.n)
        tallied = session.execute(
            select(T.village_code, T.subdistrict_code, total)
            .where(*counted)
            .group_by(T.village_code, T.subdistrict_code)
            .having(total > 0)
        ).all()
        found = [PlaceCount(v or None, s or None, int(n)) for v, s, n in tallied]
        return sorted(found, key=lambda p: (-p.count, p.village_code or "", p.subdistrict_code or ""))
    conds = _scope(session, user, form, filters)
    rows = session.execute(
        select(Submission.village_code, Submission.subdistrict_code, func.count())
        .where(*conds)
        .group_by(Submission.village_code, Submission.subdistrict_code)
    ).all()
    counts = [PlaceCount(v, s, int(n)) for v, s, n in rows]
    return sorted(counts, key=lambda p: (-p.count, p.village_code or "", p.subdistrict_code or ""))


def flags_by_kind(
    session: Session, user: User | None, form: Form, filters: SubmissionFilter | None = None
) -> list[FlagCount]:
    """Per quality flag kind, how many submissions (current versions) carry it; most first. Read from
    flag_tally when the filter allows it (as the other counts read submission_tally)."""
    counted = tally.conditions(session, user, form, filters or SubmissionFilter(), T=FlagTally)
    if counted is not None:
        total = func.sum(FlagTally.n)
        tallied = session.execute(
            select(FlagTally.code, total).where(*counted).group_by(FlagTally.code).having(total > 0)
        ).all()
        return sorted((FlagCount(code, int(n)) for code, n in tallied), key=lambda f: (-f.count, f.code))
    conds = _scope(session, user, form, filters)
    rows = session.execute(
        select(QualityFlag.code, func.count(func.distinct(QualityFlag.submission_version_id)))
        .join(Submission, Submission.current_version_id == QualityFlag.submission_version_id)
        .where(*conds)
        .group_by(QualityFlag.code)
    ).all()
    return sorted((FlagCount(code, int(n)) for code, n in rows), key=lambda f: (-f.count, f.code))


def map_points(
    session: Session,
    user: User | None,
    form: Form,
    filters: SubmissionFilter | None = None,
    *,
    limit: int = MAX_POINTS,
) -> list[MapPoint]:
    """The first geopoint of each submission with its review state, newest first, at most `limit`
    (check the count with map_grid or count_submissions and draw cells when there are more)."""
    conds = _scope(session, user, form, filters)
    rows = session.execute(
        select(Submission.instance_id, Submission.latitude, Submission.longitude, Submission.review_state)
        .where(*conds, Submission.latitude.is_not(None))
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(limit)
    ).all()
    return [
        MapPoint(i, float(lat), float(lon), shown_state(state))
        for i, lat, lon, state in rows
        if lat is not None and lon is not None
    ]


def map_grid(
    session: Session,
    user: User | None,
    form: Form,
    filters: SubmissionFilter | None = None,
    *,
    cell_degrees: float = 0.05,
) -> list[GridCell]:
    """Submissions counted per map cell (cell_degrees × cell_degrees, about 5.5 km at 0.05) and
    review state, placed at the cell's mean position: what a map draws when there are too many
    points to send one by one (a grouped query, so its cost does not grow with the answer). Above
    SAMPLE_ABOVE matching submissions (PostgreSQL) the cells come from a page sample and their counts
    are estimates, scaled to the exact total."""
    if not 0.0001 <= cell_degrees <= 10:
        raise BadRequest(
            "cell ต้องอยู่ระหว่าง 0.0001 ถึง 10 องศา / cell must be 0.0001..10 degrees.", field="cell"
        )
    conds = _scope(session, user, form, filters)
    postgres = session.get_bind().dialect.name == "postgresql"
    counted = tally.conditions(session, user, form, filters or SubmissionFilter()) if postgres else None
    total = tally.count(session, counted) if counted is not None else 0
    source: Any = Submission.__table__
    move: Callable[[Any], Any] = lambda c: c  # noqa: E731
    if total > SAMPLE_ABOVE:
        source, move = _sampled(total)
    lat, lon, state = move(Submission.latitude), move(Submission.longitude), move(Submission.review_state)
    lat_cell: ColumnElement[Any]
    lon_cell: ColumnElement[Any]
    if postgres:
        lat_cell, lon_cell = func.floor(lat / cell_degrees), func.floor(lon / cell_degrees)
    else:
        # SQLite may lack floor(); truncation is the same for Thailand's positive coordinates.
        lat_cell, lon_cell = cast(lat / cell_degrees, Integer), cast(lon / cell_degrees, Integer)
    rows = session.execute(
        select(func.avg(lat), func.avg(lon), state, func.count())
        .select_from(source)
        .where(*[move(c) for c in conds], lat.is_not(None), lon.is_not(None))
        .group_by(lat_cell, lon_cell, state)
    ).all()
    scale = 1.0
    if total > SAMPLE_ABOVE:
        drawn = session.scalar(select(func.count()).select_from(source).where(*[move(c) for c in conds]))
        scale = total / drawn if drawn else 1.0  # the sample's rows stand for all the matching ones
    cells = [
        GridCell(float(la), float(lo), shown_state(st), max(1, round(int(n) * scale)))
        for la, lo, st, n in rows
    ]
    return sorted(cells, key=lambda c: (-c.count, c.latitude, c.longitude, c.review_state))


@dataclass(frozen=True)
class FormSummary:
    form_id: int
    xml_form_id: str
    total: int
    today: int  # since midnight in Thailand
    this_week: int  # since Monday midnight in Thailand
    last_submission_at: datetime | None


def form_summaries(
    session: Session, user: User | None, project_id: int, *, now: datetime | None = None
) -> list[FormSummary]:
    """Per form of a project: submissions in total, today and this week, and the last one's time,
    counting only what the user may read (his area). For the home page; one grouped query."""
    permissions.require(session, user, "submission.read", project_id)
    scope = permissions.submission_scope(session, user, project_id)
    moment = (now or utcnow()).astimezone(timezone(THAI_OFFSET))
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = midnight - timedelta(days=midnight.weekday())
    forms = session.execute(
        select(Form.id, Form.xml_form_id)
        .where(Form.project_id == project_id, Form.draft_of_id.is_(None), Form.deleted_at.is_(None))
        .order_by(Form.xml_form_id)
    ).all()
    form_ids = [f[0] for f in forms]
    T = SubmissionTally
    counts: dict[int, tuple[Any, ...]] = {
        row[0]: tuple(row[1:])
        for row in session.execute(
            select(
                T.form_id,
                func.sum(T.n),
                func.coalesce(func.sum(T.n).filter(T.day >= midnight.date()), 0),
                func.coalesce(func.sum(T.n).filter(T.day >= monday.date()), 0),
            )
            .where(
                T.form_id.in_(form_ids),
                tally.area_condition(permissions.area_for(session, user, "submission.read", project_id)),
            )
            .group_by(T.form_id)
        )
    }
    for form_id in form_ids:  # the newest live one: an index scan from the end, per form
        last = session.scalar(
            select(Submission.created_at)
            .where(Submission.form_id == form_id, Submission.deleted_at.is_(None), scope)
            .order_by(Submission.created_at.desc())
            .limit(1)
        )
        if form_id in counts or last is not None:
            counts[form_id] = (*counts.get(form_id, (0, 0, 0)), last)
    summaries = []
    for form_id, xml_form_id in forms:
        total, today, week, last = counts.get(form_id, (0, 0, 0, None))
        if isinstance(last, str):  # SQLite returns max() of a datetime column as text
            last = datetime.fromisoformat(last).replace(tzinfo=UTC)
        summaries.append(FormSummary(form_id, xml_form_id, int(total), int(today), int(week), last))
    return summaries
