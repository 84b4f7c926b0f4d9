"""The column-at-a-time conversion SPSS and Stata use gives, cell for cell, what `typed` gives the
other typed formats (XLSX, GeoJSON): the same answer never reads differently in two files."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from exports.columns import Column
from exports.typed import typed, typed_values

# Answers as the database keeps them, the usual ones and the odd ones a form or an old version leaves.
ANSWERS: list[Any] = [
    None,
    "",
    "ข้อความ",
    "0812345678",
    "-",
    ".",
    "-.",
    "5.",
    ".5",
    "-0",
    "12345.50",
    "00012.5",
    "123456789012345",  # 15 digits: a number
    "1234567890123456",  # 16 digits: more than a double keeps, text
    "12345678901234.56",  # 16 digits with a point: text
    "1e5",
    "1_000",
    "NaN",
    "Infinity",
    "2026-01-15",
    "20260115",
    "2026-1-5",
    "2026-01-15T09:30:00.000+07:00",
    "2026-01-15T09:30:00Z",
    "09:30:00.000+07:00",
    "bank gold",
    0,
    42,
    -(10**15),
    10**16,
    1.25,
    True,
    False,
    ["bank", "gold"],
    [],
    {"lat": 13.75, "lon": 100.5, "alt": 5.0, "accuracy": 4.0},
    [{"lat": 13.75, "lon": 100.5}, {"lat": 13.8, "lon": 100.6}],
]

COLUMNS = (
    [
        Column("t", path="/d/v", kind=kind)
        for kind in (
            "text",
            "int",
            "decimal",
            "date",
            "dateTime",
            "time",
            "select_one",
            "select_multiple",
            "binary",
        )
    ]
    + [Column("p", path="/d/v", kind="geopoint", part=part) for part in ("lat", "lon", "alt", "accuracy")]
    + [
        Column("c", path="/d/v", kind="int", choice="gold"),
        Column("l", path="/d/v", kind="select_one", choices={"yes": "ใช่", "42": "สี่สิบสอง"}),
    ]
)


@pytest.mark.parametrize("column", COLUMNS, ids=lambda c: f"{c.kind}-{c.part or c.choice or bool(c.choices)}")
def test_a_column_at_a_time_reads_as_each_cell_alone(column: Column) -> None:
    rows = [{"values": {"/d/v": answer}} for answer in ANSWERS] + [{"values": None}, {}]
    got = typed_values(column, rows)
    want = [typed(column, row) for row in rows]
    assert [(type(v), v) for v in got] == [(type(v), v) for v in want]


def test_system_columns_and_the_submission_date_in_thai_time() -> None:
    rows = [
        {"SubmissionDate": "2026-01-15T20:00:00.000Z", "KEY": "uuid:1", "SubmitterID": 7},
        {"SubmissionDate": "not a date", "KEY": None},
    ]
    assert typed_values(Column("SubmissionDate", system="SubmissionDate", kind="dateTime"), rows) == [
        datetime(2026, 1, 16, 3, 0),
        "not a date",
    ]
    assert typed_values(Column("KEY", system="KEY"), rows) == ["uuid:1", None]
    assert typed_values(Column("SubmitterID", system="SubmitterID", kind="int"), rows) == [7, None]


def test_dates_and_decimals_become_real_values() -> None:
    rows = [{"values": {"/d/v": v}} for v in ("2026-01-15", "12345.50", "bad")]
    assert typed_values(Column("d", path="/d/v", kind="date"), rows)[:1] == [date(2026, 1, 15)]
    assert typed_values(Column("n", path="/d/v", kind="decimal"), rows)[1:] == [12345.5, "bad"]
