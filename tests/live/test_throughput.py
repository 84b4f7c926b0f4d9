"""Burst load against real processes: the embedded default processes everything it accepts; a web
process killed with SIGKILL mid-load keeps every submission it answered 201; a worker killed after
claiming a batch leaves it to the next claim once the lease has passed. States, never timings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from server.core.ground.db import make_engine
from server.core.models import utcnow
from server.core.submissions.batches import claim_batch
from tests.live.harness import ROOT, start_serve, wait_until
from tests.live.submissions import kitchen_sink_xml
from tests.live.test_collect_protocol import OR_HEADERS, publish_kitchen_sink
from tests.live.test_durability import collector_submission_url, counts


def _send(url: str, total: int, clients: int, accepted: dict[str, bytes], stop: threading.Event | None = None) -> int:
    """Post `total` submissions from `clients` threads; record instanceID → XML of every 201."""
    lock = threading.Lock()
    remaining = [total]
    failures = [0]

    def work() -> None:
        session = requests.Session()
        while stop is None or not stop.is_set():
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            iid, xml = kitchen_sink_xml()
            try:
                resp = session.post(url, files={"xml_submission_file": ("s.xml", xml, "text/xml")},
                                    headers=OR_HEADERS, timeout=30)
            except requests.RequestException:
                with lock:
                    failures[0] += 1
                continue
            with lock:
                if resp.status_code == 201:
                    accepted[iid] = xml
                else:
                    failures[0] += 1

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures[0]


def test_the_embedded_default_processes_a_burst_of_submissions(settings_env: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in settings_env.items() if k != "CHUMCHON_BROKER_URL"}  # the embedded broker
    live = start_serve(env, tmp_path, "--forms-dir", str(tmp_path / "none"))
    try:
        publish_kitchen_sink(live)
        url = collector_submission_url(live)
        accepted: dict[str, bytes] = {}
        assert _send(url, 300, 16, accepted) == 0
        assert len(accepted) == 300
        db_url = env["CHUMCHON_DATABASE_URL"]
        wait_until(lambda: counts(db_url)["processed"] == 300, 180, "every accepted submission to be processed")
        final = counts(db_url)
        assert final["versions"] == final["records"] == final["distinct_records"] == 300
        assert final["repeat_rows"] == 600
    finally:
        live.stop()


def test_every_201_survives_a_web_process_killed_mid_load(settings_env: dict[str, str], tmp_path: Path) -> None:
    live = start_serve(settings_env, tmp_path, "--forms-dir", str(tmp_path / "none"))
    try:
        publish_kitchen_sink(live)
        url = collector_submission_url(live)
    finally:
        live.stop()
    port = live.url.rsplit(":", 1)[1]
    web = subprocess.Popen([sys.executable, "-m", "server.cli", "web", "--host", "127.0.0.1", "--port", port],
                           env=live.env, cwd=ROOT, stdout=(tmp_path / "web.log").open("wb"),
                           stderr=subprocess.STDOUT, start_new_session=True)
    accepted: dict[str, bytes] = {}
    try:
        wait_until(lambda: requests.head(url, timeout=2).status_code == 204, 60, "the web server")
        stop = threading.Event()
        sender = threading.Thread(target=_send, args=(url, 100_000, 8, accepted, stop))
        sender.start()
        wait_until(lambda: len(accepted) >= 60, 120, "some submissions to be accepted", interval=0.02)
        os.killpg(web.pid, signal.SIGKILL)  # the web server's main process and every web process, mid-request
        web.wait(timeout=30)
        stop.set()  # requests in flight fail (no answer: not accepted); the senders stop
        sender.join(timeout=120)
        assert not sender.is_alive()
    finally:
        if web.poll() is None:
            os.killpg(web.pid, signal.SIGKILL)
    engine = create_engine(settings_env["CHUMCHON_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            stored = {row[0]: bytes(row[1]) for row in conn.execute(text("select instance_id, xml from submission_version"))}
    finally:
        engine.dispose()
    assert len(accepted) >= 60
    missing = [iid for iid in accepted if iid not in stored]
    assert missing == [], f"{len(missing)} submissions answered 201 are not stored"
    assert all(stored[iid] == xml for iid, xml in accepted.items())  # byte for byte


CLAIM_AND_HANG = """
import sys, time
from server.core.ground.settings import load_settings
from server.core.ground.services import build_services
from server.core.submissions.batches import claim_batch
svc = build_services(load_settings())
with svc.db.sessions() as session:
    claim = claim_batch(session, lease_seconds=600)
    session.commit()
print(",".join(str(v.id) for v in claim.versions), flush=True)
time.sleep(600)  # killed here, holding the claim, as a worker killed mid-batch
"""


def test_a_killed_workers_batch_is_claimed_again_once_its_lease_has_passed(
    settings_env: dict[str, str], tmp_path: Path
) -> None:
    live = start_serve(settings_env, tmp_path, "--forms-dir", str(tmp_path / "none"))
    try:
        publish_kitchen_sink(live)
        url = collector_submission_url(live)
        live.stop()  # web and worker gone: nothing processes the submissions below but the test
        web = subprocess.Popen([sys.executable, "-m", "server.cli", "web", "--host", "127.0.0.1",
                                "--port", live.url.rsplit(":", 1)[1]], env=live.env, cwd=ROOT,
                               stdout=(tmp_path / "web.log").open("wb"), stderr=subprocess.STDOUT,
                               start_new_session=True)
        try:
            wait_until(lambda: requests.head(url, timeout=2).status_code == 204, 60, "the web server")
            accepted: dict[str, bytes] = {}
            assert _send(url, 12, 2, accepted) == 0
        finally:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=30)
        claimer = subprocess.Popen([sys.executable, "-c", CLAIM_AND_HANG], env=live.env, cwd=ROOT,
                                   stdout=subprocess.PIPE, start_new_session=True)
        assert claimer.stdout is not None
        held = sorted(int(i) for i in claimer.stdout.readline().decode().strip().split(","))
        os.killpg(claimer.pid, signal.SIGKILL)
        claimer.wait(timeout=30)
        assert len(held) == 12

        engine = make_engine(settings_env["CHUMCHON_DATABASE_URL"])
        try:
            with engine.connect() as conn:
                with Session(conn) as session:
                    assert claim_batch(session).versions == []  # still leased to the dead claimer
                    session.rollback()
                    again = claim_batch(session, now=utcnow() + timedelta(seconds=601))
                    session.rollback()
            assert sorted(v.id for v in again.versions) == held
        finally:
            engine.dispose()
    finally:
        live.stop()
