"""Streaming CSV-zip writer: one UTF-8-with-BOM CSV per table, written row by row into zip entries.

Memory stays flat whatever the number of submissions: rows are pulled from iterators one at a time
and written straight into a deflating zip entry; repeat tables are read in their own later pass."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO

from exports.cells import cell_function, safe_text
from exports.columns import Table, plan_tables
from exports.options import ExportOptions

Row = Mapping[str, Any]  # {"values": {path: value}, <system column name>: value, …}


def _write_table(archive: zipfile.ZipFile, table: Table, rows: Iterable[Row], options: ExportOptions) -> int:
    count = 0
    columns = table.columns
    buddhist, excel_ids = options.dates == "buddhist", options.excel_ids
    cells = [cell_function(c, buddhist=buddhist, excel_ids=excel_ids) for c in columns]
    with archive.open(table.filename, "w", force_zip64=True) as entry:
        # utf-8-sig writes the BOM Excel needs to read Thai text as UTF-8 instead of code page 874.
        text = io.TextIOWrapper(entry, encoding="utf-8-sig", newline="", write_through=False)
        writer = csv.writer(text)
        # A label is user text too: "=HYPERLINK(…)" or "@เลือก" as a header would run in Excel.
        writer.writerow([safe_text(c.header) for c in columns])
        write = writer.writerow
        for row in rows:
            if not row.get("values"):
                row = {**row, "values": {}}
            write([f(row) for f in cells])
            count += 1
        text.flush()
        text.detach()
    return count


def write_csv_zip(
    out: BinaryIO,
    schema: Mapping[str, Any],
    main_rows: Iterable[Row],
    repeat_rows: Callable[[str], Iterable[Row]],
    *,
    labels: str | None = None,
    options: ExportOptions | None = None,
) -> dict[str, int]:
    """Write the zip to `out`; returns rows written per file name.

    main_rows: one row per submission, system keys SubmissionDate, KEY, SubmitterID, SubmitterName,
    AttachmentsPresent, AttachmentsExpected, ReviewState, DeviceID, Edits, FormVersion.
    repeat_rows(repeat_path): called once per repeat table, after the main table is written, giving
    rows with KEY and PARENT_KEY."""
    options = options or ExportOptions(labels=labels)
    counts: dict[str, int] = {}
    with zipfile.ZipFile(
        out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=5, allowZip64=True
    ) as archive:
        for table in plan_tables(schema, options=options):
            rows = main_rows if table.repeat_path is None else repeat_rows(table.repeat_path)
            counts[table.filename] = _write_table(archive, table, rows, options)
    return counts
