"""Typed values: the text of one instance node parsed by its schema type, ready to store as JSON.

Choices (kept stable because exports and the API read them): integers become JSON numbers; decimals
stay the exact string written by the phone (validated with Decimal, never rounded through a float);
date, time and dateTime stay ISO strings as sent (offsets kept); select_multiple becomes a list; points
become {lat, lon, alt, accuracy}. Text that does not parse is kept raw and reported as a type mismatch.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# Value kinds come from the XForm bind type (what the phone actually wrote), with the XLSForm type as
# a fallback: the same table the exports plan their columns by.
from exports.columns import value_kind as value_kind

TYPE_MISMATCH = "type_mismatch"

_INT = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?")


@dataclass(frozen=True)
class Parsed:
    """A parsed value; `ok` is False when the raw text was kept because it did not fit the type."""

    value: Any
    ok: bool = True


def _parse_int(text: str) -> Parsed:
    return Parsed(int(text)) if _INT.fullmatch(text) else Parsed(text, ok=False)


def _parse_decimal(text: str) -> Parsed:
    if not _DECIMAL.fullmatch(text):
        return Parsed(text, ok=False)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return Parsed(text, ok=False)
    if not number.is_finite():
        return Parsed(text, ok=False)
    # The phone's own spelling is kept (e.g. "1500.50"): exact, and what the surveyor saw.
    return Parsed(text)


def _parse_date(text: str) -> Parsed:
    if not _DATE.fullmatch(text):
        return Parsed(text, ok=False)
    try:
        date.fromisoformat(text)
    except ValueError:
        return Parsed(text, ok=False)
    return Parsed(text)


def _parse_time(text: str) -> Parsed:
    return Parsed(text) if _TIME.fullmatch(text) else Parsed(text, ok=False)


def _parse_datetime(text: str) -> Parsed:
    # Collect writes 2026-01-15T09:30:00.000+07:00; the offset says where the phone was, so keep it.
    if not _DATE.match(text) or "T" not in text:
        return Parsed(text, ok=False)
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return Parsed(text, ok=False)
    return Parsed(text)


def parse_point(text: str) -> dict[str, float | None] | None:
    """ "lat lon [alt [accuracy]]" → {lat, lon, alt, accuracy}, or None if it is not a valid point."""
    parts = text.split()
    if not 2 <= len(parts) <= 4:
        return None
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    if not all(math.isfinite(n) for n in numbers):
        return None
    lat, lon = numbers[0], numbers[1]
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    numbers += [None] * (4 - len(numbers))  # type: ignore[list-item]
    return {"lat": lat, "lon": lon, "alt": numbers[2], "accuracy": numbers[3]}


def _parse_geopoint(text: str) -> Parsed:
    point = parse_point(text)
    return Parsed(point) if point is not None else Parsed(text, ok=False)


def _parse_points(text: str) -> Parsed:
    points = []
    for chunk in text.split(";"):
        if not chunk.strip():
            continue  # Collect may end a trace with ";"
        point = parse_point(chunk)
        if point is None:
            return Parsed(text, ok=False)
        points.append(point)
    return Parsed(points)


def _parse_list(text: str) -> Parsed:
    return Parsed(text.split())


_PARSERS = {
    "int": _parse_int,
    "decimal": _parse_decimal,
    "date": _parse_date,
    "time": _parse_time,
    "dateTime": _parse_datetime,
    "geopoint": _parse_geopoint,
    "geotrace": _parse_points,
    "geoshape": _parse_points,
    "select_multiple": _parse_list,
}


def parse_value(kind: str, text: str | None) -> Parsed:
    """Parse the text of one node. Empty (or only whitespace) is None; text keeps its inner spacing."""
    if text is None or not text.strip():
        return Parsed(None)
    if kind in ("text", "select_one", "binary"):
        # Free text is stored as typed (Thai text, leading zeros, spaces inside); only the outer
        # whitespace XML pretty-printing may add is dropped for codes and file names.
        return Parsed(text if kind == "text" else text.strip())
    parser = _PARSERS.get(kind)
    if parser is None:
        return Parsed(text)
    return parser(text.strip())
