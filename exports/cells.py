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
