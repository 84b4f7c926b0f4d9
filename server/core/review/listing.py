"""The submissions table: filters, text search and keyset (cursor) paging, newest first by
(created_at, id), so that page 1 and page 5,000 cost the same index range scan. Every query is
limited to the form, to submissions not deleted, and to the acting user's area."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.ground.errors import BadRequest
from server.core.models import (
    Form,
    FormVersion,
    QualityFlag,
    Record,
    Submission,
    SubmissionSearch,
    SubmissionVersion,
    User,
)
from server.core.review.masking import mask_values, sensitive_paths

MAX_LIMIT = 1000
RECEIVED = "received"
REVIEW_STATE_NAMES = (RECEIVED, "hasIssues", "needsCorrection", "edited", "approved", "rejected")


@dataclass(frozen=True)
class SubmissionFilter:
    """What the submissions table, bulk review, the dashboard and exports can filter on. Dates are
    compared with the submission's created_at (when the server received it): since ≤ t < until."""

    since: datetime | None = None
    until: datetime | None = None
    submitter_id: int | None = None
    review_states: tuple[str, ...] = ()  # "received" matches NULL
    flag_code: str | None = None  # a quality flag kind, e.g. "thai_citizen_id_invalid"
    province_code: str | None = None
    district_code: str | None = None
    subdistrict_code: str | None = None
    village_code: str | None = None
    search: str | None = None  # substring of any answer (case-insensitive)
    deleted: bool = False  # only the deleted ones instead (Central's ?deleted=true)


@dataclass
class SubmissionRow:
    submission: Submission
    version: SubmissionVersion
    form_version: str | None
    submitter_name: str | None
    values: dict[str, Any] | None  # processed values, sensitive ones masked; None until processed
    flags: list[str] = field(default_factory=list)  # quality flag codes of the current version


@dataclass
class SubmissionPage:
    rows: list[SubmissionRow]
    next_cursor: str | None  # pass back as `cursor` for the next page; None on the last page


_FILTER_PARAMS = {
    "province": "province_code",
    "district": "district_code",
    "subdistrict": "subdistrict_code",
    "village": "village_code",
}
THAI_TZ = timezone(timedelta(hours=7))


MAX_ID = 2**31 - 1  # the id columns' range: a larger number in a filter or cursor is a 400, not a database error
MAX_FILTER_TEXT = 500

def _moment(name: str, raw: str, *, end_of_day: bool) -> datetime:
    """ISO date-time (an offset is required, or UTC is assumed), or a bare date meaning that day in
    Thailand; a bare `until` date includes the whole day."""
    text = raw.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=THAI_TZ)
            return start + timedelta(days=1) if end_of_day else start
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(
            f"วันที่ {name} ไม่ถูกต้อง (ใช้ YYYY-MM-DD) / {name} must be an ISO date (YYYY-MM-DD) or date-time.",
            field=name,
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


NUMERIC_FILTERS = frozenset({"submitterId"})


def filter_from_params(params: Mapping[str, Any]) -> SubmissionFilter:
    """A filter from request parameters (the API's and the web pages' query strings): since, until
    (ISO dates or date-times), submitterId, reviewState (repeated or comma-separated), flag,
    province, district, subdistrict, village, q (search). Unknown parameters are ignored."""

    def texts(name: str) -> list[str]:
        # A query string gives lists of strings; a JSON filter (bulk review) may give anything.
        value = params.get(name)
        if value is None:
            return []
        if name in NUMERIC_FILTERS and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # a JSON filter may give an id as a number
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(v, str) for v in items):
            raise BadRequest(f"{name} ต้องเป็นข้อความ / {name} must be text.", field=name)
        if any(len(v) > MAX_FILTER_TEXT for v in items):
            raise BadRequest(
                f"{name} ยาวเกิน {MAX_FILTER_TEXT} ตัวอักษร / {name} is longer than {MAX_FILTER_TEXT} characters.",
                field=name,
            )
        return list(items)

    def one(name: str) -> str | None:
        values = texts(name)
        return (values[0].strip() or None) if values else None

    state_list = texts("reviewState")
    review_states = tuple(s.strip() for v in state_list for s in str(v).split(",") if s.strip())
    unknown = [s for s in review_states if s not in REVIEW_STATE_NAMES]
    if unknown:
        raise BadRequest(
            f"ไม่รู้จักสถานะ {', '.join(unknown)} / Unknown review state(s): {', '.join(unknown)}.",
            field="reviewState",
            allowed=list(REVIEW_STATE_NAMES),
        )
    submitter = one("submitterId")
    if submitter is not None and not (submitter.isascii() and submitter.isdigit() and int(submitter) <= MAX_ID):
        raise BadRequest("submitterId ต้องเป็นตัวเลข / submitterId must be a number.", field="submitterId")
    since, until = one("since"), one("until")
    places = {attr: one(name) for name, attr in _FILTER_PARAMS.items()}
    return SubmissionFilter(
        since=_moment("since", since, end_of_day=False) if since else None,
        until=_moment("until", until, end_of_day=True) if until else None,
        submitter_id=int(submitter) if submitter is not None else None,
        review_states=review_states,
        flag_code=one("flag"),
        search=one("q"),
        deleted=(one("deleted") or "").lower() == "true",
        **places,
    )


def encode_cursor(created_at: datetime, submission_id: int) -> str:
    raw = f"{created_at.astimezone(UTC).isoformat()}|{submission_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError(stamp)
        if not (ident.isascii() and ident.isdigit() and int(ident) <= MAX_ID):
            raise ValueError(ident)
        return moment, int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest("ตัวชี้หน้าไม่ถูกต้อง / The cursor is not valid.", field="cursor") from exc


def _like(term: str) -> str:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_match(term: str, *, search_sensitive: bool = False) -> ColumnElement[bool]:
    """The condition on SubmissionSearch of a search term (lower-cased substring of the answers)."""
    pattern = _like(term)
    text_match: ColumnElement[bool] = SubmissionSearch.body.like(pattern, escape="\\")
    if search_sensitive:
        text_match = or_(text_match, SubmissionSearch.sensitive_body.like(pattern, escape="\\"))
    return text_match


def filter_conditions(
    form: Form, filters: SubmissionFilter, *, search_sensitive: bool = False, search: bool = True
) -> list[ColumnElement[bool]]:
    """SQL conditions on Submission for a filter (without the form, deletion and area conditions);
    with search=False, without the search term's condition."""
    conditions: list[ColumnElement[bool]] = []
    if filters.since is not None:
        conditions.append(Submission.created_at >= filters.since)
    if filters.until is not None:
        conditions.append(Submission.created_at < filters.until)
    if filters.submitter_id is not None:
        conditions.append(Submission.submitter_id == filters.submitter_id)
    if filters.review_states:
        states = [s for s in filters.review_states if s != RECEIVED]
        parts: list[ColumnElement[bool]] = [Submission.review_state.in_(states)] if states else []
        if RECEIVED in filters.review_states:
            parts.append(Submission.review_state.is_(None))
        conditions.append(or_(*parts))
    for column, code in (
        (Submission.province_code, filters.province_code),
        (Submission.district_code, filters.district_code),
        (Submission.subdistrict_code, filters.subdistrict_code),
        (Submission.village_code, filters.village_code),
    ):
        if code:
            conditions.append(column == code)
    if filters.flag_code:
        conditions.append(
            exists(
                select(QualityFlag.id).where(
                    QualityFlag.submission_version_id == Submission.current_version_id,
                    QualityFlag.code == filters.flag_code,
                )
            )
        )
    term = (filters.search or "").strip()
    if term and search:
        text_match = search_match(term, search_sensitive=search_sensitive)
        conditions.append(
            Submission.id.in_(
                select(SubmissionSearch.submission_id).where(SubmissionSearch.form_id == form.id, text_match)
            )
        )
    return conditions


def visible_conditions(
    session: Session,
    user: User | None,
    form: Form,
    filters: SubmissionFilter,
    verb: str = "submission.read",
    *,
    search: bool = True,
) -> list[ColumnElement[bool]]:
    """SQL conditions on Submission: this form, not deleted, in the user's area for `verb` (Forbidden
    without the verb), matching the filter (search reaches sensitive text only for those who may
    read it). Use them in any query over Submission."""
    scope = permissions.submission_scope(session, user, form.project_id, verb)
    sensitive = permissions.can(session, user, "submission.read_sensitive", form.project_id)
    return [
        Submission.form_id == form.id,
        Submission.deleted_at.is_not(None) if filters.deleted else Submission.deleted_at.is_(None),
        scope,
        *filter_conditions(form, filters, search_sensitive=sensitive, search=search),
    ]


def matching_ids_query(
    session: Session,
    user: User | None,
    form: Form,
    filters: SubmissionFilter,
    *,
    verb: str = "submission.read",
) -> Select[int]:
    """SELECT Submission.id of every submission matching the filter that the user may <verb>."""
    return select(Submission.id).where(*visible_conditions(session, user, form, filters, verb))


def count_submissions(
    session: Session, user: User | None, form: Form, filters: SubmissionFilter, *, at_most: int | None = None
) -> int:
    """How many submissions match. With `at_most`, a search may stop counting past it: any number
    above `at_most` then means "more than at_most" (the web table shows "1,000+")."""
    from server.core.review import tally  # tally reads this module's SubmissionFilter

    counted = tally.conditions(session, user, form, filters)
    if counted is not None:
        return tally.count(session, counted)
    conditions = visible_conditions(session, user, form, filters)
    term = (filters.search or "").strip()
    if term and at_most is not None:
        # Few candidates (an area, a village, a date window): read their text one by one, as a page
        # does; many: let the trigram index find matches, but only up to at_most + 1 of them.
        unsearched = replace(filters, search=None)
        candidates_where = tally.conditions(session, user, form, unsearched)
        if candidates_where is not None and tally.count(session, candidates_where) < SEARCH_WALK:
            sensitive = permissions.can(session, user, "submission.read_sensitive", form.project_id)
            found = _newest_matches(
                session, form, visible_conditions(session, user, form, unsearched), term, sensitive, SEARCH_WALK
            )
            if found is not None:
                return len(found)
        capped = select(Submission.id).where(*conditions).limit(at_most + 1).subquery()
        return int(session.scalar(select(func.count()).select_from(capped)) or 0)
    return int(session.scalar(select(func.count()).select_from(Submission).where(*conditions)) or 0)


def list_page(
    session: Session,
    user: User | None,
    form: Form,
    filters: SubmissionFilter | None = None,
    *,
    cursor: str | None = None,
    limit: int = 50,
    offset: int = 0,
    with_values: bool = True,
) -> SubmissionPage:
    """One page of the submissions table, newest first. Pass the page's next_cursor back to get the
    following page; each submission appears exactly once across pages (ties on created_at are broken
    by id). Sensitive values are masked unless the user holds submission.read_sensitive."""
    if offset < 0:
        raise BadRequest("offset ต้องไม่ติดลบ / offset must be 0 or more.", field="offset")
    if limit < 1 or limit > MAX_LIMIT:
        raise BadRequest(f"limit ต้องอยู่ระหว่าง 1 ถึง {MAX_LIMIT} / limit must be 1..{MAX_LIMIT}.", field="limit")
    filters = filters or SubmissionFilter()
    term = (filters.search or "").strip()
    conditions = visible_conditions(session, user, form, filters, "submission.read", search=not term)
    conditions.extend(conditions_of_cursor(cursor))
    if term:
        sensitive = permissions.can(session, user, "submission.read_sensitive", form.project_id)
        matched = _newest_matches(session, form, conditions, term, sensitive, offset + limit + 1)
        if matched is not None:
            conditions.append(Submission.id.in_(matched))
        else:  # a rare term: the trigram index finds its few matches at once
            conditions = visible_conditions(session, user, form, filters, "submission.read")
            conditions.extend(conditions_of_cursor(cursor))
    query = (
        select(Submission, SubmissionVersion, FormVersion.version, User.display_name)
        .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id)
        .join(FormVersion, FormVersion.id == SubmissionVersion.form_version_id)
        .outerjoin(User, User.id == Submission.submitter_id)
        .where(*conditions)
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    found = session.execute(query).all()
    more = len(found) > limit
    found = found[:limit]
    rows = [SubmissionRow(s, v, fv, name, None) for s, v, fv, name in found]
    if rows and with_values:
        _attach_values(session, user, form, rows)
    next_cursor = None
    if more and rows:
        last = rows[-1].submission
        next_cursor = encode_cursor(last.created_at, last.id)
    return SubmissionPage(rows=rows, next_cursor=next_cursor)


def conditions_of_cursor(cursor: str | None) -> list[ColumnElement[bool]]:
    if not cursor:
        return []
    moment, last_id = decode_cursor(cursor)
    return [
        Submission.created_at <= moment,
        or_(Submission.created_at < moment, and_(Submission.created_at == moment, Submission.id < last_id)),
    ]


# A search first walks this many of the newest candidate submissions (the ordering index, newest
# first) and reads their search text one by one: a common term fills a page from them at once. Only
# when fewer than a page matched among them is the trigram index asked (fast for a rare term).
SEARCH_WALK = 10_000


def _newest_matches(
    session: Session, form: Form, conditions: list[ColumnElement[bool]], term: str, sensitive: bool, need: int
) -> list[int] | None:
    """The ids of the newest `need` submissions matching `conditions` and the search term, found
    among the SEARCH_WALK newest candidates; None when they held fewer and there are more."""
    walk = (
        select(Submission.id, Submission.created_at)
        .where(*conditions, Submission.current_version_id.is_not(None))  # as the page's join
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(SEARCH_WALK)
        .subquery()
    )
    # A correlated scalar test (not a join): PostgreSQL then looks each candidate's text up by key
    # instead of matching every submission's text through the trigram index first.
    hit = (
        select(search_match(term, search_sensitive=sensitive))
        .where(SubmissionSearch.submission_id == walk.c.id, SubmissionSearch.form_id == form.id)
        .scalar_subquery()
    )
    found = list(
        session.scalars(
            select(walk.c.id).where(hit.is_(True)).order_by(walk.c.created_at.desc(), walk.c.id.desc()).limit(need)
        )
    )
    if len(found) >= need:
        return found
    walked = int(session.scalar(select(func.count()).select_from(walk)) or 0)
    return found if walked < SEARCH_WALK else None


def _attach_values(session: Session, user: User | None, form: Form, rows: list[SubmissionRow]) -> None:
    version_ids = [r.version.id for r in rows]
    values: dict[int, dict[str, Any]] = dict(
        session.execute(
            select(Record.submission_version_id, Record.values).where(
                Record.submission_version_id.in_(version_ids)
            )
        ).all()
    )
    flags: dict[int, list[str]] = {}
    for vid, code in session.execute(
        select(QualityFlag.submission_version_id, QualityFlag.code)
        .where(QualityFlag.submission_version_id.in_(version_ids))
        .order_by(QualityFlag.id)
    ):
        flags.setdefault(vid, []).append(code)
    reveal = permissions.can(session, user, "submission.read_sensitive", form.project_id)
    schemas: dict[int, frozenset[str]] = {}
    if not reveal:
        fv_ids = {r.version.form_version_id for r in rows}
        for fv_id, schema in session.execute(
            select(FormVersion.id, FormVersion.field_schema).where(FormVersion.id.in_(fv_ids))
        ):
            schemas[fv_id] = sensitive_paths(schema or {})
    for row in rows:
        raw = values.get(row.version.id)
        if raw is not None and not reveal:
            raw = mask_values(raw, schemas.get(row.version.form_version_id, frozenset()))
        row.values = raw
        row.flags = flags.get(row.version.id, [])
