"""A database restart under load (`pg_ctl restart -m fast` on a private PostgreSQL): phones get 201 or
503 with Retry-After, never a 500; every 201 is stored; after the restart submissions succeed again
without restarting the web server (the pool replaces the cut connections)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from server.core.ground.db import make_engine
from server.core.ground.migrate import upgrade_to_head
from tests.live.harness import start_serve, wait_until
from tests.live.postgres import PrivatePostgres, pg_bin
from tests.live.submissions import kitchen_sink_xml
from tests.live.test_collect_protocol import OR_HEADERS, publish_kitchen_sink
from tests.live.test_durability import collector_submission_url

pytestmark = pytest.mark.live


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    directory = pg_bin()
    if directory is None:
        pytest.skip("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin)")
    server = PrivatePostgres(directory)
    server.start()
    engine = make_engine(server.url)
    upgrade_to_head(engine)
    engine.dispose()
    yield server
    server.stop()


def stored_instance_ids(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("select instance_id from submission_version")).scalars())
    finally:
        engine.dispose()


def test_a_database_restart_under_load_gives_503s_not_500s_and_recovers(
    settings_env: dict[str, str], tmp_path: Path, private_pg: PrivatePostgres
) -> None:
    env = {**settings_env, "CHUMCHON_DATABASE_URL": private_pg.url}
    env.pop("CHUMCHON_BROKER_URL", None)  # the embedded broker: this test is about the database
    live = start_serve(env, tmp_path, "--forms-dir", str(tmp_path / "none"))
    results: list[tuple[str, int, str | None, float]] = []  # instance id, status, Retry-After, when
    stop = threading.Event()

    def phone() -> None:
        session = requests.Session()
        for _ in range(400):  # bounded, whatever happens
            if stop.is_set():
                return
            instance_id, xml = kitchen_sink_xml()
            try:
                resp = session.post(url, files={"xml_submission_file": ("s.xml", xml, "text/xml")},
                                    headers=OR_HEADERS, timeout=30)
            except requests.ConnectionError:
                results.append((instance_id, -1, None, time.monotonic()))
                continue
            results.append((instance_id, resp.status_code, resp.headers.get("Retry-After"), time.monotonic()))
            if resp.status_code == 503:
                time.sleep(0.2)

    try:
        publish_kitchen_sink(live)
        url = collector_submission_url(live)
        phones = [threading.Thread(target=phone) for _ in range(2)]
        for t in phones:
            t.start()
        wait_until(lambda: len(results) >= 10, 60, "the first submissions")
        private_pg.restart()
        restarted_at = time.monotonic()
        wait_until(
            lambda: sum(1 for r in results if r[1] == 201 and r[3] > restarted_at + 0.5) >= 10,
            60, "submissions to succeed again after the restart",
        )
        stop.set()
        for t in phones:
            t.join(60)
        statuses = {status for _, status, _, _ in results}
        assert statuses <= {201, 503}, f"unexpected answers during a database restart: {sorted(statuses)}"
        assert all(retry and int(retry) > 0 for _, status, retry, _ in results if status == 503)
        accepted = {iid for iid, status, _, _ in results if status == 201}
        stored = stored_instance_ids(private_pg.url)
        assert accepted <= stored, "a 201 whose submission is not in the database"
        print(  # the figures the README quotes
            f"\n{len(results)} submissions during a restart: {len(accepted)} × 201, "
            f"{sum(1 for r in results if r[1] == 503)} × 503 with Retry-After, 0 × 500"
        )
    finally:
        stop.set()
        live.stop()
