"""Where PostgreSQL's autovacuum is off, the sweeper analyzes and vacuums Chumchon's tables itself, at
autovacuum's own thresholds: without it, plans made on empty tables stayed (intake's foreign-key
checks read `submission` by sequential scan, ≈ 3 times per submission) and dead rows piled up."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import Engine, text

from server.core.ground.db import make_engine
from server.core.ground.services import Services
from server.core.ground.settings import Settings
from server.core.ground.upkeep import autovacuum_is_on, look_after_tables
from server.core.models import Project
from tests.workers.factories import household_schema, household_xml, make_form_version, make_submission
from workers import tasks

PROBE = "upkeep_probe"


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no autovacuum to stand in for")
    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {PROBE}"))
        conn.execute(text(f"CREATE TABLE {PROBE} (id integer PRIMARY KEY, note text)"))
    yield engine
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {PROBE}"))
    engine.dispose()


def _write(engine: Engine, sql: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql))
        conn.execute(text("SELECT pg_stat_force_next_flush()"))  # counters visible at once


def _stats(engine: Engine) -> tuple[float, int, bool]:
    with engine.connect() as conn:
        reltuples, dead, analyzed = conn.execute(
            text(
                "SELECT c.reltuples, s.n_dead_tup, s.last_analyze IS NOT NULL FROM pg_class c "
                "JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = :t"
            ),
            {"t": PROBE},
        ).one()
    return float(reltuples), int(dead), bool(analyzed)


def test_a_grown_table_is_analyzed_and_one_full_of_dead_rows_vacuumed(engine: Engine) -> None:
    _write(engine, f"INSERT INTO {PROBE} SELECT g, 'บ้าน ' || g FROM generate_series(1, 2000) g")
    assert _stats(engine) == (-1.0, 0, False)  # never analyzed: the planner knows nothing of it

    done = look_after_tables(engine, autovacuum_on=False)
    assert PROBE in done.analyzed and PROBE not in done.vacuumed
    assert _stats(engine) == (2000.0, 0, True)
    assert PROBE not in look_after_tables(engine, autovacuum_on=False).analyzed  # nothing new: no work

    _write(engine, f"DELETE FROM {PROBE} WHERE id > 500")
    assert _stats(engine)[1] == 1500
    done = look_after_tables(engine, autovacuum_on=False)
    assert PROBE in done.vacuumed
    reltuples, dead, _ = _stats(engine)
    assert (reltuples, dead) == (500.0, 0)


def test_nothing_is_done_where_autovacuum_runs(engine: Engine) -> None:
    _write(engine, f"INSERT INTO {PROBE} SELECT g, 'x' FROM generate_series(1, 2000) g")
    assert look_after_tables(engine, autovacuum_on=True).analyzed == ()
    assert _stats(engine)[2] is False


def test_the_sweeper_looks_after_the_tables_when_the_server_has_autovacuum_off(
    services: Services, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "upkeep", tasks._Upkeep())  # not just done by another test
    _write(engine, f"INSERT INTO {PROBE} SELECT g, 'x' FROM generate_series(1, 2000) g")
    tasks.sweep_job(services, lambda *_args: None, 5.0)
    assert _stats(engine)[2] is (not autovacuum_is_on(engine))


def test_a_worker_draining_a_backlog_looks_after_the_tables_between_batches(
    services: Services, project: Project, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the sweeper's task waits in the queue behind a long drain, when the tables grow the most
    monkeypatch.setattr(tasks, "upkeep", tasks._Upkeep())
    with services.db.session() as session:
        schema = {**household_schema(), "form_id": "upkeep_survey"}  # a form without indicator rules
        fv = make_form_version(session, services.blobs, project.id, schema)
        for i in range(3):
            make_submission(session, services.blobs, fv, household_xml(f"uuid:u{i}"), f"uuid:u{i}")
    _write(engine, f"INSERT INTO {PROBE} SELECT g, 'x' FROM generate_series(1, 2000) g")
    services.settings = replace(services.settings, process_batch=1)
    assert tasks.process_pending_job(services)["processed"] == 3
    assert _stats(engine)[2] is (not autovacuum_is_on(engine))
