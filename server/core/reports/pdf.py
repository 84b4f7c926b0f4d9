"""A report as a printable Thai PDF: A4, Sarabun (OFL, shipped in fonts/) embedded, Thai shaped by
HarfBuzz (fpdf2 + uharfbuzz, so vowels and tone marks sit on their consonants), lines broken between
Thai words (BudouX's Thai model), Buddhist-era dates, the office's name, page numbers, and lines to
sign."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from budoux import load_default_thai_parser
from fpdf import FPDF

from server.core.reports.basic_needs import LEVEL_NAMES, BasicNeedsReport
from server.core.reports.tables import TableReport, cell_text
from server.core.reports.thai import number_text, thai_date

_MARK = re.compile("[\u0e31\u0e33-\u0e3a\u0e47-\u0e4e]")  # Thai vowels and tone marks that sit on a consonant
FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "Sarabun"
BODY, SMALL, TITLE = 11.0, 9.5, 15.0
LINE = 5.2  # mm per line of body text
MARGIN = 15.0


@cache
def _words() -> Any:
    return load_default_thai_parser()


def chunks(text: str) -> list[str]:
    """Where a line may break: between Thai words (BudouX) and at spaces."""
    parts: list[str] = []
    for piece in text.split(" "):
        parts += [*(_words().parse(piece) if piece else []), " "]
    return [p for p in parts[:-1] if p]


class _Document(FPDF):
    def __init__(self, office: str, printed: datetime, title: str, total_pages: int | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.office, self.printed, self.report_title, self.total_pages = office, printed, title, total_pages
        self.add_font(FAMILY, "", str(FONTS / "Sarabun-Regular.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "Sarabun-Bold.ttf"))
        self.set_text_shaping(use_shaping_engine=True)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 6)
        self.set_title(title)
        self.set_creator("Chumchon")

    def footer(self) -> None:
        self.set_y(-MARGIN - 2)
        self.set_font(FAMILY, "", SMALL)
        of = f" จาก {self.total_pages}" if self.total_pages else ""
        self.cell(0, 4, f"{self.office}   พิมพ์เมื่อ {thai_date(self.printed)}", align="L")
        self.set_x(MARGIN)
        self.cell(0, 4, f"หน้า {self.page_no()}{of}", align="R")

    # -- text ---------------------------------------------------------------------------------
    def lines(self, text: str, width: float) -> list[str]:
        out, line = [], ""
        for part in self._fitted(chunks(text), width):
            trial = line + part
            if line and self.get_string_width(trial) > width - 1.5:
                out.append(line.rstrip())
                line = part.lstrip()
            else:
                line = trial
        return [*out, line.rstrip()] if line or not out else out

    def _fitted(self, parts: list[str], width: float) -> list[str]:
        """Words wider than the cell split between characters (never before a combining mark)."""
        out = []
        for part in parts:
            while self.get_string_width(part) > width - 1.5 and len(part) > 1:
                cut = len(part) - 1
                while cut > 1 and (self.get_string_width(part[:cut]) > width - 1.5 or _MARK.match(part[cut])):
                    cut -= 1
                out.append(part[:cut])
                part = part[cut:]
            out.append(part)
        return out

    def paragraph(self, text: str, size: float = BODY, bold: bool = False) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        for line in self.lines(text, self.epw):
            self.cell(0, size * 0.47, line, new_x="LMARGIN", new_y="NEXT")

    def grid(
        self, widths: Sequence[float], head: Sequence[str], rows: Sequence[Sequence[str]], aligns: str
    ) -> None:
        self._row(widths, head, "C" * len(head), bold=True, fill=True)
        for row in rows:
            self._row(widths, row, aligns)

    def _row(
        self,
        widths: Sequence[float],
        cells: Sequence[str],
        aligns: str,
        bold: bool = False,
        fill: bool = False,
    ) -> None:
        self.set_font(FAMILY, "B" if bold else "", SMALL)
        wrapped = [self.lines(text, w) for text, w in zip(cells, widths, strict=True)]
        height = max(len(w) for w in wrapped) * 4.6 + 1.6
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()
        x, y = self.l_margin, self.get_y()
        self.set_fill_color(221, 231, 240)
        for lines, w, align in zip(wrapped, widths, aligns, strict=True):
            self.rect(x, y, w, height, style="DF" if fill else "D")
            for n, line in enumerate(lines):
                self.set_xy(x + 0.8, y + 0.8 + n * 4.6)
                self.cell(w - 1.6, 4.6, line, align={"L": "L", "R": "R", "C": "C"}[align])
            x += w
        self.set_xy(self.l_margin, y + height)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _basic_needs(pdf: _Document, report: BasicNeedsReport) -> None:
    rules, total = report.rules, report.total
    pdf.add_page()
    pdf.paragraph(rules.title, TITLE, bold=True)
    pdf.paragraph(f"{pdf.office}", BODY, bold=True)
    pdf.paragraph(
        f"พื้นที่: {total.name}    ปี พ.ศ. {report.period or '–'}    ระดับ: {LEVEL_NAMES[report.level].split(' / ')[0]}"
    )
    income = number_text(total.income_per_person, 2)
    threshold = number_text(report.income_threshold)
    pdf.paragraph(
        f"ครัวเรือนที่สำรวจ {total.households:,} ครัวเรือน จำนวนคน {total.people:,} คน รายได้เฉลี่ย {income} บาท/คน/ปี "
        f"(เกณฑ์ {threshold} บาท/คน/ปี)"
    )
    if total.previous is not None:
        pdf.paragraph(
            f"ปีก่อน (พ.ศ. {report.previous_period}): {total.previous.households:,} ครัวเรือน "
            f"รายได้เฉลี่ย {number_text(total.previous.income_per_person, 2)} บาท/คน/ปี"
        )
    pdf.ln(2)
    previous = {i.code: i for i in total.previous.indicators} if total.previous else {}
    head = ["ข้อ", "ตัวชี้วัด", "เกี่ยวข้อง", "ผ่าน", "ไม่ผ่าน", "ร้อยละผ่าน"]
    widths = [10.0, 98.0, 20.0, 16.0, 16.0, 20.0]
    if previous:
        head, widths = [*head, f"ปี {report.previous_period}"], [10.0, 88.0, 18.0, 15.0, 15.0, 18.0, 16.0]
    rows = []
    for indicator, fig in zip(rules.indicators, total.indicators, strict=True):
        row = [
            indicator.code,
            indicator.label,
            f"{fig.applicable:,}",
            f"{fig.meets:,}",
            f"{fig.not_meeting:,}",
            _percent(fig.percent),
        ]
        if previous:
            row.append(_percent(previous[indicator.code].percent))
        rows.append(row)
    pdf.grid(widths, head, rows, "CLRRRRR"[: len(head)])
    failed = total.most_failed()
    if failed:
        pdf.ln(2)
        pdf.paragraph("ตัวชี้วัดที่ไม่ผ่านเกณฑ์มากที่สุด", BODY, bold=True)
        labels = {i.code: i.label for i in rules.indicators}
        for fig in failed:
            pdf.paragraph(f"ข้อ {fig.code} {labels[fig.code]}: ไม่ผ่าน {fig.not_meeting:,} ครัวเรือน")
    if report.groups:
        pdf.ln(3)
        pdf.paragraph(f"ราย{LEVEL_NAMES[report.level].split(' / ')[0]}", BODY, bold=True)
        rows = [
            [
                g.name,
                f"{g.households:,}",
                number_text(g.income_per_person, 2),
                ", ".join(f"{i.code} ({i.not_meeting:,})" for i in g.most_failed()) or "–",
            ]
            for g in report.groups
        ]
        pdf.grid(
            [62.0, 22.0, 28.0, 68.0],
            ["พื้นที่", "ครัวเรือน", "รายได้/คน/ปี", "ข้อที่ไม่ผ่านมากที่สุด (ครัวเรือน)"],
            rows,
            "LRRL",
        )
    _signatures(pdf)


def _signatures(pdf: _Document) -> None:
    if pdf.get_y() + 30 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(10)
    pdf.set_font(FAMILY, "", BODY)
    for who in ("ผู้จัดทำรายงาน", "ผู้รับรองข้อมูล"):
        pdf.cell(pdf.epw / 2, 6, f"ลงชื่อ ...................................... {who}", align="C")
    pdf.ln(7)
    for _ in range(2):
        pdf.cell(pdf.epw / 2, 6, "(......................................)", align="C")
    pdf.ln(7)
    for _ in range(2):
        pdf.cell(pdf.epw / 2, 6, "วันที่ ........ / ........ / ........", align="C")


def basic_needs_pdf(report: BasicNeedsReport, office: str, printed: datetime) -> bytes:
    """Rendered twice: the first pass counts the pages that "หน้า n จาก N" needs."""
    pages = None
    for _ in range(2):
        pdf = _Document(office, printed, report.rules.title, pages)
        _basic_needs(pdf, report)
        pages = pdf.page_no()
    return bytes(pdf.output())


def _tables(pdf: _Document, report: TableReport) -> None:
    pdf.add_page()
    pdf.paragraph(report.title, TITLE, bold=True)
    pdf.paragraph(pdf.office, BODY, bold=True)
    pdf.paragraph(f"พื้นที่: {report.area_name}    {report.period_label}")
    for label, value in report.summary:
        pdf.paragraph(f"{label}: {value}")
    for table in report.tables:
        pdf.ln(3)
        pdf.paragraph(table.title, BODY, bold=True)
        share = pdf.epw / sum(c.width for c in table.columns)
        widths = [c.width * share for c in table.columns]
        aligns = "".join("L" if c.kind == "text" else "R" for c in table.columns)
        rows = [[cell_text(v, c.kind) for c, v in zip(table.columns, row, strict=True)] for row in table.rows]
        pdf.grid(widths, [c.label for c in table.columns], rows or [["–"] * len(widths)], aligns)
    if report.notes:
        pdf.ln(2)
        for note in report.notes:
            pdf.paragraph(f"หมายเหตุ: {note}", SMALL)
    _signatures(pdf)


def tables_pdf(report: TableReport, office: str, printed: datetime) -> bytes:
    pages = None
    for _ in range(2):
        pdf = _Document(office, printed, report.title, pages)
        _tables(pdf, report)
        pages = pdf.page_no()
    return bytes(pdf.output())
