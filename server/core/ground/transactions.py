"""What a database error means, and re-running a transaction that lost a race.

Three kinds of OperationalError are told apart by their SQLSTATE (PostgreSQL) or message (SQLite):
- contention — a deadlock (40P01), a serialization failure (40001) or a lock timeout (55P03), SQLite's
  "database is locked": nothing is wrong, the transaction just has to run again;
- outage — the database cannot be reached or is restarting (no SQLSTATE because no answer came,
  class 08 connection exceptions, 57P01–57P03 shutdowns, class 53 insufficient resources, a connection
  the pool found cut): the client should come back in a few seconds;
- anything else (a bad statement, a missing table, a query cancelled) is a defect, not an outage."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
T = TypeVar("T")

CONTENTION_STATES = frozenset({"40001", "40P01", "55P03"})
OUTAGE_STATES = frozenset({"57P01", "57P02", "57P03"})
OUTAGE_CLASSES = ("08", "53")
SQLITE_OUTAGE = ("unable to open", "disk i/o error", "database or disk is full", "readonly database")
# Attempts for a transaction that lost a race (the first run included); then it is answered 503.
CONTENTION_ATTEMPTS = 4


def sqlstate(err: BaseException) -> str | None:
    orig = getattr(err, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return str(state) if state else None


def _sqlite(err: BaseException) -> bool:
    return type(getattr(err, "orig", None)).__module__ == "sqlite3"


def is_contention(err: BaseException) -> bool:
    if not isinstance(err, DBAPIError):
        return False
    if _sqlite(err):
        return isinstance(err, OperationalError) and "locked" in str(err.orig).lower()
    return sqlstate(err) in CONTENTION_STATES


def is_outage(err: BaseException) -> bool:
    """Could not talk to the database at all, as opposed to a statement it refused."""
    if isinstance(err, InterfaceError | DisconnectionError):
        return True
    if not isinstance(err, DBAPIError):
        return False
    if err.connection_invalidated:
        return True
    if not isinstance(err, OperationalError):
        return False
    if _sqlite(err):
        return any(text in str(err.orig).lower() for text in SQLITE_OUTAGE)
    state = sqlstate(err)
    return state is None or state in OUTAGE_STATES or state.startswith(OUTAGE_CLASSES)


def run_retrying(session: Session, work: Callable[[], T], *, attempts: int = CONTENTION_ATTEMPTS) -> T:
    """Run `work` and commit. If it loses a race (deadlock, serialization failure, lock timeout),
    roll back and run the whole transaction again from the start, at most `attempts` times in all,
    with a short random pause between; then the last error goes up. Nothing of a failed attempt is
    committed, so a re-run never duplicates anything; `work` must start from scratch each time."""
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            session.commit()
            return result
        except DBAPIError as err:
            session.rollback()
            if attempt == attempts or not is_contention(err):
                raise
            log.info("transaction lost a race (%s), running it again (%d/%d)", sqlstate(err), attempt, attempts)
            time.sleep(random.uniform(0.005, 0.03) * attempt)
    raise AssertionError("unreachable")
