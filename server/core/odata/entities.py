"""One submission (or one repeat row) as an OData entity, valued as ODK Central gives them: numbers
as numbers, geopoints as GeoJSON (or WKT with $wkt=true), select_multiple as the space-separated
text, groups as nested objects, repeats as navigation links (and inline with $expand=*)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import orjson

from server.core.forms.masking import MASK
from server.core.odata.errors import ODataPropertyNotFound
from server.core.odata.model import SUBMISSIONS, SYSTEM_FIELDS, FormModel, Node, Table, odata_name

_TEXT_KINDS = frozenset({"text", "select_one", "select_multiple", "binary", "date", "time", "dateTime"})


def row_id(key: str) -> str:
    """The __id of a repeat row: a stable 40-hex digest of its KEY (Central also gives a SHA-1)."""
    return hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Options:
    wkt: bool = False
    expand: bool = False
    masked: frozenset[str] = frozenset()  # field paths whose answers this reader may not see


@dataclass
class RepeatRowData:
    repeat_path: str
    ordinal: int
    key: str
    parent_key: str
    values: dict[str, Any]


@dataclass
class SubmissionData:
    id: int
    instance_id: str
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None
    review_state: str | None
    submitter_id: int | None
    submitter_name: str | None
    attachments_present: int
    attachments_expected: int
    device_id: str | None
    edits: int
    form_version: str | None
    raw_values: str | None  # the answers' JSON text, decoded when the entity is built (`values`)
    repeats: list[RepeatRowData] = field(default_factory=list)  # only when they are asked for

    @property
    def values(self) -> dict[str, Any]:
        # Decoded on use, not for the whole page ahead: a page of decoded answers would outlive
        # many garbage collections, each walking all of it.
        found: dict[str, Any] = orjson.loads(self.raw_values) if self.raw_values else {}
        return found


def _number(value: Any, whole: bool) -> Any:
    if isinstance(value, bool):
        return None
    if whole:
        return value if isinstance(value, int) else None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _coordinates(point: Mapping[str, Any]) -> list[float]:
    coords = [point["lon"], point["lat"]]
    if point.get("alt") is not None:
        coords.append(point["alt"])
    return coords


def _wkt(coords: list[float]) -> str:
    return " ".join(repr(c) if not float(c).is_integer() else str(c) for c in coords)


def _geo(kind: str, value: Any, wkt: bool) -> Any:
    if kind == "geopoint":
        if not isinstance(value, dict):
            return None
        coords = _coordinates(value)
        if wkt:
            return f"POINT ({_wkt(coords)})"
        point: dict[str, Any] = {"type": "Point", "coordinates": coords}
        if value.get("accuracy") is not None:
            point["properties"] = {"accuracy": value["accuracy"]}
        return point
    if not isinstance(value, list) or not value:
        return None
    line = [_coordinates(p) for p in value if isinstance(p, dict)]
    if wkt:
        body = ",".join(_wkt(c) for c in line)
        return f"LINESTRING ({body})" if kind == "geotrace" else f"POLYGON (({body}))"
    shape: dict[str, Any] = (
        {"type": "LineString", "coordinates": line} if kind == "geotrace" else {"type": "Polygon", "coordinates": [line]}
    )
    accuracies = [p.get("accuracy") for p in value if isinstance(p, dict)]
    if any(a is not None for a in accuracies):
        shape["properties"] = {"accuracies": accuracies}
    return shape


def odata_value(node: Node, value: Any, options: Options) -> Any:
    if value is None:
        return None
    if node.path in options.masked:
        return MASK if node.kind in _TEXT_KINDS else None
    kind = node.kind
    if kind in ("int", "decimal"):
        return _number(value, kind == "int")
    if kind in ("geopoint", "geotrace", "geoshape"):
        return _geo(kind, value, options.wkt)
    if kind == "select_multiple" and isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value


@dataclass
class _Context:
    model: FormModel
    instance_id: str
    options: Options
    children: dict[str, list[RepeatRowData]]  # parent KEY -> its repeat rows, in document order
    builder: Builder | None = None  # compiled fills (the feed's); None: `_fill` walks the nodes


def _link(ctx: _Context, trail: list[str], name: str) -> str:
    return "/".join([f"{SUBMISSIONS}('{quote(ctx.instance_id, safe='')}')", *trail, name])


def _fill(ctx: _Context, nodes: list[Node], values: Mapping[str, Any], key: str, trail: list[str]) -> dict[str, Any]:
    """The properties of `nodes` (a table's or a group's) for one row. This walk is the reference
    definition; a feed uses the same thing compiled (`Builder`), which must give identical output."""
    if ctx.builder is not None:
        return ctx.builder.fill(nodes)(ctx, values, key, trail)
    out: dict[str, Any] = {}
    for node in nodes:
        if node.kind == "group":
            # A group is a step of the navigation path too (Submissions('…')/group/repeat).
            out[node.name] = _fill(ctx, node.children, values, key, [*trail, node.name])
        elif node.kind == "repeat":
            out[f"{node.name}@odata.navigationLink"] = _link(ctx, trail, node.name)
            if ctx.options.expand:
                out[node.name] = [
                    repeat_entity(ctx, row, trail)
                    for row in ctx.children.get(key, ())
                    if row.repeat_path == node.path
                ]
        else:
            out[node.name] = odata_value(node, values.get(node.path), ctx.options)
    return out


def repeat_entity(ctx: _Context, row: RepeatRowData, trail: list[str], parent_key: str | None = None) -> dict[str, Any]:
    table = ctx.model.by_repeat[row.repeat_path]
    own = row_id(row.key)
    entity: dict[str, Any] = {"__id": own}
    if parent_key is not None:
        parent = ctx.instance_id if table.parent_repeat is None else row_id(row.parent_key)
        entity[parent_key] = parent
    entity.update(_fill(ctx, table.nodes, row.values, row.key, [*trail, *_steps(ctx.model, table, own)]))
    return entity


def _steps(model: FormModel, table: Table, own: str) -> list[str]:
    """The navigation steps from a repeat row's parent to the row: the groups between, then
    `repeat('id')`."""
    parent = model.by_repeat[table.parent_repeat].repeat_path if table.parent_repeat else model.root
    assert table.repeat_path is not None and parent is not None
    names = [odata_name(part) for part in table.repeat_path[len(parent) + 1 :].split("/")]
    return [*names[:-1], f"{names[-1]}('{own}')"]


def system_of(sub: SubmissionData) -> dict[str, Any]:
    updated = sub.updated_at if sub.updated_at is not None and sub.updated_at != sub.created_at else None
    review = sub.review_state if sub.review_state != "received" else None
    return {
        "submissionDate": iso(sub.created_at),
        "updatedAt": iso(updated),
        "deletedAt": iso(sub.deleted_at),
        "submitterId": None if sub.submitter_id is None else str(sub.submitter_id),
        "submitterName": sub.submitter_name,
        "attachmentsPresent": sub.attachments_present,
        "attachmentsExpected": sub.attachments_expected,
        "status": None,
        "reviewState": review,
        "deviceId": sub.device_id,
        "edits": sub.edits,
        "formVersion": sub.form_version,
    }


_ROOT = ""  # the submission itself as a parent (its rows' PARENT_KEY is the current version's instanceID)


def _children(sub: SubmissionData) -> dict[str, list[RepeatRowData]]:
    keys = {row.key for row in sub.repeats}
    by_parent: dict[str, list[RepeatRowData]] = {}
    for row in sub.repeats:
        by_parent.setdefault(row.parent_key if row.parent_key in keys else _ROOT, []).append(row)
    return by_parent


def submission_entity(
    model: FormModel, sub: SubmissionData, options: Options, builder: Builder | None = None
) -> dict[str, Any]:
    ctx = _Context(model, sub.instance_id, options, _children(sub) if sub.repeats else {}, builder)
    entity: dict[str, Any] = {"__id": sub.instance_id}
    entity.update(_fill(ctx, model.tables[SUBMISSIONS].nodes, sub.values, _ROOT, []))
    entity["__system"] = system_of(sub)
    return entity


def repeat_entities(
    model: FormModel, table: Table, sub: SubmissionData, options: Options, builder: Builder | None = None
) -> list[dict[str, Any]]:
    """The rows of `table` in one submission, each with its parent's id (`__Submissions-id` …)."""
    ctx = _Context(model, sub.instance_id, options, _children(sub), builder)
    by_key = {row.key: row for row in sub.repeats}
    out = []
    for row in sub.repeats:
        if row.repeat_path != table.repeat_path:
            continue
        trail: list[str] = []
        parent = by_key.get(row.parent_key)
        while parent is not None:  # the navigation trail down to this row's parent
            trail[:0] = _steps(model, model.by_repeat[parent.repeat_path], row_id(parent.key))
            parent = by_key.get(parent.parent_key)
        # then the groups between the parent and this repeat
        trail += _steps(model, table, "")[:-1]
        out.append(repeat_entity(ctx, row, trail, table.parent_key))
    return out


def _decimal(value: Any) -> Any:
    return None if value is None else _number(value, False)


def _choices(value: Any) -> Any:
    return " ".join(map(str, value)) if isinstance(value, list) else value


def _value_source(node: Node, options: Options, get: str) -> str:
    """Python source of `odata_value(node, values.get(path), options)` for one value node, with
    the node's kind, masking and $wkt decided once instead of per row."""
    if node.path in options.masked:
        return f"(None if {get} is None else _MASK)" if node.kind in _TEXT_KINDS else "None"
    if node.kind == "int":  # orjson gives exact ints and bools; a bool is not a number here
        return f"(_v if type(_v := {get}) is int else None)"
    if node.kind == "decimal":
        return f"_decimal({get})"
    if node.kind in ("geopoint", "geotrace", "geoshape"):
        return f"(None if (_v := {get}) is None else _geo({node.kind!r}, _v, {options.wkt!r}))"
    if node.kind == "select_multiple":
        return f"_choices({get})"
    return get


def _dict_source(nodes: list[Node], options: Options, groups: list[str]) -> str:
    """Python source of the dict `_fill` builds for `nodes`; `groups` are the group names walked
    into so far (steps of the repeats' navigation links). Every literal is written with repr(),
    so nothing a form names can become code."""
    items = []
    for node in nodes:
        if node.kind == "group":
            items.append(f"{node.name!r}: {_dict_source(node.children, options, [*groups, node.name])}")
        elif node.kind == "repeat":
            steps = "".join(f", {g!r}" for g in groups)
            items.append(f"{node.name + '@odata.navigationLink'!r}: _link(ctx, [*trail{steps}], {node.name!r})")
            if options.expand:
                items.append(
                    f"{node.name!r}: [repeat_entity(ctx, row, [*trail{steps}]) for row in ctx.children.get(key, ())"
                    f" if row.repeat_path == {node.path!r}]"
                )
        else:
            items.append(f"{node.name!r}: {_value_source(node, options, f'_get({node.path!r})')}")
    return "{" + ", ".join(items) + "}"


@lru_cache(maxsize=256)
def _compiled(nodes_source: str) -> Callable[..., dict[str, Any]]:
    """The fill function of one source (the same nodes and options give the same source)."""
    namespace: dict[str, Any] = {
        "_MASK": MASK, "_decimal": _decimal, "_geo": _geo, "_choices": _choices, "_link": _link,
        "repeat_entity": repeat_entity,
    }
    code = f"def fill(ctx, values, key, trail):\n    _get = values.get\n    return {nodes_source}\n"
    # Safe to run: the source is made by _dict_source, every name and path in it a repr() literal.
    exec(compile(code, "<odata fill>", "exec"), namespace)
    fill: Callable[..., dict[str, Any]] = namespace["fill"]
    return fill


class Builder:
    """`_fill` compiled once per feed (and cached per field schema and options): for each table or
    group, one Python function that builds the whole dict in a single expression, with each
    value's conversion chosen from its kind ahead of time. Output is identical to `_fill`'s."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self._fills: dict[int, tuple[list[Node], Callable[..., dict[str, Any]]]] = {}

    def fill(self, nodes: list[Node]) -> Callable[..., dict[str, Any]]:
        found = self._fills.get(id(nodes))
        if found is None:  # the list is kept with its function, so its id stays its own
            found = (nodes, _compiled(_dict_source(nodes, self.options, [])))
            self._fills[id(nodes)] = found
        return found[1]


# $select: the properties asked for, as paths of OData names ("household/house_no", "__system/edits").
Selection = list[tuple[str, ...]] | None


def parse_select(raw: str | None, table: Table) -> Selection:
    if raw is None or raw.strip() in ("", "*"):
        return None
    known = _known_paths(table)
    chosen: list[tuple[str, ...]] = []
    for item in raw.split(","):
        name = item.strip()
        parts = tuple(name.split("/"))
        if name == "__id" or (table.parent_key is not None and name == table.parent_key):
            chosen.append(parts)
        elif table.parent_key is None and (name == "__system" or (parts[0] == "__system" and len(parts) == 2
                                                                  and parts[1] in (*SYSTEM_FIELDS, "deletedAt"))):
            chosen.append(parts)
        elif parts in known:
            chosen.append(parts)
        else:
            raise ODataPropertyNotFound(name)
    return chosen


def _known_paths(table: Table) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()

    def walk(nodes: list[Node], prefix: tuple[str, ...]) -> None:
        for node in nodes:
            found.add((*prefix, node.name))
            if node.kind == "group":
                walk(node.children, (*prefix, node.name))

    walk(table.nodes, ())
    return found


def project(entity: dict[str, Any], selection: Selection) -> dict[str, Any]:
    """The entity with only the selected properties (its __id always stays, as in Central)."""
    if selection is None:
        return entity
    out: dict[str, Any] = {"__id": entity["__id"]}
    for path in selection:
        _copy(entity, out, path)
    return out


def _copy(source: dict[str, Any], target: dict[str, Any], path: tuple[str, ...]) -> None:
    head = path[0]
    if len(path) == 1:
        if head in source:
            target[head] = source[head]
        link = f"{head}@odata.navigationLink"
        if link in source:
            target[link] = source[link]
        return
    inner = source.get(head)
    if isinstance(inner, dict):
        _copy(inner, target.setdefault(head, {}), path[1:])
