"""Database engine and session factory, usable without any web framework (workers, CLI, tests)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from server.core.ground.cache import watch_changes
from server.core.ground.settings import Settings


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web process read while the worker writes; the busy timeout turns
    # short write contention into waiting instead of "database is locked" errors.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


# A pooled connection idle for longer than this is pinged before use; one in steady use is not.
PING_AFTER_IDLE_SECONDS = 2.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Pessimistic disconnect handling without a round trip per request: SQLAlchemy's pool_pre_ping
    pings on every checkout (a sixth round trip per submission, ~15 % of a web process's CPU); this
    pings only connections that sat idle, which is when a database restart can have cut them. A
    failed ping makes the pool drop the connection and connect again (DisconnectionError)."""
    idle_since = record.info.get("checked_in_at")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as exc:  # any failure: this connection is unusable
        raise DisconnectionError(str(exc)) from exc


# Tally slots (0017_slotclaim): each PostgreSQL connection takes the first free one of these under a
# session advisory lock, held until the connection closes, so two live connections never count
# under the same tally row and never wait for each other's commit there.
TALLY_SLOTS = 64
# Chumchon's advisory lock spaces (two-key locks: class, number), kept side by side so they never meet.
TALLY_LOCK_CLASS = 0x43484D43  # "CHMC": the tally slots, numbers 0 … TALLY_SLOTS - 1
UPKEEP_LOCK_CLASS = 0x43484D55  # "CHMU": server.core.ground.upkeep, one round at a time
_CLAIM_SLOT = (
    "SELECT set_config('chumchon.tally_slot', coalesce((SELECT s::text FROM generate_series(0, %s) s "
    "WHERE pg_try_advisory_lock(%s, s) LIMIT 1), ''), false)"
)


def claim_tally_slot(dbapi_connection: Any, _record: Any) -> None:
    """Claim a free tally slot for this connection (none free: the triggers fall back to one by pid)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(_CLAIM_SLOT, (TALLY_SLOTS - 1, TALLY_LOCK_CLASS))
    finally:
        cursor.close()
    dbapi_connection.commit()  # the setting is the session's once this transaction commits


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    # Connections idle a while are pinged on checkout (a database restart may have cut them); the connect
    # timeout makes an unreachable database fail fast (a 503 with Retry-After) instead of holding the request.
    connect_args = {"connect_timeout": 5} if database_url.startswith("postgresql") else {}
    engine = create_engine(database_url, pool_size=10, max_overflow=20, connect_args=connect_args)
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _ping_if_idle)
    if database_url.startswith("postgresql"):
        event.listen(engine, "connect", claim_tally_slot)
    return engine


class Database:
    """An engine plus its session factory; one per process, passed down explicitly."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        watch_changes(self.sessions)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
