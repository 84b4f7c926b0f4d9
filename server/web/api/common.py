"""Shared pieces of the JSON API (/v1): reading JSON bodies, ISO dates, paging parameters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import request

from server.core.ground.errors import BadRequest

MAX_PAGE = 1000


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
    if limit < 1 or limit > MAX_PAGE or offset < 0:
        raise BadRequest(f"limit must be 1..{MAX_PAGE} and offset ≥ 0.")
    return limit, offset
