"""The Celery app factory and a programmatic worker start (used by `chumchon worker` and `serve`).

Delivery is at-least-once: acks_late + reject_on_worker_lost + prefetch 1 mean a task whose worker
dies is delivered again (Redis: after visibility_timeout), which is safe because tasks are idempotent.
The embedded kombu SQLAlchemy transport marks a message taken when it is fetched and does not hand it
out again, so there the sweeper (which re-reads the database, the real outbox) covers a killed worker."""

from __future__ import annotations

from celery import Celery

from server.core.ground.broker import SWEEP
from server.core.ground.settings import Settings
from workers.tasks import ProcessServices, register_tasks


def _transport_options(settings: Settings) -> dict[str, object]:
    # The SQLAlchemy transport hands every transport option to create_engine(), which refuses
    # unknown ones, so it gets none (it polls once a second and has no visibility timeout).
    if settings.broker_url.startswith("sqla+"):
        return {}
    return {"visibility_timeout": settings.visibility_timeout}


def make_celery(settings: Settings) -> Celery:
    """A Celery app with Chumchon's tasks; no connection is opened until a worker or a send needs one."""
    app = Celery("chumchon", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options=_transport_options(settings),
        beat_schedule={"sweep": {"task": SWEEP, "schedule": settings.sweep_seconds}},
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
        timezone="UTC",
        enable_utc=True,
    )
    register_tasks(app, ProcessServices(settings), settings.sweep_grace_seconds)
    return app


def run_worker(settings: Settings, concurrency: int = 2, beat: bool = False, loglevel: str = "INFO") -> None:
    """Run a worker in this process until it is stopped (SIGTERM: warm shutdown)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = make_celery(settings)
    argv = [
        "worker",
        f"--concurrency={max(1, concurrency)}",
        f"--loglevel={loglevel}",
        # Gossip, mingle and heartbeats use broadcast messages the embedded transport does not carry.
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if beat:
        argv.append("--beat")
    app.worker_main(argv)
