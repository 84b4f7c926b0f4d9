"""Where PostgreSQL's autovacuum is off, the worker analyzes and vacuums Chumchon's tables itself, at
autovacuum's own thresholds: without it, plans made on empty tables stayed (intake's foreign-key
checks read `submission` by sequential scan, ≈ 3 times per submission) and dead rows piled up."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from server.core.ground.db import make_engine
from server.core.ground.settings import Settings
from server.core.ground.upkeep import autovacuum_is_on, look_after_tables, start_upkeep

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


def test_the_worker_looks_after_the_tables_in_a_thread_of_its_own(settings: Settings, engine: Engine) -> None:
    # a task waited in the queue behind a long drain, exactly while the tables grew; between batches
    # it held the drain up. The thread does its work where autovacuum is off, and nothing where it runs.
    _write(engine, f"INSERT INTO {PROBE} SELECT g, 'x' FROM generate_series(1, 2000) g")
    stop = start_upkeep(settings.database_url, interval=0.05)
    try:
        if autovacuum_is_on(engine):
            time.sleep(0.5)  # several rounds
            assert _stats(engine)[2] is False
        else:
            deadline = time.monotonic() + 30
            while not _stats(engine)[2] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _stats(engine) == (2000.0, 0, True)
    finally:
        stop.set()
