"""What the reports other than จปฐ. share: their settings file beside the form (forms/FORM.SUFFIX.toml,
checked on load), the current processed answers of a form in the reader's part of the project (main
values and repeat rows, by field name), and a report as titled tables of typed columns that the JSON,
XLSX, PDF and web page all draw from."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.models import Form, Record, RepeatRow, Submission, SubmissionVersion, User
from server.core.models.submissions import PROCESSED
from server.core.reports.basic_needs import area_condition
from server.core.reports.evaluate import by_name, number
from server.core.reports.rules import RulesError

KINDS = ("text", "int", "number", "percent", "money")
_CHUNK = 500


@dataclass(frozen=True)
class ReportConfig:
    """A report's settings file: which report and form, its titles, its SHA-256 and its own keys."""

    report: str
    form_id: str
    title: str
    title_en: str
    sha: str
    path: Path
    data: dict[str, Any]


def config_error(path: Path, where: str, problem_th: str, problem_en: str) -> RulesError:
    return RulesError(f"{path.name}: {where}: {problem_th} / {problem_en}", file=path.name, where=where)


def load_config(path: Path, report: str) -> ReportConfig:
    """Read and check the common keys; the report's module checks its own."""
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError as exc:
        raise config_error(path, "file", "ไม่พบไฟล์", "the file is missing") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise config_error(path, "file", f"อ่านไม่ได้ ({exc})", f"cannot be read ({exc})") from exc
    for key in ("report", "form_id", "title", "title_en"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise config_error(path, key, "ต้องมีข้อความ", "must be a non-empty string")
    if data["report"] != report:
        raise config_error(path, "report", f"ต้องเป็น {report}", f"must be {report!r}")
    return ReportConfig(
        report, data["form_id"], data["title"], data["title_en"], hashlib.sha256(raw).hexdigest(), path, data
    )


def need_number(config: ReportConfig, where: str, value: Any, minimum: float = 0.0) -> float:
    got = number(value) if not isinstance(value, str) else None
    if got is None or got < minimum:
        raise config_error(
            config.path, where, f"ต้องเป็นตัวเลขไม่น้อยกว่า {minimum:g}", f"must be a number ≥ {minimum:g}"
        )
    return got


def need_text(config: ReportConfig, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise config_error(config.path, where, "ต้องมีข้อความ", "must be a non-empty string")
    return value


# -- reading the answers ------------------------------------------------------------------------------
@dataclass
class Entry:
    """One submission's current processed version: place codes, main answers and repeat rows by name."""

    submission_id: int
    province: str | None
    district: str | None
    subdistrict: str | None
    village: str | None
    answers: dict[str, Any]
    repeats: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def entries(
    session: Session, user: User | None, form: Form, area: str | None, operator: bool = False
) -> list[Entry]:
    """The form's live, processed submissions the user may read (his grant's area) inside `area`."""
    scope = (
        true()
        if operator
        else permissions.submission_scope(session, user, form.project_id, "submission.read")
    )
    rows = session.execute(
        select(
            Submission.id,
            Submission.province_code,
            Submission.district_code,
            Submission.subdistrict_code,
            Submission.village_code,
            Submission.current_version_id,
            Record.values,
        )
        .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id)
        .join(Record, Record.submission_version_id == Submission.current_version_id)
        .where(
            Submission.form_id == form.id,
            Submission.deleted_at.is_(None),
            SubmissionVersion.processing_state == PROCESSED,
            scope,
            area_condition(area),
        )
        .order_by(Submission.id)
    ).all()
    by_version: dict[int, Entry] = {}
    for sid, province, district, subdistrict, village, version_id, values in rows:
        by_version[version_id] = Entry(sid, province, district, subdistrict, village, by_name(values or {}))
    ids = list(by_version)
    for start in range(0, len(ids), _CHUNK):
        for version_id, path, values in session.execute(
            select(RepeatRow.submission_version_id, RepeatRow.repeat_path, RepeatRow.values)
            .where(RepeatRow.submission_version_id.in_(ids[start : start + _CHUNK]))
            .order_by(RepeatRow.submission_version_id, RepeatRow.ordinal)
        ):
            name = path.rstrip("/").rsplit("/", 1)[-1]
            by_version[version_id].repeats.setdefault(name, []).append(by_name(values or {}))
    return list(by_version.values())


def year_of(value: Any) -> str | None:
    """The พ.ศ. year of a stored ISO date."""
    text = str(value or "")
    try:
        return str(date.fromisoformat(text[:10]).year + 543)
    except ValueError:
        return None


def clean_text(value: Any) -> str:
    """An answer as one line with single spaces: texts that differ only in spacing count as one."""
    return " ".join(str(value or "").split())


def choose_period(periods: Sequence[str], period: str | None) -> str | None:
    return period if period is not None else (max(periods) if periods else None)


# -- the report as tables ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    key: str
    label: str  # Thai, as printed
    kind: str = "text"
    width: float = 1.0  # share of the printed width


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip([c.key for c in self.columns], row, strict=True)) for row in self.rows]


@dataclass
class Bar:
    label: str
    value: float
    text: str


@dataclass
class TableReport:
    config: ReportConfig
    form: Form
    area: str | None
    area_name: str
    period: str | None
    periods: list[str]
    period_label: str
    summary: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    chart_title: str = ""
    chart: list[Bar] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)  # extra JSON (totals) beside the tables

    @property
    def title(self) -> str:
        return self.config.title


def cell_text(value: Any, kind: str) -> str:
    """A cell as printed (PDF, web page): thousands separated, 2 decimals for percentages and means."""
    if value is None or value == "":
        return "–"
    if kind == "int" and isinstance(value, int | float):
        return f"{int(value):,}"
    if kind in ("number", "percent") and isinstance(value, int | float):
        return f"{value:,.2f}"
    if kind == "money" and isinstance(value, int | float):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return str(value)


def as_json(report: TableReport) -> dict[str, Any]:
    return {
        "report": report.config.report,
        "title": report.config.title,
        "titleEn": report.config.title_en,
        "formId": report.form.xml_form_id,
        "area": report.area,
        "period": report.period,
        "periods": report.periods,
        "summary": [{"label": label, "value": value} for label, value in report.summary],
        **report.figures,
        "tables": {t.key: {"title": t.title, "rows": t.dicts()} for t in report.tables},
        "notes": report.notes,
    }


def place_name(labels: Mapping[str, Mapping[str, str]], kind: str, code: str | None) -> str:
    if not code:
        return "ไม่ระบุ / not given"
    return labels.get(kind, {}).get(code, code)


def area_name(area: str | None, labels: Mapping[str, Mapping[str, str]]) -> str:
    if area is None:
        return "ทุกพื้นที่ / all areas"
    for kind in ("province", "district", "subdistrict", "village"):
        if area in labels.get(kind, {}):
            return labels[kind][area]
    return area


def iter_numbers(rows: Sequence[Mapping[str, Any]], name: str) -> Iterator[float]:
    for row in rows:
        value = number(row.get(name))
        if value is not None:
            yield value
