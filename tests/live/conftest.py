"""Live tests start real server and worker processes; they are marked `live`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live.harness import LiveServer, start_serve


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/live/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.live)


@pytest.fixture
def live(settings_env: dict[str, str], tmp_path: Path) -> Iterator[LiveServer]:
    server = start_serve(settings_env, tmp_path, "--forms-dir", str(tmp_path / "no-forms"))
    yield server
    server.stop()
