"""Typed cell values for formats that keep types (XLSX, SPSS, Stata, GeoJSON): numbers as numbers,
dates as dates, IDs and phone numbers as text (never a number that loses its leading zero)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from exports.cells import cell
from exports.columns import Column

_MAX_EXACT = 10**15
# A decimal answer float() reads as `_number` would: a sign, then 1–15 digits with at most one point.
_SHORT_DECIMAL = re.compile(r"-?(?:[0-9]{1,15}|(?=[0-9.]{2,16}$)[0-9]*\.[0-9]*)")
_BANGKOK = timezone(timedelta(hours=7))


def _number(text: str) -> float | str:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite() or len(number.as_tuple().digits) > 15:
        return text  # more digits than a double keeps: text, exact
    return float(number)


def parse_datetime(text: str) -> datetime | None:
    """The phone's local time as written (its offset dropped: "09:30 +07:00" stays 09:30)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=None)


def submission_datetime(text: str) -> datetime | None:
    """SubmissionDate (UTC, "…Z") in Thailand's time (UTC+7), which is what offices read."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_BANGKOK).replace(tzinfo=None)


def typed(column: Column, row: Mapping[str, Any]) -> Any:
    """None, str, int, float, bool, date or datetime for one planned column of one row."""
    if column.system is not None:
        value = row.get(column.system)
        if column.system == "SubmissionDate" and isinstance(value, str):
            return submission_datetime(value) or value
        return value
    value = (row.get("values") or {}).get(column.path)
    if value is None:
        return None
    if column.part is not None:
        if isinstance(value, Mapping):
            return value.get(column.part)
        return cell(value) if column.part == "lat" else None
    if column.choice is not None:
        return 1 if column.choice in (value if isinstance(value, list) else str(value).split()) else 0
    if column.choices is not None:
        if isinstance(value, list):
            return ", ".join(column.choices.get(str(v), str(v)) for v in value)
        return column.choices.get(str(value), str(value))
    kind = column.kind
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -_MAX_EXACT < value < _MAX_EXACT else str(value)
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        if kind == "decimal":
            return _number(value)
        if kind == "date":
            try:
                return date.fromisoformat(value)
            except ValueError:
                return value
        if kind == "dateTime":
            return parse_datetime(value) or value
        if kind == "time":
            try:
                return time.fromisoformat(value[:8])
            except ValueError:
                return value
        return value
    if isinstance(value, list) and not (value and isinstance(value[0], Mapping)):
        return " ".join(str(v) for v in value)
    return cell(value)


def typed_values(column: Column, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    """`[typed(column, row) for row in rows]`, a column at a time: the common answers of each kind
    are converted in one comprehension, anything else goes through `typed` itself (SPSS and Stata
    write millions of cells, and a call per cell was most of their time)."""
    if column.system is not None:
        if column.system == "SubmissionDate":
            return [typed(column, row) for row in rows]
        name = column.system
        return [row.get(name) for row in rows]
    path = column.path
    return typed_answers(column, [(row.get("values") or {}).get(path) for row in rows])


def typed_answers(column: Column, raw: Sequence[Any]) -> list[Any]:
    """`typed` for the stored answers `raw` of one (not system) column."""
    slow = _one(column)
    if column.part is not None:
        part = column.part
        return [v.get(part) if type(v) is dict else slow(v) for v in raw]
    if column.choice is not None:
        choice = column.choice
        return [None if v is None else int(choice in v) if type(v) is list else slow(v) for v in raw]
    if column.choices is not None:
        return [slow(v) for v in raw]
    kind = column.kind
    if kind == "decimal":
        short = _SHORT_DECIMAL.fullmatch
        return [float(v) if type(v) is str and short(v) else slow(v) for v in raw]
    if kind == "date":
        return [_date(v) if type(v) is str else slow(v) for v in raw]
    if kind == "dateTime":
        return [(parse_datetime(v) or v) if type(v) is str else slow(v) for v in raw]
    if kind == "time":
        return [slow(v) for v in raw]
    low, high = -_MAX_EXACT, _MAX_EXACT
    return [
        v
        if v is None or type(v) is str or type(v) is float or (type(v) is int and low < v < high)
        else slow(v)
        for v in raw
    ]


def _one(column: Column) -> Any:
    """`typed` for one raw answer of `column`."""
    path = column.path

    def convert(value: Any) -> Any:
        return typed(column, {"values": {path: value}})

    return convert


def _date(text: str) -> date | str:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text


def is_text_column(column: Column) -> bool:
    """Columns written as text whatever they hold: free text, IDs, choices, keys."""
    return (
        column.part is None
        and column.choice is None
        and column.kind
        not in (
            "int",
            "decimal",
            "date",
            "dateTime",
        )
    )
