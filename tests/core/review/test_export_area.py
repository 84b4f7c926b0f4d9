"""An export made by an area-limited user holds only the rows of that area (main and repeat tables)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from server.core.exports import jobs
from server.core.ground.errors import Forbidden, NotFound
from server.core.ground.services import Services
from server.core.models import Form, User
from server.core.review.masking import MASK
from tests.core.review.conftest import World
from tests.core.review.support import CHATURAT, DUSIT, PHRA_NAKHON, VALID_CID, household_xml, submit


def _export(services: Services, world: World, who: User) -> dict[str, list[dict[str, str]]]:
    with services.db.session() as session:
        form = session.get(Form, world.form.id)
        assert form is not None
        export_id = jobs.request_export(session, form, "csv", None, session.get(User, who.id)).id
    export = jobs.build_export(services.db.sessions, services.settings, services.blobs, export_id)
    assert export.state == "done" and export.file_path
    with zipfile.ZipFile(export.file_path) as archive:
        return {
            name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
            for name in archive.namelist()
        }


def test_area_limited_exports_hold_only_their_area(services: Services, world: World) -> None:
    for iid, place in (("pn", PHRA_NAKHON), ("du", DUSIT), ("ch", CHATURAT)):
        submit(services, world.project.id, world.collector, household_xml(f"uuid:{iid}", place=place))
    everything = _export(services, world, world.supervisor)
    mine = _export(services, world, world.district_supervisor)
    province = _export(services, world, world.district_viewer)
    main = "review_household.csv"
    members = next(n for n in everything if n != main)
    assert sorted(r["KEY"] for r in everything[main]) == ["uuid:ch", "uuid:du", "uuid:pn"]
    assert [r["KEY"] for r in mine[main]] == ["uuid:pn"]
    assert {r["PARENT_KEY"] for r in mine[members]} == {"uuid:pn"} and len(mine[members]) == 2
    assert [r["KEY"] for r in province[main]] == ["uuid:ch"]


def test_exports_mask_sensitive_columns_for_roles_that_may_not_read_them(
    services: Services, world: World
) -> None:
    submit(services, world.project.id, world.collector, household_xml("uuid:pn", religion="คริสต์"))
    by_supervisor = _export(services, world, world.supervisor)
    by_manager = _export(services, world, world.manager)
    members = next(n for n in by_manager if n != "review_household.csv")
    sup_main, man_main = by_supervisor["review_household.csv"][0], by_manager["review_household.csv"][0]
    religion = next(k for k in man_main if man_main[k] == "คริสต์")
    assert sup_main[religion] == MASK
    nid = next(k for k in by_manager[members][0] if by_manager[members][0][k] == VALID_CID)
    assert {r[nid] for r in by_supervisor[members]} == {MASK}
    assert sup_main["KEY"] == man_main["KEY"] == "uuid:pn"


def test_an_area_limited_user_sees_only_his_own_exports(services: Services, world: World) -> None:
    submit(services, world.project.id, world.collector, household_xml("uuid:pn"))
    _export(services, world, world.manager)
    _export(services, world, world.district_supervisor)
    with services.db.session() as session:
        form = session.get(Form, world.form.id)
        assert form is not None
        sup, manager = session.get(User, world.district_supervisor.id), session.get(User, world.manager.id)
        everything = jobs.list_exports(session, manager, form)
        mine = jobs.list_exports(session, sup, form)
        assert len(everything) == 2 and [e.created_by_id for e in mine] == [world.district_supervisor.id]
        others = next(e for e in everything if e.created_by_id == world.manager.id)
        with pytest.raises(NotFound):
            jobs.readable_export(session, sup, others.id)
        assert jobs.readable_export(session, manager, mine[0].id)[0].id == mine[0].id
        with pytest.raises(Forbidden):
            jobs.readable_export(session, session.get(User, world.collector.id), mine[0].id)
