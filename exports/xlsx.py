"""Streaming XLSX writer (rustpy-xlsxwriter, constant memory): a sheet per table, typed cells (IDs and
phone numbers as text, dates as Excel dates), a label row and a field-name row, frozen header, widths
that fit Thai text, and a table continued on a new sheet past Excel's 1,048,576 rows.

rustpy-xlsxwriter was chosen by measurement (README, "Benchmarks"): ≈ 1 M cells/s in flat memory
against ≈ 0.11 M cells/s for XlsxWriter in constant-memory mode and for pyexcelerate."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from os import PathLike
from typing import Any

import rustpy_xlsxwriter as rxw

from exports.columns import Column, Table, plan_tables
from exports.options import ExportOptions
from exports.typed import is_text_column, typed

Row = Mapping[str, Any]
EXCEL_MAX_ROWS = 1_048_576
# rustpy-xlsxwriter writes each sheet as one zip entry without Zip64, so a sheet's XML must stay under
# 4 GiB: a million household submissions (≈ 4.7 KB of XML a row) is more. Sheets are sized from an
# over-estimate of the first rows' XML with room to spare (SHEET_XML_BUDGET, SAMPLE_MARGIN).
SHEET_XML_BUDGET = 3 * 1024**3
SAMPLE_ROWS = 1000
SAMPLE_MARGIN = 1.5
_CELL_XML = 56  # <c r="BR1048576" s="12" t="inlineStr"><is><t></t></is></c>
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_DATE_FORMATS = {
    # Excel's Thai locale with the Buddhist calendar (107) shows 15/01/2569 for a real date value.
    ("date", "buddhist"): "[$-107041E]dd/mm/yyyy",
    ("dateTime", "buddhist"): "[$-107041E]dd/mm/yyyy hh:mm:ss",
    ("date", "iso"): "yyyy-mm-dd",
    ("dateTime", "iso"): "yyyy-mm-dd hh:mm:ss",
}


def display_width(text: str) -> float:
    """Approximate Excel column width of text: Thai vowel and tone marks above or below a consonant
    take no width of their own; Thai consonants are a little wider than Latin letters."""
    width = 0.0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn":
            continue
        width += 1.15 if "\u0e00" <= ch <= "\u0e7f" else 1.0
    return width


def _column_width(column: Column, headers: list[str]) -> float:
    widest = max(display_width(h) for h in headers)
    minimum = {"date": 11, "dateTime": 19, "decimal": 10, "int": 8}.get(column.kind, 10)
    if column.system == "SubmissionDate":
        minimum = 19
    if column.system == "KEY" or column.system == "PARENT_KEY":
        minimum = 44  # uuid:… instance IDs
    return float(min(60, max(minimum, widest + 2)))


def _unique(texts: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for text in texts:
        text = text or "-"
        count = seen.get(text, 0)
        seen[text] = count + 1
        out.append(f"{text} ({count + 1})" if count else text)
    return out


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name).strip("'") or "sheet"
    candidate, n = base[:31], 1
    while candidate.lower() in used:
        n += 1
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)] + suffix
    used.add(candidate.lower())
    return candidate


def _format(column: Column, dates: str) -> Any:
    fmt = rxw.Format()
    if column.kind in ("date", "dateTime") or column.system == "SubmissionDate":
        kind = "date" if column.kind == "date" else "dateTime"
        return fmt.set_num_format(_DATE_FORMATS[(kind, dates)])
    if is_text_column(column):
        return fmt.set_num_format("@")  # typing into the column keeps text (IDs stay IDs)
    return fmt


class _Counter:
    def __init__(self) -> None:
        self.count = 0


class _TableReader:
    """One table's rows, shared by its sheets; the reading starts when its first sheet is written."""

    def __init__(
        self, table: Table, main_rows: Iterable[Row], repeat_rows: Callable[[str], Iterable[Row]]
    ) -> None:
        self.table, self.main_rows, self.repeat_rows = table, main_rows, repeat_rows
        self.rows: Iterator[Row] | None = None
        self.sample: list[Row] = []

    def _source(self) -> Iterator[Row]:
        if self.rows is None:
            path = self.table.repeat_path
            self.rows = iter(self.main_rows if path is None else self.repeat_rows(path))
        return self.rows

    def row_bytes(self, columns: list[Column]) -> float:
        """An over-estimate of a row's sheet XML, from the table's first rows (read ahead and kept)."""
        self.sample = list(itertools.islice(self._source(), SAMPLE_ROWS))
        if not self.sample:
            return 0.0
        total = sum(
            _CELL_XML + 3 * len(str(value))
            for row in self.sample
            for column in columns
            if (value := typed(column, row)) is not None
        )
        return total / len(self.sample) + 30  # <row r="…"> … </row>

    def __iter__(self) -> Iterator[Row]:
        return self

    def __next__(self) -> Row:
        if self.sample:
            return self.sample.pop(0)
        return next(self._source())


def _records(
    keys: list[str],
    columns: list[Column],
    rows: Iterator[Row],
    limit: int | None,
    names_row: list[str] | None,
    counter: _Counter,
) -> Iterator[dict[str, Any]]:
    if names_row is not None:
        yield dict(zip(keys, names_row, strict=True))
    for row in itertools.islice(rows, limit):
        counter.count += 1
        yield {key: typed(column, row) for key, column in zip(keys, columns, strict=True)}
    if names_row is None and counter.count == 0:
        yield dict.fromkeys(keys)  # the header row is written from the first record's keys


def write_xlsx(
    out: str | PathLike[str],
    schema: Mapping[str, Any],
    main_rows: Iterable[Row],
    repeat_rows: Callable[[str], Iterable[Row]],
    *,
    options: ExportOptions | None = None,
    table_rows: Mapping[str | None, int] | None = None,
    max_rows: int = EXCEL_MAX_ROWS,
    sheet_xml_budget: float = SHEET_XML_BUDGET,
) -> dict[str, int]:
    """Write the workbook to the file `out`; returns rows written per sheet.

    table_rows: how many rows each table will have (by repeat path, None for the main table), to lay
    out continuation sheets in advance (the workbook's sheet list is fixed before writing starts);
    a table with more rows than announced has the rest on its last sheet, up to Excel's limit. A
    table whose sheet XML would pass sheet_xml_budget (estimated from its first rows) is continued
    on further sheets before Excel's row limit."""
    options = options or ExportOptions()
    header_rows = options.header_rows
    per_sheet = max_rows - header_rows
    tables = plan_tables(schema, options=options, extension="")
    used: set[str] = set()
    sheets: list[tuple[str, Any]] = []
    counters: dict[str, _Counter] = {}
    column_formats: dict[str, dict[str, Any] | list[Any]] = {}
    column_widths: dict[str, dict[str, float] | list[float]] = {}
    for table in tables:
        columns = table.columns
        labels = [c.header if options.labels else (c.label or c.name) for c in columns]
        names = [c.name for c in columns]
        keys = _unique(labels) if header_rows == 2 else [c.header for c in columns]
        expected = (table_rows or {}).get(table.repeat_path, 0)
        reader = _TableReader(table, main_rows, repeat_rows)
        rows_per_sheet = per_sheet
        if expected > SAMPLE_ROWS:
            row_bytes = reader.row_bytes(columns) * SAMPLE_MARGIN
            if row_bytes:
                rows_per_sheet = max(1, min(per_sheet, int(sheet_xml_budget // row_bytes)))
        n_sheets = max(1, -(-expected // rows_per_sheet))
        for k in range(n_sheets):
            name = _sheet_name(table.name if k == 0 else f"{table.name} ({k + 1})", used)
            counter = counters[name] = _Counter()
            # The last sheet takes whatever is left (a table that grew past Excel's limit then fails
            # loudly in the writer instead of losing rows).
            limit = rows_per_sheet if k < n_sheets - 1 else None
            sheets.append(
                (name, _records(keys, columns, reader, limit, names if header_rows == 2 else None, counter))
            )
            column_formats[name] = [_format(c, options.dates) for c in columns]
            column_widths[name] = [
                _column_width(c, [key, c.name]) for key, c in zip(keys, columns, strict=True)
            ]
    rxw.write_worksheets(
        sheets,
        str(out),
        freeze_panes={"general": {"row": header_rows, "col": 0}},
        column_formats=column_formats,
        column_widths=column_widths,
        bold_headers=True,
    )
    return {name: counter.count for name, counter in counters.items()}
