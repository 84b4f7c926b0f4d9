"""Thai dates for printed reports: Buddhist-era years and Thai month names (stored dates stay Gregorian)."""

from __future__ import annotations

from datetime import date, datetime

MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip


def thai_date(day: date | datetime) -> str:
    """ "1 ธันวาคม 2569" (พ.ศ. = ค.ศ. + 543)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year + 543}"


def number_text(value: float | int | None, decimals: int = 0) -> str:
    """1234567.5 → "1,234,568" (or with decimals); None → "–"."""
    if value is None:
        return "–"
    return f"{value:,.{decimals}f}"
