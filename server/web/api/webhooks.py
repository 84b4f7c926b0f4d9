"""JSON API: a project's webhooks, their delivery log and the test button
(/v1/projects/ID/webhooks; a Chumchon extension, Central has none)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify

from server.core.accounts import permissions, projects
from server.core.ground.broker import DELIVER_WEBHOOKS
from server.core.models import User, Webhook, WebhookDelivery
from server.core.webhooks import subscriptions
from server.web.api.common import Field, checked_body, iso, paging
from server.web.auth import api_user
from server.web.context import db, services

bp = Blueprint("api_webhooks", __name__, url_prefix="/v1/projects/<int:project_id>/webhooks")

_BODY = {
    "url": Field((str,), required=True, max_length=subscriptions.MAX_URL),
    "events": Field((list,), max_length=len(subscriptions.EVENTS) * 4, nullable=True),
    "secret": Field((str,), max_length=subscriptions.MAX_SECRET, nullable=True),
}


def webhook_json(hook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": hook.id,
        "projectId": hook.project_id,
        "url": hook.url,
        "events": list(hook.events or []),
        "active": hook.active,
        "createdBy": hook.created_by_id,
        "createdAt": iso(hook.created_at),
    }
    if with_secret:
        body["secret"] = hook.secret
    return body


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "webhookId": delivery.webhook_id,
        "event": delivery.event,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "lastStatus": delivery.last_status,
        "lastError": delivery.last_error,
        "createdAt": iso(delivery.created_at),
        "nextAttemptAt": iso(delivery.next_attempt_at) if delivery.state == "pending" else None,
        "deliveredAt": iso(delivery.delivered_at),
        "log": list(delivery.log or []),
        "data": delivery.payload or {},
    }


def _manager(project_id: int) -> User:
    user = api_user()
    permissions.require(db(), user, "webhook.manage", project_id)
    projects.get_project(db(), project_id)
    return user


@bp.get("")
def list_webhooks(project_id: int) -> Response:
    _manager(project_id)
    return jsonify([webhook_json(h) for h in subscriptions.project_webhooks(db(), project_id)])


@bp.post("")
def create_webhook(project_id: int) -> Response:
    """Subscribe a URL to events (default: all three); the answer shows the signing secret once."""
    user = _manager(project_id)
    body = checked_body(_BODY)
    hook = subscriptions.create_webhook(
        db(), project_id, body["url"], events=body.get("events"), secret=body.get("secret"), actor_id=user.id
    )
    db().commit()
    return jsonify(webhook_json(hook, with_secret=True))


@bp.delete("/<int:webhook_id>")
def delete_webhook(project_id: int, webhook_id: int) -> Response:
    user = _manager(project_id)
    subscriptions.delete_webhook(db(), subscriptions.get_webhook(db(), project_id, webhook_id), user.id)
    db().commit()
    return jsonify({"success": True})


@bp.get("/<int:webhook_id>/deliveries")
def list_deliveries(project_id: int, webhook_id: int) -> Response:
    """The delivery log, newest first: state, attempts, each attempt's status code or error."""
    _manager(project_id)
    hook = subscriptions.get_webhook(db(), project_id, webhook_id)
    limit, offset = paging()
    return jsonify([delivery_json(d) for d in subscriptions.deliveries(db(), hook, limit, offset)])


@bp.post("/<int:webhook_id>/test")
def test_webhook(project_id: int, webhook_id: int) -> Response:
    """Queue a `webhook.test` delivery and wake a worker to send it."""
    user = _manager(project_id)
    delivery = subscriptions.queue_test(db(), subscriptions.get_webhook(db(), project_id, webhook_id), user.id)
    db().commit()
    services().tasks.wake(DELIVER_WEBHOOKS)
    return jsonify(delivery_json(delivery))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
