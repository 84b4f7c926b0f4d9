"""A search's first pages walk the newest submissions and read their text before asking the trigram
index (listing.SEARCH_WALK): whichever way a page is found, it holds the same rows in the same
order, with the same cursor, as matching every submission's text first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.core.ground.services import Services
from server.core.models import Form, User
from server.core.review import listing
from server.core.review.listing import SubmissionFilter
from tests.core.review.conftest import World
from tests.core.review.support import CHATURAT, DUSIT, PHRA_NAKHON, T0, household_xml, submit

PLACES = (PHRA_NAKHON, DUSIT, CHATURAT)


def _seed(services: Services, world: World) -> None:
    # 24 households, newest last: "ทองดี" in every second one, "บุญมี" in two old ones.
    for i in range(24):
        name = "บุญมี ศรีสุข" if i in (1, 4) else ("สมชาย ทองดี" if i % 2 == 0 else "สมหญิง ใจงาม")
        xml = household_xml(f"uuid:w{i:02}", place=PLACES[i % 3], name=name)
        submit(services, world.project.id, world.collector, xml, created_at=T0 + timedelta(minutes=i // 2))


def _pages(services: Services, who: User, world: World, filters: SubmissionFilter) -> list[tuple[list[str], bool]]:
    """Every page (instance ids, whether a next one exists) through the cursors, 3 rows a page."""
    out: list[tuple[list[str], bool]] = []
    with services.db.session() as session:
        user, form = session.get(User, who.id), session.get(Form, world.form.id)
        assert form is not None
        cursor = None
        while True:
            page = listing.list_page(session, user, form, filters, cursor=cursor, limit=3, with_values=False)
            out.append(([r.submission.instance_id for r in page.rows], page.next_cursor is not None))
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor


@pytest.mark.parametrize("walk", [4, 10, 1000])
def test_walked_search_pages_equal_the_trigram_pages(
    services: Services, world: World, monkeypatch: pytest.MonkeyPatch, walk: int
) -> None:
    _seed(services, world)
    cases = [
        (world.manager, SubmissionFilter(search="ทองดี")),  # common: half the households
        (world.manager, SubmissionFilter(search="บุญมี")),  # rare: two old ones
        (world.manager, SubmissionFilter(search="ไม่มีใครชื่อนี้")),  # no match
        (world.district_supervisor, SubmissionFilter(search="ทองดี")),  # area-limited
        (world.manager, SubmissionFilter(search="ทอง", district_code=DUSIT.district)),
        (world.manager, SubmissionFilter(search="ใจ", since=T0 + timedelta(minutes=3))),
    ]
    monkeypatch.setattr(listing, "SEARCH_WALK", 10**9)  # every candidate walked: the plain matches
    walked_all = [_pages(services, who, world, f) for who, f in cases]
    monkeypatch.setattr(listing, "_newest_matches", lambda *a: None)  # today's query: trigram first
    expected = [_pages(services, who, world, f) for who, f in cases]
    monkeypatch.undo()
    monkeypatch.setattr(listing, "SEARCH_WALK", walk)
    assert [_pages(services, who, world, f) for who, f in cases] == expected == walked_all
    common = [i for ids, _ in expected[0] for i in ids]
    assert common == [f"uuid:w{i:02}" for i in range(22, -1, -2) if i != 4]  # newest first, ties by id
    assert [i for ids, _ in expected[1] for i in ids] == ["uuid:w04", "uuid:w01"]
    assert expected[2] == [([], False)]
    assert all(i[-2:] in {"00", "03", "06", "09", "12", "15", "18", "21"} for ids, _ in expected[3] for i in ids)


@pytest.mark.parametrize("walk", [5, 1000])  # 5: more candidates than walked, the trigram count
def test_a_search_total_is_exact_or_past_the_cap(
    services: Services, world: World, monkeypatch: pytest.MonkeyPatch, walk: int
) -> None:
    """The web table counts a search's matches up to a cap: exact below it (by the walk when the
    area or filter leaves few candidates, else through the trigram index), above it past the cap."""
    _seed(services, world)
    monkeypatch.setattr(listing, "SEARCH_WALK", walk)
    with services.db.session() as session:
        form = session.get(Form, world.form.id)
        assert form is not None
        for who in (world.manager, world.district_supervisor):
            user = session.get(User, who.id)
            for term in ("ทองดี", "บุญมี", "ไม่มีใครชื่อนี้", "ใจ"):
                filters = SubmissionFilter(search=term)
                exact = listing.count_submissions(session, user, form, filters)
                assert listing.count_submissions(session, user, form, filters, at_most=100) == exact
                capped = listing.count_submissions(session, user, form, filters, at_most=2)
                assert capped == exact if exact <= 2 else capped > 2
        assert listing.count_submissions(session, user, form, SubmissionFilter(search="ทองดี")) == 4
