"""The one module that talks to the message broker: it sends task wake-ups by name.

The database row is the source of truth; a message is only a wake-up call, so a failed send is
logged and left to the sweeper instead of failing the request that caused it."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from celery import Celery

from server.core.ground.settings import Settings

log = logging.getLogger(__name__)

PROCESS_SUBMISSION = "submissions.process"
SWEEP = "submissions.sweep"
BUILD_EXPORT = "exports.build"


class TaskSender(Protocol):
    def send(self, task: str, *args: Any) -> bool: ...


# Fail fast when the broker is down: intake has already committed, the sweeper catches up.
SEND_TRANSPORT_OPTIONS: dict[str, Any] = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}


class CeleryTaskSender:
    """Sends tasks by name through a client-only Celery app (no task code imported)."""

    def __init__(self, settings: Settings) -> None:
        self._app = Celery("chumchon-client", broker=settings.broker_url, set_as_current=False)
        self._app.conf.broker_transport_options = dict(SEND_TRANSPORT_OPTIONS)
        self._app.conf.broker_connection_retry = False
        self._app.conf.broker_connection_timeout = 2

    def send(self, task: str, *args: Any) -> bool:
        try:
            self._app.send_task(task, args=list(args), retry=False)
        except Exception:  # any broker failure: the row stays queued for the sweeper
            log.warning("could not enqueue %s%r; the sweeper will retry", task, args, exc_info=True)
            return False
        return True


class RecordingSender:
    """Keeps sent tasks in a list: for unit tests that call task functions themselves."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple[Any, ...]]] = []

    def send(self, task: str, *args: Any) -> bool:
        self.sent.append((task, args))
        return True
