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


def test_export_command_in_another_format_with_options_and_a_progress_bar(
    env: None, services: Services, project: Project, tmp_path: Path
) -> None:
    seed(services, project)
    out = tmp_path / "hh.xlsx"
    result = CliRunner().invoke(
        main,
        ["export", "household_survey", "--format", "xlsx", "--output", str(out), "--labels", "th",
         "--header-rows", "1", "--multiple", "split"],
    )
    assert result.exit_code == 0, result.output
    assert "100.0%" in result.output and "█" in result.output  # the bar (stderr is mixed in here)
    import openpyxl

    header = [c.value for c in openpyxl.load_workbook(out)["household_survey"][1]]
    assert "บ้านเลขที่" in header and "การออม/ทองคำ" in header


def test_export_command_refuses_bad_options_clearly(
    env: None, services: Services, project: Project, tmp_path: Path
) -> None:
    seed(services, project)
    bad_json = CliRunner().invoke(main, ["export", "household_survey", "--options", "[1]"])
    assert bad_json.exit_code == 2 and "JSON object" in bad_json.output
    bad_option = CliRunner().invoke(
        main, ["export", "household_survey", "--output", str(tmp_path / "x"), "--options", '{"labels": "fr"}']
    )
    assert bad_option.exit_code == 1 and "no language" in bad_option.output



def test_prerender_command_stores_the_cells_of_rows_without_them(
    env: None, services: Services, project: Project
) -> None:
    from sqlalchemy import func, select, update

    seed(services, project)
    assert CliRunner().invoke(main, ["reprocess", "--form", "household_survey"]).exit_code == 0
    with services.db.session() as session:  # as rows processed before the cells were kept
        session.execute(update(Record).values(csv_layout=None, csv_cells=None))
        session.commit()
    result = CliRunner().invoke(main, ["prerender", "--form", "household_survey"])
    assert result.exit_code == 0, result.output
    assert "CSV cells stored for 3 submissions" in result.output
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Record).where(Record.csv_layout.is_(None))) == 0
