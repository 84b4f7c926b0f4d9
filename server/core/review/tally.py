"""Counts of live submissions read from submission_tally (kept by triggers, migration 0012_million)
instead of scanning every submission: the dashboard's per-day, per-surveyor and per-village counts,
the table's total and the home page's form summaries. A filter the tally cannot answer (a search, a
quality flag, a date range not on Thai midnights, a surveyor id below 1) gets None from `conditions`,
and the caller counts the submissions themselves."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.models import FlagTally, Form, SubmissionTally, User

if TYPE_CHECKING:
    from server.core.review.listing import SubmissionFilter

T = SubmissionTally
THAI_TZ = timezone(timedelta(hours=7))
RECEIVED = "received"  # listing.RECEIVED: stored as '' in the tally


def thai_day(moment: datetime) -> date | None:
    """The Thai calendar day starting at `moment`, or None when `moment` is not a Thai midnight."""
    local = moment.astimezone(THAI_TZ)
    return local.date() if local.time() == time(0) else None


Table = type[SubmissionTally] | type[FlagTally]  # the same key columns; flag_tally adds the code


def area_condition(area: permissions.Area, T: Table = SubmissionTally) -> ColumnElement[bool]:
    if area.codes is None:
        return true()
    columns = {2: T.province_code, 4: T.district_code, 6: T.subdistrict_code}
    conditions = [columns[len(code)] == code for code in sorted(area.codes) if len(code) in columns]
    return or_(*conditions) if conditions else false()


def conditions(
    session: Session,
    user: User | None,
    form: Form,
    filters: SubmissionFilter,
    verb: str = "submission.read",
    T: Table = SubmissionTally,
) -> list[ColumnElement[bool]] | None:
    """SQL conditions on SubmissionTally (or FlagTally, same key) equivalent to
    listing.visible_conditions, or None when the filter needs the submissions themselves. Raises
    Forbidden without the verb, as listing does."""
    permissions.require(session, user, verb, form.project_id)
    scope = area_condition(permissions.area_for(session, user, verb, form.project_id), T)
    if (filters.search and filters.search.strip()) or filters.flag_code or filters.deleted:
        return None
    if filters.submitter_id is not None and filters.submitter_id < 1:
        return None
    out: list[ColumnElement[bool]] = [T.form_id == form.id, scope]
    for moment, before in ((filters.since, False), (filters.until, True)):
        if moment is None:
            continue
        day = thai_day(moment)
        if day is None:
            return None
        out.append(T.day < day if before else T.day >= day)
    if filters.submitter_id is not None:
        out.append(T.submitter_id == filters.submitter_id)
    if filters.review_states:
        out.append(T.review_state.in_(["" if s == RECEIVED else s for s in filters.review_states]))
    for column, code in (
        (T.province_code, filters.province_code),
        (T.district_code, filters.district_code),
        (T.subdistrict_code, filters.subdistrict_code),
        (T.village_code, filters.village_code),
    ):
        if code:
            out.append(column == code)
    return out


def count(session: Session, where: list[ColumnElement[bool]]) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(T.n), 0)).where(*where)) or 0)
