"""A workbook is bounded before pyxform reads it, and the conversion runs in a child process that a
runaway conversion takes down instead of the server."""

from __future__ import annotations

import os

import pytest

from server.core.forms import xlsform
from server.core.ground.errors import InvalidXlsForm, TooLarge
from tests.helpers import FIXTURES
from tests.web.hostile_world import many_rows_xlsx, zip_bomb

KITCHEN = (FIXTURES / "kitchen_sink.md").read_bytes()


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    bomb = zip_bomb(400)
    assert len(bomb) < 2 * 1024 * 1024  # a small upload...
    with pytest.raises(TooLarge) as caught:  # ...that would expand to 400 MB
        xlsform.convert_xlsform(bomb, "bomb.xlsx")
    assert "64 MB" in caught.value.message


def test_a_zip_bomb_that_lies_about_its_size_is_refused_while_inflating() -> None:
    with pytest.raises((TooLarge, InvalidXlsForm)):
        xlsform.convert_xlsform(zip_bomb(100, declared_ok=True), "bomb.xlsx")


def test_too_many_rows_are_refused() -> None:
    with pytest.raises(TooLarge):
        xlsform.convert_xlsform(many_rows_xlsx(150_000), "rows.xlsx")


def _runaway(source: bytes, suffix: str, fallback: str) -> dict[str, object]:
    """A conversion gone wrong: it wants 3 GiB (three times the child's allowance)."""
    hog = bytearray(3 * 1024**3)
    return {"error": f"allocated {len(hog)}"}


def test_a_conversion_over_its_memory_limit_dies_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsform, "_convert_answer", _runaway)  # the forked child runs it
    pid = os.getpid()
    with pytest.raises(InvalidXlsForm) as caught:
        xlsform.convert_xlsform(KITCHEN, "kitchen_sink.md")
    assert "memory" in caught.value.message and "allocated" not in caught.value.message
    assert os.getpid() == pid  # this process lives on, and converts forms as before
    monkeypatch.undo()
    assert xlsform.convert_xlsform(KITCHEN, "kitchen_sink.md").form_id == "kitchen_sink"


def test_a_converter_that_crashes_takes_only_its_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsform, "_convert_answer", lambda *_: os._exit(9))
    with pytest.raises(InvalidXlsForm):
        xlsform.convert_xlsform(KITCHEN, "kitchen_sink.md")


def test_a_conversion_over_its_time_limit_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsform, "CONVERT_TIMEOUT_SECONDS", 0.0)
    with pytest.raises(TooLarge) as caught:
        xlsform.convert_xlsform(KITCHEN, "kitchen_sink.md")
    assert "took longer" in caught.value.message


def test_a_csv_without_sheet_names_gets_a_readable_message() -> None:
    with pytest.raises(InvalidXlsForm) as caught:
        xlsform.convert_xlsform(b"type,name,label\ntext,a,A\n", "form.csv")
    message = caught.value.message
    assert "survey" in message and "__init__" not in message and "keyword argument" not in message
