"""Reading CSV text for an export: the cells processing stored (exports.prerendered) where their
layout tag is the export's, cells rendered from the values where it is not, joined into large
chunks of whole lines. Same submissions, same order and same bytes as rows.main_rows/repeat_rows
through the row-by-row CSV writer; far fewer Python objects per row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Text, and_, case, cast, func, literal, literal_column, not_, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from exports.prerendered import Renderer
from server.core.exports.rows import (
    RowFilter,
    SessionFactory,
    attachment_counts,
    attachment_files,
    binary_row,
    current_versions,
    edit_count,
    edit_counts,
    iso_z,
    main_chunk,
    on_postgres,
    submitted_text,
    tune_page,
)
from server.core.models import FormVersion, Record, RepeatRow, Submission, SubmissionVersion, User

CHUNK = 5000  # submissions per query; a chunk of text is a few MB
_loads = orjson.loads


Text_ = str | bytes  # a chunk of CSV lines: bytes (UTF-8) when PostgreSQL joined them


def main_chunks(sessions: SessionFactory, flt: RowFilter, renderer: Renderer) -> Iterator[tuple[Text_, int]]:
    """(text of whole main-table lines, how many) per chunk of submissions. On PostgreSQL a chunk
    whose stored cells all have the export's layout is joined into lines there (_sql_main_lines);
    any other chunk is joined here."""
    tag = renderer.tag
    stale_values = case((Record.csv_layout == tag, None), else_=cast(Record.values, Text))
    in_sql: bool | None = None
    last = 0
    while True:
        if in_sql is None:
            in_sql = on_postgres(sessions) and not renderer.buddhist
        if in_sql:
            with sessions() as session:
                joined = _sql_main_lines(session, flt, renderer, last)
            if joined is None:
                return
            if joined[0] is not None:
                text, count, last = joined
                yield text, count  # outside the session: no transaction stays open meanwhile
                continue
        with sessions() as session:
            rows = session.execute(main_chunk(flt, last, CHUNK, Record.csv_cells, stale_values)).all()
            if not rows:
                return
            files = attachment_counts(session, [r[5] for r in rows])
            edits = edit_counts(session, [r[0] for r in rows])
        line = renderer.main_line
        answers = renderer.answers
        out = []
        for sid, created, review, submitter, name, vid, iid, device, version, cells, values in rows:
            if values is not None or cells is None:
                cells = answers(None, _loads(values) if values else {})
            present, expected = files.get(vid, (0, 0))
            out.append(
                line(
                    cells,
                    iso_z(created),
                    (iid, submitter, name, present, expected, review, device, edits.get(sid, 0), version),
                )
            )
        yield "".join(out), len(rows)
        last = rows[-1][0]


# --- the main table's lines joined by PostgreSQL ---------------------------------------------------
# The same text as Renderer.main_line: cells.cell() then prerendered.quoted() of each system column.

_FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_NEEDS_QUOTES = '[,"\r\n]'
_AWKWARD = '^[-=+@\t\r]|[,"\r\n]'  # could start a formula or needs quotes


def _text_cell(value: Any) -> ColumnElement[str]:
    """A text column as its CSV field: formula-like text behind an apostrophe (unless a plain number
    or dashes), quoted with doubled quotes where it holds a comma, a quote or a line break; NULL empty.
    One regular expression tells the common case (nothing to do) from the rest."""
    safe = case(
        (
            and_(
                func.left(value, 1).in_(_FORMULA_FIRST),
                not_(value.regexp_match(_PLAIN_NUMBER)),
                not_(value.regexp_match("^-+$")),
            ),
            literal("'") + value,
        ),
        else_=value,
    )
    awkward = case(
        (safe.regexp_match(_NEEDS_QUOTES), '"' + func.replace(safe, '"', '""') + '"'),
        else_=safe,
    )
    return case((value.regexp_match(_AWKWARD), awkward), else_=func.coalesce(value, ""))


def _number_cell(value: Any) -> ColumnElement[str]:
    return func.coalesce(cast(value, Text), "")


def _main_line(renderer: Renderer, files: Any) -> ColumnElement[str]:
    edits = edit_count()
    expected, present = files.c.expected, files.c.present
    moment = submitted_text()
    parts: list[Any] = [moment]
    if renderer.has_answers(None):
        parts.append(func.coalesce(Record.csv_cells, ""))
    parts += [
        _text_cell(SubmissionVersion.instance_id),
        _number_cell(Submission.submitter_id),
        _text_cell(User.display_name),
        _number_cell(present),
        _number_cell(expected),
        _text_cell(Submission.review_state),
        _text_cell(SubmissionVersion.device_id),
        _number_cell(edits),
        _text_cell(FormVersion.version),
    ]
    line: Any = parts[0]
    for part in parts[1:]:
        line = line.op("||")(",").op("||")(part)
    return line.op("||")("\r\n")  # type: ignore[no-any-return]


def _sql_main_lines(
    session: Any, flt: RowFilter, renderer: Renderer, after: int
) -> tuple[Any, int, int] | None:
    """(the page's lines as UTF-8, how many, its last submission id) for the page after `after`;
    (None, 0, after) if a row of it has no stored cells of this layout (the caller joins that page
    itself); None past the last page."""
    tune_page(session)
    stale = or_(Record.csv_layout.is_distinct_from(renderer.tag), Record.csv_cells.is_(None))
    files = attachment_files()
    page = (
        main_chunk(flt, after, CHUNK, _main_line(renderer, files).label("line"), stale.label("stale"))
        .join(files, literal(True))
        .subquery()
    )
    ordered: Any = aggregate_order_by(literal_column("''"), page.c.id)
    text, count, last, stale_rows = binary_row(
        session,
        select(
            func.convert_to(func.string_agg(page.c.line, ordered), "UTF8"),
            func.count(),
            func.max(page.c.id),
            func.count().filter(page.c.stale),
        ),
    )
    if not count:
        return None
    if stale_rows:
        return None, 0, after
    return bytes(text), count, last


def repeat_chunks(
    sessions: SessionFactory, flt: RowFilter, renderer: Renderer, repeat_path: str
) -> Iterator[tuple[Text_, int]]:
    """(text of whole lines of one repeat table, how many) per chunk of submissions. On PostgreSQL
    a chunk whose lines are all stored under the export's layout is joined there in one query."""
    tag = renderer.tag
    in_sql: bool | None = None
    last = 0
    while True:
        if in_sql is None:
            in_sql = on_postgres(sessions)
        if in_sql:
            with sessions() as session:
                joined = _sql_repeat_lines(session, flt, tag, repeat_path, last)
            if joined is None:
                return
            if joined[0] is not None:
                text, count, last = joined
                if count:
                    yield text, count
                continue
        with sessions() as session:
            chunk = session.execute(
                current_versions(flt)
                .add_columns(Record.csv_layout)
                .join(Record, Record.submission_version_id == SubmissionVersion.id)
                .where(Submission.id > last)
                .limit(CHUNK)
            ).all()
            if not chunk:
                return
            text, count = _rendered_lines(
                session, [vid for _sid, vid, _layout in chunk], repeat_path, renderer
            )
        if count:
            yield text, count
        last = chunk[-1][0]


def _sql_repeat_lines(
    session: Any, flt: RowFilter, tag: str, repeat_path: str, after: int
) -> tuple[Any, int, int] | None:
    """(the stored lines of the page's repeat rows as UTF-8, how many, the page's last submission
    id); (None, 0, after) if a row of the page has another layout or a line is missing; None past
    the last page."""
    tune_page(session)
    page = (
        current_versions(flt)
        .add_columns(Record.csv_layout)
        .join(Record, Record.submission_version_id == SubmissionVersion.id)
        .where(Submission.id > after)
        .limit(CHUNK)
        .subquery()
    )
    sid, vid, layout = page.c
    ordered: Any = aggregate_order_by(literal_column("''"), sid, RepeatRow.ordinal)
    text, pages, rows, stored, stale, last = binary_row(
        session,
        select(
            func.convert_to(func.string_agg(RepeatRow.csv_line, ordered), "UTF8"),
            func.count(),
            func.count(RepeatRow.id),
            func.count(RepeatRow.csv_line),
            func.count().filter(layout.is_distinct_from(tag)),
            func.max(sid),
        )
        .select_from(page)
        .outerjoin(
            RepeatRow, and_(RepeatRow.submission_version_id == vid, RepeatRow.repeat_path == repeat_path)
        ),
    )
    if not pages:
        return None
    if stale or rows != stored:
        return None, 0, after
    return bytes(text or b""), rows, last


def _rendered_lines(
    session: Any, version_ids: list[int], repeat_path: str, renderer: Renderer
) -> tuple[str, int]:
    tag = renderer.tag
    out = []
    for layout, line, key, parent_key, values in session.execute(
        select(
            Record.csv_layout,
            RepeatRow.csv_line,
            RepeatRow.key,
            RepeatRow.parent_key,
            case((Record.csv_layout == tag, None), else_=cast(RepeatRow.values, Text)),
        )
        .join(SubmissionVersion, SubmissionVersion.id == RepeatRow.submission_version_id)
        .join(Record, Record.submission_version_id == RepeatRow.submission_version_id)
        .where(RepeatRow.submission_version_id.in_(version_ids), RepeatRow.repeat_path == repeat_path)
        .order_by(SubmissionVersion.submission_id, RepeatRow.ordinal)
    ):
        if layout != tag or line is None:
            line = renderer.repeat_line(repeat_path, _loads(values) if values else {}, key, parent_key)
        out.append(line)
    return "".join(out), len(out)
