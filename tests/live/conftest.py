"""Live tests start real server and worker processes; they are marked `live`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# One chromium for the whole session, shared by every browser test module (a second sync Playwright
# started while the first runs fails).
from tests.live.browser import browser  # noqa: F401  # the fixture
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
