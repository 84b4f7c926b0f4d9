"""The tables and columns of a tabular export, planned from a form's field schema (ODK Central's layout)
and the export options: labels or codes, group names, split select_multiple, field selection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from exports.options import ExportOptions

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
SYSTEM_KINDS = {
    "SubmissionDate": "dateTime",
    "SubmitterID": "int",
    "AttachmentsPresent": "int",
    "AttachmentsExpected": "int",
    "Edits": "int",
}
_STRUCTURE = {"group", "repeat", "note"}
_POINT_SUFFIXES = (("lat", "Latitude"), ("lon", "Longitude"), ("alt", "Altitude"), ("accuracy", "Accuracy"))
_BIND_KINDS = {
    "int": "int",
    "integer": "int",
    "decimal": "decimal",
    "date": "date",
    "time": "time",
    "dateTime": "dateTime",
    "geopoint": "geopoint",
    "geotrace": "geotrace",
    "geoshape": "geoshape",
    "binary": "binary",
    "select1": "select_one",
    "select": "select_multiple",
    "odk:rank": "select_multiple",
}
_TYPE_KINDS = {
    "integer": "int",
    "decimal": "decimal",
    "date": "date",
    "today": "date",
    "time": "time",
    "dateTime": "dateTime",
    "start": "dateTime",
    "end": "dateTime",
    "select_one": "select_one",
    "select_multiple": "select_multiple",
    "rank": "select_multiple",
    "geopoint": "geopoint",
    "geotrace": "geotrace",
    "geoshape": "geoshape",
    "image": "binary",
    "audio": "binary",
    "video": "binary",
    "file": "binary",
    "audit": "binary",
}


@dataclass(frozen=True)
class Column:
    header: str  # what the header row shows: a label (labels option) or the field name
    system: str | None = None  # a system value from the row (SubmissionDate, KEY, …)
    path: str | None = None  # a field path in the row's "values"
    part: str | None = None  # geopoint component: lat lon alt accuracy
    choices: dict[str, str] | None = None  # choice name → label, when exporting labels
    name: str = ""  # the field-name header (Central's group path), whatever the labels option
    kind: str = "text"  # value kind: text int decimal date time dateTime select_one … binary
    choice: str | None = None  # split select_multiple: the choice this 0/1 column stands for
    sensitive: bool = False
    label: str = ""  # the question label (variable label in SPSS/Stata), "" if none
    value_labels: dict[str, str] | None = None  # choice name → label (SPSS/Stata value labels)


@dataclass
class Table:
    filename: str
    repeat_path: str | None  # None for the main table
    columns: list[Column] = field(default_factory=list)
    name: str = ""  # short name: the form id, or the repeat's name


def value_kind(spec: Mapping[str, Any]) -> str:
    bind = str(spec.get("bind_type") or "")
    if bind in _BIND_KINDS:
        return _BIND_KINDS[bind]
    return _TYPE_KINDS.get(str(spec.get("type") or ""), "text")


def label_in(labels: Mapping[str, str] | None, language: str | None, fallback: str) -> str:
    labels = labels or {}
    if language:
        for name, text in labels.items():
            if text and (name == language or name.endswith(f"({language})")):
                return text
    return labels.get("default") or fallback


def _any_label(labels: Mapping[str, str] | None, language: str | None) -> str:
    return label_in(labels, language, "") or next((t for t in (labels or {}).values() if t), "")


def merge_schemas(current: Mapping[str, Any], older: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The current schema plus the fields, repeats and choices only older versions have (kept after
    the current ones of their table), so an export over all versions loses no column."""
    merged = dict(current)
    fields = list(current.get("fields", []))
    repeats = list(current.get("repeats", []))
    choices = dict(current.get("choices") or {})
    seen = {f["path"] for f in fields}
    seen_repeats = {r["path"] for r in repeats}
    for schema in older:
        for spec in schema.get("fields", []):
            if spec["path"] not in seen:
                seen.add(spec["path"])
                fields.append(spec)
        for repeat in schema.get("repeats", []):
            if repeat["path"] not in seen_repeats:
                seen_repeats.add(repeat["path"])
                repeats.append(repeat)
        for name, items in (schema.get("choices") or {}).items():
            known = {c["name"] for c in choices.get(name, [])}
            choices[name] = list(choices.get(name, [])) + [c for c in items if c["name"] not in known]
    merged.update(fields=fields, repeats=repeats, choices=choices)
    return merged


def _selected(spec: Mapping[str, Any], wanted: frozenset[str] | None, by_path: Mapping[str, Any]) -> bool:
    if wanted is None:
        return True
    path = str(spec["path"])
    if path in wanted or spec.get("name") in wanted:
        return True
    # A selected group selects everything inside it.
    return any(path.startswith(w + "/") for w in wanted if w in by_path)


def plan_tables(
    schema: Mapping[str, Any],
    *,
    labels: str | None = None,
    options: ExportOptions | None = None,
    extension: str = ".csv",
) -> list[Table]:
    """The main table `<form_id>.csv` then one `<form_id>-<repeat>.csv` per repeat, in form order.

    Headers are field paths relative to their table with "-" between groups (Central's groupPaths),
    or, with labels="th" (or a full language name such as "Thai (th)"), the question labels in that
    language with choice labels instead of choice names: the layout for people opening it in Excel."""
    options = options or ExportOptions(labels=labels)
    labels = options.labels
    form_id = str(schema.get("form_id") or "export")
    root = "/" + str(schema.get("root") or "data")
    tables: dict[str | None, Table] = {None: Table(f"{form_id}{extension}", None, name=form_id)}
    used = {tables[None].filename}
    for repeat in schema.get("repeats", []):
        name = f"{form_id}-{repeat['name']}{extension}"
        n = 0
        while name in used:  # same repeat name under different groups, as Central's "~1"
            n += 1
            name = f"{form_id}-{repeat['name']}~{n}{extension}"
        used.add(name)
        tables[repeat["path"]] = Table(name, repeat["path"], name=str(repeat["name"]))
    tables[None].columns.append(Column("SubmissionDate", system="SubmissionDate", name="SubmissionDate"))
    choices = schema.get("choices") or {}
    by_path = {f["path"]: f for f in schema.get("fields", [])}
    wanted = frozenset(options.fields) if options.fields is not None else None
    for spec in schema.get("fields", []):
        if spec.get("type") in _STRUCTURE or not _selected(spec, wanted, by_path):
            continue
        if options.sensitive == "omit" and spec.get("sensitive"):
            continue
        table = tables.get(spec.get("repeat"))
        if table is None:
            continue
        base = table.repeat_path or root
        relative = spec["path"][len(base) + 1 :] if spec["path"].startswith(base + "/") else spec["name"]
        name = relative.replace("/", "-") if options.group_names else str(spec["name"])
        kind = value_kind(spec)
        question = _any_label(spec.get("labels"), labels)
        header = label_in(spec.get("labels"), labels, name) if labels else name
        value_labels = None
        if kind in ("select_one", "select_multiple") and spec.get("choice_list") in choices:
            value_labels = {
                str(c["name"]): _any_label(c.get("labels"), labels) or str(c["name"])
                for c in choices[spec["choice_list"]]
            }
        base_column = Column(
            header,
            path=spec["path"],
            name=name,
            kind=kind,
            sensitive=bool(spec.get("sensitive")),
            label=question,
            value_labels=value_labels,
            choices=value_labels if labels else None,
        )
        if kind == "geopoint":
            table.columns += [
                replace(
                    base_column,
                    header=f"{header}-{suffix}",
                    name=f"{name}-{suffix}",
                    part=part,
                    label=f"{question} ({suffix})" if question else suffix,
                    choices=None,
                    value_labels=None,
                )
                for part, suffix in _POINT_SUFFIXES
            ]
        elif kind == "select_multiple" and options.multiple == "split" and value_labels:
            table.columns.append(base_column)
            for choice, choice_label in value_labels.items():
                table.columns.append(
                    replace(
                        base_column,
                        header=f"{header}/{choice_label if labels else choice}",
                        name=f"{name}/{choice}",
                        choice=choice,
                        kind="int",
                        choices=None,
                        value_labels=None,
                        label=f"{question}: {choice_label}" if question else choice_label,
                    )
                )
        else:
            table.columns.append(base_column)
    for table in tables.values():
        last = REPEAT_SYSTEM_LAST if table.repeat_path else ROOT_SYSTEM_LAST
        table.columns += [
            Column(name, system=name, name=name, kind=SYSTEM_KINDS.get(name, "text")) for name in last
        ]
        _disambiguate(table)
    return list(tables.values())


def _disambiguate(table: Table) -> None:
    """Two questions with the same label (or, without group names, the same name) would give two
    identical headers: number the repeats."""
    for attribute in ("header", "name"):
        seen: dict[str, int] = {}
        for i, column in enumerate(table.columns):
            value = getattr(column, attribute)
            count = seen.get(value, 0)
            seen[value] = count + 1
            if count:
                renamed = f"{value} ({count + 1})"
                table.columns[i] = (
                    replace(column, header=renamed) if attribute == "header" else replace(column, name=renamed)
                )
