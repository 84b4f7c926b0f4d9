"""Sending webhook deliveries: a JSON POST signed with HMAC-SHA256 of the exact body under the
webhook's secret (`X-Chumchon-Signature: sha256=HEX`), retried with exponential backoff until the
receiver answers 2xx or MAX_ATTEMPTS is reached. Every attempt is logged on the delivery.

A worker claims a due delivery by moving its next attempt one lease ahead in one UPDATE, so two
workers never send the same attempt at once; a worker killed while sending leaves a delivery that is
due again after the lease. Delivery is at least once: receivers deduplicate by X-Chumchon-Delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.core.models import Webhook, WebhookDelivery, utcnow
from server.core.models.webhooks import DELIVERED, GAVE_UP, PENDING

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 5.0  # first retry; doubles each time (5 s, 10 s, 20 s … about 5 minutes at the 7th)
MAX_BACKOFF_SECONDS = 3600.0
LEASE_SECONDS = 60.0  # longer than TIMEOUT_SECONDS: a claimed delivery is due again only if its worker died
TIMEOUT_SECONDS = 10.0
SIGNATURE_HEADER = "X-Chumchon-Signature"


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


Sender = Callable[[str, bytes, dict[str, str]], Outcome]


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def body_of(delivery: WebhookDelivery, hook: Webhook) -> bytes:
    """The exact bytes that are signed and sent (the same on every attempt)."""
    document = {
        "id": delivery.id,
        "event": delivery.event,
        "webhookId": hook.id,
        "projectId": hook.project_id,
        "occurredAt": delivery.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "data": delivery.payload or {},
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer, not a delivery: it is logged and retried


_OPENER = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(65536)
            return Outcome(int(response.status))
    except urllib.error.HTTPError as exc:
        return Outcome(int(exc.code), f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500])


def due_ids(session: Session, now: datetime | None = None, limit: int = 100) -> list[int]:
    now = now or utcnow()
    return list(
        session.scalars(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.state == PENDING, WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
    )


def _claim(session: Session, delivery_id: int, now: datetime) -> bool:
    result = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.state == PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=utcnow() + timedelta(seconds=LEASE_SECONDS))
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _record(session: Session, delivery: WebhookDelivery, outcome: Outcome) -> str:
    now = utcnow()
    delivery.attempts += 1
    delivery.last_status = outcome.status
    delivery.last_error = outcome.error
    entry = {
        "attempt": delivery.attempts,
        "at": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "statusCode": outcome.status,
        "error": outcome.error,
    }
    delivery.log = [*(delivery.log or []), entry]
    if outcome.ok:
        delivery.state, delivery.delivered_at = DELIVERED, now
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.state = GAVE_UP
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    return delivery.state if delivery.state != PENDING else "retrying"


def deliver_one(sessions: Callable[[], Session], delivery_id: int, *, now: datetime | None = None,
                send: Sender = post) -> str | None:
    """Send one due delivery if this worker wins its claim; returns delivered / retrying / failed,
    or None when it was not due or another worker has it."""
    now = now or utcnow()
    with sessions() as session:
        if not _claim(session, delivery_id, now):
            session.rollback()
            return None
        session.commit()
        delivery = session.get(WebhookDelivery, delivery_id)
        hook = session.get(Webhook, delivery.webhook_id) if delivery is not None else None
        if delivery is None or hook is None:
            return None
        body = body_of(delivery, hook)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Chumchon-Webhook/1",
            "X-Chumchon-Event": delivery.event,
            "X-Chumchon-Delivery": str(delivery.id),
            SIGNATURE_HEADER: signature(hook.secret, body),
        }
        url = hook.url
        session.rollback()  # no transaction stays open while the receiver answers
    outcome = send(url, body, headers)
    with sessions() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:  # the webhook was deleted meanwhile
            return None
        state = _record(session, delivery, outcome)
        session.commit()
    if not outcome.ok:
        log.info("webhook delivery %s: %s (%s)", delivery_id, outcome.status, outcome.error)
    return state


def deliver_due(sessions: Callable[[], Session], *, now: datetime | None = None, limit: int = 100,
                send: Sender = post) -> dict[str, int]:
    """Send every due delivery (up to `limit`), one after another; counts by outcome."""
    with sessions() as session:
        ids = due_ids(session, now, limit)
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    for delivery_id in ids:
        state = deliver_one(sessions, delivery_id, now=now, send=send)
        if state in counts:
            counts[state] += 1
    return counts


def has_due(session: Session, now: datetime | None = None) -> bool:
    return bool(due_ids(session, now, limit=1))
