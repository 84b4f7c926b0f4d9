"""Creating, listing and removing a project's webhooks, and the test delivery. Permission checks are
the caller's; changes are in the audit trail."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.ground.errors import BadRequest, NotFound
from server.core.models import AuditEvent, Webhook, WebhookDelivery, utcnow

RECEIVED = "submission.received"
PROCESSED = "submission.processed"
REVIEWED = "submission.reviewed"
TEST = "webhook.test"
EVENTS = (RECEIVED, PROCESSED, REVIEWED)
MAX_URL = 2048
MIN_SECRET, MAX_SECRET = 16, 255


def check_url(url: str) -> str:
    """Only absolute http:// and https:// URLs with a host; anything else is refused."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        host = None
    if host is None or parts.scheme not in ("http", "https") or len(text) > MAX_URL or not text.isprintable():
        raise BadRequest(
            "ที่อยู่ webhook ต้องขึ้นต้นด้วย http:// หรือ https:// / The webhook URL must be an absolute "
            f"http:// or https:// URL of at most {MAX_URL} characters.",
            field="url",
        )
    return text


def check_events(events: list[object] | None) -> list[str]:
    if events is None:
        return list(EVENTS)
    chosen = [e for e in events if isinstance(e, str)]
    unknown = [e for e in events if not isinstance(e, str) or e not in EVENTS]
    if unknown or not chosen:
        raise BadRequest(
            f"เหตุการณ์ไม่ถูกต้อง ใช้ได้: {', '.join(EVENTS)} / Unknown events; use some of: {', '.join(EVENTS)}.",
            field="events",
            allowed=list(EVENTS),
        )
    return sorted(set(chosen), key=EVENTS.index)


def create_webhook(
    session: Session,
    project_id: int,
    url: str,
    *,
    events: list[object] | None = None,
    secret: str | None = None,
    actor_id: int | None = None,
) -> Webhook:
    if secret is not None and not MIN_SECRET <= len(secret) <= MAX_SECRET:
        raise BadRequest(
            f"secret ต้องยาว {MIN_SECRET}–{MAX_SECRET} ตัวอักษร / The secret must be {MIN_SECRET}..{MAX_SECRET} "
            "characters.",
            field="secret",
        )
    hook = Webhook(
        project_id=project_id,
        url=check_url(url),
        events=check_events(events),
        secret=secret or secrets.token_urlsafe(32),
        active=True,
        created_by_id=actor_id,
    )
    session.add(hook)
    session.flush()
    session.add(AuditEvent(actor_id=actor_id, action="webhook.create", target=f"webhook:{hook.id}",
                           details={"project_id": project_id, "url": hook.url, "events": hook.events}))
    session.flush()
    return hook


def project_webhooks(session: Session, project_id: int) -> list[Webhook]:
    return list(session.scalars(select(Webhook).where(Webhook.project_id == project_id).order_by(Webhook.id)))


def get_webhook(session: Session, project_id: int, webhook_id: int) -> Webhook:
    hook = session.get(Webhook, webhook_id)
    if hook is None or hook.project_id != project_id:
        raise NotFound(f"ไม่พบ webhook {webhook_id} / Webhook {webhook_id} not found.", webhook_id=webhook_id)
    return hook


def delete_webhook(session: Session, hook: Webhook, actor_id: int | None = None) -> None:
    """Remove the webhook and its delivery log; pending deliveries are dropped with it."""
    session.add(AuditEvent(actor_id=actor_id, action="webhook.delete", target=f"webhook:{hook.id}",
                           details={"project_id": hook.project_id, "url": hook.url}))
    session.query(WebhookDelivery).filter(WebhookDelivery.webhook_id == hook.id).delete()
    session.delete(hook)
    session.flush()


def deliveries(session: Session, hook: Webhook, limit: int = 100, offset: int = 0) -> list[WebhookDelivery]:
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == hook.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def queue_test(session: Session, hook: Webhook, actor_id: int | None = None) -> WebhookDelivery:
    """A `webhook.test` delivery, sent like any other (the API's test button)."""
    delivery = WebhookDelivery(
        webhook_id=hook.id,
        event=TEST,
        payload={"projectId": hook.project_id, "actorId": actor_id},
        next_attempt_at=utcnow(),
        log=[],
    )
    session.add(delivery)
    session.flush()
    return delivery
