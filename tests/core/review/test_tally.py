"""The dashboard's counts come from submission_tally (kept by triggers); after every kind of change
they must equal a count of the submissions themselves, for every user's area and for filters."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from server.core.ground.services import Services
from server.core.models import FlagTally, Form, QualityFlag, Submission, SubmissionTally, User
from server.core.review import dashboard, listing, states
from server.core.review.listing import SubmissionFilter
from server.core.submissions.processing import reprocess_all
from tests.core.review.conftest import World
from tests.core.review.support import CHATURAT, DUSIT, PHRA_NAKHON, T0, household_xml, submit
from tests.core.review.test_dashboard import PLAN, _seed

FILTERS = [
    SubmissionFilter(),
    SubmissionFilter(district_code=PHRA_NAKHON.district),
    SubmissionFilter(review_states=("received", "hasIssues")),
    SubmissionFilter(since=datetime(2026, 11, 2, tzinfo=UTC) - timedelta(hours=7)),  # a Thai midnight
    SubmissionFilter(until=T0 + timedelta(hours=1, minutes=30)),  # not a midnight: counted directly
    SubmissionFilter(province_code=CHATURAT.province, review_states=("approved",)),
]


def _direct(session: Session, user: User, form: Form, filters: SubmissionFilter) -> dict[str, object]:
    """The same figures from the matching submissions, one by one, in Python."""
    rows = session.execute(
        select(
            Submission.created_at,
            Submission.submitter_id,
            Submission.village_code,
            Submission.review_state,
            Submission.subdistrict_code,
        ).where(*listing.visible_conditions(session, user, form, filters))
    ).all()
    flagged = session.execute(
        select(QualityFlag.code, Submission.id)
        .join(Submission, Submission.current_version_id == QualityFlag.submission_version_id)
        .where(*listing.visible_conditions(session, user, form, filters))
    ).all()
    kinds: dict[str, set[int]] = {}
    for code, sid in flagged:
        kinds.setdefault(code, set()).add(sid)
    per_surveyor: dict[int | None, Counter[str]] = {}
    for _at, who, _village, state, _sub in rows:
        per_surveyor.setdefault(who, Counter())[state or "received"] += 1
    return {
        "total": len(rows),
        "days": Counter((at + timedelta(hours=7)).date() for at, *_ in rows),
        "villages": Counter((v, sub) for _a, _w, v, _s, sub in rows),
        "surveyors": {
            who: (sum(c.values()), c["approved"], c["hasIssues"], c["needsCorrection"])
            for who, c in per_surveyor.items()
        },
        "flags": sorted(((code, len(ids)) for code, ids in kinds.items()), key=lambda f: (-f[1], f[0])),
    }


def _shown(session: Session, user: User, form: Form, filters: SubmissionFilter) -> dict[str, object]:
    return {
        "total": listing.count_submissions(session, user, form, filters),
        "days": Counter(
            {d.day: d.count for d in dashboard.submissions_per_day(session, user, form, filters)}
        ),
        "villages": Counter(
            {
                (v.village_code, v.subdistrict_code): v.count
                for v in dashboard.per_village(session, user, form, filters)
            }
        ),
        "surveyors": {
            s.submitter_id: (s.count, s.approved, s.has_issues, s.needs_correction)
            for s in dashboard.per_surveyor(session, user, form, filters)
        },
        "flags": [(f.code, f.count) for f in dashboard.flags_by_kind(session, user, form, filters)],
    }


def _check(services: Services, world: World) -> None:
    with services.db.session() as session:
        form = session.get(Form, world.form.id)
        assert form is not None
        users = [world.manager, world.district_supervisor, world.district_viewer, world.supervisor]
        for who in users:
            user = session.get(User, who.id)
            assert user is not None
            for filters in FILTERS:
                assert _shown(session, user, form, filters) == _direct(session, user, form, filters), (
                    who.username,
                    filters,
                )
        # No key counts below zero (summed over the writers' slots), and the sum is the live submissions.
        for model in (SubmissionTally, FlagTally):
            key = [c for c in model.__table__.primary_key.columns if c.name != "slot"]
            per_key = select(func.sum(model.n).label("n")).group_by(*key).subquery()
            assert (session.scalar(select(func.min(per_key.c.n))) or 0) >= 0, model.__tablename__
        live = session.scalar(
            select(func.count()).select_from(Submission).where(Submission.deleted_at.is_(None))
        )
        assert session.scalar(select(func.sum(SubmissionTally.n))) == live
        pairs = (
            select(Submission.id, QualityFlag.code)
            .distinct()
            .select_from(QualityFlag)
            .join(Submission, Submission.current_version_id == QualityFlag.submission_version_id)
            .where(Submission.deleted_at.is_(None))
        )
        flagged = session.scalar(select(func.count()).select_from(pairs.subquery()))
        assert (session.scalar(select(func.sum(FlagTally.n))) or 0) == flagged


def test_tallied_counts_equal_a_direct_count_through_every_change(services: Services, world: World) -> None:
    _seed(services, world)
    _check(services, world)

    # Review changes, one by one and in bulk.
    with services.db.session() as session:
        form, sup = session.get(Form, world.form.id), session.get(User, world.supervisor.id)
        assert form is not None
        states.set_review_state(session, sup, form, "uuid:a", "needsCorrection", "แก้ไขด้วย")
        states.set_review_state(session, sup, form, "uuid:c", "rejected", "ซ้ำ")
        session.commit()
    _check(services, world)

    # A correction from the field moves a household to another village (a new current version).
    xml = household_xml("uuid:a2", place=DUSIT, deprecated_id="uuid:a")
    submit(services, world.project.id, world.collector, xml)
    _check(services, world)

    # A new household in another area, then everything reprocessed from the stored XML.
    submit(services, world.project.id, world.collector, household_xml("uuid:g", place=CHATURAT))
    with services.db.session() as session:
        session.execute(
            update(Submission).values(village_code=None, district_code=None)
        )  # stale derived codes
        session.commit()
    _check(services, world)
    reprocess_all(services.db.sessions, services.blobs, form_id=world.form.id)
    _check(services, world)

    # Deletion (soft, then undone).
    with services.db.session() as session:
        session.execute(update(Submission).where(Submission.instance_id == "uuid:b").values(deleted_at=T0))
        session.commit()
    _check(services, world)
    with services.db.session() as session:
        session.execute(update(Submission).where(Submission.instance_id == "uuid:b").values(deleted_at=None))
        session.execute(update(Submission).where(Submission.instance_id == "uuid:e").values(deleted_at=T0))
        session.commit()
    _check(services, world)


def test_flag_counts_follow_flags_appearing_and_going(services: Services, world: World) -> None:
    """flags by kind (read from flag_tally) against a direct count when a version carries the same
    kind twice, when an edit from the field removes or brings a flag, when flags are reprocessed or
    deleted, and when a flagged submission is deleted and restored."""
    _seed(services, world)
    _check(services, world)
    twice = (("สมชาย", "1101700207031"), ("สมหญิง", "1101700207032"))  # two bad citizen IDs, one kind
    submit(services, world.project.id, world.collector, household_xml("uuid:t", place=DUSIT, members=twice))
    _check(services, world)
    # "b" (flagged) corrected with good IDs; "a" (clean) edited to carry a bad one.
    submit(services, world.project.id, world.collector, household_xml("uuid:b2", deprecated_id="uuid:b"))
    bad = (("สมชาย", "1101700207031"),)
    submit(
        services, world.project.id, world.collector,
        household_xml("uuid:a2", place=CHATURAT, members=bad, deprecated_id="uuid:a"),
    )  # fmt: skip
    _check(services, world)
    with services.db.session() as session:
        manager, form = session.get(User, world.manager.id), session.get(Form, world.form.id)
        assert form is not None
        assert dashboard.flags_by_kind(session, manager, form) == [
            dashboard.FlagCount("thai_citizen_id_invalid", 3)  # a2, d, t (t once for its two flags)
        ]
    reprocess_all(services.db.sessions, services.blobs, form_id=world.form.id)
    _check(services, world)
    with services.db.session() as session:  # one of t's two flags goes, then the other
        first = session.scalar(
            select(func.min(QualityFlag.id))
            .join(Submission, Submission.current_version_id == QualityFlag.submission_version_id)
            .where(Submission.instance_id == "uuid:t")
        )
        session.execute(delete(QualityFlag).where(QualityFlag.id == first))
        session.commit()
    _check(services, world)
    with services.db.session() as session:
        t = session.scalar(select(Submission).where(Submission.instance_id == "uuid:t"))
        assert t is not None
        session.execute(delete(QualityFlag).where(QualityFlag.submission_version_id == t.current_version_id))
        session.commit()
    _check(services, world)
    with services.db.session() as session:
        session.execute(update(Submission).where(Submission.instance_id == "uuid:d").values(deleted_at=T0))
        session.commit()
    _check(services, world)
    with services.db.session() as session:
        form, sup = session.get(Form, world.form.id), session.get(User, world.supervisor.id)
        assert form is not None
        session.execute(update(Submission).where(Submission.instance_id == "uuid:d").values(deleted_at=None))
        states.set_review_state(session, sup, form, "uuid:a", "rejected", "ซ้ำ")  # a2 is a's version
        session.commit()
    _check(services, world)
    reprocess_all(services.db.sessions, services.blobs, form_id=world.form.id)  # t's flags back
    _check(services, world)


def test_form_summaries_follow_the_tally(services: Services, world: World) -> None:
    _seed(services, world)
    with services.db.session() as session:
        session.execute(update(Submission).where(Submission.instance_id == "uuid:e").values(deleted_at=T0))
        session.commit()
        mine = dashboard.form_summaries(session, session.get(User, world.manager.id), world.project.id)
        area = dashboard.form_summaries(
            session, session.get(User, world.district_supervisor.id), world.project.id
        )
    assert mine[0].total == 5
    assert mine[0].last_submission_at == T0 + timedelta(hours=50)  # "f", the newest one left
    assert area[0].total == 2
    assert area[0].last_submission_at == T0 + timedelta(hours=1)


def test_the_sampled_grid_and_medians_stand_for_every_submission(
    services: Services, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past SAMPLE_ABOVE matching submissions (PostgreSQL) the grid and the medians read a page
    sample; here the sample is the one page, so its figures are the exact ones, scaled by 1."""
    _seed(services, world)
    with services.db.session() as session:
        form, user = session.get(Form, world.form.id), session.get(User, world.manager.id)
        assert form is not None
        exact_cells = dashboard.map_grid(session, user, form, cell_degrees=1.0)
        exact_people = dashboard.per_surveyor(session, user, form)
        monkeypatch.setattr(dashboard, "SAMPLE_ABOVE", len(PLAN) - 1)
        cells = dashboard.map_grid(session, user, form, cell_degrees=1.0)
        people = dashboard.per_surveyor(session, user, form)
    if session.get_bind().dialect.name != "postgresql":
        assert (cells, people) == (exact_cells, exact_people)  # SQLite never samples
        return
    # PostgreSQL draws the table's one page with probability 5/6 (fixed seed): all of it, or nothing.
    assert cells in (exact_cells, [])
    assert [p.count for p in people] == [p.count for p in exact_people]  # counts stay exact (tally)
    if cells:
        assert people == exact_people
