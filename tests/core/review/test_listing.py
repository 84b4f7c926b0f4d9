"""The submissions table's queries: keyset paging, each filter, search by a Thai name and a citizen
ID, the area limit, and masking of sensitive answers with an audit of unmasked reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.core.ground.errors import BadRequest, NotFound
from server.core.ground.services import Services
from server.core.models import AuditEvent, Form, User
from server.core.review import listing, reading, states
from server.core.review.listing import SubmissionFilter
from server.core.review.masking import MASK
from tests.core.review.conftest import World
from tests.core.review.support import CHATURAT, DUSIT, PHRA_NAKHON, T0, household_xml, submit


def _ids(services: Services, world: World, who: User, filters: SubmissionFilter | None = None) -> list[str]:
    with services.db.session() as session:
        form = session.get(Form, world.form.id)
        assert form is not None
        page = listing.list_page(session, session.get(User, who.id), form, filters, limit=1000)
        return [r.submission.instance_id for r in page.rows]


def test_keyset_pages_return_every_row_exactly_once_newest_first(services: Services, world: World) -> None:
    expected = []
    for i in range(23):
        # Groups of three share one created_at: ties are broken by id, never skipped or repeated.
        submit(
            services,
            world.project.id,
            world.collector,
            household_xml(f"uuid:{i}"),
            created_at=T0 + timedelta(minutes=i // 3),
        )
        expected.append(f"uuid:{i}")
    seen: list[str] = []
    cursor = None
    with services.db.session() as session:
        form, user = session.get(Form, world.form.id), session.get(User, world.supervisor.id)
        assert form is not None
        pages = 0
        while True:
            page = listing.list_page(session, user, form, cursor=cursor, limit=5)
            seen += [r.submission.instance_id for r in page.rows]
            pages += 1
            cursor = page.next_cursor
            if cursor is None:
                break
        assert pages == 5
        with pytest.raises(BadRequest):
            listing.list_page(session, user, form, cursor="not-a-cursor")
    assert seen == list(reversed(expected))


def test_each_filter_narrows_the_table(services: Services, world: World) -> None:
    c = world.collector
    pid = world.project.id
    submit(services, pid, c, household_xml("uuid:pn", place=PHRA_NAKHON), created_at=T0)
    submit(services, pid, c, household_xml("uuid:du", place=DUSIT), created_at=T0 + timedelta(days=1))
    submit(
        services,
        pid,
        world.supervisor,
        household_xml("uuid:ch", place=CHATURAT, members=(("บุญมี", "1101700207031"),)),
        created_at=T0 + timedelta(days=2),
    )
    with services.db.session() as session:
        form = session.get(Form, world.form.id)
        assert form is not None
        states.set_review_state(session, session.get(User, world.supervisor.id), form, "uuid:du", "approved")
    who = world.supervisor
    assert _ids(services, world, who) == ["uuid:ch", "uuid:du", "uuid:pn"]
    assert _ids(services, world, who, SubmissionFilter(since=T0 + timedelta(hours=1))) == [
        "uuid:ch",
        "uuid:du",
    ]
    assert _ids(services, world, who, SubmissionFilter(until=T0 + timedelta(days=1))) == ["uuid:pn"]
    assert _ids(services, world, who, SubmissionFilter(submitter_id=world.supervisor.id)) == ["uuid:ch"]
    assert _ids(services, world, who, SubmissionFilter(review_states=("approved",))) == ["uuid:du"]
    assert _ids(services, world, who, SubmissionFilter(review_states=("received",))) == ["uuid:ch", "uuid:pn"]
    # The bad citizen ID of uuid:ch fails its checksum: a quality flag of that kind.
    assert _ids(services, world, who, SubmissionFilter(flag_code="thai_citizen_id_invalid")) == ["uuid:ch"]
    assert _ids(services, world, who, SubmissionFilter(province_code="10")) == ["uuid:du", "uuid:pn"]
    assert _ids(services, world, who, SubmissionFilter(district_code="1002")) == ["uuid:du"]
    assert _ids(services, world, who, SubmissionFilter(subdistrict_code="100101")) == ["uuid:pn"]
    assert _ids(services, world, who, SubmissionFilter(village_code="36061003")) == ["uuid:ch"]
    # Search: a Thai name inside the member repeat, and a citizen ID (sensitive: only with the right).
    assert _ids(services, world, who, SubmissionFilter(search="บุญมี")) == ["uuid:ch"]
    assert _ids(services, world, who, SubmissionFilter(search="ใจดี")) == ["uuid:ch", "uuid:du", "uuid:pn"]
    assert _ids(services, world, world.manager, SubmissionFilter(search="1101700207031")) == ["uuid:ch"]
    assert _ids(services, world, who, SubmissionFilter(search="1101700207031")) == []
    assert _ids(services, world, who, SubmissionFilter(search="100%_")) == []


def test_area_limits_apply_to_the_table_and_to_single_reads(services: Services, world: World) -> None:
    pid, c = world.project.id, world.collector
    submit(services, pid, c, household_xml("uuid:pn", place=PHRA_NAKHON))
    submit(services, pid, c, household_xml("uuid:du", place=DUSIT))
    submit(services, pid, c, household_xml("uuid:ch", place=CHATURAT))
    assert _ids(services, world, world.district_supervisor) == ["uuid:pn"]
    assert _ids(services, world, world.district_viewer) == ["uuid:ch"]
    assert sorted(_ids(services, world, world.viewer)) == ["uuid:ch", "uuid:du", "uuid:pn"]
    with services.db.session() as session:
        form = session.get(Form, world.form.id)
        assert form is not None
        sup = session.get(User, world.district_supervisor.id)
        assert reading.read_submission(session, sup, form, "uuid:pn").detail.values is not None
        with pytest.raises(NotFound):
            reading.read_submission(session, sup, form, "uuid:du")
        assert listing.count_submissions(session, sup, form, SubmissionFilter()) == 1


def test_sensitive_answers_are_masked_and_unmasked_reads_are_audited(
    services: Services, world: World
) -> None:
    submit(services, world.project.id, world.collector, household_xml("uuid:a", religion="อิสลาม"))
    with services.db.session() as session:
        form = session.get(Form, world.form.id)
        assert form is not None
        view = reading.read_submission(session, session.get(User, world.supervisor.id), form, "uuid:a")
        assert view.masked
        assert view.detail.values is not None and view.detail.values["/data/religion"] == MASK
        assert view.detail.values["/data/respondent_name"] == "สมชาย ใจดี"
        assert {r["values"]["/data/members/nid"] for r in view.detail.repeats} == {MASK}
        page = listing.list_page(session, session.get(User, world.viewer.id), form)
        assert page.rows[0].values is not None and page.rows[0].values["/data/religion"] == MASK
        assert (
            session.scalars(select(AuditEvent).where(AuditEvent.action == "submission.read_sensitive")).all()
            == []
        )
    with services.db.session() as session:
        form = session.get(Form, world.form.id)
        assert form is not None
        view = reading.read_submission(session, session.get(User, world.manager.id), form, "uuid:a")
        assert not view.masked and view.detail.values is not None
        assert view.detail.values["/data/religion"] == "อิสลาม"
        assert {r["values"]["/data/members/nid"] for r in view.detail.repeats} == {
            "1101700207030",
            "3100600123450",
        }
    with services.db.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "submission.read_sensitive")
        ).all()
        assert [(e.actor_id, e.details["instanceId"]) for e in events] == [(world.manager.id, "uuid:a")]
        assert "/data/members/nid" in events[0].details["fields"]


def test_filter_parameters_as_the_api_and_pages_send_them() -> None:
    found = listing.filter_from_params(
        {
            "since": ["2026-11-01"],
            "until": "2026-11-30",
            "reviewState": ["approved,received"],
            "submitterId": 7,
            "district": "1001",
            "q": "  สมชาย ",
            "flag": "",
            "unknown": "x",
        }
    )
    assert found.since is not None and found.since.isoformat() == "2026-11-01T00:00:00+07:00"
    assert (
        found.until is not None and found.until.isoformat() == "2026-12-01T00:00:00+07:00"
    )  # whole last day
    assert found.review_states == ("approved", "received") and found.submitter_id == 7
    assert (found.district_code, found.search, found.flag_code) == ("1001", "สมชาย", None)
    assert listing.filter_from_params({"since": "2026-11-02T01:00:00Z"}).since == T0
    for bad in ({"reviewState": "done"}, {"since": "yesterday"}, {"submitterId": "me"}):
        with pytest.raises(BadRequest):
            listing.filter_from_params(bad)
