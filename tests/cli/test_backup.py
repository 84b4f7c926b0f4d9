"""`chumchon backup` then `chumchon restore` into a fresh place (always a new SQLite database, so
under CI's PostgreSQL run this is a cross-database restore): every blob hash and the export match."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from server.cli import main
from server.core.ground.services import Services
from server.core.models import FlagTally, Project, SubmissionTally
from tests.exports.test_cli import seed


def _export_csvs(out: Path) -> dict[str, str]:
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}


def _blob_hashes(root: Path) -> set[str]:
    return {
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def test_backup_and_restore_bring_back_every_blob_and_the_same_export(
    settings_env: dict[str, str],
    services: Services,
    project: Project,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)
    seed(services, project)
    runner = CliRunner()
    original = tmp_path / "original.zip"
    assert runner.invoke(main, ["export", "household_survey", "--output", str(original)]).exit_code == 0
    dest = tmp_path / "backup"
    result = runner.invoke(main, ["backup", str(dest)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["submission_version"]["rows"] == 3
    assert "secret" not in json.dumps(manifest["settings"]).lower()

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    monkeypatch.setenv("CHUMCHON_DATA_DIR", str(fresh))
    monkeypatch.setenv("CHUMCHON_DATABASE_URL", f"sqlite:///{fresh / 'restored.sqlite3'}")
    result = runner.invoke(main, ["restore", str(dest)])
    assert result.exit_code == 0, result.output
    assert _blob_hashes(fresh / "blobs") >= set(manifest["blobs"])
    assert set(manifest["blobs"]) == _blob_hashes(services.settings.blob_dir) & set(manifest["blobs"])
    restored = tmp_path / "restored.zip"
    result = runner.invoke(main, ["export", "household_survey", "--output", str(restored)])
    assert result.exit_code == 0, result.output
    assert _export_csvs(restored) == _export_csvs(original)
    # The tallies are not copied: the restored database's triggers rebuild the same counts.
    engine = create_engine(f"sqlite:///{fresh / 'restored.sqlite3'}")
    with services.db.session() as session, Session(engine) as back:
        for model in (SubmissionTally, FlagTally):
            # counts per key summed over the writers' slots (PostgreSQL counts per connection)
            key = [c for c in model.__table__.primary_key.columns if c.name != "slot"]
            total = func.sum(model.n)
            rows = select(*key, total).group_by(*key).having(total > 0)
            assert sorted(map(tuple, session.execute(rows))) == sorted(map(tuple, back.execute(rows))), (
                model.__tablename__
            )
        assert session.scalar(select(func.sum(SubmissionTally.n))) == 3  # the three seeded submissions
    # A second restore into the same, now full, database is refused instead of mixing two copies.
    again = runner.invoke(main, ["restore", str(dest)])
    assert again.exit_code != 0 and "not empty" in again.output


def test_a_damaged_backup_is_refused(settings_env, services, project, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)
    seed(services, project)
    dest = tmp_path / "backup"
    assert CliRunner().invoke(main, ["backup", str(dest)]).exit_code == 0
    table = dest / "tables" / "submission_version.jsonl"
    table.write_text(table.read_text(encoding="utf-8").replace("uuid:1", "uuid:X"), encoding="utf-8")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    monkeypatch.setenv("CHUMCHON_DATA_DIR", str(fresh))
    monkeypatch.setenv("CHUMCHON_DATABASE_URL", f"sqlite:///{fresh / 'r.sqlite3'}")
    result = CliRunner().invoke(main, ["restore", str(dest)])
    assert result.exit_code != 0 and "hash" in result.output
