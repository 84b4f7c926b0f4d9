"""Streaming CSV-zip writer: one UTF-8-with-BOM CSV per table, written row by row into zip entries.

Memory stays flat whatever the number of submissions: rows are pulled from iterators one at a time
and written straight into a deflating zip entry; repeat tables are read in their own later pass."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO

from exports.cells import cell, point_part
from exports.columns import Column, Table, plan_tables

Row = Mapping[str, Any]  # {"values": {path: value}, <system column name>: value, …}


def _cells(columns: list[Column], row: Row) -> list[str]:
    values = row.get("values") or {}
    out = []
    for column in columns:
        if column.system is not None:
            out.append(cell(row.get(column.system)))
            continue
        value = values.get(column.path)
        if column.part is not None:
            out.append(point_part(value, column.part))
        elif column.choices is not None and value is not None:
            out.append(_choice_labels(value, column.choices))
        else:
            out.append(cell(value))
    return out


def _choice_labels(value: Any, choices: dict[str, str]) -> str:
    if isinstance(value, list):
        return cell(", ".join(choices.get(str(v), str(v)) for v in value))
    return cell(choices.get(str(value), str(value)))


def _write_table(archive: zipfile.ZipFile, table: Table, rows: Iterable[Row]) -> int:
    count = 0
    with archive.open(table.filename, "w", force_zip64=True) as entry:
        # utf-8-sig writes the BOM Excel needs to read Thai text as UTF-8 instead of code page 874.
        text = io.TextIOWrapper(entry, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow([c.header for c in table.columns])
        for row in rows:
            writer.writerow(_cells(table.columns, row))
            count += 1
        text.flush()
        text.detach()
    return count


def write_csv_zip(
    out: BinaryIO,
    schema: dict[str, Any],
    main_rows: Iterable[Row],
    repeat_rows: Callable[[str], Iterable[Row]],
    *,
    labels: str | None = None,
) -> dict[str, int]:
    """Write the zip to `out`; returns rows written per file name.

    main_rows: one row per submission, system keys SubmissionDate, KEY, SubmitterID, SubmitterName,
    AttachmentsPresent, AttachmentsExpected, ReviewState, DeviceID, Edits, FormVersion.
    repeat_rows(repeat_path): called once per repeat table, after the main table is written, giving
    rows with KEY and PARENT_KEY."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(
        out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=5, allowZip64=True
    ) as archive:
        for table in plan_tables(schema, labels=labels):
            rows = main_rows if table.repeat_path is None else repeat_rows(table.repeat_path)
            counts[table.filename] = _write_table(archive, table, rows)
    return counts
