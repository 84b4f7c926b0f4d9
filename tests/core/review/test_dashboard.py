"""Dashboard aggregates, each recomputed here independently from the submissions as sent."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import timedelta

from server.core.ground.services import Services
from server.core.models import Form, User
from server.core.review import dashboard, states
from server.core.review.listing import SubmissionFilter
from tests.core.review.conftest import World
from tests.core.review.support import CHATURAT, DUSIT, PHRA_NAKHON, T0, Place, household_xml, submit

# (instance, sender, place, minutes, hours after T0, bad citizen ID, point, review)
PLAN = [
    ("a", "collector", PHRA_NAKHON, 10, 0, False, (13.75, 100.50), "approved"),
    ("b", "collector", PHRA_NAKHON, 30, 1, True, (13.76, 100.51), "hasIssues"),
    ("c", "collector", DUSIT, 20, 17, False, None, None),  # 18:00 UTC = next day in Thailand
    ("d", "supervisor", DUSIT, None, 30, True, (13.77, 100.52), "approved"),
    ("e", "supervisor", CHATURAT, 45, 50, False, (15.9, 101.9), None),
    ("f", "collector", CHATURAT, 15, 50, False, (15.8, 101.8), "approved"),
]


def _seed(services: Services, world: World) -> None:
    for iid, who, place, minutes, hours, bad, point, _review in PLAN:
        members = (("สมชาย", "1101700207031" if bad else "1101700207030"),)
        xml = household_xml(f"uuid:{iid}", place=place, minutes=minutes, point=point, members=members)
        submit(services, world.project.id, getattr(world, who), xml, created_at=T0 + timedelta(hours=hours))
    with services.db.session() as session:
        form, sup = session.get(Form, world.form.id), session.get(User, world.supervisor.id)
        assert form is not None
        for iid, *_rest, review in PLAN:
            if review:
                states.set_review_state(session, sup, form, f"uuid:{iid}", review, "ตรวจแล้ว")


def test_aggregates_match_an_independent_count(services: Services, world: World) -> None:
    _seed(services, world)
    thai_days = Counter((T0 + timedelta(hours=h + 7)).date() for _i, _w, _p, _m, h, *_ in PLAN)
    with services.db.session() as session:
        form, user = session.get(Form, world.form.id), session.get(User, world.manager.id)
        assert form is not None
        per_day = dashboard.submissions_per_day(session, user, form)
        assert {d.day: d.count for d in per_day} == dict(thai_days)
        assert [d.day for d in per_day] == sorted(thai_days)

        surveyors = {s.name: s for s in dashboard.per_surveyor(session, user, form)}
        for who in ("collector", "supervisor"):
            mine = [p for p in PLAN if p[1] == who]
            stats = surveyors[getattr(world, who).display_name]
            assert stats.count == len(mine)
            assert stats.approved == sum(p[7] == "approved" for p in mine)
            assert stats.has_issues == sum(p[7] == "hasIssues" for p in mine)
            assert stats.approved_share == stats.approved / len(mine)
            lengths = [p[3] * 60 for p in mine if p[3] is not None]
            assert stats.median_interview_seconds == statistics.median(lengths)

        villages = {(v.village_code, v.count) for v in dashboard.per_village(session, user, form)}
        assert villages == set(Counter(p[2].village for p in PLAN).items())

        flags = {f.code: f.count for f in dashboard.flags_by_kind(session, user, form)}
        assert flags == {"thai_citizen_id_invalid": sum(p[5] for p in PLAN)}

        points = {
            (p.instance_id, p.latitude, p.longitude, p.review_state)
            for p in dashboard.map_points(session, user, form)
        }
        assert points == {
            (f"uuid:{p[0]}", p[6][0], p[6][1], p[7] or "received") for p in PLAN if p[6] is not None
        }


def test_map_grid_counts_points_per_cell_and_state(services: Services, world: World) -> None:
    _seed(services, world)
    with services.db.session() as session:
        form, user = session.get(Form, world.form.id), session.get(User, world.manager.id)
        assert form is not None
        cells = dashboard.map_grid(session, user, form, cell_degrees=1.0)
    expected = Counter((int(p[6][0]), int(p[6][1]), p[7] or "received") for p in PLAN if p[6] is not None)
    got = Counter({(int(c.latitude), int(c.longitude), c.review_state): c.count for c in cells})
    assert got == expected
    assert sum(c.count for c in cells) == sum(p[6] is not None for p in PLAN)


def test_aggregates_follow_the_filter_and_the_area(services: Services, world: World) -> None:
    _seed(services, world)
    with services.db.session() as session:
        form = session.get(Form, world.form.id)
        assert form is not None
        sup = session.get(User, world.district_supervisor.id)
        total = sum(d.count for d in dashboard.submissions_per_day(session, sup, form))
        assert total == sum(p[2] == PHRA_NAKHON for p in PLAN)
        assert {p.instance_id for p in dashboard.map_points(session, sup, form)} == {"uuid:a", "uuid:b"}
        manager = session.get(User, world.manager.id)
        chaturat: Place = CHATURAT
        only = SubmissionFilter(province_code=chaturat.province)
        assert [(v.village_code, v.count) for v in dashboard.per_village(session, manager, form, only)] == [
            (CHATURAT.village, 2)
        ]
        assert dashboard.flags_by_kind(session, manager, form, only) == []


def test_form_summaries_for_the_home_page(services: Services, world: World) -> None:
    _seed(services, world)
    now = T0 + timedelta(hours=51)
    thai = [(T0 + timedelta(hours=p[4] + 7)) for p in PLAN]
    today = (now + timedelta(hours=7)).date()
    monday = today - timedelta(days=today.weekday())
    with services.db.session() as session:
        mine = dashboard.form_summaries(
            session, session.get(User, world.manager.id), world.project.id, now=now
        )
        area = dashboard.form_summaries(
            session, session.get(User, world.district_supervisor.id), world.project.id, now=now
        )
    assert [(s.xml_form_id, s.total) for s in mine] == [("review_household", len(PLAN))]
    assert mine[0].today == sum(t.date() == today for t in thai)
    assert mine[0].this_week == sum(t.date() >= monday for t in thai)
    assert mine[0].last_submission_at == T0 + timedelta(hours=max(p[4] for p in PLAN))
    assert area[0].total == sum(p[2] == PHRA_NAKHON for p in PLAN)
