"""Batch processing: claimed in batches under a lease, the same rows as one-by-one processing, never
two claimers on one version, a dead claimer's batch taken again once its lease has passed."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from server.core.ground.cache import LookupCache
from server.core.ground.services import Services
from server.core.models import FormVersion, Project, Record, RepeatRow, SubmissionVersion, utcnow
from server.core.submissions.batches import (
    claim_batch,
    convert,
    process_pending,
    steer_claim_plan,
    waiting_ids,
    write_batch,
)
from server.core.submissions.processing import process_submission_version
from tests.core.submissions.test_processing import derived
from tests.workers.factories import household_xml, make_form_version, make_submission


def store_many(services: Services, project: Project, n: int, prefix: str = "uuid:b") -> list[int]:
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        ids = []
        for i in range(n):
            members = [
                {"name": f"สมาชิก {i}-{m}", "cid": "1101700203451", "age": str(20 + m)} for m in range(i % 3)
            ]
            iid = f"{prefix}{i:04d}"
            ids.append(
                make_submission(session, services.blobs, fv, household_xml(iid, members=members), iid).id
            )
        return ids


def states(services: Services) -> dict[str, int]:
    with services.db.session() as session:
        rows = session.execute(
            select(SubmissionVersion.processing_state, func.count()).group_by(
                SubmissionVersion.processing_state
            )
        )
        return {state: int(n) for state, n in rows}


def test_batches_give_exactly_the_rows_of_one_by_one_processing(services: Services, project: Project) -> None:
    ids = store_many(services, project, 25)
    counts = process_pending(services.db.sessions, LookupCache(), services.blobs, batch_size=7)
    assert counts == {"processed": 25, "failed": 0, "lost": 0}
    with services.db.session() as session:
        batched = {vid: derived(session, vid) for vid in ids}
    for vid in ids:  # the same versions again, one at a time (as `chumchon reprocess` does)
        with services.db.session() as session:
            assert process_submission_version(session, services.blobs, vid) == "processed"
    with services.db.session() as session:
        assert {vid: derived(session, vid) for vid in ids} == batched
        assert session.scalar(select(func.count()).select_from(Record)) == 25
        assert any(d["repeats"] for d in batched.values())
    assert states(services) == {"processed": 25}


def test_concurrent_claimers_never_hold_the_same_version(services: Services, project: Project) -> None:
    ids = store_many(services, project, 120)
    claimed: list[list[int]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def claimer() -> None:
        barrier.wait()
        while True:
            with services.db.sessions() as session:
                claim = claim_batch(session, limit=9)
                session.commit()
            if not claim.versions:
                return
            with lock:
                claimed.append([v.id for v in claim.versions])
            with services.db.sessions() as session:
                converted = [convert(session, LookupCache(), services.blobs, v) for v in claim.versions]
                session.rollback()
                write_batch(session, claim, converted)
                session.commit()

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [vid for batch in claimed for vid in batch]
    assert sorted(flat) == sorted(ids)  # every version claimed exactly once
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Record)) == 120
        assert session.scalar(select(func.count(func.distinct(Record.submission_version_id)))) == 120
        attempts = set(session.scalars(select(SubmissionVersion.processing_attempts)))
    assert attempts == {1}
    assert states(services) == {"processed": 120}


def test_a_dead_claimers_batch_is_claimed_again_after_its_lease(services: Services, project: Project) -> None:
    ids = store_many(services, project, 5)
    with services.db.sessions() as session:
        dead = claim_batch(session, lease_seconds=10)  # a worker that claims, then is killed
        session.commit()
    assert sorted(v.id for v in dead.versions) == ids
    with services.db.sessions() as session:
        assert claim_batch(session).versions == []  # leased: nobody else takes them meanwhile
        session.rollback()
    later = utcnow() + timedelta(seconds=11)
    with services.db.sessions() as session:
        again = claim_batch(session, now=later)
        session.commit()
    assert sorted(v.id for v in again.versions) == ids
    # The dead claimer wakes up after all and writes: its claim is gone, so nothing of it is kept.
    with services.db.sessions() as session:
        stale = [convert(session, LookupCache(), services.blobs, v) for v in dead.versions]
        session.rollback()
        assert write_batch(session, dead, stale) == {"processed": 0, "failed": 0, "lost": 5}
        session.commit()
    assert states(services) == {"received": 5}
    with services.db.sessions() as session:
        fresh = [convert(session, LookupCache(), services.blobs, v) for v in again.versions]
        session.rollback()
        assert write_batch(session, again, fresh)["processed"] == 5
        session.commit()
    assert states(services) == {"processed": 5}
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(RepeatRow)) == sum(
            len(derived(session, vid)["repeats"]) for vid in ids
        )


def test_a_version_that_does_not_fit_fails_alone_and_is_retried_later(
    services: Services, project: Project
) -> None:
    ids = store_many(services, project, 3)
    with services.db.session() as session:
        fv = session.scalars(select(FormVersion)).one()
        bad = make_submission(
            session,
            services.blobs,
            fv,
            b'<other id="household_survey"><meta><instanceID>uuid:x</instanceID></meta></other>',
            "uuid:x",
        ).id
    counts = process_pending(services.db.sessions, LookupCache(), services.blobs)
    assert counts == {"processed": 3, "failed": 1, "lost": 0}
    with services.db.session() as session:
        version = session.get(SubmissionVersion, bad)
        assert version is not None and "does not match" in (version.processing_error or "")
        assert all(derived(session, vid)["values"] for vid in ids)
        assert claim_batch(session).versions == []  # not retried at once
        retry = claim_batch(session, now=utcnow() + timedelta(minutes=5))
        assert [v.id for v in retry.versions] == [bad]


def test_the_claim_walks_only_the_waiting_versions(services: Services, project: Project) -> None:
    """With a long processed history before the waiting versions, the claim reads the waiting index
    (0016_waiting) instead of the whole table in id order: the soak's worker fell behind without it."""
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        first = make_submission(session, services.blobs, fv, household_xml("uuid:history"), "uuid:history").id
    assert process_pending(services.db.sessions, LookupCache(), services.blobs)["processed"] == 1
    with services.db.session() as session:
        session.execute(
            text(
                "INSERT INTO submission_version (submission_id, form_id, form_version_id, instance_id, "
                '"current", xml_sha256, xml_size, received_at, processing_state, processing_attempts) '
                "SELECT v.submission_id, v.form_id, v.form_version_id, 'uuid:old-' || g.n, false, v.xml_sha256, "
                "v.xml_size, v.received_at, 'processed', 1 FROM submission_version v CROSS JOIN ("
                "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 20000) SELECT n FROM c"
                ") g WHERE v.id = :first"
            ),
            {"first": first},
        )
        session.commit()
    with services.db.session() as session:
        again = session.get(FormVersion, fv.id)
        assert again is not None
        fv = again
        waiting = [
            make_submission(session, services.blobs, fv, household_xml(f"uuid:new{i}"), f"uuid:new{i}").id
            for i in range(5)
        ]
    with services.db.session() as session:
        # No ANALYZE: the statistics are as stale as a busy server's between two autovacuum runs.
        query = waiting_ids(utcnow(), 200)
        if session.get_bind().dialect.name == "postgresql":
            steer_claim_plan(session)
            plan = "\n".join(session.scalars(text(f"EXPLAIN {_literal(session, query)}")))
            assert "Bitmap" not in plan and "ix_submission_version_waiting" in plan, plan
        else:  # SQLite removes index entries at once: either state index is a search, not a scan
            plan = "\n".join(
                str(r[-1]) for r in session.execute(text(f"EXPLAIN QUERY PLAN {_literal(session, query)}"))
            )
            assert "USING INDEX ix_submission_version_" in plan and "SCAN waiting" not in plan, plan
        claim = claim_batch(session, limit=200)
        session.commit()
    assert [v.id for v in claim.versions] == waiting


def _literal(session: Session, query: Select[int]) -> str:
    return str(query.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))
