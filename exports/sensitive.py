"""Sensitive fields (PDPA s.26) on their way out: masked, or replaced by a keyed pseudonym (HMAC-SHA256
under the project's secret) so the same person links across exports without the ID leaving the
office. "omit" is handled by the column plan (the columns are not there at all)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from exports.columns import value_kind

MASK = "****"
_PSEUDONYMISED_KINDS = ("text", "int", "decimal")  # identifiers; a choice or a date is masked instead


def sensitive_fields(schema: Mapping[str, Any]) -> dict[str, str]:
    """Path → value kind of every field the form marks sensitive."""
    return {f["path"]: value_kind(f) for f in schema.get("fields", []) if f.get("sensitive")}


def mask(value: Any) -> str:
    """Keep the last 4 characters of a long identifier (enough to tell people apart on a call),
    nothing of anything shorter."""
    text = " ".join(map(str, value)) if isinstance(value, list) else str(value)
    return "x" * (len(text) - 4) + text[-4:] if len(text) >= 9 else MASK


def pseudonym(key: bytes, value: Any) -> str:
    text = " ".join(map(str, value)) if isinstance(value, list) else str(value)
    return "p-" + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:20]


def protect_rows(
    rows: Iterable[Mapping[str, Any]], fields: Mapping[str, str], mode: str, key: bytes | None = None
) -> Iterator[Mapping[str, Any]]:
    """Rows with the sensitive values masked ("mask") or pseudonymised ("pseudonymise"); other modes
    pass rows through untouched."""
    if mode not in ("mask", "pseudonymise") or not fields:
        yield from rows
        return
    if mode == "pseudonymise" and not key:
        raise ValueError("pseudonymise needs the project's key")
    for row in rows:
        values = row.get("values") or {}
        hit = [p for p in fields if values.get(p) is not None]
        if not hit:
            yield row
            continue
        changed = dict(values)
        for path in hit:
            if mode == "pseudonymise" and fields[path] in _PSEUDONYMISED_KINDS:
                changed[path] = pseudonym(key or b"", values[path])
            else:
                changed[path] = mask(values[path]) if fields[path] in _PSEUDONYMISED_KINDS else MASK
        yield {**row, "values": changed}
