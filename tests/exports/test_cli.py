"""`chumchon export` and `chumchon reprocess` as an operator runs them."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main
from server.core.ground.services import Services
from server.core.models import Project, Record
from tests.workers.factories import household_xml, make_form_version, make_submission


@pytest.fixture
def env(settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)


def seed(services: Services, project: Project) -> None:
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        for i in range(3):
            make_submission(session, services.blobs, fv, household_xml(f"uuid:{i}"), f"uuid:{i}")


def test_export_command_writes_the_zip(
    env: None, services: Services, project: Project, tmp_path: Path
) -> None:
    seed(services, project)  # not yet processed: the export processes them first
    out = tmp_path / "hh.zip"
    result = CliRunner().invoke(main, ["export", "household_survey", "--output", str(out), "--labels", "th"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("household_survey.csv").decode("utf-8-sig"))))
    assert [r["บ้านเลขที่"] for r in rows] == ["12/3 หมู่ 4"] * 3


def test_export_of_an_unknown_form_is_a_clear_error(
    env: None, services: Services, project: Project, tmp_path: Path
) -> None:
    result = CliRunner().invoke(main, ["export", "nope", "--output", str(tmp_path / "x.zip")])
    assert result.exit_code == 1
    assert "not found" in result.output


def test_reprocess_rebuilds_derived_rows(env: None, services: Services, project: Project) -> None:
    seed(services, project)
    result = CliRunner().invoke(main, ["reprocess", "--form", "household_survey"])
    assert result.exit_code == 0, result.output
    assert "processed: 3  failed: 0" in result.output
    with services.db.session() as session:
        assert session.query(Record).count() == 3
