"""Reading CSV text for an export: the cells processing stored (exports.prerendered) where their
layout tag is the export's, cells rendered from the values where it is not, joined into large
chunks of whole lines. Same submissions, same order and same bytes as rows.main_rows/repeat_rows
through the row-by-row CSV writer; far fewer Python objects per row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import Text, case, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from exports.prerendered import Renderer
from server.core.exports.rows import (
    RowFilter,
    SessionFactory,
    attachment_counts,
    current_versions,
    edit_counts,
    iso_z,
    main_chunk,
)
from server.core.models import Record, RepeatRow, Submission, SubmissionVersion

CHUNK = 5000  # submissions per query; a chunk of text is a few MB
_loads = orjson.loads


def main_chunks(sessions: SessionFactory, flt: RowFilter, renderer: Renderer) -> Iterator[tuple[str, int]]:
    """(text of whole main-table lines, how many) per chunk of submissions."""
    tag = renderer.tag
    stale_values = case((Record.csv_layout == tag, None), else_=cast(Record.values, Text))
    last = 0
    while True:
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


def repeat_chunks(
    sessions: SessionFactory, flt: RowFilter, renderer: Renderer, repeat_path: str
) -> Iterator[tuple[str, int]]:
    """(text of whole lines of one repeat table, how many) per chunk of submissions."""
    tag = renderer.tag
    postgres = None
    last = 0
    while True:
        with sessions() as session:
            if postgres is None:
                postgres = session.get_bind().dialect.name == "postgresql"
            chunk = session.execute(
                current_versions(flt)
                .add_columns(Record.csv_layout)
                .join(Record, Record.submission_version_id == SubmissionVersion.id)
                .where(Submission.id > last)
                .limit(CHUNK)
            ).all()
            if not chunk:
                return
            ids = [vid for _sid, vid, _layout in chunk]
            text = None
            if postgres and all(layout == tag for _s, _v, layout in chunk):
                text, count = _stored_lines(session, ids, repeat_path)
            if text is None:
                text, count = _rendered_lines(session, ids, repeat_path, renderer)
        if count:
            yield text, count
        last = chunk[-1][0]


def _stored_lines(session: Any, version_ids: list[int], repeat_path: str) -> tuple[str | None, int]:
    """All the chunk's stored lines in one string built by PostgreSQL; (None, 0) if a line is missing."""
    ordered: Any = aggregate_order_by(
        literal_column("''"), SubmissionVersion.submission_id, RepeatRow.ordinal
    )
    text, rows, stored = session.execute(
        select(func.string_agg(RepeatRow.csv_line, ordered), func.count(), func.count(RepeatRow.csv_line))
        .join(SubmissionVersion, SubmissionVersion.id == RepeatRow.submission_version_id)
        .where(RepeatRow.submission_version_id.in_(version_ids), RepeatRow.repeat_path == repeat_path)
    ).one()
    if rows != stored:
        return None, 0
    return text or "", rows


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
