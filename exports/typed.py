"""Typed cell values for formats that keep types (XLSX, SPSS, Stata, GeoJSON): numbers as numbers,
dates as dates, IDs and phone numbers as text (never a number that loses its leading zero)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from exports.cells import cell
from exports.columns import Column

_MAX_EXACT = 10**15
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


def is_text_column(column: Column) -> bool:
    """Columns written as text whatever they hold: free text, IDs, choices, keys."""
    return column.part is None and column.choice is None and column.kind not in (
        "int",
        "decimal",
        "date",
        "dateTime",
    )

