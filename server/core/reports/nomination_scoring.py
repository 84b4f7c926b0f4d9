"""The nomination scoring report (๑ พัฒนากร ๑ เครือข่าย): each committee member's score sheet per
nominee, the mean per criterion and in total, and the ranking per district and per province with ties
shown (criteria and weights in forms/nomination_scoring.report.toml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from server.core.models import Form, User
from server.core.reports.evaluate import number
from server.core.reports.tables import (
    Bar,
    Column,
    ReportConfig,
    Table,
    TableReport,
    area_name,
    choose_period,
    clean_text,
    config_error,
    entries,
    need_number,
    need_text,
    place_name,
    year_of,
)

NAME = "nomination_scoring"
SUFFIX = ".report.toml"
TIE = "คะแนนเท่ากัน"


@dataclass(frozen=True)
class Criterion:
    field: str
    code: str
    label: str
    weight: float


@dataclass(frozen=True)
class Settings:
    nominee_field: str
    partner_field: str
    scorer_field: str
    date_field: str
    criteria: tuple[Criterion, ...]


def settings(config: ReportConfig) -> Settings:
    d = config.data
    raw = d.get("criterion")
    if not isinstance(raw, list) or not raw:
        raise config_error(
            config.path, "criterion", "ต้องมีเกณฑ์อย่างน้อยหนึ่งข้อ", "needs at least one [[criterion]]"
        )
    criteria = []
    for n, c in enumerate(raw, 1):
        if not isinstance(c, dict):
            raise config_error(config.path, f"criterion {n}", "ต้องเป็นตาราง", "must be a table")
        criteria.append(
            Criterion(
                need_text(config, f"criterion {n} field", c.get("field")),
                need_text(config, f"criterion {n} code", c.get("code")),
                need_text(config, f"criterion {n} label", c.get("label")),
                need_number(config, f"criterion {n} weight", c.get("weight")),
            )
        )
    t = [
        need_text(config, k, d.get(k))
        for k in ("nominee_field", "partner_field", "scorer_field", "date_field")
    ]
    return Settings(t[0], t[1], t[2], t[3], tuple(criteria))


def fields(config: ReportConfig) -> list[str]:
    s = settings(config)
    return [s.nominee_field, s.partner_field, s.scorer_field, s.date_field, *(c.field for c in s.criteria)]


@dataclass
class Nominee:
    province: str | None
    district: str | None
    name: str
    partner: str
    sheets: dict[str, list[float]] = field(default_factory=dict)  # scorer -> score per criterion

    def means(self) -> list[float]:
        count = len(self.sheets)
        return [
            round(sum(s[n] for s in self.sheets.values()) / count, 2)
            for n in range(len(next(iter(self.sheets.values()))))
        ]

    def mean_total(self) -> float:
        return round(sum(sum(s) for s in self.sheets.values()) / len(self.sheets), 2)


def ranks(nominees: list[Nominee]) -> list[tuple[int, bool, Nominee]]:
    """Standard competition ranking by mean total (1, 2, 2, 4); a shared rank is a tie."""
    ordered = sorted(nominees, key=lambda x: (-x.mean_total(), x.name, x.partner))
    totals = [x.mean_total() for x in ordered]
    out = []
    for n, nominee in enumerate(ordered):
        rank = totals.index(totals[n]) + 1
        out.append((rank, totals.count(totals[n]) > 1, nominee))
    return out


def build(
    session: Session,
    user: User | None,
    form: Form,
    config: ReportConfig,
    *,
    area: str | None = None,
    period: str | None = None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    operator: bool = False,
) -> TableReport:
    s, names = settings(config), labels or {}
    found = entries(session, user, form, area, operator)
    periods = sorted({y for e in found if (y := year_of(e.answers.get(s.date_field)))})
    period = choose_period(periods, period)
    nominees: dict[tuple[str | None, str, str], Nominee] = {}
    for e in found:  # in submission order: a member's later sheet replaces his earlier one
        if year_of(e.answers.get(s.date_field)) != period:
            continue
        key = (e.district, clean_text(e.answers.get(s.nominee_field)), clean_text(e.answers.get(s.partner_field)))
        nominee = nominees.setdefault(key, Nominee(e.province, e.district, key[1], key[2]))
        nominee.sheets[clean_text(e.answers.get(s.scorer_field))] = [
            number(e.answers.get(c.field)) or 0.0 for c in s.criteria
        ]
    crit_cols = [Column(f"c{c.code}", f"{c.code} (เต็ม {c.weight:g})", "number", 0.75) for c in s.criteria]
    max_total = sum(c.weight for c in s.criteria)
    sheets = Table(
        "score_sheets",
        "คะแนนของกรรมการแต่ละคน และค่าเฉลี่ย รายผู้ได้รับการเสนอชื่อ",
        [
            Column("district", "อำเภอ", width=1.1),
            Column("nominee", "ผู้ได้รับการเสนอชื่อ / เครือข่าย", width=1.9),
            Column("scorer", "กรรมการ", width=1.3),
            *crit_cols,
            Column("total", f"รวม (เต็ม {max_total:g})", "number", 0.85),
        ],
    )
    ordered = sorted(nominees.values(), key=lambda x: (x.district or "", x.name, x.partner))
    for x in ordered:
        who = f"{x.name} / {x.partner}"
        district = place_name(names, "district", x.district)
        for scorer, scores in sorted(x.sheets.items()):
            sheets.rows.append([district, who, scorer, *scores, round(sum(scores), 2)])
        sheets.rows.append([district, who, f"ค่าเฉลี่ย ({len(x.sheets)} คน)", *x.means(), x.mean_total()])

    rank_columns = [
        Column("rank", "อันดับ", "int", 0.6),
        Column("nominee", "ผู้ได้รับการเสนอชื่อ", width=1.5),
        Column("partner", "เครือข่าย", width=1.5),
        Column("scorers", "กรรมการ (คน)", "int", 0.8),
        Column("meanTotal", "คะแนนเฉลี่ยรวม", "number", 0.9),
        Column("tie", "หมายเหตุ", width=0.9),
    ]
    by_district = Table(
        "district_ranking",
        "อันดับรายอำเภอ",
        [Column("code", "รหัสอำเภอ", width=0.7), Column("district", "อำเภอ", width=1.2), *rank_columns],
    )
    by_province = Table(
        "province_ranking",
        "อันดับรายจังหวัด",
        [Column("code", "รหัสจังหวัด", width=0.7), Column("province", "จังหวัด", width=1.2), *rank_columns],
    )
    for table, attr, kind in ((by_district, "district", "district"), (by_province, "province", "province")):
        groups: dict[str | None, list[Nominee]] = {}
        for x in ordered:
            groups.setdefault(getattr(x, attr), []).append(x)
        for code in sorted(groups, key=lambda c: c or ""):
            for rank, tie, x in ranks(groups[code]):
                table.rows.append(
                    [code or "", place_name(names, kind, code), rank, x.name, x.partner, len(x.sheets),
                     x.mean_total(), TIE if tie else ""]
                )  # fmt: skip

    report = TableReport(
        config, form, area, area_name(area, names), period, periods, f"ปี พ.ศ. {period or '–'}",
        tables=[sheets, by_district, by_province],
    )  # fmt: skip
    report.summary = [
        ("ผู้ได้รับการเสนอชื่อ", f"{len(nominees):,} คู่"),
        ("แบบให้คะแนนของกรรมการ", f"{sum(len(x.sheets) for x in nominees.values()):,} แบบ"),
    ]
    report.notes.append("อันดับเรียงจากคะแนนเฉลี่ยรวมของกรรมการ ผู้ที่คะแนนเท่ากันได้อันดับเดียวกัน")
    report.chart_title = "คะแนนเฉลี่ยรวม"
    report.chart = [
        Bar(f"{x.name}", x.mean_total(), f"{x.mean_total():.2f}")
        for x in sorted(ordered, key=lambda x: -x.mean_total())
    ]
    report.figures = {
        "criteria": [{"code": c.code, "label": c.label, "weight": c.weight, "field": c.field} for c in s.criteria],
        "nominees": [
            {"district": x.district, "province": x.province, "nominee": x.name, "partner": x.partner,
             "sheets": x.sheets, "means": x.means(), "meanTotal": x.mean_total()}
            for x in ordered
        ],
    }  # fmt: skip
    return report
