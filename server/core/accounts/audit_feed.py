"""The audit trail as ODK Central's GET /v1/audits gives it: Central's action names (and its action
categories as filters), start/end timestamps, limit/offset paging, newest first. Chumchon's own
action name stays in each entry as an extra key; actions Central does not know keep their name."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.ground.errors import BadRequest
from server.core.models import AuditEvent

# Chumchon's stored action -> Central's name for the same event.
CENTRAL_NAMES = {
    "auth.login": "user.session.create",
    "user.grant": "user.assignment.create",
    "user.revoke": "user.assignment.delete",
    "user.deactivate": "user.delete",
    "user.activate": "user.update",
    "user.password.reset": "user.update",
    "user.password.change": "user.update",
    "form.publish": "form.update.publish",
    "form.update.state": "form.update",
    "submission.comment": "comment.create",
}
# Central's category filters (lib/model/query/audits.js), by the Central names they cover.
CATEGORIES: dict[str, frozenset[str]] = {
    "user": frozenset({"user.create", "user.update", "user.delete", "user.assignment.create",
                       "user.assignment.delete", "user.session.create"}),
    "field_key": frozenset({"field_key.create", "field_key.assignment.create", "field_key.assignment.delete",
                            "field_key.session.end", "field_key.delete", "field_key.property.set"}),
    "public_link": frozenset({"public_link.create", "public_link.assignment.create",
                              "public_link.assignment.delete", "public_link.session.end", "public_link.delete"}),
    "project": frozenset({"project.create", "project.update", "project.delete", "actor_property.create"}),
    "form": frozenset({"form.create", "form.update", "form.delete", "form.restore", "form.purge",
                       "form.attachment.update", "form.submission.export", "form.update.draft.set",
                       "form.update.draft.delete", "form.update.draft.replace", "form.update.publish"}),
    "submission": frozenset({"submission.create", "submission.update", "submission.update.version",
                             "submission.attachment.update", "submission.delete", "submission.restore",
                             "submission.purge"}),
}
_VERBOSE = frozenset({"submission.create", "submission.update", "submission.update.version",
                      "submission.attachment.update", "submission.delete", "submission.restore"})
_ACTEE_NAMESPACE = uuid.UUID("5b7d0c7e-4f2a-4a8e-9a61-2f1f6c0e9b11")
_OFFSET_HOURS = re.compile(r"(T.*[+-]\d{2})$")
_DATE_ONLY = re.compile(r"^(\d{4}-\d{2}-\d{2})([+-]\d{2}(?::?\d{2})?)?$")


def central_name(stored: str) -> str:
    return CENTRAL_NAMES.get(stored, stored)


def actee_id(target: str | None) -> str | None:
    """A stable UUID per audited thing (Central's acteeId is a UUID), from Chumchon's target text."""
    return str(uuid.uuid5(_ACTEE_NAMESPACE, target)) if target else None


def parse_time(text: str | None, name: str) -> datetime | None:
    """An ISO 8601 date or timestamp (`2000-01-01`, `2000-01-01z`, `…T12:00:00+08:00`); no zone is UTC."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if value[-1] in "zZ":
        value = value[:-1] + "+00:00"
    date_only = _DATE_ONLY.match(value)
    if date_only:
        value = f"{date_only[1]}T00:00:00{date_only[2] or ''}"
    value = _OFFSET_HOURS.sub(r"\1:00", value)  # "+08" -> "+08:00"
    try:
        parsed = datetime.fromisoformat(value)
        return (parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise BadRequest(
            f"{name} ต้องเป็นวันที่หรือเวลาแบบ ISO 8601 / {name} must be an ISO 8601 date or timestamp.",
            field=name,
        ) from exc


@dataclass(frozen=True)
class AuditQuery:
    action: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int | None = None
    offset: int = 0


def _stored_actions(session: Session, action: str) -> list[str] | None:
    """The stored action names a Central filter means (None: no filter)."""
    known = list(session.scalars(select(AuditEvent.action).distinct()))
    if action == "nonverbose":
        return [a for a in known if central_name(a) not in _VERBOSE]
    if action in CATEGORIES:
        return [a for a in known if central_name(a) in CATEGORIES[action]]
    return [a for a in known if a == action or central_name(a) == action]


def entries(session: Session, query: AuditQuery) -> list[AuditEvent]:
    stmt = select(AuditEvent)
    if query.action:
        stored = _stored_actions(session, query.action)
        stmt = stmt.where(AuditEvent.action.in_(stored or [""]))
    if query.start is not None:
        stmt = stmt.where(AuditEvent.logged_at >= query.start)
    if query.end is not None:
        stmt = stmt.where(AuditEvent.logged_at < query.end)
    stmt = stmt.order_by(AuditEvent.logged_at.desc(), AuditEvent.id.desc()).offset(query.offset)
    if query.limit is not None:
        stmt = stmt.limit(query.limit)
    return list(session.scalars(stmt))


def entry_fields(event: AuditEvent) -> dict[str, Any]:
    """Central's Audit keys (timestamps are the caller's to format) plus Chumchon's extras."""
    return {
        "actorId": event.actor_id,
        "action": central_name(event.action),
        "acteeId": actee_id(event.target),
        "details": event.details or {},
        "notes": event.notes,
        "id": event.id,
        "chumchonAction": event.action,
        "target": event.target,
    }
