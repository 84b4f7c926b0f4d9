"""`chumchon forms publish` as an operator pipes it: reports after the commit, survives a closed
stdout, fails loudly, and leaves no orphan blobs behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from server.core.ground.services import Services
from server.core.models import Form
from tests.helpers import FIXTURES

ROOT = Path(__file__).resolve().parents[2]


def _run(shell: str, settings_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **settings_env, "CHUMCHON_PY": sys.executable}
    return subprocess.run(
        ["bash", "-c", shell], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _blob_files(services: Services) -> set[Path]:
    root = services.settings.blob_dir
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _forms(services: Services) -> list[str]:
    with services.db.session() as session:
        return sorted(f.xml_form_id for f in session.query(Form))


def test_publish_into_a_closed_pipe_publishes_everything_without_a_traceback(
    settings_env: dict[str, str], services: Services, tmp_path: Path
) -> None:
    second = tmp_path / "second.md"
    second.write_bytes((FIXTURES / "bench_form.md").read_bytes())
    result = _run(
        f'"$CHUMCHON_PY" -m server.cli forms publish {FIXTURES / "kitchen_sink.md"} {second} | head -1; '
        'exit "${PIPESTATUS[0]}"',
        settings_env,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert result.stdout.startswith("kitchen_sink")
    assert len(_forms(services)) == 2


def test_a_failed_publish_says_why_exits_non_zero_and_leaves_no_blobs(
    settings_env: dict[str, str], services: Services, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.md"
    broken.write_bytes(b"| survey |\n| | type | name | label | relevant |\n| | text | t | T | ${t} +* (2 |\n")
    before = _blob_files(services)
    result = _run(f'"$CHUMCHON_PY" -m server.cli forms publish {broken}', settings_env)
    assert result.returncode != 0
    assert "broken.md" in result.stderr and "[row: 2] [column: relevant]" in result.stderr
    assert "Traceback" not in result.stderr
    assert _blob_files(services) == before and _forms(services) == []


def test_blobs_written_before_a_failure_are_removed(services: Services, project) -> None:  # type: ignore[no-untyped-def]
    """Media in a publish that fails after the form's own blobs were written: none of them remain."""
    from server.cli.forms import _publish_one

    folder = services.settings.data_dir / "forms"
    (folder / "media").mkdir(parents=True)
    form = folder / "kitchen_sink.md"
    form.write_bytes((FIXTURES / "kitchen_sink.md").read_bytes())
    before = _blob_files(services)
    original = services.blobs.put_bytes
    calls = {"n": 0}

    def failing_put(data: bytes):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:  # the XForm, after the XLSForm source was stored
            raise OSError("disk full")
        return original(data)

    services.blobs.put_bytes = failing_put  # type: ignore[method-assign]
    try:
        _publish_one(services, form, None)
    except OSError:
        pass
    else:
        raise AssertionError("the publish should have failed")
    finally:
        services.blobs.put_bytes = original  # type: ignore[method-assign]
    assert _blob_files(services) == before
    assert _forms(services) == []
