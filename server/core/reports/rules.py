"""Indicator rules kept as data: forms/FORM.indicators.toml, read and checked on load. A mistake in the
file is a RulesError that names the file, the indicator and what is wrong, never a traceback."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.core.ground.errors import BadRequest

RULES_SUFFIX = ".indicators.toml"
KINDS = ("count", "all_equal", "at_least", "selected")
# Where the shipped forms and their rules files live (an office edits them there, with the forms).
SHIPPED_DIR = Path(__file__).resolve().parents[3] / "forms"


class RulesError(BadRequest):
    """An indicator rules file that cannot be used (a 400 when it reaches the API)."""


@dataclass(frozen=True)
class Indicator:
    code: str
    section: str
    label: str
    kind: str
    eligible: tuple[str, ...] = ()
    not_meeting: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    value: Any = None
    field: str = ""
    threshold: float | None = None
    excluded: tuple[str, ...] = ()

    def field_names(self) -> tuple[str, ...]:
        return (*self.eligible, *self.not_meeting, *self.fields, *((self.field,) if self.field else ()))


@dataclass(frozen=True)
class Rules:
    """One form's rules: which report it feeds, its indicators in order (the order of the characters
    of ReportResult.outcomes) and the file's SHA-256 (a changed file makes every result stale)."""

    report: str
    form_id: str
    title: str
    title_en: str
    sha: str
    indicators: tuple[Indicator, ...]
    sections: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    period_field: str = ""
    members_field: str = ""
    income_field: str = ""
    source: str = ""

    def field_names(self) -> set[str]:
        names = {n for i in self.indicators for n in i.field_names()}
        return names | {n for n in (self.period_field, self.members_field, self.income_field) if n}


def _fail(source: str, where: str, problem: str) -> RulesError:
    return RulesError(
        f"ไฟล์กฎตัวชี้วัด {source}: {where} {problem} / Indicator rules {source}: {where}: {problem}",
        file=source,
    )


def _names(raw: Any, source: str, where: str, key: str, required: bool) -> tuple[str, ...]:
    if raw is None:
        if required:
            raise _fail(source, where, f"ต้องมี {key} / needs {key!r}")
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw) or not raw:
        raise _fail(source, where, f"{key} ต้องเป็นรายชื่อคำถาม / {key!r} must be a list of field names")
    return tuple(x.strip() for x in raw)


def _indicator(raw: Any, number: int, settings: dict[str, Any], source: str) -> Indicator:
    where = f"ตัวชี้วัดที่ {number} (indicator #{number})"
    if not isinstance(raw, dict):
        raise _fail(source, where, "ต้องเป็นตาราง [[indicator]] / must be an [[indicator]] table")
    code, kind = str(raw.get("code") or "").strip(), str(raw.get("kind") or "").strip()
    if not code:
        raise _fail(source, where, "ต้องมี code / needs a code")
    where = f"ตัวชี้วัด {code} (indicator {code})"
    if kind not in KINDS:
        raise _fail(
            source, where, f"kind ต้องเป็น {' / '.join(KINDS)} / kind must be one of {', '.join(KINDS)}"
        )
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        raise _fail(source, where, "ต้องมี label / needs a label")
    common: dict[str, Any] = {
        "code": code,
        "section": str(raw.get("section") or ""),
        "label": label.strip(),
        "kind": kind,
    }
    if kind == "count":
        return Indicator(
            **common,
            eligible=_names(raw.get("eligible"), source, where, "eligible", True),
            not_meeting=_names(raw.get("not_meeting"), source, where, "not_meeting", True),
        )
    if kind == "all_equal":
        if (
            "value" not in raw
            or not isinstance(raw["value"], str | int | float)
            or isinstance(raw["value"], bool)
        ):
            raise _fail(source, where, "ต้องมี value (ข้อความหรือตัวเลข) / needs a text or number value")
        return Indicator(
            **common, fields=_names(raw.get("fields"), source, where, "fields", True), value=raw["value"]
        )
    name = _names(raw.get("field"), source, where, "field", True)
    if len(name) != 1:
        raise _fail(source, where, "field ต้องเป็นคำถามเดียว / 'field' must name one field")
    if kind == "at_least":
        threshold = raw.get("threshold")
        if isinstance(threshold, str):
            if threshold not in settings:
                raise _fail(
                    source, where, f"ไม่มี {threshold} ใน [settings] / {threshold!r} is not in [settings]"
                )
            threshold = settings[threshold]
        if not isinstance(threshold, int | float) or isinstance(threshold, bool):
            raise _fail(source, where, "threshold ต้องเป็นตัวเลข / threshold must be a number")
        return Indicator(**common, field=name[0], threshold=float(threshold))
    return Indicator(
        **common, field=name[0], excluded=_names(raw.get("except"), source, where, "except", False)
    )


def parse_rules(data: bytes, source: str) -> Rules:
    """Rules from the bytes of an .indicators.toml file, checked; RulesError says what is wrong."""
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _fail(source, "อ่านไม่ได้", f"(not valid UTF-8 TOML: {exc})") from exc
    for key in ("report", "form_id", "title"):
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            raise _fail(source, "หัวไฟล์ (header)", f"ต้องมี {key} / needs {key!r}")
    settings = doc.get("settings") or {}
    sections = doc.get("sections") or {}
    if not isinstance(settings, dict) or not isinstance(sections, dict):
        raise _fail(source, "[settings]/[sections]", "ต้องเป็นตาราง / must be tables")
    raw_indicators = doc.get("indicator")
    if not isinstance(raw_indicators, list) or not raw_indicators:
        raise _fail(source, "[[indicator]]", "ต้องมีตัวชี้วัดอย่างน้อยหนึ่งข้อ / needs at least one indicator")
    if len(raw_indicators) > 255:
        raise _fail(source, "[[indicator]]", "มีได้ไม่เกิน 255 ข้อ / at most 255 indicators")
    indicators = tuple(_indicator(r, n, settings, source) for n, r in enumerate(raw_indicators, 1))
    codes = [i.code for i in indicators]
    duplicated = sorted({c for c in codes if codes.count(c) > 1})
    if duplicated:
        raise _fail(source, "[[indicator]]", f"code ซ้ำ / duplicate codes: {', '.join(duplicated)}")
    return Rules(
        report=doc["report"].strip(),
        form_id=doc["form_id"].strip(),
        title=doc["title"].strip(),
        title_en=str(doc.get("title_en") or doc["title"]).strip(),
        sha=hashlib.sha256(data).hexdigest(),
        indicators=indicators,
        sections={str(k): str(v) for k, v in sections.items()},
        settings=dict(settings),
        period_field=str(doc.get("period_field") or ""),
        members_field=str(doc.get("members_field") or ""),
        income_field=str(doc.get("income_field") or ""),
        source=source,
    )


def check_fields(rules: Rules, known: Iterable[str]) -> None:
    """Every field the rules name must be a field of the form (by its survey-sheet name)."""
    missing = sorted(rules.field_names() - set(known))
    if missing:
        raise _fail(
            rules.source,
            f"แบบฟอร์ม {rules.form_id}",
            f"ไม่มีคำถาม {', '.join(missing)} / the form has no field named {', '.join(missing)}",
        )


def load_rules(directory: Path = SHIPPED_DIR) -> dict[str, Rules]:
    """Every rules file in a directory, by report name (two files for one report is an error)."""
    found: dict[str, Rules] = {}
    if not directory.is_dir():
        return found
    for path in sorted(directory.glob(f"*{RULES_SUFFIX}")):
        rules = parse_rules(path.read_bytes(), path.name)
        if rules.report in found:
            raise _fail(
                path.name,
                "report",
                f"ซ้ำกับ {found[rules.report].source} / also in {found[rules.report].source}",
            )
        found[rules.report] = rules
    return found
