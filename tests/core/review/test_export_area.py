"""An export made by an area-limited user holds only the rows of that area (main and repeat tables)."""

from __future__ import annotations

import csv
import io
import zipfile

from server.core.exports import jobs
from server.core.ground.services import Services
from server.core.models import Form, User
from tests.core.review.conftest import World
from tests.core.review.support import CHATURAT, DUSIT, PHRA_NAKHON, household_xml, submit


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
