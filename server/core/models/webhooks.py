"""Webhooks: a project's subscriptions to submission events, and the outbox of their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base, JSONType, UTCDateTime, utcnow

PENDING = "pending"
DELIVERED = "delivered"
GAVE_UP = "failed"


class Webhook(Base):
    """A URL that receives a signed JSON POST for each chosen event of one project."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    # HMAC-SHA256 key for the X-Chumchon-Signature header; shown once, when the webhook is made.
    secret: Mapped[str] = mapped_column(String(255))
    events: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event for one webhook: written in the transaction that caused the event (the outbox), then
    sent by a worker until the receiver answers 2xx or the attempts run out. `log` keeps each attempt."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the next attempt is due; while a worker sends, it is that worker's lease.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    log: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
