"""Per-process cache of rows every request reads and that rarely change (collectors, forms, versions),
kept correct across many web processes by one database counter, the cache epoch.

Any flush that touches a watched model raises the epoch in the same transaction, so the change and the
new epoch become visible together. Each transaction that uses the cache reads the epoch once (one
indexed single-row SELECT) and drops everything cached under an older value: a closed form or a
deactivated collector is refused by every process from its next request on.

Submission intake on PostgreSQL defers that SELECT: its insert statement reads the epoch too, and
`confirm` compares it with the epoch the cached values were used under before anything commits; on a
difference the request is refused with StaleLookups and its caller runs it again with fresh lookups.
One round trip less on the busiest path, with the same guarantee."""

from __future__ import annotations

import threading
from collections.abc import Callable
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from server.core.models import (
    CACHE_EPOCH_ID,
    CacheEpoch,
    FieldKey,
    Form,
    FormAssignment,
    FormVersion,
    Project,
    RoleGrant,
    User,
    Webhook,
)

T = TypeVar("T")

# What the cached lookups are made of; a change to any of these rows invalidates every process's cache.
WATCHED: tuple[type[Any], ...] = (User, RoleGrant, Project, Form, FormVersion, FieldKey, FormAssignment, Webhook)
MAX_ENTRIES = 20_000  # a bound, not a tuning knob: the cache is cleared when it is reached
_CHECKED = "chumchon.cache_checked"
_BUMPED = "chumchon.cache_bumped"
_DEFER = "chumchon.cache_defer"
_DEFERRED_EPOCH = "chumchon.cache_deferred_epoch"


class StaleLookups(Exception):
    """Cached lookups used under a deferred check turned out older than the database's epoch."""


class LookupCache:
    """Values are immutable plain data (frozen dataclasses, tuples), never ORM objects: they are shared
    by every thread and session of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._epoch: int | None = None
        self._values: dict[tuple[Any, ...], Any] = {}

    def _check(self, session: Session) -> None:
        transaction = session.get_transaction()
        if transaction is not None and session.info.get(_CHECKED) is transaction:
            return
        if session.info.get(_DEFER) and self._epoch is not None:
            # Checked later by confirm(), before the session commits; the oldest epoch used counts.
            session.info.setdefault(_DEFERRED_EPOCH, self._epoch)
            session.info[_CHECKED] = session.get_transaction()
            return
        epoch = self._read_epoch(session)
        with self._lock:
            if epoch != self._epoch:
                self._values.clear()
                self._epoch = epoch
        session.info[_CHECKED] = session.get_transaction()

    @staticmethod
    def _read_epoch(session: Session) -> int:
        return int(session.scalar(select(CacheEpoch.value).where(CacheEpoch.id == CACHE_EPOCH_ID)) or 0)

    def defer(self, session: Session) -> None:
        """Let this session use cached values without reading the epoch first. Its user must call
        confirm() before committing (the cheapest: with the epoch its own statement read)."""
        session.info[_DEFER] = True

    def confirm(self, session: Session, epoch: int | None = None) -> None:
        """End a deferred check: raise StaleLookups (after dropping the cache) if values were used under
        an epoch older than `epoch`, or than the database's when it is not given. No-op otherwise."""
        session.info.pop(_DEFER, None)
        used = session.info.pop(_DEFERRED_EPOCH, None)
        if used is None:
            return
        current = self._read_epoch(session) if epoch is None else epoch
        if current != used:
            self.clear()
            session.info.pop(_CHECKED, None)
            raise StaleLookups(f"lookups read under epoch {used}, the database is at {current}")
        # Checked for the rest of this transaction (the deferral may have begun before it had one).
        session.info[_CHECKED] = session.get_transaction()

    def get(self, session: Session, key: tuple[Any, ...], load: Callable[[Session], T | None]) -> T | None:
        """The cached value for key, or load(session) (cached unless it is None)."""
        self._check(session)
        try:
            value: T = self._values[key]
            return value
        except KeyError:
            pass
        epoch = self._epoch
        loaded = load(session)
        if loaded is not None:
            with self._lock:
                if epoch == self._epoch:  # not invalidated meanwhile by another thread
                    if len(self._values) >= MAX_ENTRIES:
                        self._values.clear()
                    self._values[key] = loaded
        return loaded

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._epoch = None


def _bump_epoch_on_change(session: Session, _flush_context: Any) -> None:
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_BUMPED) is transaction:
        return
    if any(isinstance(obj, WATCHED) for obj in chain(session.new, session.dirty, session.deleted)):
        conn = session.connection()
        bumped = conn.execute(
            update(CacheEpoch).where(CacheEpoch.id == CACHE_EPOCH_ID).values(value=CacheEpoch.value + 1)
        )
        if bumped.rowcount == 0:  # the row was lost (a truncated or hand-restored table): start it again
            conn.execute(insert(CacheEpoch).values(id=CACHE_EPOCH_ID, value=1))
        session.info[_BUMPED] = transaction


def watch_changes(sessions: sessionmaker[Session]) -> None:
    """Make every session of this factory raise the cache epoch when it changes a watched row."""
    event.listen(sessions, "after_flush", _bump_epoch_on_change)
