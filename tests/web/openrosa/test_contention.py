"""A submission whose transaction loses a race in PostgreSQL — a real deadlock, a real lock timeout —
is run again from the start and stored once; only when the race outlasts the retries is the answer a
503 with Retry-After, and then nothing is stored. The error kinds themselves come from real errors:
contention, outage and a cancelled query are three different things (the last one is a defect, 500)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from server.core.ground.db import make_engine
from server.core.ground.services import Services
from server.core.ground.transactions import is_contention, is_outage
from server.core.models import Attachment, FormVersion, Submission, SubmissionVersion
from tests.core.submissions.test_intake import add_form, submission_xml
from tests.live.harness import free_port, wait_until
from tests.web.openrosa.test_submission import post, rows

PG_URL = os.environ.get("CHUMCHON_TEST_DATABASE_URL", "").strip()
pytestmark = pytest.mark.skipif(not PG_URL, reason="row locks and deadlocks need PostgreSQL")


@pytest.fixture
def form(services: Services, project) -> FormVersion:
    with services.db.session() as session:
        return add_form(session, project.id)


@pytest.fixture
def other() -> Iterator[Engine]:
    """A second client of the same database: the other side of every race."""
    engine = make_engine(PG_URL)
    yield engine
    engine.dispose()


def _someone_waits_for_a_lock(conn: Connection) -> bool:
    return bool(conn.execute(text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() "
        "AND datname = current_database()"
    )).scalar())


def test_a_deadlocked_submission_is_run_again_and_stored_once(
    client, collector, form, services, other, caplog: pytest.LogCaptureFixture
) -> None:
    """The other client locks the form version, intake's insert waits for it while holding a key-share
    lock on the form, the other client then asks for the form: a cycle, and PostgreSQL aborts intake
    (the other side waits 10 s before checking for deadlocks, intake 1 s). Intake runs again."""
    outcome: dict[str, object] = {}

    def other_side() -> None:
        with other.connect() as watcher, other.connect() as conn:
            conn.execute(text("SET deadlock_timeout = '10s'"))
            conn.execute(text("SELECT 1 FROM form_version WHERE id = :id FOR UPDATE"), {"id": form.id})
            outcome["locked"] = True
            wait_until(lambda: _someone_waits_for_a_lock(watcher), 30, "intake to wait for the form version")
            conn.execute(text("SELECT 1 FROM form WHERE id = :id FOR UPDATE"), {"id": form.form_id})
            outcome["other side got both locks"] = True
            conn.commit()

    caplog.set_level(logging.INFO, logger="server.core.ground.transactions")
    thread = threading.Thread(target=other_side)
    thread.start()
    wait_until(lambda: outcome.get("locked"), 30, "the other side's first lock")
    url = f"/key/{collector.collect_token}/projects/1/submission?deviceID=collect%3Aabc"
    resp = post(client, url, submission_xml(), [("house.jpg", b"\xff\xd8JPEG bytes")])
    thread.join(timeout=60)
    assert outcome.get("other side got both locks"), "intake, not the other side, must have been the victim"
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert "lost a race (40P01)" in caplog.text  # the deadlock happened, and intake ran again
    assert rows(services) == (1, 1, 1)  # one submission, one version, one attachment: no duplicate
    with services.db.session() as session:
        attachment = session.scalars(select(Attachment)).one()
        assert services.blobs.read_bytes(attachment.blob_sha256 or "") == b"\xff\xd8JPEG bytes"


def test_a_race_that_outlasts_the_retries_is_a_503_with_retry_after_and_nothing_stored(
    client, collector, form, services, other
) -> None:
    """Intake's connections give up waiting for a lock after 100 ms; the other client holds the form
    version's lock for the whole request, so every attempt times out (SQLSTATE 55P03)."""
    services.db.engine.dispose()
    event.listen(services.db.engine, "connect", _short_lock_timeout)
    with other.connect() as conn:
        conn.execute(text("SELECT 1 FROM form_version WHERE id = :id FOR UPDATE"), {"id": form.id})
        url = f"/key/{collector.collect_token}/projects/1/submission?deviceID=collect%3Aabc"
        resp = post(client, url, submission_xml())
        conn.rollback()
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    body = resp.get_data(as_text=True)
    assert "OpenRosaResponse" in body and "ระบบมีงานพร้อมกันมาก" in body and "busy" in body
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 0
        assert session.scalar(select(func.count()).select_from(SubmissionVersion)) == 0
    again = post(client, url, submission_xml())  # the lock is gone: Collect's next try is stored
    assert again.status_code == 201


def _short_lock_timeout(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '100ms'")
    dbapi_connection.commit()


def _error(engine: Engine, sql: str) -> OperationalError:
    with engine.connect() as conn, pytest.raises(OperationalError) as err:
        conn.execute(text(sql))
    return err.value


def test_real_errors_are_told_apart(other: Engine, services: Services, form) -> None:
    with other.connect() as holder:
        holder.execute(text("SELECT 1 FROM form_version WHERE id = :id FOR UPDATE"), {"id": form.id})
        lock = _error(other, f"SET lock_timeout = '50ms'; SELECT 1 FROM form_version WHERE id = {form.id} FOR UPDATE")
        holder.rollback()
    assert is_contention(lock) and not is_outage(lock)
    cancelled = _error(other, "SET statement_timeout = '50ms'; SELECT pg_sleep(2)")
    assert not is_contention(cancelled) and not is_outage(cancelled)  # a defect to fix: 500
    gone = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing")
    with pytest.raises(OperationalError) as refused:
        gone.connect()
    assert is_outage(refused.value) and not is_contention(refused.value)
