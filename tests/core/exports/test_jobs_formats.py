"""Export jobs beyond CSV: every format built from the database, options narrowing the rows, the same
file given back for the same request, cancelling, pseudonyms under a stored project key, and the
audit trail."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from exports.sensitive import pseudonym
from server.core.exports import jobs
from server.core.ground.errors import BadRequest, Conflict
from server.core.ground.services import Services
from server.core.models import AuditEvent, Export, Form, Project, Submission, utcnow
from server.core.submissions.processing import process_submission_version
from tests.core.exports.test_jobs import read_zip, seed
from tests.workers.factories import BAD_CID, VALID_CID, household_xml, make_submission


def request(services: Services, form_id: int, fmt: str = "csv", **options: object) -> Export:
    with services.db.session() as session:
        form = session.get(Form, form_id)
        assert form is not None
        export = jobs.request_export(session, form, fmt, dict(options) or None)
        session.commit()
        session.refresh(export)
        session.expunge(export)
        return export


def build(services: Services, export_id: int) -> Export:
    return jobs.build_export(services.db.sessions, services.settings, services.blobs, export_id)


@pytest.mark.parametrize("fmt", ["xlsx", "sav", "dta", "geojson", "kml", "media"])
def test_every_format_builds_from_the_database(services: Services, project: Project, fmt: str) -> None:
    form_id = seed(services, project, 3)
    export = build(services, request(services, form_id, fmt, labels="th").id)
    assert export.state == "done", export.error
    path = jobs.export_file(export)
    assert export.filename and export.filename.startswith("household_survey")
    if fmt == "xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        rows = list(book["household_survey"].iter_rows(min_row=3, values_only=True))
        assert [r[1] for r in rows] == ["0/1", "1/1", "2/1"]
        assert export.progress_done == export.progress_total == 3 + 6 + 9
    elif fmt in ("sav", "dta"):
        with zipfile.ZipFile(path) as archive:
            assert sorted(archive.namelist()) == sorted(
                f"household_survey{t}.{fmt}" for t in ("", "-members", "-visits")
            )
    elif fmt == "geojson":
        features = json.loads(path.read_bytes())["features"]
        assert len(features) == 3 and features[0]["geometry"]["type"] == "Point"
    elif fmt == "kml":
        assert path.read_bytes().count(b"<Placemark") == 3
    else:
        with zipfile.ZipFile(path) as archive:
            index = list(
                csv.DictReader(io.StringIO(archive.read("household_survey/index.csv").decode("utf-8-sig")))
            )
            present = [r for r in index if r["present"] == "1"]
            assert [archive.read(r["path"]) for r in present] == [b"jpeg", b"jpeg"]
        assert {r["field"] for r in present} == {"/data/household/house_photo"}
        assert len(index) == 3 and export.progress_done == 3  # one expected but never received


def test_review_states_and_dates_narrow_the_rows(services: Services, project: Project) -> None:
    form_id = seed(services, project, 3)
    with services.db.session() as session:
        subs = session.scalars(select(Submission).order_by(Submission.id)).all()
        subs[0].review_state = "approved"
        subs[2].created_at = utcnow() - timedelta(days=10)
    approved = build(services, request(services, form_id, review_states=["approved"]).id)
    assert [r["KEY"] for r in read_zip(approved.file_path or "")["household_survey.csv"]] == ["uuid:0"]
    assert len(read_zip(approved.file_path or "")["household_survey-members.csv"]) == 2
    today = utcnow().date().isoformat()
    recent = build(services, request(services, form_id, submitted_from=today).id)
    assert [r["KEY"] for r in read_zip(recent.file_path or "")["household_survey.csv"]] == ["uuid:0", "uuid:1"]


def test_the_same_request_with_no_new_data_gives_back_the_same_file(services: Services, project: Project) -> None:
    form_id = seed(services, project, 2)
    first = build(services, request(services, form_id, "xlsx").id)
    again = request(services, form_id, "xlsx")
    assert again.state == "done" and again.id != first.id
    assert again.file_path == first.file_path and again.progress_done == first.progress_done
    other_options = request(services, form_id, "xlsx", labels="th")
    assert other_options.state == "queued"
    with services.db.session() as session:
        fv = session.get(Form, form_id).current_version  # type: ignore[union-attr]
        assert fv is not None
        v = make_submission(session, services.blobs, fv, household_xml("uuid:new"), "uuid:new")
        process_submission_version(session, services.blobs, v.id)
    assert request(services, form_id, "xlsx").state == "queued"  # new data: built afresh
    with services.db.session() as session:
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "form.submission.export")).all()
        assert len(audit) == 4
        assert audit[1].details["same_file_as"] == first.id


def test_a_cancelled_export_stops_between_chunks_and_leaves_no_file(
    services: Services, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    form_id = seed(services, project, 3)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 2)
    export_id = request(services, form_id).id

    def cancel_midway(done: int, total: int) -> None:
        if done >= 2:
            with services.db.session() as session:
                jobs.cancel_export(session, session.get(Export, export_id))  # type: ignore[arg-type]

    result = jobs.build_export(services.db.sessions, services.settings, services.blobs, export_id, cancel_midway)
    assert result.state == "cancelled" and result.file_path is None
    assert not any(Path(services.settings.export_dir).glob("*household*"))
    with pytest.raises(Conflict):
        jobs.export_file(result)
    assert build(services, export_id).state == "cancelled"  # a redelivered task leaves it alone
    with services.db.session() as session:
        done = jobs.request_export(session, session.get(Form, form_id))  # type: ignore[arg-type]
        session.flush()
        done.state = "done"
        with pytest.raises(Conflict):
            jobs.cancel_export(session, done)
        actions = session.scalars(select(AuditEvent.action)).all()
        assert "form.submission.export.cancel" in actions


def test_pseudonyms_use_the_projects_stored_key(services: Services, project: Project) -> None:
    form_id = seed(services, project, 1)
    with services.db.session() as session:
        form = session.get(Form, form_id)
        assert form is not None and form.current_version is not None
        schema = dict(form.current_version.field_schema)
        schema["fields"] = [dict(f, sensitive=f["name"] == "citizen_id") for f in schema["fields"]]
        form.current_version.field_schema = schema
    export = build(services, request(services, form_id, sensitive="pseudonymise").id)
    members = read_zip(export.file_path or "")["household_survey-members.csv"]
    with services.db.session() as session:
        key = session.get(Project, project.id).pseudonym_key  # type: ignore[union-attr]
    assert key and len(key) == 64
    # The same ID gives the same pseudonym under the project's key (people link across exports).
    assert [m["citizen_id"] for m in members] == [
        pseudonym(bytes.fromhex(key), cid) for cid in (VALID_CID, BAD_CID)
    ]
    assert key not in (Path(export.file_path or "")).read_bytes().decode("latin-1")
    omitted = build(services, request(services, form_id, sensitive="omit").id)
    assert "citizen_id" not in read_zip(omitted.file_path or "")["household_survey-members.csv"][0]


def test_option_mistakes_are_bad_requests(services: Services, project: Project) -> None:
    form_id = seed(services, project, 1)
    with services.db.session() as session:
        form = session.get(Form, form_id)
        assert form is not None
        for options in ("abc", ["labels"], {"labels": 5}, {"fields": ["nope"]}, {"sensitive": True}):
            with pytest.raises(BadRequest):
                jobs.request_export(session, form, "xlsx", options)  # type: ignore[arg-type]
