"""The มชช. report: each target's self-assessment total, percentage and pass / not pass against the
threshold of its type, before and after development, and per district the targets assessed and
passing in each round and the change (settings in forms/standard_assessment.report.toml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

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
    iter_numbers,
    need_number,
    need_text,
    place_name,
    year_of,
)

NAME = "community_standard"
SUFFIX = ".report.toml"
ROUNDS = ("before", "after")
PASSED, FAILED = "ผ่าน", "ไม่ผ่าน"


@dataclass(frozen=True)
class Settings:
    target_field: str
    name_field: str
    round_field: str
    date_field: str
    repeat: str
    full_field: str
    score_field: str
    targets: dict[str, str]
    pass_percent: dict[str, float]


def settings(config: ReportConfig) -> Settings:
    d = config.data
    targets = d.get("targets")
    if not isinstance(targets, dict) or not targets:
        raise config_error(config.path, "targets", "ต้องมีประเภทกลุ่มเป้าหมาย", "needs [targets]")
    thresholds = d.get("pass_percent")
    if not isinstance(thresholds, dict):
        raise config_error(config.path, "pass_percent", "ต้องมีเกณฑ์ผ่านของแต่ละประเภท", "needs [pass_percent]")
    passes = {}
    for code in targets:
        passes[code] = need_number(config, f"pass_percent {code}", thresholds.get(code))
        need_text(config, f"targets {code}", targets[code])
    keys = ("target_field", "name_field", "round_field", "date_field", "repeat", "full_field", "score_field")
    t = [need_text(config, k, d.get(k)) for k in keys]
    return Settings(t[0], t[1], t[2], t[3], t[4], t[5], t[6], targets=dict(targets), pass_percent=passes)


def fields(config: ReportConfig) -> list[str]:
    s = settings(config)
    return [s.target_field, s.name_field, s.round_field, s.date_field, s.full_field, s.score_field]


@dataclass
class Score:
    score: float
    full: float
    percent: float | None
    passed: bool | None


def _result(passed: bool | None) -> str | None:
    return None if passed is None else (PASSED if passed else FAILED)


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
    targets: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for e in found:  # in submission order: the latest assessment of a target in a round wins
        if year_of(e.answers.get(s.date_field)) != period:
            continue
        kind, rnd = str(e.answers.get(s.target_field) or ""), str(e.answers.get(s.round_field) or "")
        if rnd not in ROUNDS:
            continue
        name = " ".join(str(e.answers.get(s.name_field) or "").split())
        rows = e.repeats.get(s.repeat, [])
        score, full = sum(iter_numbers(rows, s.score_field)), sum(iter_numbers(rows, s.full_field))
        percent = round(100.0 * score / full, 2) if full > 0 else None
        threshold = s.pass_percent.get(kind)
        passed = None if percent is None or threshold is None else percent >= threshold
        target = targets.setdefault((kind, name, e.subdistrict), {"district": e.district})
        target[rnd] = Score(score, full, percent, passed)

    per_target = Table(
        "targets",
        "ผลการประเมินรายกลุ่มเป้าหมาย ก่อนและหลังการพัฒนา",
        [
            Column("type", "ประเภท", width=1.5), Column("name", "ชื่อกลุ่มเป้าหมาย", width=1.8),
            Column("subdistrict", "ตำบล", width=1.2),
            Column("beforeScore", "คะแนนก่อน", "number", 1.0), Column("beforeFull", "เต็ม", "number", 1.0),
            Column("beforePercent", "ร้อยละก่อน", "percent", 1.0), Column("beforeResult", "ผลก่อน", width=0.9),
            Column("afterScore", "คะแนนหลัง", "number", 1.0), Column("afterFull", "เต็ม", "number", 1.0),
            Column("afterPercent", "ร้อยละหลัง", "percent", 1.0), Column("afterResult", "ผลหลัง", width=0.9),
            Column("change", "เปลี่ยนแปลง (จุดร้อยละ)", "number", 1.0),
        ],
    )  # fmt: skip
    order = list(s.targets)
    districts: dict[tuple[str | None, str], list[int]] = {}
    for (kind, name, subdistrict), t in sorted(
        targets.items(),
        key=lambda kv: (
            kv[1]["district"] or "",
            order.index(kv[0][0]) if kv[0][0] in order else 99,
            kv[0][1],
        ),
    ):
        before, after = t.get("before"), t.get("after")
        change = (
            round(after.percent - before.percent, 2)
            if before and after and before.percent is not None and after.percent is not None
            else None
        )
        per_target.rows.append([
            s.targets.get(kind, kind), name, place_name(names, "subdistrict", subdistrict),
            *(([before.score, before.full, before.percent, _result(before.passed)]) if before else [None] * 4),
            *(([after.score, after.full, after.percent, _result(after.passed)]) if after else [None] * 4),
            change,
        ])  # fmt: skip
        counts = districts.setdefault((t["district"], kind), [0, 0, 0, 0])
        for n, sc in enumerate((before, after)):
            if sc is not None:
                counts[2 * n] += 1
                counts[2 * n + 1] += bool(sc.passed)

    per_district = Table(
        "districts",
        "สรุปรายอำเภอ: จำนวนที่ประเมินและผ่านเกณฑ์ ก่อนและหลังการพัฒนา",
        [
            Column("code", "รหัสอำเภอ", width=0.8), Column("district", "อำเภอ", width=1.3),
            Column("type", "ประเภท", width=1.3),
            Column("assessedBefore", "ประเมินก่อน", "int"), Column("passedBefore", "ผ่านก่อน", "int"),
            Column("assessedAfter", "ประเมินหลัง", "int"), Column("passedAfter", "ผ่านหลัง", "int"),
            Column("change", "ผ่านเพิ่มขึ้น", "int"),
        ],
    )  # fmt: skip
    totals: dict[str, list[int]] = {}
    for (district, kind), c in sorted(
        districts.items(), key=lambda kv: (kv[0][0] or "", order.index(kv[0][1]) if kv[0][1] in order else 99)
    ):
        per_district.rows.append(
            [
                district or "",
                place_name(names, "district", district),
                s.targets.get(kind, kind),
                *c,
                c[3] - c[1],
            ]
        )
        total = totals.setdefault(kind, [0, 0, 0, 0])
        for n in range(4):
            total[n] += c[n]
    for kind in sorted(totals, key=lambda k: order.index(k) if k in order else 99):
        c = totals[kind]
        per_district.rows.append(["", "รวมทุกอำเภอ", s.targets.get(kind, kind), *c, c[3] - c[1]])

    report = TableReport(
        config, form, area, area_name(area, names), period, periods, f"ปี พ.ศ. {period or '–'}",
        tables=[per_target, per_district],
    )  # fmt: skip
    assessed = sum(c[0] + c[2] for c in totals.values())
    report.summary = [
        ("กลุ่มเป้าหมายที่ประเมิน", f"{len(targets):,}"),
        (
            "ผ่านเกณฑ์ก่อนการพัฒนา",
            f"{sum(c[1] for c in totals.values()):,} จาก {sum(c[0] for c in totals.values()):,}",
        ),
        (
            "ผ่านเกณฑ์หลังการพัฒนา",
            f"{sum(c[3] for c in totals.values()):,} จาก {sum(c[2] for c in totals.values()):,}",
        ),
    ]
    report.notes.append(
        "เกณฑ์ผ่าน (ร้อยละของคะแนนเต็ม): "
        + ", ".join(f"{s.targets[k]} {s.pass_percent[k]:g}" for k in s.targets)
        + " จากไฟล์ standard_assessment.report.toml ต้องให้สำนักงานยืนยัน"
    )
    report.chart_title = "จำนวนที่ผ่านเกณฑ์ ก่อน / หลังการพัฒนา"
    for kind in sorted(totals, key=lambda k: order.index(k) if k in order else 99):
        c = totals[kind]
        report.chart += [
            Bar(f"{s.targets.get(kind, kind)} ก่อน", float(c[1]), f"{c[1]:,} / {c[0]:,}"),
            Bar(f"{s.targets.get(kind, kind)} หลัง", float(c[3]), f"{c[3]:,} / {c[2]:,}"),
        ]
    report.figures = {
        "passPercent": s.pass_percent,
        "totals": {
            k: dict(zip(["assessedBefore", "passedBefore", "assessedAfter", "passedAfter"], c, strict=True))
            for k, c in totals.items()
        },
        "assessments": assessed,
    }
    return report
