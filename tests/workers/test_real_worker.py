"""A real Celery worker process on the embedded broker (kombu's SQLAlchemy transport on SQLite):
a sent task is processed, and the sweeper finds a submission whose wake-up message was never sent.
Waits are bounded polls for a state, not timed assertions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from server.core.ground.broker import CeleryTaskSender
from server.core.ground.services import Services
from server.core.models import Project, SubmissionVersion
from tests.workers.factories import household_xml, make_form_version, make_submission

pytestmark = pytest.mark.live
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def worker(env: dict[str, str], log_path: Path, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workers", "--concurrency", "1", *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for_state(
    services: Services, version_id: int, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 90
) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with services.db.session() as session:
            version = session.get(SubmissionVersion, version_id)
            assert version is not None
            if version.processing_state != "received":
                return version.processing_state
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    raise AssertionError(
        f"version {version_id} was not processed; worker log:\n{log_path.read_text(errors='replace')}"
    )


def stored_version(services: Services, project: Project, iid: str) -> int:
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        return make_submission(session, services.blobs, fv, household_xml(iid), iid).id


def test_worker_processes_a_sent_task(
    services: Services, project: Project, settings_env: dict[str, str], tmp_path: Path
) -> None:
    vid = stored_version(services, project, "uuid:live-1")
    log_path = tmp_path / "worker.log"
    with worker(settings_env, log_path) as proc:
        assert CeleryTaskSender(services.settings).send("submissions.process", vid)
        assert wait_for_state(services, vid, proc, log_path) == "processed"


def test_sweeper_recovers_a_lost_wake_up(
    services: Services, project: Project, settings_env: dict[str, str], tmp_path: Path
) -> None:
    vid = stored_version(services, project, "uuid:live-2")  # committed, but no message is ever sent
    env = {**settings_env, "CHUMCHON_SWEEP_SECONDS": "1", "CHUMCHON_SWEEP_GRACE_SECONDS": "0.5"}
    log_path = tmp_path / "worker.log"
    with worker(env, log_path, "--beat") as proc:
        assert wait_for_state(services, vid, proc, log_path) == "processed"
