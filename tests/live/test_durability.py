"""Nothing accepted is lost: a broker outage and a worker killed mid-batch, with real processes and a
real (private) redis-server that the test can stop and start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.live.harness import ROOT, LiveServer, RedisServer, free_port, start_serve, wait_until
from tests.live.submissions import kitchen_sink_xml
from tests.live.test_collect_protocol import OR_HEADERS, post_submission, publish_kitchen_sink

FAST_SWEEP = {"CHUMCHON_SWEEP_SECONDS": "2", "CHUMCHON_SWEEP_GRACE_SECONDS": "1"}


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(port=free_port())
    server.start()
    yield server
    server.stop()


def counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            q = lambda sql: int(conn.execute(text(sql)).scalar() or 0)  # noqa: E731
            return {
                "versions": q("select count(*) from submission_version"),
                "processed": q(
                    "select count(*) from submission_version where processing_state = 'processed'"
                ),
                "records": q("select count(*) from record"),
                "distinct_records": q("select count(distinct submission_version_id) from record"),
                "repeat_rows": q("select count(*) from repeat_row"),
            }
    finally:
        engine.dispose()


def collector_submission_url(live: LiveServer) -> str:
    engine = create_engine(live.env["CHUMCHON_DATABASE_URL"])
    with engine.connect() as conn:
        token = conn.execute(text("select collect_token from \"user\" where username = 'surveyor1'")).scalar()
    engine.dispose()
    return f"{live.url}/key/{token}/projects/1/submission"


def test_submissions_are_accepted_while_the_broker_is_down_and_processed_when_it_returns(
    settings_env: dict[str, str], tmp_path: Path, redis_server: RedisServer
) -> None:
    env = {**settings_env, "CHUMCHON_BROKER_URL": redis_server.url}
    live = start_serve(env, tmp_path, "--forms-dir", str(tmp_path / "none"), extra_env=FAST_SWEEP)
    try:
        publish_kitchen_sink(live)
        url = collector_submission_url(live)
        redis_server.stop()
        for _ in range(5):
            _, xml = kitchen_sink_xml()
            resp = post_submission(url, xml, {})
            assert resp.status_code == 201, resp.text
        db_url = env["CHUMCHON_DATABASE_URL"]
        assert counts(db_url)["versions"] == 5
        assert counts(db_url)["processed"] == 0
        redis_server.start()
        wait_until(lambda: counts(db_url)["processed"] == 5, 90, "processing after the broker came back")
        assert counts(db_url)["records"] == 5
    finally:
        live.stop()


def _start(env: dict[str, str], args: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _kill_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    settings_env: dict[str, str], tmp_path: Path, redis_server: RedisServer
) -> None:
    total = 400
    env = {**settings_env, "CHUMCHON_BROKER_URL": redis_server.url}
    # Web and first-start preparation come from `serve`'s own web child; workers are run by hand here.
    live = start_serve(env, tmp_path, "--forms-dir", str(tmp_path / "none"), extra_env=FAST_SWEEP)
    worker_env = {**live.env, **FAST_SWEEP}
    db_url = env["CHUMCHON_DATABASE_URL"]
    try:
        publish_kitchen_sink(live)
        url = collector_submission_url(live)
        # Stop serve's own worker so the queue fills up; keep the web server.
        live.stop()
        web = _start(
            worker_env,
            ["web", "--host", "127.0.0.1", "--port", live.url.rsplit(":", 1)[1]],
            tmp_path / "web.log",
        )
        wait_until(lambda: requests.head(url, timeout=2).status_code == 204, 60, "the web server")
        session = requests.Session()
        for _ in range(total):
            _, xml = kitchen_sink_xml()
            resp = session.post(
                url, files={"xml_submission_file": ("s.xml", xml, "text/xml")}, headers=OR_HEADERS
            )
            assert resp.status_code == 201
        assert counts(db_url)["processed"] == 0

        worker = _start(worker_env, ["worker", "--concurrency", "1"], tmp_path / "worker1.log")
        wait_until(
            lambda: counts(db_url)["processed"] >= 5,
            90,
            "the first worker to start processing",
            interval=0.05,
        )
        _kill_group(worker, signal.SIGKILL)
        at_kill = counts(db_url)["processed"]
        assert at_kill < total, "the worker finished before it could be killed; raise `total`"

        replacement = _start(worker_env, ["worker", "--concurrency", "1", "--beat"], tmp_path / "worker2.log")
        try:
            wait_until(lambda: counts(db_url)["processed"] == total, 180, "the replacement worker to finish")
        finally:
            _kill_group(replacement, signal.SIGTERM)
            _kill_group(web, signal.SIGTERM)
        final = counts(db_url)
        assert final["versions"] == total
        assert final["records"] == final["distinct_records"] == total
        assert final["repeat_rows"] == 2 * total
    finally:
        live.stop()
