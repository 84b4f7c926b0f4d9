"""The CSV-zip writer on its own: file layout, BOM, Thai text, repeat linking, geopoint split, cell
safety for Excel, and that it pulls rows lazily (constant memory)."""

from __future__ import annotations

import csv
import io
import random
import string
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from exports.cells import cell, safe_text
from exports.csvzip import write_csv_zip
from tests.workers.factories import household_schema

IID = "uuid:1"


def main_row(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "/data/household/house_no": "12/3 หมู่ 4",
        "/data/household/village": "2",
        "/data/household/location": {"lat": 13.7563, "lon": 100.5018, "alt": 12.5, "accuracy": 4.0},
        "/data/household/house_photo": "house.jpg",
        "/data/has_well": "yes",
        "/data/savings": ["bank", "gold"],
        "/data/rooms": 3,
        "/data/income": "-1500.50",
        "/data/phone": "0812345678",
        "/data/remarks": '=HYPERLINK("http://evil")',
        "/data/meta/instanceID": IID,
    }
    base.update(values)
    return {
        "SubmissionDate": "2026-01-15T02:30:00.000Z",
        "KEY": IID,
        "SubmitterID": 5,
        "SubmitterName": "สมชาย",
        "AttachmentsPresent": 1,
        "AttachmentsExpected": 1,
        "ReviewState": None,
        "DeviceID": "collect:abc",
        "Edits": 0,
        "FormVersion": "2026112301",
        "values": base,
    }


REPEATS = {
    "/data/members": [
        {
            "KEY": f"{IID}/members[1]",
            "PARENT_KEY": IID,
            "values": {
                "/data/members/full_name": "สมชาย ใจดี",
                "/data/members/citizen_id": "0101700207030",
                "/data/members/age": 45,
            },
        },
    ],
    "/data/members/visits": [
        {
            "KEY": f"{IID}/members[1]/visits[1]",
            "PARENT_KEY": f"{IID}/members[1]",
            "values": {"/data/members/visits/visit_date": "2026-01-10"},
        },
    ],
}


def build(labels: str | None = None, rows: list[dict[str, Any]] | None = None) -> dict[str, bytes]:
    out = io.BytesIO()
    write_csv_zip(out, household_schema(), rows or [main_row()], lambda path: REPEATS[path], labels=labels)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def table(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_one_csv_per_table_with_central_names_and_a_bom() -> None:
    files = build()
    assert list(files) == [
        "household_survey.csv",
        "household_survey-members.csv",
        "household_survey-visits.csv",
    ]
    assert all(data.startswith(b"\xef\xbb\xbf") for data in files.values())


def test_main_table_columns_follow_central_order_and_group_paths() -> None:
    header = next(csv.reader(io.StringIO(build()["household_survey.csv"].decode("utf-8-sig"))))
    assert header == [
        "SubmissionDate",
        "household-house_no",
        "household-village",
        "household-location-Latitude",
        "household-location-Longitude",
        "household-location-Altitude",
        "household-location-Accuracy",
        "household-house_photo",
        "has_well",
        "savings",
        "rooms",
        "income",
        "visit_date",
        "phone",
        "remarks",
        "meta-instanceID",
        "meta-instanceName",
        "KEY",
        "SubmitterID",
        "SubmitterName",
        "AttachmentsPresent",
        "AttachmentsExpected",
        "ReviewState",
        "DeviceID",
        "Edits",
        "FormVersion",
    ]


def test_cells_keep_thai_text_phone_zeros_and_split_geopoints() -> None:
    row = table(build()["household_survey.csv"])[0]
    assert row["household-house_no"] == "12/3 หมู่ 4"
    assert row["SubmitterName"] == "สมชาย"
    assert row["phone"] == "0812345678"
    assert row["household-location-Latitude"] == "13.7563"
    assert row["household-location-Accuracy"] == "4.0"
    assert row["savings"] == "bank gold"
    assert row["income"] == "-1500.50"  # a real negative number stays a number
    assert row["remarks"] == '\'=HYPERLINK("http://evil")'  # a formula is neutralised
    assert row["ReviewState"] == ""


def test_repeat_tables_link_to_their_parents() -> None:
    files = build()
    members = table(files["household_survey-members.csv"])
    visits = table(files["household_survey-visits.csv"])
    assert list(members[0]) == ["full_name", "citizen_id", "age", "PARENT_KEY", "KEY"]
    assert members[0]["citizen_id"] == "0101700207030"
    assert members[0]["PARENT_KEY"] == IID
    assert visits[0]["PARENT_KEY"] == members[0]["KEY"]
    assert visits[0]["visit_date"] == "2026-01-10"


def test_label_headers_and_choice_labels_for_thai_offices() -> None:
    files = build(labels="th")
    row = table(files["household_survey.csv"])[0]
    assert row["บ้านเลขที่"] == "12/3 หมู่ 4"
    assert row["หมู่บ้าน"] == "บ้านดอนแก้ว"
    assert row["การออม"] == "เงินฝากธนาคาร, ทองคำ"
    assert row["พิกัดบ้าน-Latitude"] == "13.7563"
    assert row["KEY"] == IID
    assert "ชื่อ-นามสกุล" in table(files["household_survey-members.csv"])[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.5", "-12.5"),
        ("+66812345678", "+66812345678"),
        ("-", "-"),
        ("สวัสดี", "สวัสดี"),
        ("0812345678", "0812345678"),
    ],
)
def test_formula_like_text_is_neutralised_but_numbers_are_not(value: str, expected: str) -> None:
    assert safe_text(value) == expected


def test_cells_of_every_stored_shape() -> None:
    assert cell(None) == ""
    assert cell(-7) == "-7"
    assert (
        cell(
            [
                {"lat": 1.0, "lon": 2.0, "alt": None, "accuracy": None},
                {"lat": 3.0, "lon": 4.0, "alt": 0.0, "accuracy": 5.0},
            ]
        )
        == "1.0 2.0;3.0 4.0 0.0 5.0"
    )
    assert cell(["=a", "b"]) == "'=a b"


def test_rows_are_pulled_lazily_and_repeats_only_after_the_main_table() -> None:
    written = {"bytes": 0}

    class CountingFile(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            written["bytes"] += len(b)
            return len(b)

    rng = random.Random(1)
    main_done = {"flag": False}

    def rows() -> Iterator[dict[str, Any]]:
        last_growth, last_bytes = 0, 0
        for i in range(40_000):
            if written["bytes"] > last_bytes:
                last_growth, last_bytes = i, written["bytes"]
            if i - last_growth > 5_000:
                raise AssertionError(f"pulled row {i} while nothing was written since row {last_growth}")
            noise = "".join(rng.choices(string.ascii_letters, k=60))
            yield main_row(**{"/data/remarks": noise})
        main_done["flag"] = True

    def repeat_rows(path: str) -> list[dict[str, Any]]:
        assert main_done["flag"], "repeat tables are read only after the main table is finished"
        return REPEATS[path]

    counts = write_csv_zip(CountingFile(), household_schema(), rows(), repeat_rows)  # type: ignore[arg-type]
    assert counts["household_survey.csv"] == 40_000
