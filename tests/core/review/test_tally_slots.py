"""Two writers of the same tally key on different PostgreSQL connections do not wait for each other
(0015_tallyslots): before, every submission of one surveyor on one day moved the same tally row, and
each transaction held its lock until commit, so 32 phones of one app user queued one behind another.
Each connection claims a slot of its own when it opens (0017_slotclaim): slots by pid modulo 32
collided (17 connections on 11 slots in a 32-client run). The counts stay exact: a key's slots sum
to its submissions."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Connection, Engine

from server.core.ground.db import TALLY_SLOTS, make_engine
from server.core.ground.services import Services
from server.core.models import Submission, SubmissionTally
from server.core.review import dashboard
from tests.core.review.conftest import World
from tests.core.review.support import household_xml, submit

PG_URL = os.environ.get("CHUMCHON_TEST_DATABASE_URL", "").strip()
pytestmark = pytest.mark.skipif(not PG_URL, reason="concurrent writers and row locks need PostgreSQL")


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = make_engine(PG_URL)
    yield engine
    engine.dispose()


def _slot(conn: Connection) -> str:
    return str(conn.execute(text("SELECT current_setting('chumchon.tally_slot', true)")).scalar_one())


def test_every_open_connection_has_a_slot_of_its_own_until_it_closes() -> None:
    # three engines (processes, say) of 24 connections each: more connections than slots
    engines = [make_engine(PG_URL) for _ in range(3)]
    try:
        conns = [e.connect() for e in engines for _ in range(24)]
        try:
            slots = [_slot(c) for c in conns]
            claimed = [s for s in slots if s]
            assert len(claimed) >= TALLY_SLOTS - 4  # other tests' open connections may hold a few
            assert len(set(claimed)) == len(claimed)  # never two live connections on one slot
            assert all(0 <= int(s) < TALLY_SLOTS for s in claimed)
            assert "" in slots  # past the last free slot a connection opens anyway, without one
        finally:
            for conn in conns:
                conn.close()
        for e in engines:
            e.dispose()  # closed for real, not only back in the pool: their slots are free again
        again = [e.connect() for e in engines for _ in range(20)]
        try:
            assert all(_slot(c) for c in again)
        finally:
            for conn in again:
                conn.close()
    finally:
        for e in engines:
            e.dispose()


def test_a_connection_without_a_claimed_slot_counts_apart_from_the_claimed_ones(
    services: Services, world: World, engine: Engine
) -> None:
    sid = submit(services, world.project.id, world.collector, household_xml("uuid:unclaimed"))
    with create_engine(PG_URL).connect() as bare:  # no claim: as psql or another program connects
        assert _slot(bare) in ("", "None")
        pid = int(bare.execute(text("SELECT pg_backend_pid()")).scalar_one())
        bare.execute(text("UPDATE submission SET review_state = 'approved' WHERE id = :id"), {"id": sid})
        bare.commit()
    with services.db.session() as session:
        slots = session.scalars(
            select(SubmissionTally.slot).where(SubmissionTally.review_state == "approved")
        ).all()
        assert slots == [TALLY_SLOTS + pid % TALLY_SLOTS]
        assert session.scalar(select(func.sum(SubmissionTally.n))) == 1


def test_two_connections_move_the_same_key_at_once_and_the_sums_stay_exact(
    services: Services, world: World, engine: Engine
) -> None:
    first = submit(services, world.project.id, world.collector, household_xml("uuid:slot-1"))
    second = submit(services, world.project.id, world.collector, household_xml("uuid:slot-2"))
    one = engine.connect()
    two = engine.connect()
    spares = [two]
    assert _slot(one) != _slot(two)
    try:
        one.execute(text("UPDATE submission SET review_state = 'approved' WHERE id = :id"), {"id": first})
        # `one` has not committed; before the slots `two` waited here for its tally row's lock
        two.execute(text("SET lock_timeout = '2s'"))
        two.execute(text("UPDATE submission SET review_state = 'approved' WHERE id = :id"), {"id": second})
        two.commit()
        one.commit()
    finally:
        for conn in [one, *spares]:
            conn.close()
    with services.db.session() as session:
        slots = session.scalars(
            select(SubmissionTally.slot).where(
                SubmissionTally.review_state == "approved", SubmissionTally.n != 0
            )
        ).all()
        assert len(set(slots)) == 2  # each writer counted under its own slot
        approved = session.scalar(
            select(func.sum(SubmissionTally.n)).where(SubmissionTally.review_state == "approved")
        )
        assert approved == 2
        people = dashboard.per_surveyor(session, session.merge(world.manager), session.merge(world.form))
        assert [(p.count, p.approved) for p in people] == [(2, 2)]
        live = session.scalar(
            select(func.count()).select_from(Submission).where(Submission.deleted_at.is_(None))
        )
        assert session.scalar(select(func.sum(SubmissionTally.n))) == live
