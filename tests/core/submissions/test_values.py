"""Typed value parsing: every schema type, empty values, and text that does not fit its type."""

from __future__ import annotations

import pytest

from server.core.submissions.values import Parsed, parse_value, value_kind


@pytest.mark.parametrize(
    ("field", "kind"),
    [
        ({"type": "integer", "bind_type": "int"}, "int"),
        ({"type": "range", "bind_type": "decimal"}, "decimal"),
        ({"type": "start", "bind_type": "dateTime"}, "dateTime"),
        ({"type": "select_one", "bind_type": "select1"}, "select_one"),
        ({"type": "select_multiple", "bind_type": "select"}, "select_multiple"),
        ({"type": "image", "bind_type": "binary"}, "binary"),
        ({"type": "audio", "bind_type": ""}, "binary"),
        ({"type": "barcode", "bind_type": "barcode"}, "text"),
        ({"type": "calculate", "bind_type": "string"}, "text"),
        ({"type": "meta", "bind_type": "string"}, "text"),
    ],
)
def test_kind_comes_from_the_bind_type_then_the_xlsform_type(field: dict[str, str], kind: str) -> None:
    assert value_kind(field) == kind


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("int", "42", 42),
        ("int", "-7", -7),
        ("decimal", "150000.50", "150000.50"),
        ("decimal", "-0.1", "-0.1"),
        ("decimal", "1e3", "1e3"),
        ("date", "2026-01-15", "2026-01-15"),
        ("time", "09:30:00.000+07:00", "09:30:00.000+07:00"),
        ("dateTime", "2026-01-15T09:30:00.000+07:00", "2026-01-15T09:30:00.000+07:00"),
        ("select_one", " yes ", "yes"),
        ("select_multiple", "bank  gold", ["bank", "gold"]),
        (
            "geopoint",
            "13.7563 100.5018 12.5 4.0",
            {"lat": 13.7563, "lon": 100.5018, "alt": 12.5, "accuracy": 4.0},
        ),
        ("geopoint", "13.7563 100.5018", {"lat": 13.7563, "lon": 100.5018, "alt": None, "accuracy": None}),
        (
            "geotrace",
            "13.1 100.1 0 5;13.2 100.2 0 5;",
            [
                {"lat": 13.1, "lon": 100.1, "alt": 0.0, "accuracy": 5.0},
                {"lat": 13.2, "lon": 100.2, "alt": 0.0, "accuracy": 5.0},
            ],
        ),
        ("binary", "1700000000000.jpg", "1700000000000.jpg"),
        ("text", "0812345678", "0812345678"),
        ("text", "บ้านไม้ สองชั้น", "บ้านไม้ สองชั้น"),
    ],
)
def test_good_values_parse_to_their_stored_form(kind: str, text: str, expected: object) -> None:
    assert parse_value(kind, text) == Parsed(expected)


@pytest.mark.parametrize("kind", ["int", "decimal", "date", "text", "geopoint", "select_multiple"])
@pytest.mark.parametrize("text", [None, "", "   "])
def test_empty_is_none(kind: str, text: str | None) -> None:
    assert parse_value(kind, text) == Parsed(None)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("int", "12.5"),
        ("int", "สิบ"),
        ("decimal", "1,500"),
        ("decimal", "NaN"),
        ("date", "15/01/2569"),
        ("date", "2026-02-30"),
        ("time", "25:00"),
        ("dateTime", "2026-01-15"),
        ("geopoint", "north"),
        ("geopoint", "95 100"),
        ("geoshape", "13 100;oops"),
    ],
)
def test_bad_values_keep_the_raw_text_and_say_so(kind: str, text: str) -> None:
    parsed = parse_value(kind, text)
    assert parsed.ok is False
    assert parsed.value == text
