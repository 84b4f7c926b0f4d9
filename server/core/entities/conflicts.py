"""Conflict details of an entity's versions, as ODK Central's versions list shows them to the person
resolving: which versions were made against an older base (`conflict` soft/hard), whether a later
resolve covered them, what each changed against its base and against the version before it, the
last good version, and the versions relevant to an unresolved conflict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.models import AuditEvent, Entity, EntityVersion
from server.core.models.entities import HARD, SOFT


@dataclass
class VersionConflict:
    conflict: str | None = None
    resolved: bool = False
    base_diff: list[str] | None = None
    server_diff: list[str] | None = None
    last_good_version: bool = False
    relevant_to_conflict: bool = False


def _diff(received: dict[str, Any], other: EntityVersion) -> list[str]:
    """The keys (label included) whose received value differs from another version's."""
    values = {**other.data, "label": other.label}
    return [k for k, v in received.items() if k not in values or values[k] != v]


def _own_conflict(version: EntityVersion, previous: EntityVersion | None) -> str | None:
    """Whether this version itself was a conflict (not just carrying the entity's earlier one)."""
    if version.version <= 1 or previous is None:
        return None
    if version.base_version is not None and version.base_version != version.version - 1:
        return HARD if version.conflicting_properties else SOFT
    if version.branch_id is not None and version.conflict is not None and previous.conflict is None:
        return SOFT  # an offline branch interrupted by another update
    return None


def resolved_at(session: Session, entity: Entity) -> int:
    """The entity version at which its conflict was last marked resolved (0: never)."""
    found = 0
    for details in session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.action == "entity.update.resolve", AuditEvent.target == f"entity:{entity.uuid}"
        )
    ):
        found = max(found, int((details or {}).get("version") or 0))
    return found


def conflict_details(session: Session, entity: Entity, versions: list[EntityVersion]) -> list[VersionConflict]:
    """One VersionConflict per version (in version order), computed as Central does."""
    by_number = {v.version: v for v in versions}
    resolved_version = resolved_at(session, entity)
    details: list[VersionConflict] = []
    last_good = 0
    relevant_bases: set[int] = set()
    for v in versions:
        d = VersionConflict(base_diff=[], server_diff=[])
        previous = by_number.get(v.version - 1)
        if v.version > 1 and previous is not None:
            base = by_number.get(v.base_version) if v.base_version is not None else previous
            d.base_diff = _diff(v.data_received, base or previous)
            d.server_diff = _diff(v.data_received, previous)
            d.conflict = _own_conflict(v, previous)
            if d.conflict is not None:
                d.resolved = resolved_version >= v.version
                if not d.resolved and last_good == 0:
                    last_good = v.version - 1
                    details[-1].last_good_version = True
            if last_good > 0 and v.base_version is not None:
                relevant_bases.add(v.base_version)
        details.append(d)
    for v, d in zip(versions, details, strict=True):
        d.relevant_to_conflict = last_good > 0 and (v.version >= last_good or v.version in relevant_bases)
    if last_good == 0 and details:
        details[-1].last_good_version = True
    return details
