"""Masking of sensitive answers (fields marked `sensitive` in the XLSForm: health, disability, HIV
status, religion, bank account, ID numbers …) for roles without `submission.read_sensitive`: on
screen (server.core.review) and in exports (server.core.exports.jobs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MASK = "••••••"


def sensitive_paths(schema: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(
        str(spec["path"]) for spec in schema.get("fields") or [] if spec.get("sensitive") and spec.get("path")
    )


def mask_values(values: Mapping[str, Any], paths: frozenset[str]) -> dict[str, Any]:
    """A copy with every answered sensitive value replaced by MASK (unanswered stay None)."""
    return {k: (MASK if k in paths and v not in (None, "", []) else v) for k, v in values.items()}


def has_sensitive_answer(values: Mapping[str, Any], paths: frozenset[str]) -> bool:
    return any(values.get(p) not in (None, "", []) for p in paths)
