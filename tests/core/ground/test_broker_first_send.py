"""The embedded broker (kombu's SQLAlchemy transport on SQLite) creates its queue row on first use;
two processes doing that at once race on the queue name's unique key. A wake-up that loses the race
must still be sent, not dropped to the sweeper (a worker started with `serve` would otherwise sit
idle for a sweep interval)."""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
from pathlib import Path

from server.core.ground.broker import CeleryTaskSender
from server.core.ground.settings import Settings, load_settings


def _send_at_once(
    settings: Settings, barrier: multiprocessing.synchronize.Barrier, results: multiprocessing.Queue[bool]
) -> None:
    sender = CeleryTaskSender(settings)
    barrier.wait()
    results.put(sender.send("submissions.sweep"))


def test_processes_sending_first_to_a_fresh_embedded_broker_all_succeed(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    outcomes: list[bool] = []
    for round_no in range(4):
        data_dir = tmp_path / f"round{round_no}"
        data_dir.mkdir()
        settings = load_settings({"CHUMCHON_DATA_DIR": str(data_dir), "CHUMCHON_SECRET_KEY": "k"})
        assert settings.embedded_broker
        barrier = ctx.Barrier(4)
        results = ctx.Queue()
        procs = [ctx.Process(target=_send_at_once, args=(settings, barrier, results)) for _ in range(4)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        outcomes += [results.get(timeout=5) for _ in procs]
    assert outcomes == [True] * 16
