"""Review states: the comment rule, single and bulk changes, edits, who may review, the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.core.ground.errors import Forbidden, NotFound
from server.core.ground.services import Services
from server.core.models import AuditEvent, Comment, Form, Submission, User
from server.core.review import comments, history, states
from server.core.review.listing import SubmissionFilter
from server.core.review.masking import MASK
from tests.core.review.conftest import World
from tests.core.review.support import DUSIT, PHRA_NAKHON, household_xml, submit


def _user(session, user: User) -> User:  # type: ignore[no-untyped-def]
    found = session.get(User, user.id)
    assert found is not None
    return found


def _form(session, world: World) -> Form:  # type: ignore[no-untyped-def]
    found = session.get(Form, world.form.id)
    assert found is not None
    return found


def _state(services: Services, instance_id: str) -> str | None:
    with services.db.session() as session:
        return session.scalar(select(Submission.review_state).where(Submission.instance_id == instance_id))


def test_has_issues_and_rejected_need_a_comment_in_thai_and_english(services: Services, world: World) -> None:
    submit(services, world.project.id, world.collector, household_xml("uuid:a"))
    with services.db.session() as session:
        for state in ("hasIssues", "rejected"):
            with pytest.raises(states.CommentRequired) as err:
                states.set_review_state(
                    session, _user(session, world.supervisor), _form(session, world), "uuid:a", state, "  "
                )
            assert "ต้องเขียนความเห็น" in err.value.message and "comment is required" in err.value.message
        with pytest.raises(states.InvalidReviewState):
            states.set_review_state(
                session, _user(session, world.supervisor), _form(session, world), "uuid:a", "done"
            )
    assert _state(services, "uuid:a") is None
    with services.db.session() as session:
        sup, form = _user(session, world.supervisor), _form(session, world)
        states.set_review_state(session, sup, form, "uuid:a", "hasIssues", "บ้านเลขที่ไม่ตรงกับทะเบียนบ้าน")
    assert _state(services, "uuid:a") == "hasIssues"
    with services.db.session() as session:
        sup, form = _user(session, world.supervisor), _form(session, world)
        states.set_review_state(session, sup, form, "uuid:a", "approved")
        thread = comments.list_comments(session, sup, form, "uuid:a")
        assert [c.body for c in thread] == ["บ้านเลขที่ไม่ตรงกับทะเบียนบ้าน"]
        events = history.submission_audits(session, sup, form, "uuid:a")
        assert [(e.action, e.details["reviewState"], e.details["previous"]) for e in events] == [
            ("submission.update", "approved", "hasIssues"),
            ("submission.update", "hasIssues", None),
        ]
        assert events[1].notes == "บ้านเลขที่ไม่ตรงกับทะเบียนบ้าน" and events[1].actor_id == world.supervisor.id
    assert _state(services, "uuid:a") == "approved"


def test_viewer_and_collector_cannot_review_or_comment(services: Services, world: World) -> None:
    submit(services, world.project.id, world.collector, household_xml("uuid:a"))
    with services.db.session() as session:
        form = _form(session, world)
        for who in (world.viewer, world.collector):
            with pytest.raises(Forbidden):
                states.set_review_state(session, _user(session, who), form, "uuid:a", "approved")
            with pytest.raises(Forbidden):
                comments.add_comment(session, _user(session, who), form, "uuid:a", "ดูแล้ว")
        # The viewer still reads the thread; the collector does not.
        assert comments.list_comments(session, _user(session, world.viewer), form, "uuid:a") == []
        with pytest.raises(Forbidden):
            comments.list_comments(session, _user(session, world.collector), form, "uuid:a")
    assert _state(services, "uuid:a") is None


def test_an_edit_through_intake_sets_edited_and_history_shows_the_changed_answers(
    services: Services, world: World
) -> None:
    submit(services, world.project.id, world.collector, household_xml("uuid:a", rooms=3))
    with services.db.session() as session:
        states.set_review_state(
            session, _user(session, world.supervisor), _form(session, world), "uuid:a", "approved"
        )
    edit = household_xml(
        "uuid:a2",
        rooms=4,
        members=(("สมชาย", "1101700207030"), ("สมศรี", "3100600123450")),
        deprecated_id="uuid:a",
    )
    submit(services, world.project.id, world.collector, edit)
    assert _state(services, "uuid:a") == "edited"
    with services.db.session() as session:
        entries = history.submission_versions(
            session, _user(session, world.manager), _form(session, world), "uuid:a"
        )
        assert [e.version.instance_id for e in entries] == ["uuid:a2", "uuid:a"]
        assert entries[0].version.current and not entries[1].version.current
        assert entries[0].submitter_name == "somchai"
        changed = {c.path: (c.before, c.after) for c in entries[0].changes}
        assert changed == {"/data/rooms": (3, 4), "/members[2]/first_name": ("สมหญิง", "สมศรี")}
        assert entries[1].changes == []
    edit2 = household_xml(
        "uuid:a3",
        rooms=4,
        religion="คริสต์",
        deprecated_id="uuid:a2",
        members=(("สมชาย", "1101700207030"), ("สมศรี", "3100600123450")),
    )
    submit(services, world.project.id, world.collector, edit2)
    with services.db.session() as session:
        form = _form(session, world)
        masked = history.submission_versions(session, _user(session, world.supervisor), form, "uuid:a")
        assert {c.path: (c.before, c.after) for c in masked[0].changes} == {"/data/religion": (MASK, MASK)}
        shown = history.submission_versions(session, _user(session, world.manager), form, "uuid:a")
        assert {c.path: (c.before, c.after) for c in shown[0].changes} == {"/data/religion": ("พุทธ", "คริสต์")}
        reads = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "submission.read_sensitive")
        ).all()
        assert [(r.actor_id, r.details["fields"]) for r in reads] == [(world.manager.id, ["/data/religion"])]


def test_bulk_review_by_ids_and_by_filter_in_one_go(services: Services, world: World) -> None:
    for i in range(3):
        submit(services, world.project.id, world.collector, household_xml(f"uuid:p{i}", place=PHRA_NAKHON))
    for i in range(2):
        submit(services, world.project.id, world.collector, household_xml(f"uuid:d{i}", place=DUSIT))
    with services.db.session() as session:
        sup, form = _user(session, world.supervisor), _form(session, world)
        assert states.bulk_review(session, sup, form, "approved", instance_ids=["uuid:p0", "uuid:p1"]) == 2
        with pytest.raises(states.CommentRequired):
            states.bulk_review(
                session, sup, form, "hasIssues", filters=SubmissionFilter(district_code="1002")
            )
        changed = states.bulk_review(
            session, sup, form, "hasIssues", "พิกัดไม่อยู่ในหมู่บ้าน", filters=SubmissionFilter(district_code="1002")
        )
        assert changed == 2
    assert [_state(services, f"uuid:{s}") for s in ("p0", "p1", "p2", "d0", "d1")] == [
        "approved",
        "approved",
        None,
        "hasIssues",
        "hasIssues",
    ]
    with services.db.session() as session:
        counts = states.review_counts(
            session, _user(session, world.district_supervisor), _form(session, world)
        )
        assert counts == {"received": 1, "hasIssues": 0, "needsCorrection": 0, "edited": 0, "approved": 2, "rejected": 0}
        bodies = session.scalars(select(Comment.body)).all()
        assert bodies == ["พิกัดไม่อยู่ในหมู่บ้าน"] * 2
        audits = session.scalars(select(AuditEvent).where(AuditEvent.action == "submission.update")).all()
        assert len(audits) == 4 and all(a.details.get("bulk") for a in audits)


def test_an_area_supervisor_reviews_only_his_district(services: Services, world: World) -> None:
    submit(services, world.project.id, world.collector, household_xml("uuid:mine", place=PHRA_NAKHON))
    submit(services, world.project.id, world.collector, household_xml("uuid:other", place=DUSIT))
    with services.db.session() as session:
        sup, form = _user(session, world.district_supervisor), _form(session, world)
        states.set_review_state(session, sup, form, "uuid:mine", "approved")
        with pytest.raises(NotFound):
            states.set_review_state(session, sup, form, "uuid:other", "approved")
        with pytest.raises(NotFound):
            comments.add_comment(session, sup, form, "uuid:other", "ไม่ใช่เขตผม")
        with pytest.raises(NotFound):
            comments.list_comments(session, sup, form, "uuid:other")
        with pytest.raises(NotFound):
            history.submission_versions(session, sup, form, "uuid:other")
        # "everything matching" means everything in his district.
        assert states.bulk_review(session, sup, form, "rejected", "ซ้ำ", filters=SubmissionFilter()) == 1
    assert _state(services, "uuid:mine") == "rejected" and _state(services, "uuid:other") is None
