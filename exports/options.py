"""Export options shared by every format: parsed and checked once against the form's schema, with a
Thai / English message for each mistake (the web layer turns OptionError into a 400)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

REVIEW_STATES = ("received", "hasIssues", "needsCorrection", "edited", "approved", "rejected")
SENSITIVE_MODES = ("include", "omit", "mask", "pseudonymise")


class OptionError(ValueError):
    """A bad option; `message` is Thai / English, `details` says what would be accepted."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message, self.details = message, details


@dataclass(frozen=True)
class ExportOptions:
    labels: str | None = None  # None/"codes": names; else a language ("th", "Thai (th)", "default")
    multiple: str = "one"  # select_multiple: "one" column (space-separated) or "split" into 0/1 columns
    group_names: bool = True  # "household-house_no" (True) or "house_no" (False)
    header_rows: int = 2  # XLSX: labels + field names (2) or one row (1)
    dates: str = "iso"  # "iso" or "buddhist" (พ.ศ., for display)
    fields: tuple[str, ...] | None = None  # only these field paths or names (None: all)
    all_versions: bool = False  # columns of every published version, older fields kept
    review_states: tuple[str, ...] | None = None  # None: every state; "received" = not reviewed
    submitted_from: date | None = None  # SubmissionDate on or after (UTC date)
    submitted_to: date | None = None  # SubmissionDate on or before (UTC date)
    sensitive: str = "include"  # PDPA fields: include, omit, mask, pseudonymise (HMAC of the value)
    properties: tuple[str, ...] | None = None  # GeoJSON / KML feature properties (None: all columns)
    excel_ids: bool = False  # CSV: IDs / phone numbers as ="0812345678" so a double-click keeps them

    def as_json(self) -> dict[str, Any]:
        """The canonical stored form (also the cache key's input): dates as ISO strings, tuples as lists."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out


OPTION_KEYS = tuple(ExportOptions.__dataclass_fields__)


def _languages(schema: Mapping[str, Any]) -> list[str]:
    return [str(lang) for lang in schema.get("languages") or []]


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise OptionError(f"ตัวเลือก {name} ต้องเป็น true/false / Option {name!r} must be true or false.")
    return value


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise OptionError(
            f"ตัวเลือก {name} ต้องเป็นหนึ่งใน {', '.join(allowed)} / Option {name!r} must be one of "
            f"{', '.join(allowed)}.",
            allowed=list(allowed),
        )
    return str(value)


def _strings(name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise OptionError(
            f"ตัวเลือก {name} ต้องเป็นรายการข้อความ / Option {name!r} must be a list of strings."
        )
    return tuple(value)


def _date(name: str, value: Any) -> date:
    message = f"ตัวเลือก {name} ต้องเป็นวันที่ ค.ศ. แบบ YYYY-MM-DD / Option {name!r} must be a date YYYY-MM-DD."
    if not isinstance(value, str):
        raise OptionError(message)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise OptionError(message) from None


def _labels(value: Any, schema: Mapping[str, Any]) -> str | None:
    if value is None or value == "codes":
        return None
    languages = _languages(schema)
    ok = isinstance(value, str) and (
        value in languages or value == "default" or any(lang.endswith(f"({value})") for lang in languages)
    )
    if not ok:
        raise OptionError(
            f"แบบฟอร์มนี้ไม่มีภาษา {value!r} / This form has no language {value!r}.",
            languages=[*languages, "codes"],
        )
    return str(value)


def _field_selection(value: Any, schema: Mapping[str, Any]) -> tuple[str, ...]:
    wanted = _strings("fields", value)
    known = {f["path"] for f in schema.get("fields", [])} | {f["name"] for f in schema.get("fields", [])}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise OptionError(
            f"ไม่พบคำถาม {', '.join(unknown)} ในแบบฟอร์ม / Unknown field(s): {', '.join(unknown)}.",
            unknown=unknown,
        )
    return wanted


def parse_options(raw: Any, schema: Mapping[str, Any]) -> ExportOptions:
    """Options from a request body (a JSON object or None) checked against the form's schema."""
    if raw is None:
        return ExportOptions()
    if not isinstance(raw, Mapping):
        raise OptionError(
            "ตัวเลือกการส่งออกต้องเป็นออบเจกต์ JSON / Export options must be a JSON object.",
            allowed=list(OPTION_KEYS),
        )
    unknown = sorted(set(raw) - set(OPTION_KEYS))
    if unknown:
        raise OptionError(
            f"ไม่รู้จักตัวเลือก {', '.join(map(str, unknown))} / Unknown export option(s): "
            f"{', '.join(map(str, unknown))}.",
            allowed=list(OPTION_KEYS),
        )
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None and key not in ("labels",):
            continue
        if key == "labels":
            values[key] = _labels(value, schema)
        elif key == "multiple":
            values[key] = _choice(key, value, ("one", "split"))
        elif key in ("group_names", "all_versions", "excel_ids"):
            values[key] = _bool(key, value)
        elif key == "header_rows":
            if value not in (1, 2) or isinstance(value, bool):
                raise OptionError("ตัวเลือก header_rows ต้องเป็น 1 หรือ 2 / Option 'header_rows' must be 1 or 2.")
            values[key] = value
        elif key == "dates":
            values[key] = _choice(key, value, ("iso", "buddhist"))
        elif key == "fields":
            values[key] = _field_selection(value, schema)
        elif key == "properties":
            values[key] = _strings(key, value)
        elif key == "review_states":
            states = _strings(key, value)
            bad = [s for s in states if s not in REVIEW_STATES]
            if bad:
                raise OptionError(
                    f"ไม่รู้จักสถานะการตรวจ {', '.join(bad)} / Unknown review state(s): {', '.join(bad)}.",
                    allowed=list(REVIEW_STATES),
                )
            values[key] = states
        elif key in ("submitted_from", "submitted_to"):
            values[key] = _date(key, value)
        elif key == "sensitive":
            values[key] = _choice(key, value, SENSITIVE_MODES)
    options = ExportOptions(**values)
    if options.submitted_from and options.submitted_to and options.submitted_from > options.submitted_to:
        raise OptionError(
            "วันเริ่มต้องไม่หลังวันสิ้นสุด / submitted_from must not be after submitted_to."
        )
    return options


def options_from_json(stored: Mapping[str, Any] | None, schema: Mapping[str, Any]) -> ExportOptions:
    """Options as stored on an export row (the canonical JSON) back into an ExportOptions."""
    return parse_options(dict(stored or {}), schema) if stored else ExportOptions()
