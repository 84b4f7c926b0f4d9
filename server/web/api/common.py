"""Shared pieces of the JSON API (/v1): reading and checking JSON bodies, ISO dates, paging parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import request

from server.core.ground.errors import BadRequest

MAX_PAGE = 1000
MAX_OFFSET = 2**31 - 1


def iso(value: datetime | None) -> str | None:
    """ISO-8601 in UTC with a Z, as ODK Central and pyodk expect."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("ต้องส่งข้อมูลเป็น JSON object / The request body must be a JSON object.")
    return data


def paging() -> tuple[int, int]:
    """?limit= and ?offset= (Central's $top/$skip are accepted too)."""
    try:
        limit = int(request.args.get("limit", request.args.get("$top", 100)))
        offset = int(request.args.get("offset", request.args.get("$skip", 0)))
    except ValueError as exc:
        raise BadRequest("limit และ offset ต้องเป็นตัวเลข / limit and offset must be whole numbers.") from exc
    if limit < 1 or limit > MAX_PAGE or offset < 0 or offset > MAX_OFFSET:
        raise BadRequest(
            f"limit ต้องอยู่ระหว่าง 1–{MAX_PAGE} และ offset ระหว่าง 0–{MAX_OFFSET} / "
            f"limit must be 1..{MAX_PAGE} and offset 0..{MAX_OFFSET}."
        )
    return limit, offset


@dataclass(frozen=True)
class Field:
    """One member of a JSON body: its accepted types, whether it must be there, and a length bound."""

    types: tuple[type, ...]
    required: bool = False
    max_length: int | None = None
    nullable: bool = False


_TYPE_NAMES = {str: "string", int: "number", float: "number", bool: "true/false", dict: "object", list: "array"}


def checked_body(fields: dict[str, Field]) -> dict[str, Any]:
    """The JSON object body, each known member checked for type and length (unknown members are kept,
    as Central ignores them). A wrong type is a 400 naming the member, never a 500 further down."""
    body = json_body()
    for name, spec in fields.items():
        if name not in body or (body[name] is None and not spec.required):
            if spec.required:
                raise BadRequest(f"ต้องระบุ {name} / The field {name!r} is required.", field=name)
            continue
        value = body[name]
        if value is None and spec.nullable:
            continue
        # bool is an int in Python; JSON true is not a number.
        if not isinstance(value, spec.types) or (isinstance(value, bool) and bool not in spec.types):
            wanted = " or ".join(dict.fromkeys(_TYPE_NAMES.get(t, t.__name__) for t in spec.types))
            raise BadRequest(
                f"{name} ต้องเป็น {wanted} / The field {name!r} must be a {wanted}.", field=name, expected=wanted
            )
        if spec.max_length is not None and isinstance(value, str | list | dict) and len(value) > spec.max_length:
            raise BadRequest(
                f"{name} ยาวเกิน {spec.max_length} ตัวอักษร / The field {name!r} is longer than "
                f"{spec.max_length} characters.",
                field=name,
                max_length=spec.max_length,
            )
    return body
