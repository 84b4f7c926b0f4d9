"""The tables and columns of a tabular export, planned from a form's field schema (ODK Central's layout)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROOT_SYSTEM_FIRST = ("SubmissionDate",)
ROOT_SYSTEM_LAST = (
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
)
REPEAT_SYSTEM_LAST = ("PARENT_KEY", "KEY")
_STRUCTURE = {"group", "repeat", "note"}
_POINT_SUFFIXES = (("lat", "Latitude"), ("lon", "Longitude"), ("alt", "Altitude"), ("accuracy", "Accuracy"))


@dataclass(frozen=True)
class Column:
    header: str
    system: str | None = None  # a system value from the row (SubmissionDate, KEY, …)
    path: str | None = None  # a field path in the row's "values"
    part: str | None = None  # geopoint component: lat lon alt accuracy
    choices: dict[str, str] | None = None  # choice name → label, when exporting labels


@dataclass
class Table:
    filename: str
    repeat_path: str | None  # None for the main table
    columns: list[Column] = field(default_factory=list)


def _label(labels: dict[str, str] | None, language: str | None, fallback: str) -> str:
    labels = labels or {}
    if language:
        for name, text in labels.items():
            if text and (name == language or name.endswith(f"({language})")):
                return text
    return labels.get("default") or fallback


def _is_point(spec: dict[str, Any]) -> bool:
    return spec.get("type") == "geopoint" or spec.get("bind_type") == "geopoint"


def _is_select(spec: dict[str, Any]) -> bool:
    return spec.get("type") in ("select_one", "select_multiple") or spec.get("bind_type") in (
        "select1",
        "select",
    )


def plan_tables(schema: dict[str, Any], *, labels: str | None = None) -> list[Table]:
    """The main table `<form_id>.csv` then one `<form_id>-<repeat>.csv` per repeat, in form order.

    Headers are field paths relative to their table with "-" between groups (Central's groupPaths),
    or, with labels="th" (or a full language name such as "Thai (th)"), the question labels in that
    language with choice labels instead of choice names: the layout for people opening it in Excel."""
    form_id = str(schema.get("form_id") or "export")
    root = "/" + str(schema.get("root") or "data")
    repeats = [r for r in schema.get("repeats", [])]
    tables: dict[str | None, Table] = {None: Table(f"{form_id}.csv", None)}
    used = {tables[None].filename}
    for repeat in repeats:
        name = f"{form_id}-{repeat['name']}.csv"
        n = 0
        while name in used:  # same repeat name under different groups, as Central's "~1"
            n += 1
            name = f"{form_id}-{repeat['name']}~{n}.csv"
        used.add(name)
        tables[repeat["path"]] = Table(name, repeat["path"])
    tables[None].columns.append(Column("SubmissionDate", system="SubmissionDate"))
    choices = schema.get("choices") or {}
    for spec in schema.get("fields", []):
        if spec.get("type") in _STRUCTURE:
            continue
        table = tables.get(spec.get("repeat"))
        if table is None:
            continue
        base = table.repeat_path or root
        relative = spec["path"][len(base) + 1 :] if spec["path"].startswith(base + "/") else spec["name"]
        header = relative.replace("/", "-")
        choice_map = None
        if labels:
            header = _label(spec.get("labels"), labels, header)
            if _is_select(spec) and spec.get("choice_list") in choices:
                choice_map = {
                    c["name"]: _label(c.get("labels"), labels, c["name"])
                    for c in choices[spec["choice_list"]]
                }
        if _is_point(spec):
            table.columns += [
                Column(f"{header}-{suffix}", path=spec["path"], part=part) for part, suffix in _POINT_SUFFIXES
            ]
        else:
            table.columns.append(Column(header, path=spec["path"], choices=choice_map))
    for table in tables.values():
        last = REPEAT_SYSTEM_LAST if table.repeat_path else ROOT_SYSTEM_LAST
        table.columns += [Column(name, system=name) for name in last]
        _disambiguate(table)
    return list(tables.values())


def _disambiguate(table: Table) -> None:
    """Two questions with the same label would give Excel two identical headers: number the repeats."""
    seen: dict[str, int] = {}
    for i, column in enumerate(table.columns):
        count = seen.get(column.header, 0)
        seen[column.header] = count + 1
        if count:
            table.columns[i] = Column(
                f"{column.header} ({count + 1})", column.system, column.path, column.part, column.choices
            )
