"""The community forum report: problems raised at forums by frequency and priority, per village and
per subdistrict, with who acts on each (labels in forms/community_forum.report.toml)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
    need_text,
    place_name,
    year_of,
)

NAME = "community_forum"
SUFFIX = ".report.toml"
_FIELDS = ("date_field", "men_field", "women_field", "repeat", "problem_field", "area_field", "priority_field",
           "actor_field", "agency_field")  # fmt: skip


@dataclass(frozen=True)
class Settings:
    fields: dict[str, str]
    problem_areas: dict[str, str]
    actors: dict[str, str]


def settings(config: ReportConfig) -> Settings:
    d = config.data
    for key in ("problem_areas", "actors"):
        if not isinstance(d.get(key), dict) or not d[key]:
            raise config_error(config.path, key, "ต้องมีรายการรหัสและชื่อ", f"needs [{key}]")
        for code, label in d[key].items():
            need_text(config, f"{key} {code}", label)
    return Settings(
        {k: need_text(config, k, d.get(k)) for k in _FIELDS}, dict(d["problem_areas"]), dict(d["actors"])
    )


def fields(config: ReportConfig) -> list[str]:
    return [v for k, v in settings(config).fields.items() if k != "repeat"]


@dataclass
class Problem:
    text: str
    area: str
    priorities: list[float] = field(default_factory=list)
    forums: set[int] = field(default_factory=set)
    villages: set[str | None] = field(default_factory=set)
    actors: Counter[str] = field(default_factory=Counter)
    agencies: Counter[str] = field(default_factory=Counter)

    @property
    def raised(self) -> int:
        return len(self.priorities)

    def mean_priority(self) -> float | None:
        return round(sum(self.priorities) / len(self.priorities), 2) if self.priorities else None

    def sort_key(self) -> tuple[Any, ...]:
        mean = self.mean_priority()
        return (-self.raised, mean if mean is not None else 99.0, self.text)


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
    f = s.fields
    found = entries(session, user, form, area, operator)
    periods = sorted({y for e in found if (y := year_of(e.answers.get(f["date_field"])))})
    period = choose_period(periods, period)
    per_village: dict[tuple[str | None, str | None], dict[str, Problem]] = {}
    per_subdistrict: dict[str | None, dict[str, Problem]] = {}
    by_area: dict[str, Problem] = {}
    forums, men, women = 0, 0.0, 0.0
    for e in found:
        if year_of(e.answers.get(f["date_field"])) != period:
            continue
        forums += 1
        men += number(e.answers.get(f["men_field"])) or 0.0
        women += number(e.answers.get(f["women_field"])) or 0.0
        for row in e.repeats.get(f["repeat"], []):
            text = clean_text(row.get(f["problem_field"]))
            if not text:
                continue
            kind = str(row.get(f["area_field"]) or "")
            priority = number(row.get(f["priority_field"]))
            actor = str(row.get(f["actor_field"]) or "")
            agency = clean_text(row.get(f["agency_field"]))
            same = "".join(text.split())  # Thai runs words together: a stray space is the same problem
            for bucket, key in (
                (per_village.setdefault((e.subdistrict, e.village), {}), same),
                (per_subdistrict.setdefault(e.subdistrict, {}), same),
                (by_area, kind),
            ):
                p = bucket.setdefault(key, Problem(text if bucket is not by_area else "", kind))
                if priority is not None:
                    p.priorities.append(priority)
                p.forums.add(e.submission_id)
                p.villages.add(e.village)
                p.actors[actor] += 1
                if agency:
                    p.agencies[agency] += 1

    actor_columns = [Column(code, label, "int", 0.75) for code, label in s.actors.items()]
    common = [
        Column("problem", "ปัญหา/ความต้องการ", width=2.0),
        Column("area", "ด้าน", width=1.2),
        Column("raised", "ครั้งที่ยก", "int", 0.7),
        Column("topPriority", "ลำดับสูงสุด", "int", 0.7),
        Column("meanPriority", "ลำดับเฉลี่ย", "number", 0.7),
        *actor_columns,
        Column("agencies", "หน่วยงานที่ระบุ", width=1.3),
    ]

    def cells(p: Problem) -> list[Any]:
        top = min(p.priorities) if p.priorities else None
        return [
            p.text, s.problem_areas.get(p.area, p.area), p.raised, int(top) if top is not None else None,
            p.mean_priority(), *(p.actors.get(code, 0) for code in s.actors),
            ", ".join(f"{a} ({n})" for a, n in sorted(p.agencies.items())),
        ]  # fmt: skip

    villages = Table(
        "by_village",
        "ปัญหาเรียงตามความถี่และลำดับความสำคัญ รายหมู่บ้าน",
        [Column("subdistrict", "ตำบล", width=1.0), Column("village", "หมู่บ้าน", width=1.1), *common],
    )
    for sub, vil in sorted(per_village, key=lambda k: (k[0] or "", k[1] or "")):
        for p in sorted(per_village[(sub, vil)].values(), key=Problem.sort_key):
            villages.rows.append(
                [place_name(names, "subdistrict", sub), place_name(names, "village", vil), *cells(p)]
            )
    subdistricts = Table(
        "by_subdistrict",
        "ปัญหาเรียงตามความถี่และลำดับความสำคัญ รายตำบล",
        [Column("code", "รหัสตำบล", width=0.8), Column("subdistrict", "ตำบล", width=1.1),
         Column("villages", "หมู่บ้านที่ยก", "int", 0.7), *common],
    )  # fmt: skip
    for sub in sorted(per_subdistrict, key=lambda c: c or ""):
        for p in sorted(per_subdistrict[sub].values(), key=Problem.sort_key):
            subdistricts.rows.append(
                [sub or "", place_name(names, "subdistrict", sub), len(p.villages), *cells(p)]
            )
    areas = Table(
        "by_area",
        "ปัญหาตามด้าน",
        [Column("area", "ด้าน", width=2.0), Column("raised", "ครั้งที่ยก", "int"),
         Column("meanPriority", "ลำดับเฉลี่ย", "number"), *actor_columns],
    )  # fmt: skip
    ordered_areas = sorted(by_area.values(), key=lambda p: (-p.raised, p.area))
    for p in ordered_areas:
        areas.rows.append(
            [
                s.problem_areas.get(p.area, p.area),
                p.raised,
                p.mean_priority(),
                *(p.actors.get(c, 0) for c in s.actors),
            ]
        )

    report = TableReport(
        config, form, area, area_name(area, names), period, periods, f"ปี พ.ศ. {period or '–'}",
        tables=[areas, subdistricts, villages],
    )  # fmt: skip
    raised = sum(p.raised for p in by_area.values())
    report.summary = [
        ("เวทีประชาคม", f"{forums:,} ครั้ง"),
        ("ผู้เข้าร่วม", f"{int(men + women):,} คน (ชาย {int(men):,} หญิง {int(women):,})"),
        ("ปัญหาที่ยกขึ้น", f"{raised:,} เรื่อง"),
    ]
    report.notes.append("ลำดับความสำคัญ 1 = สำคัญที่สุด; ปัญหาเดียวกันคือข้อความเดียวกัน (ไม่นับช่องว่าง)")
    report.chart_title = "จำนวนครั้งที่ยกปัญหา ตามด้าน"
    report.chart = [
        Bar(s.problem_areas.get(p.area, p.area), float(p.raised), f"{p.raised:,}") for p in ordered_areas
    ]
    report.figures = {"forums": forums, "men": int(men), "women": int(women), "problemsRaised": raised}
    return report
