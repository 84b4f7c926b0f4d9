"""Table statistics and dead rows looked after by Chumchon itself where PostgreSQL's autovacuum is off.

Autovacuum re-analyzes a table after 50 rows + 10 % of it changed and vacuums it after 50 + 20 %
are dead. Without it (a server configured so, as on the machines the benchmarks run on), nothing
ever does: plans made while the tables were empty stay (the foreign-key checks of intake read
`submission` by a sequential scan, measured ≈ 3 times per submission in a 40-second run) and the
waiting index keeps every dead entry. `look_after_tables` does nothing while autovacuum is on, and
otherwise applies autovacuum's own thresholds (the server's settings, or a table's own storage
parameters where it has them) to the tables of this database.

The worker runs it in a thread of its main process (`start_upkeep`), as autovacuum runs beside the
backends: as a task it waited in the queue behind a long drain, exactly while the tables grew, and
between batches it held the drain up (a VACUUM of submission_version took a tenth of the worker's
time in a 32-client run)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from server.core.ground.db import UPKEEP_LOCK_CLASS

log = logging.getLogger(__name__)

UPKEEP_SECONDS = 5.0  # how often the worker's upkeep thread looks (one cheap query when nothing is due)

UPKEEP_LOCK = {"a": UPKEEP_LOCK_CLASS, "b": 0}  # one look-after at a time across processes


def _threshold(kind: str) -> str:
    """Autovacuum's trigger for `kind` ('analyze' or 'vacuum') of the table c, as SQL."""

    def option(name: str, cast: str) -> str:
        return (
            f"coalesce((SELECT option_value::{cast} FROM pg_options_to_table(c.reloptions) "
            f"WHERE option_name = 'autovacuum_{kind}_{name}'), "
            f"current_setting('autovacuum_{kind}_{name}')::{cast})"
        )

    return f"{option('threshold', 'float')} + {option('scale_factor', 'float')} * greatest(c.reltuples, 0)"


_DUE = text(
    "SELECT relname, analyze_due, vacuum_due FROM ("
    "SELECT s.relname, s.n_mod_since_analyze > " + _threshold("analyze") + " AS analyze_due, "
    "s.n_dead_tup > " + _threshold("vacuum") + " AS vacuum_due "
    "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = current_schema()"
    ") t WHERE analyze_due OR vacuum_due ORDER BY relname"
)


@dataclass(frozen=True)
class Upkeep:
    analyzed: tuple[str, ...] = ()
    vacuumed: tuple[str, ...] = ()


def _autovacuum_on(conn: Connection) -> bool:
    return str(conn.execute(text("SELECT current_setting('autovacuum')")).scalar_one()) == "on"


def autovacuum_is_on(engine: Engine) -> bool:
    with engine.connect() as conn:
        return _autovacuum_on(conn)


def look_after_tables(engine: Engine, *, autovacuum_on: bool | None = None) -> Upkeep:
    """Analyze (and vacuum, where dead rows passed the threshold) the tables autovacuum would, when
    autovacuum is off; nothing on SQLite or where autovacuum runs. One connection a round."""
    if engine.dialect.name != "postgresql":
        return Upkeep()
    analyzed: list[str] = []
    vacuumed: list[str] = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if autovacuum_on if autovacuum_on is not None else _autovacuum_on(conn):
            return Upkeep()
        if not conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"), UPKEEP_LOCK).scalar():
            return Upkeep()  # another process is at it
        try:
            for name, analyze_due, vacuum_due in conn.execute(_DUE).all():
                quoted = conn.dialect.identifier_preparer.quote(name)
                # SKIP_LOCKED: a table someone else is vacuuming or altering waits for the next round
                if vacuum_due:
                    conn.execute(text(f"VACUUM (ANALYZE, SKIP_LOCKED) {quoted}"))
                    vacuumed.append(name)
                elif analyze_due:
                    conn.execute(text(f"ANALYZE (SKIP_LOCKED) {quoted}"))
                analyzed.append(name)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), UPKEEP_LOCK)
    if analyzed:
        log.info("autovacuum is off: analyzed %s; vacuumed %s", ", ".join(analyzed), ", ".join(vacuumed) or "none")
    return Upkeep(tuple(analyzed), tuple(vacuumed))


def start_upkeep(database_url: str, interval: float = UPKEEP_SECONDS) -> threading.Event:
    """Look after the tables every `interval` seconds in a daemon thread until the returned event is
    set; nothing at all on SQLite. Failures are logged and tried again next time. The thread's engine
    keeps no connection open between rounds: a pool process forked meanwhile inherits none."""
    stop = threading.Event()
    if not database_url.startswith("postgresql"):
        return stop
    engine = create_engine(database_url, poolclass=NullPool, connect_args={"connect_timeout": 5})

    def run() -> None:
        while not stop.wait(interval):
            try:
                look_after_tables(engine)
            except Exception:  # the database is away: statistics can wait
                log.warning("could not analyze or vacuum the tables", exc_info=True)

    threading.Thread(target=run, name="chumchon-upkeep", daemon=True).start()
    return stop
