"""Issue 8's fault suite in one run: a bounded load from four phones against a live `chumchon web` and
`chumchon worker` on a private PostgreSQL and a private Redis that this test starts, while it kills
the worker with SIGKILL, restarts Redis and restarts PostgreSQL (`pg_ctl restart -m fast`).

Each phone sends the same submission again after a 503 as Collect does. Asserted: every answer was a
201 or a 503 with Retry-After (never a 500, never a dropped connection); accepted = stored = processed,
each exactly once, each with its photo. Waits are bounded polls for a state, not timed assertions."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from server.core.accounts import bootstrap
from server.core.forms.publishing import publish_form
from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from tests.helpers import FIXTURES
from tests.live.harness import RedisServer, free_port, wait_until
from tests.live.postgres import PrivatePostgres
from tests.live.submissions import kitchen_sink_xml
from tests.live.test_collect_protocol import JPEG, OR_HEADERS
from tests.live.test_database_restart import private_pg  # noqa: F401  # fixture
from tests.live.test_durability import FAST_SWEEP, _kill_group, _start, counts, redis_server  # noqa: F401

pytestmark = pytest.mark.live
PHONES = 4
MAX_PER_PHONE = 300  # bounded whatever happens
PAUSE = 0.15  # between two submissions of one phone: a steady load that lasts through every fault
PHOTO = "รูปบ้าน.jpg"


def _prepare(env: dict[str, str]) -> str:
    """First accounts and the kitchen-sink form, in-process; returns the collector's submission URL path."""
    svc = build_services(load_settings(env))
    try:
        with svc.db.session() as session:
            logins = bootstrap.ensure_first_accounts(session, svc.settings.data_dir)
            publish_form(session, svc.blobs, logins.project_id, (FIXTURES / "kitchen_sink.md").read_bytes(),
                         "kitchen_sink.md")
        return f"/key/{logins.collector_token}/projects/{logins.project_id}/submission"
    finally:
        svc.close()


def _duplicates(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(
                "select count(*) from (select instance_id from submission_version group by instance_id "
                "having count(*) > 1) d"
            )).scalar() or 0)
    finally:
        engine.dispose()


def _stored(db_url: str) -> tuple[set[str], set[str]]:
    """Instance ids stored, and the photos' blob hashes."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            ids = set(conn.execute(text("select instance_id from submission_version")).scalars())
            shas = set(conn.execute(text(
                "select blob_sha256 from attachment where blob_sha256 is not null")).scalars())
            return ids, shas
    finally:
        engine.dispose()


def test_worker_kill_redis_restart_and_database_restart_under_load(
    settings_env: dict[str, str], tmp_path: Path, private_pg: PrivatePostgres,  # noqa: F811
    redis_server: RedisServer,  # noqa: F811
) -> None:
    started = time.monotonic()
    env = {**settings_env, "CHUMCHON_DATABASE_URL": private_pg.url, "CHUMCHON_BROKER_URL": redis_server.url,
           **FAST_SWEEP, "CHUMCHON_CLAIM_LEASE_SECONDS": "3"}
    db_url = private_pg.url
    base = f"http://127.0.0.1:{free_port()}"
    url = base + _prepare(env)
    web = _start(env, ["web", "--host", "127.0.0.1", "--port", base.rsplit(":", 1)[1], "--workers", "2",
                       "--threads", "4"], tmp_path / "web.log")
    worker = _start(env, ["worker", "--concurrency", "1", "--beat"], tmp_path / "worker1.log")
    replacement = None
    answers: list[tuple[str, int, str | None, float]] = []  # instance id, status (-1: no answer), Retry-After, when
    accepted: set[str] = set()
    stop = threading.Event()

    def phone() -> None:
        session = requests.Session()
        for _ in range(MAX_PER_PHONE):
            if stop.is_set():
                return
            iid, xml = kitchen_sink_xml()
            files = {"xml_submission_file": ("s.xml", xml, "text/xml"), PHOTO: (PHOTO, JPEG + iid.encode(), "image/jpeg")}
            for _attempt in range(60):  # Collect sends it again until it is accepted
                try:
                    resp = session.post(url, files=files, headers=OR_HEADERS, timeout=30)
                except requests.ConnectionError:
                    answers.append((iid, -1, None, time.monotonic()))
                    time.sleep(0.3)
                    continue
                answers.append((iid, resp.status_code, resp.headers.get("Retry-After"), time.monotonic()))
                if resp.status_code == 201:
                    accepted.add(iid)
                    break
                time.sleep(0.3)  # Retry-After says 5 s; the test is in a hurry
            time.sleep(PAUSE)

    def accepted_after(moment: float) -> int:
        if not any(t.is_alive() for t in phones):
            raise AssertionError(f"the phones ran out of submissions ({len(answers)} answers): raise MAX_PER_PHONE")
        return sum(1 for a in answers if a[1] == 201 and a[3] > moment)

    phones = [threading.Thread(target=phone) for _ in range(PHONES)]
    try:
        wait_until(lambda: requests.head(url, timeout=2).status_code == 204, 60, "the web server")
        for t in phones:
            t.start()
        wait_until(lambda: counts(db_url)["processed"] >= 10, 90, "the worker to process the first submissions")

        _kill_group(worker, signal.SIGKILL)  # 1. a worker killed in the middle of its work
        killed_at, processed_at_kill = time.monotonic(), counts(db_url)["processed"]
        replacement = _start(env, ["worker", "--concurrency", "1", "--beat"], tmp_path / "worker2.log")
        wait_until(lambda: counts(db_url)["processed"] > processed_at_kill and accepted_after(killed_at) >= 15,
                   90, "the replacement worker to take over")

        redis_server.stop()  # 2. the broker restarted (its queue is lost: rows are the outbox)
        redis_server.start()
        redis_at = time.monotonic()
        wait_until(lambda: accepted_after(redis_at) >= 15, 60, "submissions after the Redis restart")

        private_pg.restart()  # 3. the database restarted under load
        pg_at = time.monotonic()
        wait_until(lambda: accepted_after(pg_at) >= 15, 60, "submissions after the PostgreSQL restart")
        stop.set()
        for t in phones:
            t.join(90)
        assert not any(t.is_alive() for t in phones)

        statuses = {a[1] for a in answers}
        assert statuses <= {201, 503}, f"answers other than 201 and 503 during the faults: {sorted(statuses)}"
        assert all(a[2] and int(a[2]) > 0 for a in answers if a[1] == 503), "a 503 without Retry-After"
        wait_until(lambda: counts(db_url)["processed"] >= len(accepted), 120, "every accepted submission processed")
        stored, photos = _stored(db_url)
        final = counts(db_url)
        assert stored == accepted, "accepted and stored differ"
        assert final["versions"] == final["processed"] == len(accepted)
        assert final["records"] == final["distinct_records"] == len(accepted)
        assert _duplicates(db_url) == 0
        assert len(photos) == len(accepted)  # each photo differs: one blob per submission
        blob_dir = Path(env["CHUMCHON_DATA_DIR"]) / "blobs"
        assert all((blob_dir / s[:2] / s[2:4] / s).is_file() for s in photos)
        n503 = sum(1 for a in answers if a[1] == 503)
        print(  # the figures the README quotes
            f"\nfault suite: {len(answers)} answers, {len(accepted)} accepted = stored = processed, "
            f"{n503} × 503 with Retry-After, 0 × 500, 0 duplicates; processed at the SIGKILL: "
            f"{processed_at_kill}; took {time.monotonic() - started:.0f} s"
        )
    finally:
        stop.set()
        for proc in (worker, replacement, web):
            if proc is not None:
                _kill_group(proc, signal.SIGTERM)
