"""Turning stored typed values into CSV cells that are exact for scripts and safe to open in Excel."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# A cell starting with one of these is run as a formula by Excel/LibreOffice (CSV injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ...unless the whole cell is a plain number, which a spreadsheet reads as a number and never runs.
_PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DASHES = re.compile(r"-+")
_POINT_PARTS = ("lat", "lon", "alt", "accuracy")


def safe_text(text: str) -> str:
    """Neutralise formula-like text with a leading apostrophe; numbers (-12.5) and "-" stay as they are."""
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text) and not _DASHES.fullmatch(text):
        return "'" + text
    return text


def number_text(value: float) -> str:
    # repr keeps every digit a float holds (13.7563 stays 13.7563, 4.0 stays 4.0).
    return repr(value) if isinstance(value, float) else str(value)


def _point_text(point: Mapping[str, Any]) -> str:
    return " ".join(number_text(point[p]) for p in _POINT_PARTS if point.get(p) is not None)


def cell(value: Any) -> str:
    """One CSV cell. Text stays the exact string stored (leading zeros of phone numbers and IDs are
    kept; nothing is turned into a number); lists are space-separated as in ODK (select_multiple);
    points use ODK's "lat lon alt accuracy" and traces/shapes join points with ";"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, Mapping):
        return _point_text(value)
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, Mapping) for v in value):
            return ";".join(_point_text(v) for v in value)
        return safe_text(" ".join(str(v) for v in value))
    return safe_text(str(value))


def point_part(value: Any, part: str) -> str:
    """One component of a geopoint column split into -Latitude/-Longitude/-Altitude/-Accuracy."""
    if isinstance(value, Mapping):
        number = value.get(part)
        return "" if number is None else number_text(number)
    # A point that did not parse is kept raw in the first column so nothing is silently dropped.
    return cell(value) if part == "lat" and value is not None else ""


# --- cells of one planned column, for every format ------------------------------------------------

_DIGITS = re.compile(r"[0-9]+")
_MAX_EXACT_DIGITS = 15  # Excel and SPSS keep 15 significant digits; longer numbers are written as text


def looks_like_id(text: str) -> bool:
    """Digits that a spreadsheet would damage as a number: a leading zero (phone numbers, some IDs)
    or more than 15 digits (13-digit citizen IDs survive, 16+ digit account numbers do not)."""
    return bool(_DIGITS.fullmatch(text)) and ((len(text) > 1 and text[0] == "0") or len(text) > _MAX_EXACT_DIGITS)


def buddhist_date_text(text: str) -> str:
    """"2026-01-15…" → "2569-01-15…" (พ.ศ. = ค.ศ. + 543); text that is not a date stays as it is."""
    if len(text) >= 10 and text[4] == "-" and text[:4].isdigit() and text[7] == "-":
        return f"{int(text[:4]) + 543:04d}{text[4:]}"
    return text


def column_cell(column: Any, row: Mapping[str, Any], *, buddhist: bool = False, excel_ids: bool = False) -> str:
    """The CSV text of one planned column (exports.columns.Column) for one row."""
    if column.system is not None:
        value = row.get(column.system)
        if buddhist and column.system == "SubmissionDate" and isinstance(value, str):
            return buddhist_date_text(value)
        return cell(value)
    value = (row.get("values") or {}).get(column.path)
    if column.part is not None:
        return point_part(value, column.part)
    if value is None:
        return ""
    if column.choice is not None:
        return "1" if column.choice in (value if isinstance(value, list) else str(value).split()) else "0"
    if column.choices is not None:
        if isinstance(value, list):
            return cell(", ".join(column.choices.get(str(v), str(v)) for v in value))
        return cell(column.choices.get(str(value), str(value)))
    if buddhist and column.kind in ("date", "dateTime") and isinstance(value, str):
        # A date that did not parse is kept as typed: neutralised like any other text.
        return safe_text(buddhist_date_text(value))
    if excel_ids and isinstance(value, str) and looks_like_id(value):
        # Excel opens ="0812345678" as the text 0812345678 (a double-clicked CSV keeps the zero).
        return f'="{value}"'
    return cell(value)


_FORMULA_CHARS = frozenset(_FORMULA_START)


def cell_function(column: Any, *, buddhist: bool = False, excel_ids: bool = False) -> Any:
    """column_cell specialised once per column: the CSV writer's hot path (a million rows × 60
    columns) calls this for every cell, so the common case — a plain string — costs one dict lookup
    and two checks."""
    if column.system is not None and not (buddhist and column.system == "SubmissionDate"):
        system = column.system
        return lambda row: cell(row.get(system))
    if column.part is not None:
        path, part = column.path, column.part
        return lambda row: point_part(row["values"].get(path), part)
    if column.system is not None or column.choice is not None:
        return lambda row: column_cell(column, row, buddhist=buddhist, excel_ids=excel_ids)
    if column.choices is not None or excel_ids or (buddhist and column.kind in ("date", "dateTime")):
        return lambda row: column_cell(column, row, buddhist=buddhist, excel_ids=excel_ids)
    path = column.path

    def plain(row: Mapping[str, Any]) -> str:
        value = row["values"].get(path)
        if value is None:
            return ""
        if value.__class__ is str:
            return value if not value or value[0] not in _FORMULA_CHARS else safe_text(value)
        if value.__class__ is int:
            return str(value)
        return cell(value)

    return plain
