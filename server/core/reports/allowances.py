"""The allowances report: registrations per allowance type, age band and subdistrict for a Thai
fiscal year (1 Oct – 30 Sep, พ.ศ.), and the monthly and yearly budget they imply from the rate table
kept beside the form (forms/welfare_registration.rates.toml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.ground.errors import Forbidden
from server.core.models import Form, User
from server.core.reports.tables import (
    Bar,
    Column,
    ReportConfig,
    Table,
    TableReport,
    area_name,
    choose_period,
    config_error,
    entries,
    need_number,
    need_text,
    place_name,
)

NAME = "allowances"
SUFFIX = ".rates.toml"
OUTSIDE = "นอกช่วงอายุที่กำหนด"


@dataclass(frozen=True)
class Rate:
    type: str
    type_label: str
    band: str
    min_age: int
    max_age: int | None
    monthly: float

    def fits(self, allowance: str, age: int) -> bool:
        return (
            allowance == self.type and age >= self.min_age and (self.max_age is None or age <= self.max_age)
        )


@dataclass(frozen=True)
class Settings:
    type_field: str
    year_field: str
    birth_field: str
    id_field: str
    months: int
    rates: tuple[Rate, ...]

    @property
    def types(self) -> dict[str, str]:
        return {r.type: r.type_label for r in self.rates}


def settings(config: ReportConfig) -> Settings:
    data = config.data
    rates = []
    raw_rates = data.get("rate")
    if not isinstance(raw_rates, list) or not raw_rates:
        raise config_error(config.path, "rate", "ต้องมีตารางอัตราอย่างน้อยหนึ่งแถว", "needs at least one [[rate]]")
    for n, raw in enumerate(raw_rates, 1):
        where = f"rate {n}"
        if not isinstance(raw, dict):
            raise config_error(config.path, where, "ต้องเป็นตาราง", "must be a table")
        max_age = raw.get("max_age")
        rates.append(
            Rate(
                need_text(config, f"{where} type", raw.get("type")),
                need_text(config, f"{where} type_label", raw.get("type_label")),
                need_text(config, f"{where} band", raw.get("band")),
                int(need_number(config, f"{where} min_age", raw.get("min_age"))),
                None if max_age is None else int(need_number(config, f"{where} max_age", max_age)),
                need_number(config, f"{where} monthly", raw.get("monthly")),
            )
        )
    return Settings(
        need_text(config, "type_field", data.get("type_field")),
        need_text(config, "fiscal_year_field", data.get("fiscal_year_field")),
        need_text(config, "birth_field", data.get("birth_field")),
        need_text(config, "id_field", data.get("id_field")),
        int(need_number(config, "months", data.get("months", 12), 1)),
        tuple(rates),
    )


def fields(config: ReportConfig) -> list[str]:
    s = settings(config)
    return [s.type_field, s.year_field, s.birth_field, s.id_field]


def age_in_fiscal_year(birth: date, fiscal_year_be: int) -> int:
    """Age on 30 September of the fiscal year (its last day)."""
    end = date(fiscal_year_be - 543, 9, 30)
    return end.year - birth.year - ((end.month, end.day) < (birth.month, birth.day))


def _fiscal_year(value: Any) -> str | None:
    text = str(value or "").strip()
    return text if text.isdigit() and len(text) == 4 else None


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
    if not operator and not permissions.can(session, user, "submission.read_sensitive", form.project_id):
        # The allowance type tells disability or HIV status (a sensitive field): counts per type and
        # small area could point at a person, so the report needs the right to read sensitive fields.
        raise Forbidden(
            "รายงานเบี้ยยังชีพแยกตามประเภท (ข้อมูลอ่อนไหว) ต้องมีสิทธิ์อ่านข้อมูลอ่อนไหว / The allowances "
            "report shows a sensitive field by type: it needs the right to read sensitive fields."
        )
    found = entries(session, user, form, area, operator)
    periods = sorted({y for e in found if (y := _fiscal_year(e.answers.get(s.year_field)))})
    period = choose_period(periods, period)
    # The same person registered twice for one allowance in one fiscal year counts once (the latest).
    people: dict[tuple[str, str], tuple[str | None, str, Rate | None, float]] = {}
    undated = 0
    for e in found:
        if _fiscal_year(e.answers.get(s.year_field)) != period:
            continue
        allowance = str(e.answers.get(s.type_field) or "")
        try:
            birth = date.fromisoformat(str(e.answers.get(s.birth_field) or "")[:10])
        except ValueError:
            undated += 1
            continue
        age = age_in_fiscal_year(birth, int(period or 0))
        rate = next((r for r in s.rates if r.fits(allowance, age)), None)
        person = str(e.answers.get(s.id_field) or f"submission {e.submission_id}")
        people[(person, allowance)] = (e.subdistrict, allowance, rate, rate.monthly if rate else 0.0)

    types = s.types
    by_band: dict[Rate | None, list[int]] = {r: [0] for r in s.rates}
    outside: dict[str, int] = {}
    by_place: dict[str | None, dict[str, Any]] = {}
    for subdistrict, allowance, rate, monthly in people.values():
        if rate is not None:
            by_band[rate][0] += 1
        else:
            outside[allowance] = outside.get(allowance, 0) + 1
        place = by_place.setdefault(subdistrict, {"types": {t: 0 for t in types}, "monthly": 0.0})
        place["types"][allowance] = place["types"].get(allowance, 0) + 1
        place["monthly"] += monthly

    band_table = Table(
        "by_type_band",
        "ผู้ขึ้นทะเบียนและงบประมาณ ตามประเภทเบี้ยและช่วงอายุ",
        [
            Column("type", "ประเภทเบี้ย", width=1.6),
            Column("band", "ช่วงอายุ", width=1.2),
            Column("monthlyRate", "อัตรา (บาท/คน/เดือน)", "money"),
            Column("registrations", "ผู้ขึ้นทะเบียน (คน)", "int"),
            Column("monthlyBudget", "งบประมาณต่อเดือน (บาท)", "money", 1.2),
            Column("yearlyBudget", f"งบประมาณทั้งปี {s.months} เดือน (บาท)", "money", 1.3),
        ],
    )
    total_people, total_monthly = 0, 0.0
    by_type: dict[str, dict[str, float]] = {t: {"registrations": 0, "monthlyBudget": 0.0} for t in types}
    for rate in s.rates:
        count = by_band[rate][0]
        monthly = count * rate.monthly
        band_table.rows.append([rate.type_label, rate.band, rate.monthly, count, monthly, monthly * s.months])
        total_people, total_monthly = total_people + count, total_monthly + monthly
        by_type[rate.type]["registrations"] += count
        by_type[rate.type]["monthlyBudget"] += monthly
    for allowance, count in sorted(outside.items()):
        band_table.rows.append([types.get(allowance, allowance or "ไม่ระบุ"), OUTSIDE, 0, count, 0, 0])
        total_people += count
        by_type.setdefault(allowance, {"registrations": 0, "monthlyBudget": 0.0})["registrations"] += count
    band_table.rows.append(["รวมทั้งสิ้น", "", None, total_people, total_monthly, total_monthly * s.months])

    place_table = Table(
        "by_subdistrict",
        "ผู้ขึ้นทะเบียนและงบประมาณ รายตำบล",
        [
            Column("code", "รหัสตำบล", width=0.8),
            Column("subdistrict", "ตำบล", width=1.3),
            *[Column(t, label, "int") for t, label in types.items()],
            Column("registrations", "รวม (คน)", "int", 0.8),
            Column("monthlyBudget", "งบต่อเดือน (บาท)", "money"),
            Column("yearlyBudget", "งบทั้งปี (บาท)", "money", 1.1),
        ],
    )
    for code in sorted(by_place, key=lambda c: (c is None, c or "")):
        place = by_place[code]
        counts = [place["types"].get(t, 0) for t in types]
        place_table.rows.append(
            [code or "", place_name(names, "subdistrict", code), *counts, sum(place["types"].values()),
             place["monthly"], place["monthly"] * s.months]
        )  # fmt: skip

    report = TableReport(
        config, form, area, area_name(area, names), period, periods, f"ปีงบประมาณ พ.ศ. {period or '–'}",
        tables=[band_table, place_table],
    )  # fmt: skip
    if period is not None:
        start, end = int(period) - 1, int(period)
        report.summary.append(("ปีงบประมาณ", f"{period} (1 ต.ค. {start} – 30 ก.ย. {end})"))
    report.summary += [
        ("ผู้ขึ้นทะเบียนทั้งหมด (คน)", f"{total_people:,}"),
        ("งบประมาณต่อเดือน (บาท)", f"{total_monthly:,.0f}"),
        (f"งบประมาณทั้งปี {s.months} เดือน (บาท)", f"{total_monthly * s.months:,.0f}"),
    ]
    report.notes.append(
        "อัตราเบี้ยจากไฟล์ welfare_registration.rates.toml ต้องให้สำนักงานยืนยันก่อนใช้ตั้งงบประมาณ "
        "อายุนับถึงวันที่ 30 กันยายนของปีงบประมาณ"
    )
    if undated:
        report.notes.append(f"ไม่นับ {undated:,} รายที่ไม่มีวันเกิด")
    report.chart_title = "ผู้ขึ้นทะเบียนตามประเภทเบี้ย (คน)"
    report.chart = [
        Bar(types.get(t, t), float(v["registrations"]), f"{int(v['registrations']):,}")
        for t, v in by_type.items()
    ]
    report.figures = {
        "fiscalYear": period,
        "months": s.months,
        "totals": {
            "registrations": total_people,
            "monthlyBudget": total_monthly,
            "yearlyBudget": total_monthly * s.months,
        },
        "byType": {t: {**v, "yearlyBudget": v["monthlyBudget"] * s.months} for t, v in by_type.items()},
    }
    return report
