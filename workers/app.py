"""The Celery app factory and a programmatic worker start (used by `chumchon worker` and `serve`).

Delivery is at-least-once: acks_late + reject_on_worker_lost + prefetch 1 mean a task whose worker
dies is delivered again (Redis: after visibility_timeout), which is safe because tasks are idempotent.
The embedded kombu SQLAlchemy transport marks a message taken when it is fetched and does not hand it
out again, so there the sweeper (which re-reads the database, the real outbox) covers a killed worker."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from celery import Celery

from server.core.broker import SWEEP
from server.core.settings import Settings, SettingsError
from workers.tasks import ProcessServices, register_tasks


@dataclass(frozen=True)
class WorkerSettings:
    sweep_seconds: float = 60.0  # how often beat runs the sweeper
    grace_seconds: float = 30.0  # how long a version may wait before the sweeper re-sends it
    visibility_timeout: int = 3600  # Redis: seconds before an unacknowledged task is redelivered


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be positive")
    return value


def load_worker_settings(env: Mapping[str, str] | None = None) -> WorkerSettings:
    """CHUMCHON_SWEEP_SECONDS, CHUMCHON_SWEEP_GRACE_SECONDS, CHUMCHON_VISIBILITY_TIMEOUT (read once here).
    The visibility timeout must exceed the longest task (a large export), or Redis hands it out twice."""
    env = os.environ if env is None else env
    return WorkerSettings(
        sweep_seconds=_number(env, "CHUMCHON_SWEEP_SECONDS", 60.0),
        grace_seconds=_number(env, "CHUMCHON_SWEEP_GRACE_SECONDS", 30.0),
        visibility_timeout=int(_number(env, "CHUMCHON_VISIBILITY_TIMEOUT", 3600)),
    )


def _transport_options(settings: Settings, ws: WorkerSettings) -> dict[str, object]:
    # The SQLAlchemy transport hands every transport option to create_engine(), which refuses
    # unknown ones, so it gets none (it polls once a second and has no visibility timeout).
    if settings.broker_url.startswith("sqla+"):
        return {}
    return {"visibility_timeout": ws.visibility_timeout}


def make_celery(settings: Settings, worker_settings: WorkerSettings | None = None) -> Celery:
    """A Celery app with Chumchon's tasks; no connection is opened until a worker or a send needs one."""
    ws = worker_settings or load_worker_settings()
    app = Celery("chumchon", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options=_transport_options(settings, ws),
        beat_schedule={"sweep": {"task": SWEEP, "schedule": ws.sweep_seconds}},
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
        timezone="UTC",
        enable_utc=True,
    )
    register_tasks(app, ProcessServices(settings), ws.grace_seconds)
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
