"""The one module that talks to the message broker: it sends task wake-ups by name.

The database row is the source of truth; a message is only a wake-up call, so a failed send is
logged and left to the sweeper instead of failing the request that caused it. Wake-ups for work a
worker claims from the database in batches (`wake`) are coalesced per process: a background thread
sends at most one per task every WAKE_INTERVAL seconds, and always one after the latest call, so the
request never waits for the broker and a burst of submissions costs a handful of messages."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import sqlalchemy.exc
from celery import Celery

from server.core.ground.settings import Settings

log = logging.getLogger(__name__)

PROCESS_SUBMISSION = "submissions.process"  # one version by id (older messages; `reprocess` style)
PROCESS_PENDING = "submissions.process_pending"  # claim and process everything waiting, in batches
WAKE_INTERVAL = 0.5  # seconds: bigger batches for the worker, well inside the processing-lag goal
SWEEP = "submissions.sweep"
BUILD_EXPORT = "exports.build"
DELIVER_WEBHOOKS = "webhooks.deliver"  # send every due webhook delivery (argument-less wake-up)


class TaskSender(Protocol):
    def send(self, task: str, *args: Any) -> bool: ...

    def wake(self, task: str) -> None: ...


class WakeCoalescer:
    """Sends argument-less wake-ups from a background thread, at most one per task per interval and
    always at least one after every wake() call (trailing edge), so no committed work is left unsignalled."""

    def __init__(self, send: Callable[[str], object], interval: float = WAKE_INTERVAL) -> None:
        self._send = send
        self._interval = interval
        self._cond = threading.Condition()
        self._pending: set[str] = set()
        self._pid: int | None = None

    def wake(self, task: str) -> None:
        with self._cond:
            if self._pid != os.getpid():  # first use in this (possibly forked) process
                self._pid = os.getpid()
                self._pending.clear()
                threading.Thread(target=self._run, name="chumchon-wake", daemon=True).start()
            self._pending.add(task)
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                tasks, self._pending = self._pending, set()
            for task in sorted(tasks):
                try:
                    self._send(task)
                except Exception:  # never let the thread die: the sweeper covers a lost wake-up
                    log.warning("could not send wake-up %s", task, exc_info=True)
            time.sleep(self._interval)  # calls meanwhile gather into the next send


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
        self._wakes = WakeCoalescer(self.send)

    def wake(self, task: str) -> None:
        self._wakes.wake(task)

    def send(self, task: str, *args: Any) -> bool:
        for attempt in (1, 2):
            try:
                self._app.send_task(task, args=list(args), retry=False)
            except Exception as exc:  # any broker failure: the row stays queued for the sweeper
                if attempt == 1 and _lost_first_use_race(exc):
                    continue  # another process created the embedded broker's queue meanwhile
                log.warning("could not enqueue %s%r; the sweeper will retry", task, args, exc_info=True)
                return False
            return True
        return False  # not reached: the second attempt returns or logs


def _lost_first_use_race(exc: BaseException) -> bool:
    """True when the embedded broker failed because two processes created its tables or its queue
    row at once (kombu's lock is per process); the row exists now, so one more try succeeds."""
    seen: BaseException | None = exc
    for _ in range(10):  # a chain of causes, never a cycle walked forever
        if seen is None:
            return False
        if isinstance(seen, sqlalchemy.exc.IntegrityError):
            return True
        if isinstance(seen, sqlalchemy.exc.OperationalError) and "already exists" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class RecordingSender:
    """Keeps sent tasks in a list: for unit tests that call task functions themselves."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple[Any, ...]]] = []

    def send(self, task: str, *args: Any) -> bool:
        self.sent.append((task, args))
        return True

    def wake(self, task: str) -> None:
        self.sent.append((task, ()))
