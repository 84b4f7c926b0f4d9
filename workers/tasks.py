"""Task bodies, as plain functions of the process's Services (unit tests call them directly), and
their registration on a Celery app under the names in server.core.ground.broker."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import Celery
from celery.signals import worker_ready

from server.core.exports.jobs import build_export, stale_queued_exports
from server.core.ground.broker import (
    BUILD_EXPORT,
    DELIVER_WEBHOOKS,
    PROCESS_PENDING,
    PROCESS_SUBMISSION,
    SWEEP,
)
from server.core.ground.errors import NotFound
from server.core.ground.services import Services, build_services
from server.core.ground.settings import Settings
from server.core.ground.upkeep import start_upkeep
from server.core.models.submissions import PROCESSED
from server.core.reports.results import after_batch, record_version
from server.core.submissions.batches import process_pending
from server.core.submissions.processing import process_submission_version, record_failure, sweep_unprocessed
from server.core.webhooks import delivery

log = logging.getLogger(__name__)

# One wake-up drains at most this many versions, then sends itself again so that other tasks
# (exports) queued on the same worker get their turn.
DRAIN_LIMIT = 5000
EXPORT_GRACE_SECONDS = 30.0  # exports wait behind each other; re-send only long-queued ones


def process_pending_job(services: Services, send: Callable[..., Any] | None = None) -> dict[str, int]:
    """Claim and process every waiting submission version, in batches; see server.core.submissions.batches."""
    settings = services.settings
    counts = process_pending(
        services.db.sessions,
        services.cache,
        services.blobs,
        batch_size=settings.process_batch,
        lease_seconds=settings.claim_lease_seconds,
        max_versions=DRAIN_LIMIT,
        after_write=after_batch,
    )
    if send is not None and sum(counts.values()) >= DRAIN_LIMIT:
        send(PROCESS_PENDING)
    if send is not None and counts.get("processed"):
        # Processing may have queued webhook events (and intake's wait since): send them now.
        with services.db.session() as session:
            if delivery.has_due(session):
                send(DELIVER_WEBHOOKS)
    return counts


def process_submission_job(services: Services, version_id: int) -> str:
    """Process one submission version and commit; returns its processing_state ("missing" if the row
    is gone). Database errors are recorded on the row in a fresh transaction, then re-raised."""
    try:
        with services.db.session() as session:
            state = process_submission_version(session, services.blobs, version_id)
            if state == PROCESSED:
                record_version(session, version_id)
            return state
    except NotFound:
        log.warning("submission version %s no longer exists; nothing to process", version_id)
        return "missing"
    except Exception as exc:
        try:
            with services.db.session() as session:
                record_failure(session, version_id, f"{type(exc).__name__}: {exc}")
        except Exception:  # the database is still away; the row stays "received" for the sweeper
            log.warning("could not record the failure of version %s", version_id, exc_info=True)
        raise


def sweep_job(services: Services, send: Callable[..., Any], grace_seconds: float) -> dict[str, int]:
    """Send wake-ups for work whose message was lost or whose worker died: one wake-up if any version
    waits longer than the grace period (the woken worker claims them all, leases that have passed
    included), and one per long-queued export. Duplicates are harmless: every task is idempotent."""
    with services.db.session() as session:
        versions = sweep_unprocessed(session, timedelta(seconds=grace_seconds), limit=1000)
        exports = stale_queued_exports(session, max(grace_seconds, EXPORT_GRACE_SECONDS))
        webhooks = delivery.has_due(session)
    if versions:
        send(PROCESS_PENDING)
    if webhooks:  # events recorded while the broker was away, retries whose backoff has passed
        send(DELIVER_WEBHOOKS)
    for export_id in exports:
        send(BUILD_EXPORT, export_id)
    if versions or exports:
        log.info("sweeper woke workers for %d waiting submission(s) and %d export(s)", len(versions), len(exports))
    return {"submissions": len(versions), "exports": len(exports), "webhooks": int(webhooks)}


def build_export_job(services: Services, export_id: int) -> str:
    """Build one export; returns its final state ("done" or "failed")."""
    try:
        return build_export(services.db.sessions, services.settings, services.blobs, export_id).state
    except NotFound:
        log.warning("export %s no longer exists", export_id)
        return "missing"


def deliver_webhooks_job(services: Services) -> dict[str, int]:
    """Send every due webhook delivery (new events and retries whose backoff has passed)."""
    return delivery.deliver_due(services.db.sessions)


class ProcessServices:
    """Services built once per worker process (lazily, so a forked pool child never reuses its
    parent's database connections)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pid: int | None = None
        self._services: Services | None = None

    def get(self) -> Services:
        if self._services is None or self._pid != os.getpid():
            self._services = build_services(self.settings)
            self._pid = os.getpid()
        return self._services


def register_tasks(app: Celery, services: ProcessServices, grace_seconds: float) -> None:
    def send(task: str, *args: Any) -> None:
        app.send_task(task, args=list(args))

    @app.task(name=PROCESS_PENDING, ignore_result=True, shared=False)  # type: ignore[untyped-decorator]
    def process_waiting() -> dict[str, int]:
        return process_pending_job(services.get(), send)

    @app.task(name=PROCESS_SUBMISSION, ignore_result=True, shared=False)  # type: ignore[untyped-decorator]
    def process_submission(version_id: int) -> str:
        return process_submission_job(services.get(), int(version_id))

    @app.task(name=SWEEP, ignore_result=True, shared=False)  # type: ignore[untyped-decorator]
    def sweep() -> dict[str, int]:
        return sweep_job(services.get(), send, grace_seconds)

    @app.task(name=BUILD_EXPORT, ignore_result=True, shared=False)  # type: ignore[untyped-decorator]
    def build(export_id: int) -> str:
        return build_export_job(services.get(), int(export_id))

    @app.task(name=DELIVER_WEBHOOKS, ignore_result=True, shared=False)  # type: ignore[untyped-decorator]
    def deliver_webhooks() -> dict[str, int]:
        return deliver_webhooks_job(services.get())

    @worker_ready.connect(weak=False)  # type: ignore[untyped-decorator]
    def look_after_tables_meanwhile(sender: Any = None, **_kwargs: Any) -> None:
        # what autovacuum does where it is off, beside the pool's work (server.core.ground.upkeep)
        start_upkeep(services.settings.database_url)

    @worker_ready.connect(weak=False)  # type: ignore[untyped-decorator]
    def drain_on_start(sender: Any = None, **_kwargs: Any) -> None:
        # Whatever a previous worker left (its leases pass on their own) is claimed without waiting
        # for the sweeper.
        try:
            send(PROCESS_PENDING)
        except Exception:  # the broker is away: the sweeper wakes us later
            log.warning("could not send the start-up wake-up", exc_info=True)
