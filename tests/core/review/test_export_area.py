"""An export made by an area-limited user holds only the rows of that area (main and repeat tables, in
every format, his media zip only his area's files); a role that may not read sensitive fields gets them
masked whatever it asks; the same-file reuse never crosses creators' views."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest

from server.core.exports import access, jobs
from server.core.forms.publishing import publish_form
from server.core.ground.errors import Forbidden, NotFound
from server.core.ground.services import Services
from server.core.models import Export, Form, User
from server.core.review.masking import MASK
from server.core.submissions import intake
from server.core.submissions.processing import process_submission_version
from tests.core.review.conftest import World
from tests.core.review.support import CHATURAT, DUSIT, PHRA_NAKHON, VALID_CID, Place, household_xml, submit
from tests.helpers import FIXTURES


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
        everything = access.list_exports(session, manager, form)
        mine = access.list_exports(session, sup, form)
        assert len(everything) == 2 and [e.created_by_id for e in mine] == [world.district_supervisor.id]
        others = next(e for e in everything if e.created_by_id == world.manager.id)
        with pytest.raises(NotFound):
            access.readable_export(session, sup, others.id)
        assert access.readable_export(session, manager, mine[0].id)[0].id == mine[0].id
        with pytest.raises(Forbidden):
            access.readable_export(session, session.get(User, world.collector.id), mine[0].id)


def _build(services: Services, world: World, who: User | None, fmt: str, options: dict | None = None) -> Export:
    with services.db.session() as session:
        form = session.get(Form, world.form.id)
        assert form is not None
        creator = session.get(User, who.id) if who is not None else None
        export = jobs.request_export(session, form, fmt, options, creator)
        session.commit()
        export_id, state = export.id, export.state
    if state == "done":  # the same file as an identical earlier export
        with services.db.session() as session:
            return jobs.get_export(session, export_id)[0]
    return jobs.build_export(services.db.sessions, services.settings, services.blobs, export_id)


def _photo_form(services: Services, world: World) -> Form:
    """The household form with a photo question (the review form has none)."""
    text = (FIXTURES / "review_household.md").read_text(encoding="utf-8")
    text = text.replace("| | integer | rooms |", "| | image | house_photo | รูปบ้าน | House photo | | |\n| | integer | rooms |")
    text = text.replace("| review_household |", "| review_photo |")
    with services.db.session() as session:
        return publish_form(session, services.blobs, world.project.id, text.encode(), "review_photo.md").form


def _submit_with_photo(services: Services, world: World, iid: str, place: Place) -> None:
    xml = household_xml(f"uuid:{iid}", place=place).replace(b'id="review_household"', b'id="review_photo"')
    xml = xml.replace(b"<rooms>", f"<house_photo>{iid}.jpg</house_photo><rooms>".encode())
    with services.db.session() as session:
        result = intake.accept_submission(
            session,
            services.blobs,
            world.project.id,
            xml,
            [(f"{iid}.jpg", "image/jpeg", f"photo of {iid}".encode())],
            user=session.get(User, world.collector.id),
        )
        session.commit()
        process_submission_version(session, services.blobs, result.version_id)
        session.commit()


def test_an_area_limited_supervisors_xlsx_and_media_zip_hold_only_his_district(
    services: Services, world: World
) -> None:
    world.form = _photo_form(services, world)
    for iid, place in (("pn", PHRA_NAKHON), ("du", DUSIT), ("ch", CHATURAT)):
        _submit_with_photo(services, world, iid, place)
    xlsx = _build(services, world, world.district_supervisor, "xlsx")
    assert xlsx.state == "done" and xlsx.file_path
    book = openpyxl.load_workbook(xlsx.file_path, read_only=True)
    sheet = book.worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    keys = [row[header.index("KEY")] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert keys == ["uuid:pn"]
    media = _build(services, world, world.district_supervisor, "media")
    assert media.state == "done" and media.file_path
    with zipfile.ZipFile(media.file_path) as archive:
        photos = [n for n in archive.namelist() if n.endswith(".jpg")]
    assert photos and all("pn" in n for n in photos)
    assert not any("du" in n or "ch" in n for n in photos)
    everything = _build(services, world, world.supervisor, "media")
    with zipfile.ZipFile(everything.file_path or "") as archive:
        assert len([n for n in archive.namelist() if n.endswith(".jpg")]) == 3


@pytest.mark.parametrize("asked", ["include", "pseudonymise", "mask"])
def test_a_viewers_export_masks_sensitive_fields_whatever_he_asks(
    services: Services, world: World, asked: str
) -> None:
    submit(services, world.project.id, world.collector, household_xml("uuid:pn", religion="คริสต์"))
    export = _build(services, world, world.viewer, "xlsx", {"sensitive": asked})
    assert export.state == "done" and export.file_path
    book = openpyxl.load_workbook(export.file_path, read_only=True)
    cells = {str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row}
    assert "คริสต์" not in cells and VALID_CID not in cells and MASK in cells
    assert not any(c.startswith("p-") or c.endswith(VALID_CID[-4:]) for c in cells)  # no pseudonym, no last digits
    omitted = _build(services, world, world.viewer, "csv", {"sensitive": "omit"})
    with zipfile.ZipFile(omitted.file_path or "") as archive:
        text = "".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist())
    assert "คริสต์" not in text and MASK not in text and "religion" not in text


def test_the_same_file_is_never_handed_to_a_narrower_view(services: Services, world: World) -> None:
    for iid, place in (("pn", PHRA_NAKHON), ("du", DUSIT)):
        submit(services, world.project.id, world.collector, household_xml(f"uuid:{iid}", place=place))
    by_admin = _build(services, world, world.admin, "csv")
    by_supervisor = _build(services, world, world.district_supervisor, "csv")
    by_viewer = _build(services, world, world.viewer, "csv")
    assert len({by_admin.file_path, by_supervisor.file_path, by_viewer.file_path}) == 3
    again = _build(services, world, world.district_supervisor, "csv")
    assert again.file_path == by_supervisor.file_path  # his own view is reused
    with zipfile.ZipFile(again.file_path or "") as archive:
        main = list(csv.DictReader(io.StringIO(archive.read("review_household.csv").decode("utf-8-sig"))))
    assert [r["KEY"] for r in main] == ["uuid:pn"]
