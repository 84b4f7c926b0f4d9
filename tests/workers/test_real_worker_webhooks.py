"""A real Celery worker sends a webhook delivery: the row is committed first (the outbox), then a
`webhooks.deliver` wake-up on the configured broker; the local receiver gets the signed POST."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from server.core.ground.broker import DELIVER_WEBHOOKS, CeleryTaskSender
from server.core.ground.services import Services
from server.core.models import Project, WebhookDelivery
from server.core.webhooks import subscriptions
from tests.web.api.test_webhooks import Receiver
from tests.workers.test_real_worker import worker

pytestmark = pytest.mark.live


def test_worker_delivers_a_queued_webhook(
    services: Services, project: Project, settings_env: dict[str, str], tmp_path: Path
) -> None:
    receiver = Receiver()
    try:
        with services.db.session() as session:
            hook = subscriptions.create_webhook(session, project.id, receiver.url)
            delivery_id = subscriptions.queue_test(session, hook).id
        log_path = tmp_path / "worker.log"
        with worker(settings_env, log_path) as proc:
            assert CeleryTaskSender(services.settings).send(DELIVER_WEBHOOKS)
            deadline = time.monotonic() + 90
            state = "pending"
            while time.monotonic() < deadline and state == "pending" and proc.poll() is None:
                time.sleep(0.3)
                with services.db.session() as session:
                    state = session.get(WebhookDelivery, delivery_id).state  # type: ignore[union-attr]
            assert state == "delivered", log_path.read_text(errors="replace")
        headers, _body = receiver.requests[0]
        assert headers["X-Chumchon-Event"] == "webhook.test"
        assert headers["X-Chumchon-Signature"].startswith("sha256=")
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
