"""Facts of a submission's current version copied into indexed SQL columns when it is processed: its
place (DOPA province / district / subdistrict codes and the village code), its first geopoint, the
interview length from `start`/`end`, and the text its search box reads. Area limits, the submissions
table's filters and the dashboard read these columns instead of the JSON values.

The place fields are found from the form's field schema, not from names: a main-table select field
whose choice list is one of the shipped place lists (provinces.csv, districts.csv, subdistricts.csv,
villages.csv — see forms/README.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.core.models import Submission, SubmissionSearch, SubmissionVersion
from server.core.submissions.values import value_kind

PLACE_LISTS = {
    "provinces.csv": "province",
    "districts.csv": "district",
    "subdistricts.csv": "subdistrict",
    "villages.csv": "village",
}
CODE_LENGTHS = {"province": 2, "district": 4, "subdistrict": 6}
MAX_INTERVIEW_SECONDS = 7 * 24 * 3600  # longer than a week is a phone clock problem, not an interview
_DIGITS = re.compile(r"[0-9]+")
# Not worth searching: files, shapes, timestamps and device metadata (they would only add noise).
_SKIP_KINDS = frozenset({"binary", "geopoint", "geotrace", "geoshape", "dateTime", "time"})
_SKIP_TYPES = frozenset({"start", "end", "today", "deviceid", "simserial", "subscriberid", "meta", "audit"})
_SELECTS = frozenset({"select_one", "select_multiple"})


@dataclass(frozen=True)
class SubmissionFacts:
    province_code: str | None = None
    district_code: str | None = None
    subdistrict_code: str | None = None
    village_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    interview_seconds: float | None = None
    search_body: str = ""
    search_sensitive: str = ""


def place_fields(schema: Mapping[str, Any]) -> dict[str, str]:
    """{"province"|"district"|"subdistrict"|"village": field path} of a form, from its choice lists."""
    found: dict[str, str] = {}
    for spec in schema.get("fields") or []:
        if spec.get("repeat") or spec.get("type") not in _SELECTS:
            continue
        list_name = str(spec.get("choice_list") or "").rsplit("/", 1)[-1]
        kind = PLACE_LISTS.get(list_name)
        if kind is not None and kind not in found:
            found[kind] = str(spec["path"])
    return found


def _code(value: Any, length: int) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text if len(text) == length and _DIGITS.fullmatch(text) else None


def place_codes(schema: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, str | None]:
    """The DOPA codes of a submission. DOPA codes nest (a subdistrict code starts with its district's
    code, which starts with its province's), so a missing coarser level is filled from a finer one."""
    fields = place_fields(schema)
    codes: dict[str, str | None] = {
        kind: _code(values.get(fields[kind]), length) if kind in fields else None
        for kind, length in CODE_LENGTHS.items()
    }
    if codes["subdistrict"]:
        codes["district"] = codes["district"] or codes["subdistrict"][:4]
    if codes["district"]:
        codes["province"] = codes["province"] or codes["district"][:2]
    village = values.get(fields["village"]) if "village" in fields else None
    codes["village"] = (str(village).strip()[:64] or None) if village is not None else None
    return codes


def _first_point(schema: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[float | None, float | None]:
    for spec in schema.get("fields") or []:
        if spec.get("repeat") or spec.get("type") != "geopoint":
            continue
        point = values.get(spec["path"])
        if isinstance(point, dict) and point.get("lat") is not None and point.get("lon") is not None:
            try:
                return float(point["lat"]), float(point["lon"])
            except (TypeError, ValueError):
                return None, None
    return None, None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def interview_seconds(schema: Mapping[str, Any], values: Mapping[str, Any]) -> float | None:
    """`end` − `start` metadata in seconds, or None when either is missing or implausible."""
    paths = {spec.get("type"): spec["path"] for spec in schema.get("fields") or [] if not spec.get("repeat")}
    start = _moment(values.get(paths.get("start", "")))
    end = _moment(values.get(paths.get("end", "")))
    if start is None or end is None:
        return None
    seconds = (end - start).total_seconds()
    return seconds if 0 <= seconds <= MAX_INTERVIEW_SECONDS else None


def _texts(value: Any) -> Iterable[str]:
    if value is None or isinstance(value, bool):
        return ()
    if isinstance(value, list):
        return [str(v) for v in value]
    return (str(value),)


def search_texts(
    schema: Mapping[str, Any],
    values: Mapping[str, Any],
    repeat_values: Iterable[Mapping[str, Any]] = (),
    extra: Iterable[str] = (),
) -> tuple[str, str]:
    """(ordinary text, sensitive text) of every answer, lower-cased, one answer per line."""
    specs = {spec["path"]: spec for spec in schema.get("fields") or []}
    plain: list[str] = [e for e in extra if e]
    sensitive: list[str] = []
    for row in (values, *repeat_values):
        for path, value in row.items():
            spec = specs.get(path)
            if spec is None or spec.get("type") in _SKIP_TYPES or value_kind(spec) in _SKIP_KINDS:
                continue
            target = sensitive if spec.get("sensitive") else plain
            target.extend(t for t in _texts(value) if t.strip())
    return "\n".join(plain).lower(), "\n".join(sensitive).lower()


def submission_facts(
    schema: Mapping[str, Any],
    values: Mapping[str, Any],
    repeat_values: Iterable[Mapping[str, Any]] = (),
    extra_text: Iterable[str] = (),
) -> SubmissionFacts:
    """Pure: the facts of one processed version (its main values and its repeat rows' values)."""
    codes = place_codes(schema, values)
    lat, lon = _first_point(schema, values)
    body, sensitive = search_texts(schema, values, repeat_values, extra_text)
    return SubmissionFacts(
        province_code=codes["province"],
        district_code=codes["district"],
        subdistrict_code=codes["subdistrict"],
        village_code=codes["village"],
        latitude=lat,
        longitude=lon,
        interview_seconds=interview_seconds(schema, values),
        search_body=body,
        search_sensitive=sensitive,
    )


def record_submission_facts(
    session: Session,
    version: SubmissionVersion,
    schema: Mapping[str, Any],
    values: Mapping[str, Any],
    repeat_values: Iterable[Mapping[str, Any]] = (),
) -> None:
    """Copy the facts of a just-processed version onto its submission (only the current version's
    facts count: reprocessing an old version changes nothing). Called once from processing."""
    submission = session.get(Submission, version.submission_id)
    if submission is None or submission.current_version_id not in (None, version.id):
        return
    facts = submission_facts(
        schema, values, repeat_values, extra_text=(version.instance_id, version.instance_name or "")
    )
    submission.province_code = facts.province_code
    submission.district_code = facts.district_code
    submission.subdistrict_code = facts.subdistrict_code
    submission.village_code = facts.village_code
    submission.latitude, submission.longitude = facts.latitude, facts.longitude
    submission.interview_seconds = facts.interview_seconds
    session.merge(
        SubmissionSearch(
            submission_id=submission.id,
            form_id=submission.form_id,
            body=facts.search_body,
            sensitive_body=facts.search_sensitive,
        )
    )
