"""A report as an XLSX workbook an office can open and forward: Thai headers, bold frozen header
rows, numbers as numbers, percentages formatted; every text a string cell (never a formula)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from server.core.reports.basic_needs import LEVEL_NAMES, AreaFigures, BasicNeedsReport
from server.core.reports.tables import TableReport
from server.core.reports.thai import thai_date

FONT = "TH Sarabun New"  # offices have it installed; Excel falls back to its default otherwise
_BOLD = Font(name=FONT, bold=True, size=14)
_PLAIN = Font(name=FONT, size=14)
_HEAD_FILL = PatternFill("solid", fgColor="DDE7F0")
_PERCENT = '0.00" %"'


def _put(ws: Any, row: int, col: int, value: Any, *, bold: bool = False, fmt: str | None = None) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # "=…" stays text: openpyxl would otherwise write it as a formula
    cell.font = _BOLD if bold else _PLAIN
    if fmt:
        cell.number_format = fmt


def _header(ws: Any, row: int, names: list[str]) -> None:
    for col, name in enumerate(names, 1):
        _put(ws, row, col, name, bold=True)
        ws.cell(row=row, column=col).fill = _HEAD_FILL
        ws.cell(row=row, column=col).alignment = Alignment(wrap_text=True, vertical="top")


def _widths(ws: Any, widths: list[float]) -> None:
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width


def basic_needs_xlsx(report: BasicNeedsReport, office: str, printed: datetime) -> bytes:
    rules, total = report.rules, report.total
    wb = Workbook()
    ws = wb.active
    ws.title = "สรุปตัวชี้วัด"
    _put(ws, 1, 1, rules.title, bold=True)
    _put(ws, 2, 1, f"พื้นที่: {total.name}   ปี พ.ศ. {report.period or '–'}   {office}")
    _put(
        ws,
        3,
        1,
        f"ครัวเรือนที่สำรวจ {total.households:,} ครัวเรือน  {total.people:,} คน  พิมพ์เมื่อ {thai_date(printed)}",
    )
    has_previous = total.previous is not None
    names = ["ข้อ", "หมวด", "ตัวชี้วัด", "ครัวเรือนที่เกี่ยวข้อง", "ผ่านเกณฑ์", "ไม่ผ่านเกณฑ์", "ร้อยละที่ผ่าน"]
    if has_previous:
        names += [f"ร้อยละที่ผ่าน ปี {report.previous_period}", "เปลี่ยนแปลง (จุดร้อยละ)"]
    _header(ws, 5, names)
    previous = {i.code: i for i in total.previous.indicators} if total.previous else {}
    for n, (indicator, fig) in enumerate(zip(rules.indicators, total.indicators, strict=True), 6):
        section = rules.sections.get(indicator.section, indicator.section)
        for col, value in enumerate(
            [indicator.code, section, indicator.label, fig.applicable, fig.meets, fig.not_meeting], 1
        ):
            _put(ws, n, col, value)
        _put(ws, n, 7, fig.percent, fmt=_PERCENT)
        if has_previous:
            old = previous[indicator.code].percent
            _put(ws, n, 8, old, fmt=_PERCENT)
            change = round(fig.percent - old, 2) if fig.percent is not None and old is not None else None
            _put(ws, n, 9, change, fmt="+0.00;-0.00;0.00")
    row = 6 + len(rules.indicators) + 1
    _put(ws, row, 3, "รายได้เฉลี่ยต่อคนต่อปี (บาท)", bold=True)
    _put(ws, row, 4, total.income_per_person, fmt="#,##0.00")
    _put(ws, row + 1, 3, "เกณฑ์รายได้ (บาท/คน/ปี)", bold=True)
    _put(ws, row + 1, 4, report.income_threshold, fmt="#,##0")
    ws.freeze_panes = "A6"
    _widths(ws, [6, 24, 60, 14, 12, 12, 12, 16, 14])

    areas = wb.create_sheet("รายพื้นที่")
    codes = [i.code for i in rules.indicators]
    _header(
        areas,
        1,
        [
            "รหัส",
            LEVEL_NAMES[report.level].split(" / ")[0],
            "ครัวเรือน",
            "คน",
            "รายได้เฉลี่ย/คน/ปี",
            "ข้อที่ไม่ผ่านมากที่สุด",
        ]
        + [f"ข้อ {c} (%)" for c in codes],
    )
    for r, group in enumerate(report.groups, 2):
        _area_row(areas, r, group)
    areas.freeze_panes = "C2"
    _widths(areas, [12, 34, 10, 10, 16, 28, *([9] * len(codes))])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _area_row(ws: Any, row: int, group: AreaFigures) -> None:
    failed = ", ".join(f"{i.code} ({i.not_meeting})" for i in group.most_failed())
    for col, value in enumerate([group.code or "", group.name, group.households, group.people], 1):
        _put(ws, row, col, value)
    _put(ws, row, 5, group.income_per_person, fmt="#,##0.00")
    _put(ws, row, 6, failed)
    for col, fig in enumerate(group.indicators, 7):
        _put(ws, row, col, fig.percent, fmt="0.00")


_FORMATS = {"int": "#,##0", "number": "#,##0.00", "percent": _PERCENT, "money": "#,##0.00"}
_BAD_SHEET = str.maketrans({c: " " for c in "[]:*?/\\"})


def tables_xlsx(report: TableReport, office: str, printed: datetime) -> bytes:
    """One sheet per table: the title, area, period, office and date above Thai column headers."""
    wb = Workbook()
    wb.remove(wb.active)
    for n, table in enumerate(report.tables, 1):
        ws = wb.create_sheet(f"{n} {table.title}".translate(_BAD_SHEET)[:31])
        _put(ws, 1, 1, report.title, bold=True)
        _put(ws, 2, 1, f"{table.title}   พื้นที่: {report.area_name}   {report.period_label}")
        _put(ws, 3, 1, f"{office}   พิมพ์เมื่อ {thai_date(printed)}")
        _header(ws, 5, [c.label for c in table.columns])
        for r, row in enumerate(table.rows, 6):
            for c, (column, value) in enumerate(zip(table.columns, row, strict=True), 1):
                _put(ws, r, c, value, fmt=_FORMATS.get(column.kind))
        ws.freeze_panes = "A6"
        _widths(ws, [max(10.0, 14 * c.width) for c in table.columns])
    if report.summary or report.notes:
        ws = wb.create_sheet("สรุป", 0)
        _put(ws, 1, 1, report.title, bold=True)
        _put(ws, 2, 1, f"พื้นที่: {report.area_name}   {report.period_label}   {office}")
        for r, (label, value) in enumerate(report.summary, 4):
            _put(ws, r, 1, label, bold=True)
            _put(ws, r, 2, value)
        for r, note in enumerate(report.notes, 5 + len(report.summary)):
            _put(ws, r, 1, note)
        _widths(ws, [40, 40])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
