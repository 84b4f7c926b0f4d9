"""Showing a form's answers to people: labels in the chosen language (Thai / English / raw names),
choice labels, geopoints, and a submission laid out in form order (groups as sections, repeats as
tables). Pure functions over the field schema and processed values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LABEL_MODES = ("th", "en", "raw")
HIDDEN_TYPES = frozenset({"note", "meta", "group", "repeat", "start", "end", "today", "deviceid", "audit"})
MEDIA_TYPES = frozenset({"image", "audio", "video", "file", "background-audio"})


def language_key(schema: Mapping[str, Any], mode: str) -> str | None:
    """The schema's language name for a label mode ("Thai (th)" for "th"); None means raw names."""
    if mode == "raw":
        return None
    languages = list(schema.get("languages") or [])
    for name in languages:
        if name.endswith(f"({mode})"):
            return str(name)
    default = schema.get("default_language")
    return str(default) if default else (languages[0] if languages else "default")


def label_of(spec: Mapping[str, Any], key: str | None) -> str:
    labels = spec.get("labels") or {}
    if key is None or not labels:
        return str(spec.get("name") or spec.get("path", "").rsplit("/", 1)[-1])
    return str(labels.get(key) or next(iter(labels.values()), "") or spec.get("name") or "")


def choice_label(schema: Mapping[str, Any], list_name: str | None, value: str, key: str | None) -> str:
    if key is None or not list_name:
        return value
    for choice in (schema.get("choices") or {}).get(list_name, []):
        if str(choice.get("name")) == value:
            return label_of(choice, key) or value
    return value


def shown_value(schema: Mapping[str, Any], spec: Mapping[str, Any], value: Any, key: str | None) -> str:
    """One answer as text: choice labels, "lat, lon" for points, lists joined."""
    if value is None or value == "":
        return ""
    kind = spec.get("type")
    if kind == "select_one":
        return choice_label(schema, spec.get("choice_list"), str(value), key)
    if kind == "select_multiple":
        items = value if isinstance(value, list) else str(value).split()
        return ", ".join(choice_label(schema, spec.get("choice_list"), str(v), key) for v in items)
    if isinstance(value, Mapping) and "lat" in value:
        text = f"{value.get('lat')}, {value.get('lon')}"
        return text + (f" (±{value['accuracy']} m)" if value.get("accuracy") is not None else "")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def data_columns(schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Main-table answer fields (no groups, notes, metadata or repeat fields), in form order."""
    return [
        f for f in schema.get("fields") or []
        if not f.get("repeat") and f.get("type") not in HIDDEN_TYPES and f.get("type") != "calculate"
    ]


@dataclass
class Answer:
    label: str
    text: str
    type: str
    path: str
    raw: Any = None
    sensitive: bool = False


@dataclass
class RepeatTable:
    label: str
    path: str
    columns: list[str]
    paths: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)  # {"key", "parent", "cells": [Answer]}
    nested: bool = False


@dataclass
class Section:
    label: str | None
    depth: int
    answers: list[Answer] = field(default_factory=list)
    tables: list[RepeatTable] = field(default_factory=list)


def layout(
    schema: Mapping[str, Any], values: Mapping[str, Any] | None, repeats: list[dict[str, Any]], key: str | None
) -> list[Section]:
    """Sections in form order: each group opens a section; each repeat becomes a table (nested
    repeats too, their rows naming the parent row)."""
    values = values or {}
    fields = list(schema.get("fields") or [])
    sections: list[Section] = [Section(None, 0)]
    group_stack: list[str] = []
    by_repeat: dict[str, list[dict[str, Any]]] = {}
    for spec in fields:
        if spec.get("repeat"):
            by_repeat.setdefault(str(spec["repeat"]), []).append(spec)
    rows_by_repeat: dict[str, list[dict[str, Any]]] = {}
    for row in repeats:
        rows_by_repeat.setdefault(str(row.get("repeat")), []).append(row)

    def table_for(spec: Mapping[str, Any], nested: bool) -> RepeatTable:
        path = str(spec["path"])
        cols = [f for f in by_repeat.get(path, []) if f.get("type") not in HIDDEN_TYPES]
        table = RepeatTable(label_of(spec, key), path, [label_of(f, key) for f in cols],
                            [str(f["path"]) for f in cols], nested=nested)
        for number, row in enumerate(rows_by_repeat.get(path, []), start=1):
            row_values = row.get("values") or {}
            cells = [
                Answer(label_of(f, key), shown_value(schema, f, row_values.get(f["path"]), key), str(f.get("type")),
                       str(f["path"]), row_values.get(f["path"]), bool(f.get("sensitive")))
                for f in cols
            ]
            table.rows.append({"number": number, "key": row.get("key"), "parent": row.get("parentKey"),
                               "cells": cells})
        return table

    for spec in fields:
        path = str(spec.get("path") or "")
        kind = spec.get("type")
        while group_stack and not path.startswith(group_stack[-1] + "/"):
            group_stack.pop()
            sections.append(Section(None, len(group_stack)))
        if kind == "repeat":
            nested = bool(spec.get("repeat"))
            sections[-1].tables.append(table_for(spec, nested))
            continue
        if spec.get("repeat"):
            continue
        if kind == "group":
            if path.endswith("/meta"):
                continue
            group_stack.append(path)
            sections.append(Section(label_of(spec, key), len(group_stack)))
            continue
        if kind in HIDDEN_TYPES or kind == "calculate":
            continue
        sections[-1].answers.append(
            Answer(label_of(spec, key), shown_value(schema, spec, values.get(path), key), str(kind), path,
                   values.get(path), bool(spec.get("sensitive")))
        )
    return [s for s in sections if s.answers or s.tables or s.label]


_INDEX = re.compile(r"\[(\d+)\]")


def flag_label(path: str, labels: Mapping[str, str]) -> str:
    """A flag's field by its label; a repeat instance's number is kept ("เลขประจำตัวประชาชน #2")."""
    plain = _INDEX.sub("", path)
    numbers = _INDEX.findall(path)
    label = labels.get(plain) or plain
    return f"{label} #{'.'.join(numbers)}" if numbers else label
