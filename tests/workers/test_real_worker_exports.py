"""A real Celery worker builds an XLSX export sent over the embedded broker, and the export row shows
its progress and file. Waits are bounded polls for a state, not timed assertions."""

from __future__ import annotations

import time
from pathlib import Path

import openpyxl
import pytest

from server.core.exports import jobs
from server.core.ground.broker import BUILD_EXPORT, CeleryTaskSender
from server.core.ground.services import Services
from server.core.models import Export, Form, Project
from server.core.submissions.processing import process_submission_version
from tests.workers.factories import household_xml, make_form_version, make_submission
from tests.workers.test_real_worker import worker

pytestmark = pytest.mark.live


def test_worker_builds_an_xlsx_export(
    services: Services, project: Project, settings_env: dict[str, str], tmp_path: Path
) -> None:
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        for i in range(3):
            v = make_submission(session, services.blobs, fv, household_xml(f"uuid:x{i}"), f"uuid:x{i}")
            process_submission_version(session, services.blobs, v.id)
        form = session.get(Form, fv.form_id)
        assert form is not None
        export_id = jobs.request_export(session, form, "xlsx", {"labels": "th"}).id
    log_path = tmp_path / "worker.log"
    with worker(settings_env, log_path) as proc:
        assert CeleryTaskSender(services.settings).send(BUILD_EXPORT, export_id)
        deadline = time.monotonic() + 90
        state = "queued"
        while time.monotonic() < deadline and proc.poll() is None:
            with services.db.session() as session:
                export = session.get(Export, export_id)
                assert export is not None
                state = export.state
                if state in ("done", "failed"):
                    break
            time.sleep(0.3)
    assert state == "done", log_path.read_text(errors="replace")
    with services.db.session() as session:
        export = session.get(Export, export_id)
        assert export is not None
        assert export.progress_done == export.progress_total == 3 + 6 + 9
        book = openpyxl.load_workbook(jobs.export_file(export), read_only=True)
    rows = list(book["household_survey"].iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in rows] == ["12/3 หมู่ 4"] * 3
