"""Two writers of the same tally key on different PostgreSQL connections do not wait for each other
(0015_tallyslots): before, every submission of one surveyor on one day moved the same tally row, and
each transaction held its lock until commit, so 32 phones of one app user queued one behind another.
The counts stay exact: a key's slots sum to its submissions."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine

from server.core.ground.db import make_engine
from server.core.ground.services import Services
from server.core.models import Submission, SubmissionTally
from server.core.review import dashboard
from tests.core.review.conftest import World
from tests.core.review.support import household_xml, submit

PG_URL = os.environ.get("CHUMCHON_TEST_DATABASE_URL", "").strip()
pytestmark = pytest.mark.skipif(not PG_URL, reason="concurrent writers and row locks need PostgreSQL")
SLOTS = 32


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = make_engine(PG_URL)
    yield engine
    engine.dispose()


def _slot(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one()) % SLOTS


def test_two_connections_move_the_same_key_at_once_and_the_sums_stay_exact(
    services: Services, world: World, engine: Engine
) -> None:
    first = submit(services, world.project.id, world.collector, household_xml("uuid:slot-1"))
    second = submit(services, world.project.id, world.collector, household_xml("uuid:slot-2"))
    one = engine.connect()
    # another connection on a different slot (pids modulo SLOTS can collide: open more until not)
    spares = [engine.connect()]
    while _slot(spares[-1]) == _slot(one) and len(spares) < 20:
        spares.append(engine.connect())
    two = spares[-1]
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
