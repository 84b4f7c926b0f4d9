"""Every export writer on its own, read back with the reader its users have: openpyxl for XLSX,
pyreadstat for SPSS/Stata, json for GeoJSON, lxml for KML, zipfile + csv for the media zip."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pyreadstat
import pytest
from lxml import etree

from exports.columns import merge_schemas, plan_tables
from exports.csvzip import write_csv_zip
from exports.geo import write_geojson, write_kml
from exports.media import MediaFile, write_media_zip
from exports.options import ExportOptions, OptionError, parse_options
from exports.sensitive import protect_rows, pseudonym, sensitive_fields
from exports.stats import NO_ANSWER, write_stats_zip
from exports.xlsx import display_width, write_xlsx
from tests.exports.test_csvzip import REPEATS, main_row
from tests.workers.factories import household_schema

KML = "{http://www.opengis.net/kml/2.2}"


def repeats(path: str) -> list[dict[str, Any]]:
    return REPEATS[path]


def hostile_schema() -> dict[str, Any]:
    schema = household_schema()
    for spec in schema["fields"]:
        if spec["name"] == "house_no":
            spec["labels"] = {"Thai (th)": '=HYPERLINK("http://x","ข้อ1")', "English (en)": "House"}
        if spec["name"] == "remarks":
            spec["labels"] = {"Thai (th)": "@เลือก", "English (en)": "Remarks"}
    return schema


# --- CSV ----------------------------------------------------------------------------------------


def csv_tables(data: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            n: list(csv.reader(io.StringIO(archive.read(n).decode("utf-8-sig")))) for n in archive.namelist()
        }


def test_csv_label_headers_that_look_like_formulas_are_neutralised() -> None:
    out = io.BytesIO()
    write_csv_zip(out, hostile_schema(), [main_row()], repeats, labels="th")
    header = csv_tables(out.getvalue())["household_survey.csv"][0]
    assert "'=HYPERLINK(\"http://x\",\"ข้อ1\")" in header
    assert "'@เลือก" in header
    assert not any(h.startswith(("=", "@", "+")) for h in header)


def test_csv_options_split_multiple_buddhist_dates_group_names_and_excel_ids() -> None:
    out = io.BytesIO()
    options = ExportOptions(multiple="split", dates="buddhist", group_names=False, excel_ids=True)
    write_csv_zip(out, household_schema(), [main_row(**{"/data/visit_date": "2026-01-15"})], repeats, options=options)
    rows = csv_tables(out.getvalue())
    header, row = rows["household_survey.csv"][0], rows["household_survey.csv"][1]
    cells = dict(zip(header, row, strict=True))
    assert "house_no" in header and "household-house_no" not in header
    assert (cells["savings/bank"], cells["savings/fund"], cells["savings/gold"]) == ("1", "0", "1")
    assert cells["visit_date"] == "2569-01-15"
    assert cells["SubmissionDate"].startswith("2569-01-15")
    assert cells["phone"] == '="0812345678"'
    member = dict(zip(*rows["household_survey-members.csv"][:2], strict=True))
    assert member["citizen_id"] == '="0101700207030"'  # leading zero: Excel would drop it


def test_a_date_that_did_not_parse_is_neutralised_under_buddhist_dates_too() -> None:
    # A type mismatch keeps the phone's text; written raw it would run as a formula in Excel.
    out = io.BytesIO()
    row = main_row(**{"/data/visit_date": '=HYPERLINK("http://x","y")'})
    write_csv_zip(out, household_schema(), [row], repeats, options=ExportOptions(dates="buddhist"))
    header, cells = csv_tables(out.getvalue())["household_survey.csv"][:2]
    assert dict(zip(header, cells, strict=True))["visit_date"] == "'=HYPERLINK(\"http://x\",\"y\")"


def test_field_selection_keeps_the_linking_keys() -> None:
    out = io.BytesIO()
    write_csv_zip(out, household_schema(), [main_row()], repeats, options=ExportOptions(fields=("house_no", "age")))
    rows = csv_tables(out.getvalue())
    assert rows["household_survey.csv"][0][:2] == ["SubmissionDate", "household-house_no"]
    assert "phone" not in rows["household_survey.csv"][0] and "KEY" in rows["household_survey.csv"][0]
    assert rows["household_survey-members.csv"][0] == ["age", "PARENT_KEY", "KEY"]


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_sheets_types_headers_and_thai(tmp_path: Path) -> None:
    path = tmp_path / "hh.xlsx"
    row = main_row(**{"/data/visit_date": "2026-01-15"})
    counts = write_xlsx(path, hostile_schema(), [row], repeats, options=ExportOptions(labels="th"))
    assert counts == {"household_survey": 1, "members": 1, "visits": 1}
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["household_survey", "members", "visits"]
    sheet = book["household_survey"]
    labels = [c.value for c in sheet[1]]
    names = [c.value for c in sheet[2]]
    assert labels[1] == '=HYPERLINK("http://x","ข้อ1")' and sheet.cell(1, 2).data_type == "s"  # text, never a formula
    assert names[:3] == ["SubmissionDate", "household-house_no", "household-village"]
    cells = {name: sheet.cell(3, i + 1) for i, name in enumerate(names)}
    assert cells["phone"].value == "0812345678" and cells["phone"].data_type == "s"
    assert cells["household-village"].value == "บ้านดอนแก้ว"
    assert cells["rooms"].value == 3 and cells["income"].value == -1500.5
    assert cells["visit_date"].value == datetime(2026, 1, 15) and cells["visit_date"].is_date
    assert cells["SubmissionDate"].value == datetime(2026, 1, 15, 9, 30)  # UTC 02:30 in Thailand
    assert cells["remarks"].value == '=HYPERLINK("http://evil")' and cells["remarks"].data_type == "s"
    assert sheet.freeze_panes == "A3"
    member = book["members"]
    assert member.cell(3, 2).value == "0101700207030" and member.cell(3, 2).data_type == "s"
    assert member.column_dimensions["A"].width >= display_width("ชื่อ-นามสกุล")


def test_xlsx_continues_a_table_on_new_sheets_and_can_use_one_header_row(tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    rows = [main_row(**{"/data/household/house_no": f"{i}/1"}) for i in range(7)]
    counts = write_xlsx(
        path,
        household_schema(),
        rows,
        repeats,
        options=ExportOptions(header_rows=1),
        table_rows={None: 7, "/data/members": 1},
        max_rows=4,  # three data rows per sheet under a one-row header
    )
    assert counts["household_survey"] == 3 and counts["household_survey (2)"] == 3
    assert counts["household_survey (3)"] == 1
    book = openpyxl.load_workbook(path)
    got = [
        r[1]
        for name in ("household_survey", "household_survey (2)", "household_survey (3)")
        for r in book[name].iter_rows(min_row=2, values_only=True)
    ]
    assert got == [f"{i}/1" for i in range(7)]
    assert book["household_survey (2)"].cell(1, 2).value == "household-house_no"
    assert book["household_survey"].freeze_panes == "A2"


def test_xlsx_starts_a_new_sheet_before_a_sheets_xml_would_pass_the_zip_limit(tmp_path: Path) -> None:
    """The XLSX library writes no Zip64, so a sheet's XML must stay under 4 GiB (a million household
    submissions is more): sheets are sized from the first rows. A small budget shows the cut."""
    path = tmp_path / "big.xlsx"
    n = 2500
    rows = [
        main_row(**{"/data/household/house_no": f"{i}/1", "/data/remarks": "บ้านไม้สองชั้น" * 5})
        for i in range(n)
    ]
    budget = 2_000_000
    counts = write_xlsx(
        path,
        household_schema(),
        rows,
        repeats,
        table_rows={None: n, "/data/members": 1},
        sheet_xml_budget=budget,
    )
    main_sheets = [name for name in counts if name.startswith("household_survey") and "members" not in name]
    assert len(main_sheets) >= 2 and sum(counts[name] for name in main_sheets) == n
    with zipfile.ZipFile(path) as archive:
        sizes = [i.file_size for i in archive.infolist() if i.filename.startswith("xl/worksheets/")]
    assert max(sizes) < budget
    book = openpyxl.load_workbook(path, read_only=True)
    got = [r[1] for name in main_sheets for r in book[name].iter_rows(min_row=3, values_only=True)]
    assert got == [f"{i}/1" for i in range(n)]


def test_buddhist_dates_in_xlsx_are_real_dates_shown_in_the_thai_calendar(tmp_path: Path) -> None:
    path = tmp_path / "be.xlsx"
    write_xlsx(path, household_schema(), [main_row(**{"/data/visit_date": "2026-01-15"})], repeats,
               options=ExportOptions(dates="buddhist"))
    sheet = openpyxl.load_workbook(path)["household_survey"]
    col = [c.value for c in sheet[2]].index("visit_date") + 1
    assert sheet.cell(3, col).value == datetime(2026, 1, 15)
    assert "[$-107041E]" in sheet.cell(3, col).number_format


# --- SPSS / Stata -------------------------------------------------------------------------------


def read_stat(data: bytes, name: str, tmp_path: Path) -> tuple[Any, Any]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extract(name, tmp_path)
    reader = pyreadstat.read_sav if name.endswith(".sav") else pyreadstat.read_dta
    return reader(str(tmp_path / name), user_missing=True) if name.endswith(".sav") else reader(str(tmp_path / name))


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_files_carry_labels_value_labels_and_0_1_variables(fmt: str, tmp_path: Path) -> None:
    out = io.BytesIO()
    unanswered = main_row(**{"/data/has_well": None, "/data/household/house_no": "บ้านไม่มีบ่อ"})
    counts = write_stats_zip(out, household_schema(), [main_row(), unanswered], repeats, fmt=fmt,
                             options=ExportOptions(labels="th"))
    assert counts == {f"household_survey.{fmt}": 2, f"household_survey-members.{fmt}": 1,
                      f"household_survey-visits.{fmt}": 1}
    df, meta = read_stat(out.getvalue(), f"household_survey.{fmt}", tmp_path)
    assert list(df["household_house_no"]) == ["12/3 หมู่ 4", "บ้านไม่มีบ่อ"]
    assert meta.column_names_to_labels["household_house_no"] == "บ้านเลขที่"
    assert meta.variable_value_labels["household_village"][2] == "บ้านดอนแก้ว"
    assert meta.variable_value_labels["has_well"][1] == "ใช่"
    assert (df["savings_bank"][0], df["savings_fund"][0], df["savings_gold"][0]) == (1, 0, 1)
    assert meta.column_names_to_labels["savings_gold"] == "การออม: ทองคำ"
    assert df["phone"][0] == "0812345678"  # text, leading zero kept
    assert df["income"][0] == -1500.5 and df["rooms"][0] == 3
    if fmt == "sav":
        assert df["has_well"][1] == NO_ANSWER
        assert meta.missing_ranges["has_well"] == [{"lo": NO_ANSWER, "hi": NO_ANSWER}]
    else:
        assert df["has_well"].isna()[1]
    members, _ = read_stat(out.getvalue(), f"household_survey-members.{fmt}", tmp_path)
    assert members["citizen_id"][0] == "0101700207030"


def test_stat_tables_are_written_in_parts(tmp_path: Path) -> None:
    out = io.BytesIO()
    rows = [main_row(**{"/data/household/house_no": str(i)}) for i in range(5)]
    counts = write_stats_zip(out, household_schema(), rows, repeats, fmt="sav", part_rows=2)
    assert [v for k, v in counts.items() if k.startswith("household_survey.") or "_part" in k] == [2, 2, 1]
    df, _ = read_stat(out.getvalue(), "household_survey_part3.sav", tmp_path)
    assert list(df["household_house_no"]) == ["4"]


# --- GeoJSON / KML ------------------------------------------------------------------------------


def test_geojson_features_with_selected_properties() -> None:
    out = io.BytesIO()
    no_point = main_row(**{"/data/household/location": None})
    counts = write_geojson(out, household_schema(), [main_row(), no_point], repeats,
                           options=ExportOptions(labels="th", properties=("house_no", "village")))
    assert counts == {"household_survey": 1}
    collection = json.loads(out.getvalue())
    feature = collection["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [100.5018, 13.7563, 12.5]}
    assert feature["properties"] == {
        "table": "household_survey",
        "field": "/data/household/location",
        "บ้านเลขที่": "12/3 หมู่ 4",
        "หมู่บ้าน": "บ้านดอนแก้ว",
        "KEY": "uuid:1",
    }


def trace_schema() -> dict[str, Any]:
    schema = household_schema()
    schema["fields"].insert(
        -3,
        {"path": "/data/boundary", "name": "boundary", "type": "geoshape", "bind_type": "geoshape",
         "labels": {}, "choice_list": None, "repeat": None, "sensitive": False, "checks": []},
    )
    return schema


def test_geoshapes_become_closed_polygons_in_geojson_and_kml() -> None:
    ring = [{"lat": 13.0, "lon": 100.0}, {"lat": 13.1, "lon": 100.0}, {"lat": 13.1, "lon": 100.1}]
    row = main_row(**{"/data/boundary": ring})
    out = io.BytesIO()
    write_geojson(out, trace_schema(), [row], repeats)
    shapes = [f["geometry"] for f in json.loads(out.getvalue())["features"]]
    assert shapes[1] == {"type": "Polygon", "coordinates": [[[100.0, 13.0], [100.0, 13.1], [100.1, 13.1], [100.0, 13.0]]]}
    kml = io.BytesIO()
    counts = write_kml(kml, trace_schema(), [row], repeats)
    assert counts == {"household_survey": 2}
    doc = etree.fromstring(kml.getvalue())
    placemarks = doc.findall(f"{KML}Document/{KML}Placemark")
    assert placemarks[0].findtext(f"{KML}name") == "uuid:1"
    assert placemarks[0].findtext(f"{KML}Point/{KML}coordinates") == "100.5018,13.7563,12.5"
    data = {d.get("name"): d.findtext(f"{KML}value") for d in placemarks[0].iter(f"{KML}Data")}
    assert data["household-house_no"] == "12/3 หมู่ 4"
    assert placemarks[1].find(f"{KML}Polygon") is not None


# --- media zip ----------------------------------------------------------------------------------


def test_media_zip_streams_files_and_indexes_them() -> None:
    blobs = {"a" * 64: [b"\xff\xd8", b"jpeg"], "b" * 64: [b"png"]}
    files = [
        MediaFile("uuid:1", "house.jpg", "a" * 64, 6, "image/jpeg", "/data/household/house_photo", "uuid:1"),
        MediaFile("uuid:1", "sign.png", "b" * 64, 3, "image/png", "/data/members/sign", "uuid:1/members[1]"),
        MediaFile("uuid:2", "house.jpg", None),
    ]
    out = io.BytesIO()
    assert write_media_zip(out, files, lambda sha: iter(blobs[sha]), folder="hh") == {"files": 2, "missing": 1}
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.read("hh/uuid_1/house.jpg") == b"\xff\xd8jpeg"
        index = list(csv.DictReader(io.StringIO(archive.read("hh/index.csv").decode("utf-8-sig"))))
    assert [(r["KEY"], r["ROW_KEY"], r["field"], r["path"], r["present"]) for r in index] == [
        ("uuid:1", "uuid:1", "/data/household/house_photo", "hh/uuid_1/house.jpg", "1"),
        ("uuid:1", "uuid:1/members[1]", "/data/members/sign", "hh/uuid_1/sign.png", "1"),
        ("uuid:2", "uuid:2", "", "", "0"),
    ]


# --- options, versions, sensitive fields --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("abc", "must be a JSON object"),
        (["labels"], "must be a JSON object"),
        ({"colour": "red"}, "Unknown export option"),
        ({"labels": "fr"}, "no language"),
        ({"multiple": "many"}, "must be one of"),
        ({"header_rows": 3}, "must be 1 or 2"),
        ({"group_names": "yes"}, "true or false"),
        ({"fields": ["nope"]}, "Unknown field"),
        ({"review_states": ["lost"]}, "Unknown review state"),
        ({"submitted_from": "15/01/2569"}, "YYYY-MM-DD"),
        ({"submitted_from": "2026-02-01", "submitted_to": "2026-01-01"}, "must not be after"),
        ({"sensitive": "hide"}, "must be one of"),
    ],
)
def test_bad_options_get_a_thai_and_english_message(raw: Any, fragment: str) -> None:
    with pytest.raises(OptionError) as caught:
        parse_options(raw, household_schema())
    assert fragment in caught.value.message
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in caught.value.message)


def test_good_options_round_trip_through_their_stored_form() -> None:
    raw = {"labels": "th", "multiple": "split", "review_states": ["approved"], "submitted_from": "2026-01-01",
           "fields": ["house_no"], "dates": "buddhist", "sensitive": "mask"}
    options = parse_options(raw, household_schema())
    assert options.submitted_from == date(2026, 1, 1)
    assert parse_options(options.as_json(), household_schema()) == options


def test_older_versions_fields_are_kept_after_the_current_ones() -> None:
    old = household_schema("1", with_phone=True)
    current = household_schema("2", with_phone=False)
    merged = merge_schemas(current, [old])
    main = plan_tables(merged)[0]
    names = [c.name for c in main.columns]
    assert "phone" in names and names.index("phone") > names.index("meta-instanceName")


def test_sensitive_values_are_masked_or_pseudonymised_with_the_key() -> None:
    schema = household_schema()
    for spec in schema["fields"]:
        if spec["name"] in ("citizen_id", "has_well"):
            spec["sensitive"] = True
    fields = sensitive_fields(schema)
    rows = [{"KEY": "k", "values": {"/data/members/citizen_id": "0101700207030", "/data/has_well": "yes"}}]
    masked = next(protect_rows(rows, fields, "mask"))["values"]
    assert masked == {"/data/members/citizen_id": "xxxxxxxxx7030", "/data/has_well": "****"}
    hashed = next(protect_rows(rows, fields, "pseudonymise", b"k" * 32))["values"]
    assert hashed["/data/members/citizen_id"] == pseudonym(b"k" * 32, "0101700207030")
    assert hashed["/data/members/citizen_id"] != pseudonym(b"other-key", "0101700207030")
    assert hashed["/data/has_well"] == "****"
    assert rows[0]["values"]["/data/members/citizen_id"] == "0101700207030"  # the source rows untouched
    omitted = plan_tables(schema, options=ExportOptions(sensitive="omit"))
    assert not any(c.path == "/data/members/citizen_id" for t in omitted for c in t.columns)
