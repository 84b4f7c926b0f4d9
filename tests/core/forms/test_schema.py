"""The field schema extracted at publish: what processing, exports and the UI rely on."""

from __future__ import annotations

from typing import Any

import pytest

from server.core.forms.schema import (
    build_field_schema,
    data_fields,
    expected_media,
    normalise_type,
    preferred_label,
)
from server.core.forms.xlsform import convert_xlsform
from tests.helpers import FIXTURES

TH, EN = "Thai (th)", "English (en)"


def schema_of(source: bytes, filename: str = "form.md") -> dict[str, Any]:
    result = convert_xlsform(source, filename)
    return build_field_schema(result.definition, result.xform, has_itemsets=result.itemsets is not None)


def by_path(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["path"]: f for f in schema["fields"]}


@pytest.fixture(scope="module")
def kitchen() -> dict[str, Any]:
    return schema_of((FIXTURES / "kitchen_sink.md").read_bytes(), "kitchen_sink.md")


def test_header_of_the_kitchen_sink(kitchen: dict[str, Any]) -> None:
    assert kitchen["form_id"] == "kitchen_sink"
    assert kitchen["version"] == "2026112301"
    assert kitchen["title"] == "แบบทดสอบครบทุกชนิดคำถาม"
    assert kitchen["root"] == "data"
    assert kitchen["default_language"] == TH
    assert kitchen["languages"] == [TH, EN]
    assert kitchen["media"] == ["logo.png"]


def test_fields_are_in_document_order_with_groups_repeats_and_meta(kitchen: dict[str, Any]) -> None:
    paths = [f["path"] for f in kitchen["fields"]]
    assert paths[:8] == [
        "/data/intro",
        "/data/household",
        "/data/household/house_no",
        "/data/household/village",
        "/data/household/location",
        "/data/household/house_photo",
        "/data/members",
        "/data/members/full_name",
    ]
    assert paths[-3:] == ["/data/meta", "/data/meta/instanceID", "/data/meta/instanceName"]


def test_types_and_bind_types_are_normalised(kitchen: dict[str, Any]) -> None:
    fields = by_path(kitchen)
    expected = {
        "/data/intro": ("note", ""),
        "/data/household": ("group", ""),
        "/data/household/house_no": ("text", "string"),
        "/data/household/village": ("select_one", "string"),
        "/data/household/location": ("geopoint", "geopoint"),
        "/data/household/house_photo": ("image", "binary"),
        "/data/members": ("repeat", ""),
        "/data/members/age": ("integer", "int"),
        "/data/member_count": ("calculate", "string"),
        "/data/savings": ("select_multiple", "string"),
        "/data/income": ("decimal", "decimal"),
        "/data/visit_date": ("date", "date"),
        "/data/meta/instanceID": ("meta", "string"),
        "/data/meta/instanceName": ("meta", "string"),
    }
    assert {p: (fields[p]["type"], fields[p]["bind_type"]) for p in expected} == expected


def test_thai_and_english_labels(kitchen: dict[str, Any]) -> None:
    house_no = by_path(kitchen)["/data/household/house_no"]
    assert house_no["labels"] == {TH: "บ้านเลขที่", EN: "House number"}
    assert by_path(kitchen)["/data/member_count"]["labels"] == {}


def test_fields_inside_the_repeat_name_it(kitchen: dict[str, Any]) -> None:
    fields = by_path(kitchen)
    assert fields["/data/members/sex"]["repeat"] == "/data/members"
    assert fields["/data/members"]["repeat"] is None
    assert fields["/data/household/house_no"]["repeat"] is None
    assert kitchen["repeats"] == [
        {
            "path": "/data/members",
            "name": "members",
            "parent": None,
            "labels": {TH: "สมาชิกในครัวเรือน", EN: "Household members"},
        }
    ]


def test_selects_name_their_choice_list_and_choices_are_bilingual(kitchen: dict[str, Any]) -> None:
    fields = by_path(kitchen)
    assert fields["/data/members/sex"]["choice_list"] == "sex"
    assert fields["/data/savings"]["choice_list"] == "savings"
    assert fields["/data/household/house_no"]["choice_list"] is None
    assert kitchen["choices"]["yes_no"] == [
        {"name": "yes", "labels": {TH: "ใช่", EN: "Yes"}},
        {"name": "no", "labels": {TH: "ไม่ใช่", EN: "No"}},
    ]
    assert [c["name"] for c in kitchen["choices"]["savings"]] == ["bank", "fund", "gold"]


def test_sensitive_and_server_check_columns(kitchen: dict[str, Any]) -> None:
    fields = by_path(kitchen)
    citizen_id = fields["/data/members/citizen_id"]
    assert citizen_id["sensitive"] is True and citizen_id["checks"] == ["thai_citizen_id"]
    assert fields["/data/members/disabled"]["sensitive"] is True
    assert fields["/data/members/full_name"]["sensitive"] is False
    assert fields["/data/members/full_name"]["checks"] == []


def test_calculations_are_kept(kitchen: dict[str, Any]) -> None:
    assert by_path(kitchen)["/data/member_count"]["calculation"] == "count(${members})"
    assert by_path(kitchen)["/data/rooms"]["calculation"] is None


def test_data_fields_leave_out_groups_repeats_and_notes(kitchen: dict[str, Any]) -> None:
    kinds = {f["type"] for f in data_fields(kitchen)}
    assert not kinds & {"group", "repeat", "note"}
    assert "meta" in kinds and "select_multiple" in kinds


NESTED = """
| survey |
| | type | name | label::Thai (th) | label::English (en) | sensitive | server_check |
| | begin_group | hh | ครัวเรือน | Household | | |
| | begin_repeat | members | สมาชิก | Members | | |
| | text | name | ชื่อ | Name | | |
| | begin_repeat | jobs | อาชีพ | Jobs | | |
| | text | job | อาชีพ | Job | | |
| | end_repeat | | | | | |
| | end_repeat | | | | | |
| | end_group | | | | | |
| | begin_group | health | สุขภาพ | Health | yes | |
| | text | illness | โรคประจำตัว | Chronic illness | | |
| | text | pid | เลขบัตร | ID | | thai_citizen_id, not_blank |
| | end_group | | | | | |
| settings |
| | form_id | version |
| | nested | 3 |
""".encode()


def test_repeat_inside_a_group_and_a_nested_repeat() -> None:
    schema = schema_of(NESTED)
    fields = by_path(schema)
    assert fields["/data/hh/members"]["type"] == "repeat"
    assert fields["/data/hh/members/name"]["repeat"] == "/data/hh/members"
    assert fields["/data/hh/members/jobs/job"]["repeat"] == "/data/hh/members/jobs"
    assert schema["repeats"] == [
        {
            "path": "/data/hh/members",
            "name": "members",
            "parent": None,
            "labels": {TH: "สมาชิก", EN: "Members"},
        },
        {
            "path": "/data/hh/members/jobs",
            "name": "jobs",
            "parent": "/data/hh/members",
            "labels": {TH: "อาชีพ", EN: "Jobs"},
        },
    ]


def test_a_sensitive_group_makes_its_fields_sensitive_and_checks_split_on_commas() -> None:
    fields = by_path(schema_of(NESTED))
    assert fields["/data/health/illness"]["sensitive"] is True
    assert fields["/data/hh/members/name"]["sensitive"] is False
    assert fields["/data/health/pid"]["checks"] == ["thai_citizen_id", "not_blank"]


FROM_FILE = b"""
| survey |
| | type | name | label | appearance | choice_filter |
| | select_one_from_file provinces.csv | province | Province | | |
| | select_multiple_from_file crops.csv | crops | Crops | | |
| | select_one animals | animal | Animal | search('animals') | |
| | select_one_external cities | city | City | | province=${province} |
| | audio | voice | Voice | | |
| choices |
| | list_name | name | label |
| | animals | x | X |
| external_choices |
| | list_name | name | label | province |
| | cities | 1 | One | 10 |
| settings |
| | form_id |
| | from_file |
"""


def test_untranslated_forms_have_default_labels_and_no_languages() -> None:
    schema = schema_of(FROM_FILE)
    assert schema["languages"] == [] and schema["default_language"] is None
    assert by_path(schema)["/data/province"]["labels"] == {"default": "Province"}
    assert schema["version"] == ""


def test_selects_from_files_name_the_file_and_expect_it_as_media() -> None:
    schema = schema_of(FROM_FILE)
    fields = by_path(schema)
    assert (fields["/data/province"]["type"], fields["/data/province"]["choice_list"]) == (
        "select_one",
        "provinces.csv",
    )
    assert (fields["/data/crops"]["type"], fields["/data/crops"]["choice_list"]) == (
        "select_multiple",
        "crops.csv",
    )
    assert (fields["/data/city"]["type"], fields["/data/city"]["choice_list"]) == ("select_one", "cities")
    assert fields["/data/voice"]["type"] == "audio" and fields["/data/voice"]["bind_type"] == "binary"
    assert schema["media"] == ["provinces.csv", "crops.csv", "animals.csv", "itemsets.csv"]


def test_expected_media_types_come_from_the_jr_scheme() -> None:
    xform = (
        b'<x><value form="image">jr://images/a.jpg</value><value form="audio">jr://audio/b.mp3</value>'
        b'<value form="video">jr://video/c.mp4</value><instance src="jr://file-csv/d.csv"/>'
        b'<instance src="jr://file/e.xml"/><value form="image">jr://images/a.jpg</value></x>'
    )
    assert expected_media(xform, has_itemsets=True) == {
        "a.jpg": "image",
        "b.mp3": "audio",
        "c.mp4": "video",
        "d.csv": "file",
        "e.xml": "file",
        "itemsets.csv": "file",
    }


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("select one", "select_one"),
        ("select all that apply", "select_multiple"),
        ("select one external", "select_one"),
        ("photo", "image"),
        ("q int", "integer"),
        ("add location prompt", "geopoint"),
        ("dateTime", "dateTime"),
        ("background-audio", "background-audio"),
        ("start-geopoint", "start-geopoint"),
    ],
)
def test_normalise_type(raw: str, normal: str) -> None:
    assert normalise_type(raw) == normal


def test_preferred_label_picks_thai_then_anything() -> None:
    assert preferred_label({EN: "Sex", TH: "เพศ"}) == "เพศ"
    assert preferred_label({"default": "Sex"}) == "Sex"
    assert preferred_label({EN: "Sex"}) == "Sex"
    assert preferred_label({}) == ""
