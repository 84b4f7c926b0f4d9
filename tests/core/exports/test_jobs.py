"""Export jobs end to end in-process: request → build → zip on disk, progress, inline processing of
waiting submissions, current versions only, deleted submissions left out, failures reported."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlalchemy import select

from server.core.exports import jobs
from server.core.ground.errors import BadRequest, Conflict
from server.core.ground.services import Services
from server.core.models import AuditEvent, Form, Project, Submission, utcnow
from server.core.submissions.processing import process_submission_version
from tests.workers.factories import household_xml, make_form_version, make_submission


def read_zip(path: str) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(path) as archive:
        return {
            n: list(csv.DictReader(io.StringIO(archive.read(n).decode("utf-8-sig"))))
            for n in archive.namelist()
        }


def seed(services: Services, project: Project, n: int = 3, *, process: bool = True) -> int:
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        for i in range(n):
            v = make_submission(
                session,
                services.blobs,
                fv,
                household_xml(f"uuid:{i}", house_no=f"{i}/1"),
                f"uuid:{i}",
                attachments={"house.jpg": b"jpeg" if i else None},
            )
            if process:
                process_submission_version(session, services.blobs, v.id)
        return fv.form_id


def start(services: Services, form_id: int, **options: str) -> int:
    with services.db.session() as session:
        form = session.get(Form, form_id)
        assert form is not None
        return jobs.request_export(session, form, "csv", options or None).id


def test_build_writes_the_zip_and_reports_progress(services: Services, project: Project) -> None:
    form_id = seed(services, project, 3)
    export_id = start(services, form_id)
    seen: list[tuple[int, int]] = []
    export = jobs.build_export(
        services.db.sessions, services.settings, services.blobs, export_id, lambda d, t: seen.append((d, t))
    )
    assert export.state == "done" and export.filename == "household_survey.zip"
    total = 3 + 3 * 2 + 3 * 3  # submissions + members + visits
    assert export.progress_done == export.progress_total == total
    # The CSV zip counts its rows while it writes: the total is unknown (0) or right, never wrong.
    assert seen[0][0] == 0 and {t for _d, t in seen} <= {0, total} and seen[-1] == (total, total)
    tables = read_zip(export.file_path or "")
    main = tables["household_survey.csv"]
    assert [r["household-house_no"] for r in main] == ["0/1", "1/1", "2/1"]
    assert [(r["AttachmentsPresent"], r["AttachmentsExpected"]) for r in main] == [
        ("0", "1"),
        ("1", "1"),
        ("1", "1"),
    ]
    assert main[0]["Edits"] == "0" and main[0]["FormVersion"] == "2026112301"
    assert len(tables["household_survey-members.csv"]) == 6
    visits = tables["household_survey-visits.csv"]
    member_keys = {r["KEY"] for r in tables["household_survey-members.csv"]}
    assert all(v["PARENT_KEY"] in member_keys for v in visits)
    # Running the task again (a redelivered message) leaves the finished export alone.
    again = jobs.build_export(services.db.sessions, services.settings, services.blobs, export_id)
    assert again.finished_at == export.finished_at


def test_waiting_submissions_are_processed_first_and_edits_replace_old_versions(
    services: Services, project: Project
) -> None:
    form_id = seed(services, project, 2, process=False)
    with services.db.session() as session:
        fv = session.get(Form, form_id).current_version  # type: ignore[union-attr]
        assert fv is not None
        make_submission(
            session,
            services.blobs,
            fv,
            household_xml("uuid:e", house_no="แก้ไขแล้ว", deprecated_id="uuid:0"),
            "uuid:e",
            deprecated_id="uuid:0",
        )
        session.get(Submission, 2).deleted_at = utcnow()  # type: ignore[union-attr]
    export = jobs.build_export(
        services.db.sessions, services.settings, services.blobs, start(services, form_id)
    )
    main = read_zip(export.file_path or "")["household_survey.csv"]
    assert [(r["KEY"], r["household-house_no"], r["Edits"]) for r in main] == [("uuid:e", "แก้ไขแล้ว", "1")]
    assert {r["PARENT_KEY"] for r in read_zip(export.file_path or "")["household_survey-members.csv"]} == {
        "uuid:e"
    }


def test_unprocessable_submissions_are_left_out_and_counted(services: Services, project: Project) -> None:
    form_id = seed(services, project, 1)
    with services.db.session() as session:
        fv = session.get(Form, form_id).current_version  # type: ignore[union-attr]
        make_submission(
            session,
            services.blobs,
            fv,
            b"<other><meta><instanceID>uuid:bad</instanceID></meta></other>",  # type: ignore[arg-type]
            "uuid:bad",
        )
    export = jobs.build_export(
        services.db.sessions, services.settings, services.blobs, start(services, form_id)
    )
    assert export.state == "done"
    assert "1 submission(s) could not be processed" in (export.error or "")
    assert len(read_zip(export.file_path or "")["household_survey.csv"]) == 1


def test_thai_label_headers_option(services: Services, project: Project) -> None:
    form_id = seed(services, project, 1)
    export = jobs.build_export(
        services.db.sessions, services.settings, services.blobs, start(services, form_id, labels="th")
    )
    row = read_zip(export.file_path or "")["household_survey.csv"][0]
    assert row["หมู่บ้าน"] == "บ้านดอนแก้ว"


def test_bad_requests_and_not_ready_downloads(services: Services, project: Project) -> None:
    form_id = seed(services, project, 1)
    with services.db.session() as session:
        form = session.get(Form, form_id)
        assert form is not None
        with pytest.raises(BadRequest):
            jobs.request_export(session, form, "pdf")
        with pytest.raises(BadRequest):
            jobs.request_export(session, form, "csv", {"labels": "fr"})
        with pytest.raises(BadRequest):
            jobs.request_export(session, form, "csv", {"colour": "red"})
        export = jobs.request_export(session, form)
        with pytest.raises(Conflict):
            jobs.export_file(export)
        assert session.scalars(select(AuditEvent.action)).all() == ["form.submission.export"]


def test_a_failing_build_is_marked_failed_with_a_message(services: Services, project: Project) -> None:
    form_id = seed(services, project, 1)
    export_id = start(services, form_id)
    services.settings.export_dir.parent.mkdir(parents=True, exist_ok=True)
    services.settings.export_dir.write_text("not a directory")  # the export directory cannot be created
    export = jobs.build_export(services.db.sessions, services.settings, services.blobs, export_id)
    assert export.state == "failed"
    assert "could not be built" in (export.error or "")
    with pytest.raises(Conflict):
        jobs.export_file(export)
