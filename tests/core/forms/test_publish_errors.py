"""Locating an XLSForm error for the form designer: sheet and row."""

from __future__ import annotations

from server.core.forms.publish_errors import ErrorLocation, locate_error

SOURCE = b"""
| survey |
| | type | name | label |
| | text | a | A |
| | nonsense | b | B |
| | text | c | |
"""


def test_row_from_pyxform_and_sheet_named_in_the_message() -> None:
    assert locate_error("[row : 3] Missing calculation.") == ErrorLocation("survey", 3)
    assert locate_error("[row : 2] On the 'choices' sheet, the 'label' value is invalid.") == ErrorLocation(
        "choices", 2)


def test_row_found_by_type_or_by_name_when_pyxform_gives_none() -> None:
    assert locate_error("Unknown question type 'nonsense'.", SOURCE, "f.md") == ErrorLocation("survey", 3)
    assert locate_error("The survey element named 'c' has no label or hint.", SOURCE, "f.md") == ErrorLocation(
        "survey", 4)
    assert locate_error("Something else entirely.") == ErrorLocation(None, None)
