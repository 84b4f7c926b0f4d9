"""Filling in the stored CSV cells (exports.prerendered) from stored values, without re-parsing any XML:
for rows processed before the cells existed (migration 0014), and after a new form version changed the
layout (rows of older versions are then rendered for the current version's layout, which is the one
exports plan). `chumchon prerender`; an export works without it, only slower for such rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import orjson
from sqlalchemy import Table, Text, bindparam, func, or_, select, text, update
from sqlalchemy import cast as sql_cast

from exports.prerendered import prerender, renderer_for
from server.core.exports.rows import SessionFactory
from server.core.models import Form, Record, RepeatRow, Submission, SubmissionVersion

CHUNK = 2000  # records per transaction
_RECORD = cast(Table, Record.__table__)
_REPEAT = cast(Table, RepeatRow.__table__)
_PG_REPEAT_UPDATE = text(
    "UPDATE repeat_row SET csv_line = v.line FROM unnest(CAST(:ids AS integer[]), CAST(:lines AS text[]))"
    " AS v(id, line) WHERE repeat_row.id = v.id"
)
_PG_RECORD_UPDATE = text(
    "UPDATE record SET csv_layout = :tag, csv_cells = v.cells FROM unnest(CAST(:ids AS integer[]),"
    " CAST(:cells AS text[])) AS v(id, cells) WHERE record.id = v.id"
)


def prerender_form(
    sessions: SessionFactory, form_id: int, on_progress: Callable[[int, int], None] | None = None
) -> int:
    """Render the cells of the form's current versions whose layout tag is not the current plan's;
    returns how many records were rendered. Safe to stop and run again (each chunk commits)."""
    with sessions() as session:
        form = session.get(Form, form_id)
        if form is None or form.current_version is None:
            return 0
        renderer = renderer_for(form.current_version.field_schema)
        postgres = session.get_bind().dialect.name == "postgresql"
        stale = or_(Record.csv_layout.is_(None), Record.csv_layout != renderer.tag)
        base = (
            select(Record.id, Record.submission_version_id, sql_cast(Record.values, Text))
            .join(SubmissionVersion, SubmissionVersion.id == Record.submission_version_id)
            .join(Submission, Submission.current_version_id == SubmissionVersion.id)
            .where(Record.form_id == form_id, stale)
        )
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    done = last = 0
    while True:
        with sessions() as session:
            records = session.execute(base.where(Record.id > last).order_by(Record.id).limit(CHUNK)).all()
            if not records:
                return done
            repeats: dict[int, list[Any]] = {}
            for vid, rid, path, key, parent_key, values in session.execute(
                select(
                    RepeatRow.submission_version_id,
                    RepeatRow.id,
                    RepeatRow.repeat_path,
                    RepeatRow.key,
                    RepeatRow.parent_key,
                    sql_cast(RepeatRow.values, Text),
                )
                .where(RepeatRow.submission_version_id.in_([r[1] for r in records]))
                .order_by(RepeatRow.submission_version_id, RepeatRow.ordinal)
            ):
                repeats.setdefault(vid, []).append((rid, path, key, parent_key, values))
            record_rows: list[tuple[int, str]] = []
            repeat_rows: list[tuple[int, str]] = []
            for rid, vid, values in records:
                rows = repeats.get(vid, [])
                rendered = prerender(
                    renderer,
                    orjson.loads(values) if values else {},
                    [(path, orjson.loads(v) if v else {}, key, parent) for _id, path, key, parent, v in rows],
                )
                record_rows.append((rid, rendered.main))
                repeat_rows += [(row[0], line) for row, line in zip(rows, rendered.repeat_lines, strict=True)]
            _write(session, postgres, renderer.tag, record_rows, repeat_rows)
            session.commit()
        done += len(records)
        last = records[-1][0]
        if on_progress is not None:
            on_progress(done, max(total, done))


def _write(
    session: Any, postgres: bool, tag: str, records: list[tuple[int, str]], repeats: list[tuple[int, str]]
) -> None:
    if postgres:  # one statement per table instead of one per row
        session.execute(_PG_RECORD_UPDATE, {"tag": tag, "ids": [r[0] for r in records], "cells": [r[1] for r in records]})
        if repeats:
            session.execute(_PG_REPEAT_UPDATE, {"ids": [r[0] for r in repeats], "lines": [r[1] for r in repeats]})
        return
    session.execute(
        update(_RECORD).where(_RECORD.c.id == bindparam("rid")).values(csv_layout=tag, csv_cells=bindparam("cells")),
        [{"rid": rid, "cells": cells} for rid, cells in records],
    )
    if repeats:
        session.execute(
            update(_REPEAT).where(_REPEAT.c.id == bindparam("rid")).values(csv_line=bindparam("line")),
            [{"rid": rid, "line": line} for rid, line in repeats],
        )
