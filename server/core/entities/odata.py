"""OData for one entity list, as ODK Central serves `…/datasets/NAME.svc`: the service document, the
EDMX `$metadata` and the `Entities` table with $top, $skip, $count, $select and a $filter over the
system columns (`__id`, `__system/createdAt`, `updatedAt`, `deletedAt`, `creatorId`, `conflict`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import quoteattr

from sqlalchemy import ColumnElement, and_, func, not_, or_, select
from sqlalchemy.orm import Session

from server.core.entities.lists import property_names
from server.core.ground.errors import BadRequest
from server.core.models import Entity, EntityList

MAX_TOP = 10_000
_COLUMNS: dict[str, Any] = {
    "__id": Entity.uuid,
    "__system/createdAt": Entity.created_at,
    "__system/updatedAt": Entity.updated_at,
    "__system/deletedAt": Entity.deleted_at,
    "__system/creatorId": Entity.creator_id,
    "__system/conflict": Entity.conflict,
}
_DATES = {"__system/createdAt", "__system/updatedAt", "__system/deletedAt"}
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<date>\d{4}-\d\d-\d\d(?:T[\d:.]+(?:Z|[+-]\d\d:\d\d)?)?)"
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<paren>[()])|(?P<word>[A-Za-z_][\w/]*))"
)
_COMPARE = {"eq", "ne", "lt", "le", "gt", "ge"}


def odata_name(name: str) -> str:
    return re.sub(r"[^\w]", "_", name)


def service_document(base: str) -> dict[str, Any]:
    return {
        "@odata.context": f"{base}/$metadata",
        "value": [{"name": "Entities", "kind": "EntitySet", "url": "Entities"}],
    }


def metadata_xml(session: Session, entity_list: EntityList) -> str:
    props = "".join(
        f'<Property Name={quoteattr(odata_name(p))} Type="Edm.String"/>' for p in property_names(session, entity_list)
    )
    ns = f"org.opendatakit.user.{odata_name(entity_list.name)}"
    system = "".join(
        f'<Property Name="{n}" Type="{t}"/>'
        for n, t in (
            ("createdAt", "Edm.DateTimeOffset"),
            ("creatorId", "Edm.String"),
            ("creatorName", "Edm.String"),
            ("updates", "Edm.Int64"),
            ("updatedAt", "Edm.DateTimeOffset"),
            ("deletedAt", "Edm.DateTimeOffset"),
            ("version", "Edm.Int64"),
            ("conflict", "Edm.String"),
        )
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0"><edmx:DataServices>'
        '<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="org.opendatakit.entity">'
        f'<ComplexType Name="metadata">{system}</ComplexType></Schema>'
        f'<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="{ns}">'
        '<EntityType Name="Entities"><Key><PropertyRef Name="__id"/></Key>'
        '<Property Name="__id" Type="Edm.String"/><Property Name="label" Type="Edm.String"/>'
        f'<Property Name="__system" Type="org.opendatakit.entity.metadata"/>{props}</EntityType>'
        f'<EntityContainer Name={quoteattr(odata_name(entity_list.name))}>'
        f'<EntitySet Name="Entities" EntityType="{ns}.Entities"/></EntityContainer>'
        "</Schema></edmx:DataServices></edmx:Edmx>"
    )


def _bad_filter(detail: str) -> BadRequest:
    return BadRequest(f"$filter ไม่ถูกต้อง: {detail} / Invalid $filter: {detail}.", field="$filter")


class _Filter:
    """A recursive-descent reader of the $filter subset Central supports on entities."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise _bad_filter(f"unexpected {text[pos:pos + 20]!r}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _bad_filter("it ends too early")
        self.at += 1
        return token

    def parse(self) -> ColumnElement[bool]:
        condition = self.either()
        if self.peek() is not None:
            raise _bad_filter(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return condition

    def either(self) -> ColumnElement[bool]:
        parts = [self.both()]
        while self.peek() == ("word", "or"):
            self.take()
            parts.append(self.both())
        return or_(*parts) if len(parts) > 1 else parts[0]

    def both(self) -> ColumnElement[bool]:
        parts = [self.single()]
        while self.peek() == ("word", "and"):
            self.take()
            parts.append(self.single())
        return and_(*parts) if len(parts) > 1 else parts[0]

    def single(self) -> ColumnElement[bool]:
        token = self.take()
        if token == ("word", "not"):
            return not_(self.single())
        if token == ("paren", "("):
            inner = self.either()
            if self.take() != ("paren", ")"):
                raise _bad_filter("a ')' is missing")
            return inner
        if token[0] != "word" or token[1] not in _COLUMNS:
            raise _bad_filter(f"{token[1]!r} cannot be filtered (use __id or __system/… columns)")
        column, field = _COLUMNS[token[1]], token[1]
        op = self.take()
        if op[0] != "word" or op[1] not in _COMPARE:
            raise _bad_filter(f"{op[1]!r} is not a comparison (eq ne lt le gt ge)")
        value = self._value(self.take(), field)
        if value is None:
            return column.is_(None) if op[1] == "eq" else column.is_not(None)  # type: ignore[no-any-return]
        return {  # type: ignore[no-any-return]
            "eq": column == value,
            "ne": column != value,
            "lt": column < value,
            "le": column <= value,
            "gt": column > value,
            "ge": column >= value,
        }[op[1]]

    @staticmethod
    def _value(token: tuple[str, str], field: str) -> Any:
        kind, raw = token
        if kind == "word" and raw == "null":
            return None
        if kind == "str":
            raw = raw[1:-1].replace("''", "'")
        if field in _DATES:
            try:
                parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError as exc:
                raise _bad_filter(f"{raw!r} is not a date") from exc
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if field == "__system/creatorId":
            if not raw.isdigit():
                raise _bad_filter(f"{raw!r} is not a user id")
            return int(raw)
        if kind not in ("str", "num"):
            raise _bad_filter(f"{raw!r} is not a value")
        return raw


def _paging(args: dict[str, str]) -> tuple[int | None, int]:
    try:
        top = int(args["$top"]) if args.get("$top") not in (None, "") else None
        skip = int(args.get("$skip") or 0)
    except ValueError as exc:
        raise BadRequest("$top และ $skip ต้องเป็นตัวเลข / $top and $skip must be whole numbers.") from exc
    if (top is not None and not 0 <= top <= MAX_TOP) or not 0 <= skip <= 2**31 - 1:
        raise BadRequest(f"$top ต้องอยู่ระหว่าง 0–{MAX_TOP} / $top must be 0..{MAX_TOP}, $skip ≥ 0.")
    return top, skip


def entities_page(session: Session, entity_list: EntityList, args: dict[str, str], base: str) -> dict[str, Any]:
    """The `Entities` table as Central's OData JSON (deleted entities are left out unless filtered for)."""
    props = property_names(session, entity_list)
    top, skip = _paging(args)
    selected = _selection(args.get("$select"), props)
    condition = Entity.entity_list_id == entity_list.id
    filter_text = (args.get("$filter") or "").strip()
    where = _Filter(filter_text).parse() if filter_text else None
    if where is None or "deletedAt" not in filter_text:
        condition = and_(condition, Entity.deleted_at.is_(None))
    if where is not None:
        condition = and_(condition, where)
    query = select(Entity).where(condition).order_by(Entity.id).offset(skip)
    if top is not None:
        query = query.limit(top)
    rows = [_row(e, props, selected) for e in session.scalars(query)]
    body: dict[str, Any] = {"@odata.context": f"{base}/$metadata#Entities", "value": rows}
    if (args.get("$count") or "").lower() == "true":
        body["@odata.count"] = int(session.scalar(select(func.count()).select_from(Entity).where(condition)) or 0)
    if top is not None and len(rows) == top:
        body["@odata.nextLink"] = f"{base}/Entities?$top={top}&$skip={skip + top}"
    return body


def _selection(raw: str | None, props: list[str]) -> set[str] | None:
    if not raw or raw.strip() == "*":
        return None
    chosen = {p.strip() for p in raw.split(",") if p.strip()}
    known = {"__id", "label", "__system", *_COLUMNS, *props}
    unknown = sorted(chosen - known)
    if unknown:
        raise BadRequest(f"ไม่พบคุณสมบัติ {unknown[0]} / Could not find a property named {unknown[0]!r}.", field="$select")
    return chosen


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _row(entity: Entity, props: list[str], selected: set[str] | None) -> dict[str, Any]:
    system = {
        "createdAt": _iso(entity.created_at),
        "creatorId": str(entity.creator_id or ""),
        "creatorName": None,
        "updates": entity.version - 1,
        "updatedAt": _iso(entity.updated_at),
        "deletedAt": _iso(entity.deleted_at),
        "version": entity.version,
        "conflict": entity.conflict,
    }
    row: dict[str, Any] = {}
    if selected is None or "__id" in selected:
        row["__id"] = entity.uuid
    if selected is None or "label" in selected:
        row["label"] = entity.label
    if selected is None or "__system" in selected:
        row["__system"] = system
    else:
        picked = {k: system[k] for k in system if f"__system/{k}" in selected}
        if picked:
            row["__system"] = picked
    for prop in props:
        if selected is None or prop in selected:
            row[odata_name(prop)] = (entity.data or {}).get(prop, "")
    return row
