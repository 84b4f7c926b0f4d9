"""Recording webhook events in the transaction that causes them: one delivery row per subscribed
webhook, so an event survives a broker outage and is sent once the change is committed. A project
without webhooks costs no query on the intake path (its webhook list is in the lookup cache)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server.core.ground.cache import LookupCache
from server.core.models import Form, Webhook, WebhookDelivery, utcnow

Hooks = tuple[tuple[int, tuple[str, ...]], ...]


def _load_hooks(session: Session, project_id: int) -> Hooks:
    rows = session.execute(
        select(Webhook.id, Webhook.events).where(Webhook.project_id == project_id, Webhook.active.is_(True))
    ).all()
    return tuple((hook_id, tuple(events or ())) for hook_id, events in rows)


def project_hooks(session: Session, project_id: int, cache: LookupCache | None = None) -> Hooks:
    if cache is None:
        return _load_hooks(session, project_id)
    return cache.get(session, ("webhooks", project_id), lambda s: _load_hooks(s, project_id)) or ()


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    if rows:
        now = utcnow()
        for row in rows:
            row.update(state="pending", attempts=0, next_attempt_at=now, created_at=now, log=[])
        session.execute(insert(WebhookDelivery), rows)
    return len(rows)


def record(
    session: Session,
    project_id: int,
    event: str,
    payloads: Sequence[dict[str, Any]],
    cache: LookupCache | None = None,
) -> int:
    """Queue `event` for every webhook of the project that subscribed to it; returns rows written."""
    hooks = project_hooks(session, project_id, cache)
    if not hooks or not payloads:
        return 0
    return _insert(
        session,
        [
            {"webhook_id": hook_id, "event": event, "payload": dict(payload)}
            for hook_id, events in hooks
            if event in events
            for payload in payloads
        ],
    )


def record_for_forms(session: Session, event: str, items: Sequence[tuple[int, dict[str, Any]]]) -> int:
    """Queue `event` for many submissions of possibly many forms: items are (form_id, payload); the
    payload gains projectId and xmlFormId. One query finds the webhooks of all their projects."""
    if not items:
        return 0
    form_ids = sorted({form_id for form_id, _ in items})
    rows = session.execute(
        select(Form.id, Form.project_id, Form.xml_form_id, Webhook.id, Webhook.events)
        .join(Webhook, Webhook.project_id == Form.project_id)
        .where(Form.id.in_(form_ids), Webhook.active.is_(True), Form.draft_of_id.is_(None))
    ).all()
    hooks: dict[int, list[tuple[int, int, str]]] = {}
    for form_id, project_id, xml_form_id, hook_id, events in rows:
        if event in (events or ()):
            hooks.setdefault(form_id, []).append((hook_id, project_id, xml_form_id))
    return _insert(
        session,
        [
            {
                "webhook_id": hook_id,
                "event": event,
                "payload": {"projectId": project_id, "xmlFormId": xml_form_id, **payload},
            }
            for form_id, payload in items
            for hook_id, project_id, xml_form_id in hooks.get(form_id, ())
        ],
    )
