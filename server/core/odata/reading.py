"""Reading a form's submissions for OData in keyset pages, each page its own short transaction, so
a feed of a million submissions holds one page in memory at a time. The rows are the exports' rows
(`server.core.exports.rows.filtered`: current, processed, not deleted, inside the reader's area)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Text, and_, cast, func, or_, select

from server.core.exports import rows
from server.core.exports.rows import RowFilter, SessionFactory
from server.core.models import FormVersion, Record, RepeatRow, Submission, SubmissionVersion, User
from server.core.odata.entities import RepeatRowData, SubmissionData
from server.core.odata.filters import ORDER_COLUMNS

PAGE = 1000  # submissions read per query


@dataclass(frozen=True)
class Query:
    """Which submissions a feed reads and in what order."""

    form_id: int
    scope: Any  # the reader's area (permissions.area_condition) or None
    conditions: tuple[ColumnElement[bool], ...] = ()  # $filter, one instance id …
    order: tuple[tuple[str, bool], ...] = (("__system/submissionDate", True),)
    include_deleted: bool = False  # a $filter on __system/deletedAt decides (as Central)

    def row_filter(self) -> RowFilter:
        return RowFilter(self.form_id, scope=self.scope, include_deleted=self.include_deleted)


def _keys(query: Query) -> list[tuple[Any, bool]]:
    keys = [(ORDER_COLUMNS[name], desc) for name, desc in query.order]
    last_desc = keys[-1][1] if keys else True
    return [*keys, (Submission.id, last_desc)]  # the id breaks ties: every row has one place


def _after(keys: list[tuple[Any, bool]], values: tuple[Any, ...], inclusive: bool) -> ColumnElement[bool]:
    """Rows strictly after (or at, when inclusive) the row whose sort keys are `values`."""
    alternatives = []
    for i, (column, desc) in enumerate(keys):
        same = [keys[j][0] == values[j] for j in range(i)]
        alternatives.append(and_(*same, column < values[i] if desc else column > values[i]))
    if inclusive:
        alternatives.append(and_(*[column == values[j] for j, (column, _) in enumerate(keys)]))
    after = or_(*alternatives)
    first, desc = keys[0]
    if values[0] is not None:
        # Implied by the alternatives, but a bound the index can start from: without it every page
        # walks (and filters out) all the rows of the pages before it.
        after = and_(first <= values[0] if desc else first >= values[0], after)
    return after


def sort_values(session: Any, query: Query, instance_id: str) -> tuple[Any, ...] | None:
    """The sort keys of one submission of the feed (to resume after it), None if it is not there."""
    keys = _keys(query)
    found = session.execute(
        select(*[c for c, _ in keys]).where(Submission.form_id == query.form_id, Submission.instance_id == instance_id)
    ).first()
    return tuple(found) if found is not None else None


def _base(query: Query) -> Any:
    return rows.filtered(
        select(
            Submission.id,
            Submission.instance_id,
            Submission.created_at,
            Submission.updated_at,
            Submission.deleted_at,
            Submission.review_state,
            Submission.submitter_id,
            User.display_name,
            SubmissionVersion.id,
            SubmissionVersion.device_id,
            FormVersion.version,
            cast(Record.values, Text),
            *[c for c, _ in _keys(query)],
        )
        .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id)
        .join(Record, Record.submission_version_id == SubmissionVersion.id)
        .join(FormVersion, FormVersion.id == SubmissionVersion.form_version_id)
        .outerjoin(User, User.id == Submission.submitter_id),
        query.row_filter(),
    ).where(*query.conditions)


def submission_pages(
    sessions: SessionFactory,
    query: Query,
    *,
    after: tuple[Any, ...] | None = None,
    inclusive: bool = False,
    offset: int = 0,
    limit: int | None = None,
    repeat_paths: tuple[str, ...] = (),
    prefetch: bool = False,
) -> Iterator[list[SubmissionData]]:
    """Pages of the feed's submissions in its order, from just after `after` (the sort keys of the
    last row sent), skipping `offset` rows, at most `limit` rows in all; with their repeat rows of
    `repeat_paths`. With `prefetch`, the next page is read in a thread while the caller works on
    this one (the database and the row building then share the time; never more than two pages
    are held)."""
    keys = _keys(query)
    left = limit
    size = PAGE if left is None else min(PAGE, left)
    pool = ThreadPoolExecutor(1, thread_name_prefix="odata-page") if prefetch else None

    def read(after: tuple[Any, ...] | None, inclusive: bool, offset: int, size: int) -> Future[_Page]:
        if pool is not None:
            return pool.submit(_read_page, sessions, query, keys, after, inclusive, offset, size, repeat_paths)
        done: Future[_Page] = Future()
        done.set_result(_read_page(sessions, query, keys, after, inclusive, offset, size, repeat_paths))
        return done

    try:
        pending = read(after, inclusive, offset, size)
        while True:
            page, last = pending.result()
            if not page:
                return
            if left is not None:
                left -= len(page)
            more = len(page) == size and (left is None or left > 0)
            if more:
                size = PAGE if left is None else min(PAGE, left)
                pending = read(last, False, 0, size)
            yield page
            if not more:
                return
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


_Page = tuple[list[SubmissionData], tuple[Any, ...]]  # a page and the sort keys of its last row


def _read_page(
    sessions: SessionFactory,
    query: Query,
    keys: list[tuple[Any, bool]],
    after: tuple[Any, ...] | None,
    inclusive: bool,
    offset: int,
    size: int,
    repeat_paths: tuple[str, ...],
) -> _Page:
    statement = _base(query)
    if after is not None:
        statement = statement.where(_after(keys, after, inclusive))
    statement = statement.order_by(*[c.desc() if d else c.asc() for c, d in keys]).limit(size)
    if offset:
        statement = statement.offset(offset)
    with sessions() as session:
        found = session.execute(statement).all()
        if not found:
            return [], ()
        files = rows.attachment_counts(session, [r[8] for r in found])
        edits = rows.edit_counts(session, [r[0] for r in found])
        repeats = _repeat_rows(session, [r[8] for r in found], repeat_paths) if repeat_paths else {}
    page = []
    for r in found:
        present, expected = files.get(r[8], (0, 0))
        page.append(
            SubmissionData(
                id=r[0], instance_id=r[1], created_at=r[2], updated_at=r[3], deleted_at=r[4],
                review_state=r[5], submitter_id=r[6], submitter_name=r[7],
                attachments_present=present, attachments_expected=expected, device_id=r[9],
                edits=edits.get(r[0], 0), form_version=r[10],
                raw_values=r[11], repeats=repeats.get(r[8], []),
            )
        )
    return page, tuple(found[-1][-len(keys):])


def _repeat_rows(session: Any, version_ids: list[int], paths: tuple[str, ...]) -> dict[int, list[RepeatRowData]]:
    by_version: dict[int, list[RepeatRowData]] = {}
    for vid, path, ordinal, key, parent_key, values in session.execute(
        select(
            RepeatRow.submission_version_id,
            RepeatRow.repeat_path,
            RepeatRow.ordinal,
            RepeatRow.key,
            RepeatRow.parent_key,
            cast(RepeatRow.values, Text),
        )
        .where(RepeatRow.submission_version_id.in_(version_ids), RepeatRow.repeat_path.in_(paths))
        .order_by(RepeatRow.submission_version_id, RepeatRow.ordinal)
    ):
        by_version.setdefault(vid, []).append(
            RepeatRowData(path, ordinal, key, parent_key, orjson.loads(values) if values else {})
        )
    return by_version


def count_submissions(sessions: SessionFactory, query: Query) -> int:
    with sessions() as session:
        statement = rows.filtered(
            select(func.count())
            .select_from(Submission)
            .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id),
            query.row_filter(),
        ).where(*query.conditions)
        return int(session.scalar(statement) or 0)


def count_repeat_rows(sessions: SessionFactory, query: Query, repeat_path: str) -> int:
    with sessions() as session:
        statement = rows.filtered(
            select(func.count())
            .select_from(RepeatRow)
            .join(SubmissionVersion, SubmissionVersion.id == RepeatRow.submission_version_id)
            .join(Submission, Submission.current_version_id == SubmissionVersion.id)
            .where(RepeatRow.form_id == query.form_id, RepeatRow.repeat_path == repeat_path),
            query.row_filter(),
        ).where(*query.conditions)
        return int(session.scalar(statement) or 0)
