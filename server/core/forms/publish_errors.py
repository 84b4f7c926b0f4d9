"""Where in the XLSForm an error is: the sheet and row a form designer should open in Excel.

pyxform names the row for most errors ("[row : 5] ..."); for an unknown question type or a question
without a label it names only the type or the question, so the survey sheet is searched for it."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import PurePath

from openpyxl import load_workbook

_ROW = re.compile(r"\[row\s*:\s*(\d+)\]", re.IGNORECASE)
_SHEET = re.compile(r"'(survey|choices|settings|entities|external_choices)' sheet", re.IGNORECASE)
_UNKNOWN_TYPE = re.compile(r"Unknown question type '([^']+)'")
_NAMED = re.compile(r"(?:element|question) named '([^']+)'")


@dataclass(frozen=True)
class ErrorLocation:
    sheet: str | None
    row: int | None


def _survey_rows_md(text: str) -> list[list[str]]:
    rows: list[list[str]] = []
    sheet = None
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.strip().startswith("|"):
            continue
        if cells and cells[0]:
            sheet = cells[0].lower()
            continue
        if sheet == "survey":
            rows.append(cells[1:])
    return rows


def _survey_rows_xlsx(source: bytes) -> list[list[str]]:
    book = load_workbook(io.BytesIO(source), read_only=True, data_only=True)
    try:
        sheet = next((book[name] for name in book.sheetnames if name.strip().lower() == "survey"), None)
        if sheet is None:
            return []
        return [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _find_row(source: bytes, filename: str, column: str, value: str) -> int | None:
    suffix = PurePath(filename).suffix.lower()
    try:
        if suffix == ".md":
            rows = _survey_rows_md(source.decode("utf-8", errors="replace"))
        elif suffix in (".xlsx", ".xlsm"):
            rows = _survey_rows_xlsx(source)
        else:
            return None
    except Exception:  # noqa: BLE001  # locating is a courtesy; the error itself is still shown
        return None
    if not rows:
        return None
    header = [h.lower() for h in rows[0]]
    if column not in header:
        return None
    col = header.index(column)
    for number, row in enumerate(rows[1:], start=2):
        if col < len(row) and row[col] == value:
            return number
    return None


def locate_error(message: str, source: bytes = b"", filename: str = "") -> ErrorLocation:
    sheet_match = _SHEET.search(message)
    row_match = _ROW.search(message)
    if row_match:
        return ErrorLocation(sheet_match.group(1).lower() if sheet_match else "survey", int(row_match.group(1)))
    type_match = _UNKNOWN_TYPE.search(message)
    if type_match:
        return ErrorLocation("survey", _find_row(source, filename, "type", type_match.group(1)))
    named = _NAMED.search(message)
    if named:
        return ErrorLocation("survey", _find_row(source, filename, "name", named.group(1)))
    return ErrorLocation(sheet_match.group(1).lower() if sheet_match else None, None)
