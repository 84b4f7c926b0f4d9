"""The CSV export from cells stored at processing (exports.prerendered) is byte for byte the export
the row-by-row writer makes from the values, whether the cells are stored, missing or of another layout."""

from __future__ import annotations

import csv
import io
import zipfile
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select, update

from exports.csvzip import write_csv_zip
from server.core.exports import jobs, lines, rows
from server.core.exports.prerender import prerender_form
from server.core.ground.services import Services
from server.core.models import Export, Form, Project, Record, RepeatRow, Submission, User
from server.core.submissions.processing import process_submission_version
from tests.workers.factories import household_xml, make_form_version, make_submission

AWKWARD = ['=1+2,"สาม"', "บ้าน\nเลขที่ 5", "-", "@เลือก", "", "a,b", '"quoted"', "0812345678"]


def seed(services: Services, project: Project) -> int:
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        for i, text in enumerate(AWKWARD):
            members = [
                {"name": escape(f"{text} {k}"), "cid": "1101700203451", "age": str(20 + k)} for k in range(i % 3)
            ]
            xml = household_xml(
                f"uuid:p{i}", house_no=escape(text), remarks=escape(text[::-1]), phone=f"0{i}1234567",
                members=members or None,
            )
            v = make_submission(session, services.blobs, fv, xml, f"uuid:p{i}")
            process_submission_version(session, services.blobs, v.id)
        session.commit()
        return fv.form_id


def fast_export(services: Services, form_id: int) -> dict[str, bytes]:
    with services.db.session() as session:
        session.execute(update(Export).values(cache_key=None))  # never the earlier file
        form = session.get(Form, form_id)
        assert form is not None
        export_id = jobs.request_export(session, form, "csv").id
        session.commit()
    export = jobs.build_export(services.db.sessions, services.settings, services.blobs, export_id)
    assert export.state == "done" and export.file_path
    with zipfile.ZipFile(export.file_path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def slow_export(services: Services, form_id: int) -> dict[str, bytes]:
    with services.db.session() as session:
        form = session.get(Form, form_id)
        assert form is not None and form.current_version is not None
        schema = form.current_version.field_schema
    out = io.BytesIO()
    flt = rows.RowFilter(form_id)
    write_csv_zip(
        out, schema, rows.main_rows(services.db.sessions, flt),
        lambda path: rows.repeat_rows(services.db.sessions, flt, path),
    )
    with zipfile.ZipFile(out) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def test_stored_cells_give_the_same_bytes_as_the_row_writer(services: Services, project: Project) -> None:
    form_id = seed(services, project)
    with services.db.session() as session:
        assert session.scalar(select(func.count()).where(Record.csv_layout.is_(None))) == 0
        assert session.scalar(select(func.count()).select_from(RepeatRow).where(RepeatRow.csv_line.is_(None))) == 0
    fast, slow = fast_export(services, form_id), slow_export(services, form_id)
    assert fast == slow
    main = fast["household_survey.csv"].decode("utf-8-sig")
    assert "'=1+2" in main and "0812345678" not in main.split("\n")[0]  # formula neutralised, Thai intact
    assert "บ้าน\nเลขที่ 5" in main
    assert len(fast) >= 2 and any(len(body.splitlines()) > 1 for name, body in fast.items() if "-" in name)


def test_missing_or_foreign_cells_are_rendered_then_filled_in(services: Services, project: Project) -> None:
    form_id = seed(services, project)
    expected = slow_export(services, form_id)
    with services.db.session() as session:
        # As after the migration (NULL) and after a layout change (another tag): rendered from the values.
        session.execute(update(Record).where(Record.id % 2 == 0).values(csv_layout=None, csv_cells=None))
        session.execute(update(Record).where(Record.id % 2 == 1).values(csv_layout="0" * 16, csv_cells="wrong"))
        session.execute(update(RepeatRow).values(csv_line="wrong\r\n"))
        session.commit()
    assert fast_export(services, form_id) == expected
    assert prerender_form(services.db.sessions, form_id) == len(AWKWARD)
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(RepeatRow).where(RepeatRow.csv_line == "wrong\r\n")) == 0
    assert fast_export(services, form_id) == expected
    assert prerender_form(services.db.sessions, form_id) == 0  # nothing left to do


SYSTEM_AWKWARD = ['=HYPERLINK("x"),ก', "-12.5", "--", "+66 81", 'dev,"1"\r\nx', "@home", "ok"]


def test_system_columns_are_the_row_writers_whoever_joins_the_lines(
    services: Services, project: Project
) -> None:
    """Submitter names, device ids, review states, form versions, edits and attachment counts: on
    PostgreSQL the main table's lines are joined in SQL, and they must still be the row writer's bytes
    (formula-like text behind an apostrophe, numbers and dashes left alone, quotes doubled)."""
    form_id = seed_system_values(services, project)
    fast, slow = fast_export(services, form_id), slow_export(services, form_id)
    assert fast == slow
    main = fast["household_survey.csv"].decode("utf-8-sig")
    assert '"\'=HYPERLINK(""x""),ก"' in main and ",-12.5," in main and ",--," in main
    assert "'=2026" in main and ",hasIssues," in main and "uuid:s0-2" in main


def test_rows_joined_by_the_database_are_the_rows_read_one_by_one(services: Services, project: Project) -> None:
    """What SPSS, Stata, XLSX and the maps read: on PostgreSQL the rows come as JSON pages joined
    there (edits, attachment counts, submitters, Thai text), and they are the rows read one by one."""
    if services.db.engine.dialect.name != "postgresql":
        pytest.skip("pages are joined in SQL on PostgreSQL only")
    form_id = seed_system_values(services, project)
    assert seed(services, project) == form_id  # members, awkward Thai text, in the same form
    flt = rows.RowFilter(form_id)
    joined = list(rows.main_rows(services.db.sessions, flt))
    assert joined == list(rows.main_rows(services.db.sessions, flt, in_sql=False))
    assert len(joined) == len(SYSTEM_AWKWARD) + len(AWKWARD)  # an edit replaces a version, adds no row
    by_key = {row["KEY"]: row for row in joined}
    assert by_key["uuid:s0-2"]["Edits"] == 1 and by_key["uuid:s3"]["ReviewState"] == "hasIssues"
    assert set(SYSTEM_AWKWARD) <= {row["SubmitterName"] for row in joined}
    assert any(row["AttachmentsExpected"] == 1 and row["AttachmentsPresent"] == 0 for row in joined)
    assert by_key["uuid:p1"]["values"]["/data/household/house_no"] == "บ้าน\nเลขที่ 5"
    members = list(rows.repeat_rows(services.db.sessions, flt, "/data/members"))
    assert members == list(rows.repeat_rows(services.db.sessions, flt, "/data/members", in_sql=False))
    parents = list(dict.fromkeys(r["PARENT_KEY"] for r in members))
    assert len(parents) > 1 and parents == [row["KEY"] for row in joined if row["KEY"] in parents]


def seed_system_values(services: Services, project: Project) -> int:
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        fv.version = '=2026,"1"'
        for i, name in enumerate(SYSTEM_AWKWARD):
            user = User(username=f"u{i}", display_name=name)
            session.add(user)
            session.flush()
            files = {"house.jpg": b"photo" if i % 2 else None} if i % 3 else None
            xml = household_xml(f"uuid:s{i}", photo="house.jpg" if files else "")
            v = make_submission(
                session,
                services.blobs,
                fv,
                xml,
                f"uuid:s{i}",
                submitter_id=user.id,
                attachments=files,
                device_id=SYSTEM_AWKWARD[-1 - i],
            )
            process_submission_version(session, services.blobs, v.id)
        edited = make_submission(
            session,
            services.blobs,
            fv,
            household_xml("uuid:s0-2", deprecated_id="uuid:s0"),
            "uuid:s0-2",
            deprecated_id="uuid:s0",
        )
        process_submission_version(session, services.blobs, edited.id)
        session.execute(
            update(Submission).where(Submission.instance_id == "uuid:s3").values(review_state="hasIssues")
        )
        session.commit()
        return fv.form_id


def test_buddhist_dates_reach_the_submission_date_too(services: Services, project: Project) -> None:
    form_id = seed(services, project)
    with services.db.session() as session:
        form = session.get(Form, form_id)
        assert form is not None
        export_id = jobs.request_export(session, form, "csv", {"dates": "buddhist"}).id
        session.commit()
    export = jobs.build_export(services.db.sessions, services.settings, services.blobs, export_id)
    assert export.file_path
    with zipfile.ZipFile(export.file_path) as archive:
        main = archive.read("household_survey.csv").decode("utf-8-sig")
    first_row = next(csv.DictReader(io.StringIO(main)))
    assert int(first_row["SubmissionDate"][:4]) >= 2569, first_row["SubmissionDate"]


def test_many_pages_joined_two_at_a_time_keep_the_order_and_the_bytes(
    services: Services, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of three submissions, so that the main table spans several ranges joined at once
    (on PostgreSQL) and one range has stale cells rendered here: still the row writer's bytes."""
    form_id = seed(services, project)
    expected = slow_export(services, form_id)
    with services.db.session() as session:
        session.execute(update(Record).where(Record.id == 4).values(csv_layout=None, csv_cells=None))
        session.commit()
    monkeypatch.setattr(lines, "CHUNK", 3)
    assert fast_export(services, form_id) == expected
