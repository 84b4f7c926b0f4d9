"""The shipped XLSForms convert cleanly, are bilingual, and carry the markers the server reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import FOLLOW_UP_IDS, FORM_IDS, FORMS_DIR
from openpyxl import load_workbook
from pyxform.xls2xform import ConvertResult, convert

TH, EN = "Thai (th)", "English (en)"
SENSITIVE_NAME = re.compile(
    r"nid|citizen|id_card|health|disab|hiv|religion|bank_account_(?:no|name)|bank_book|chronic"
)
CHECKSUM = "number(substr(., 12, 13))"


def sheet_rows(form_id: str, sheet: str) -> list[dict[str, Any]]:
    ws = load_workbook(FORMS_DIR / f"{form_id}.xlsx", read_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:] if any(v is not None for v in row)]


def questions(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for child in node.get("children", []):
        yield child
        yield from questions(child)


def test_all_nine_forms_are_shipped() -> None:
    assert sorted(p.stem for p in FORMS_DIR.glob("*.xlsx")) == sorted(FORM_IDS + FOLLOW_UP_IDS)


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_converts_without_warnings(form_id: str, converted: dict[str, ConvertResult]) -> None:
    result = converted[form_id]
    assert result.warnings == []
    assert f'id="{form_id}"' in result.xform


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_settings_complete_with_thai_default(form_id: str) -> None:
    (settings,) = sheet_rows(form_id, "settings")
    assert settings["form_id"] == form_id
    assert re.fullmatch(r"20\d{8}", str(settings["version"]))
    assert re.search(r"[\u0E00-\u0E7F]", settings["form_title"]), "form_title should be Thai"
    assert settings["instance_name"]
    assert settings["default_language"] == TH


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_label_hint_and_message_in_both_languages(form_id: str) -> None:
    for sheet in ("survey", "choices"):
        for row in sheet_rows(form_id, sheet):
            for column in ("label", "hint", "constraint_message", "required_message"):
                th, en = row.get(f"{column}::{TH}"), row.get(f"{column}::{EN}")
                assert bool(th) == bool(en), f"{sheet} {row.get('name')}: {column} only in one language"
            if (
                sheet == "survey"
                and row["type"] not in ("calculate", "start", "end")
                and not str(row["type"]).startswith("end_")
            ):
                assert row.get(f"label::{TH}"), f"{row['name']} has no Thai label"


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_privacy_notice_first_then_required_consent(
    form_id: str, converted: dict[str, ConvertResult]
) -> None:
    rows = [r for r in sheet_rows(form_id, "survey") if r["type"] not in ("start", "end", "calculate")]
    assert rows[0]["type"] == "note" and "ประกาศความเป็นส่วนตัว" in rows[0][f"label::{TH}"]
    assert (
        rows[1]["name"] == "consent"
        and rows[1]["type"] == "select_one yes_no"
        and rows[1]["required"] == "yes"
    )
    main = rows[3]
    assert main["type"] == "begin_group" and main["relevant"] == "${consent} = 'yes'"
    top_level = [
        c["name"]
        for c in converted[form_id]._pyxform["children"]
        if c["type"] not in ("calculate", "start", "end")
    ]
    assert top_level[:4] == ["privacy_notice", "consent", "no_consent_note", "main"]


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_sensitive_fields_are_marked(form_id: str, converted: dict[str, ConvertResult]) -> None:
    for q in questions(converted[form_id]._pyxform):
        if q.get("type") in ("note", "group", "repeat", "calculate"):
            continue
        if SENSITIVE_NAME.search(q["name"]):
            assert q.get("sensitive") == "yes", f"{form_id}.{q['name']} should be sensitive"


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_citizen_id_questions_have_checksum_confirm_and_server_check(
    form_id: str, converted: dict[str, ConvertResult]
) -> None:
    all_q = list(questions(converted[form_id]._pyxform))
    ids = [q for q in all_q if CHECKSUM in q.get("bind", {}).get("constraint", "")]
    assert [q["name"] for q in all_q if q.get("server_check") == "thai_citizen_id"] == [
        q["name"] for q in ids
    ]
    for q in ids:
        assert q["type"] == "text" and q["control"]["appearance"] == "numbers"
        assert "substring(" not in q["bind"]["constraint"]  # crashes JavaRosa on the phone
        confirm = next(c for c in all_q if c["name"] == f"{q['name']}_confirm")
        assert confirm["bind"]["constraint"] == f". = ${{{q['name']}}}"
        assert "server_check" not in confirm and confirm.get("sensitive") == "yes"


def test_forms_with_citizen_ids() -> None:
    """The three forms that register people ask for the citizen ID; the others do not collect it."""
    with_ids = {
        f
        for f in FORM_IDS
        if any(r.get("server_check") == "thai_citizen_id" for r in sheet_rows(f, "survey"))
    }
    assert with_ids == {"household_survey", "welfare_registration", "community_group"}


def test_welfare_photos_the_front_of_the_id_card_only() -> None:
    names = {r["name"] for r in sheet_rows("welfare_registration", "survey") if r["type"] == "image"}
    assert "photo_id_card_front" in names
    assert not any("back" in n for n in names)


def test_place_cascade_stores_codes_from_media_csvs(converted: dict[str, ConvertResult]) -> None:
    xform = converted["household_survey"].xform
    for media in ("provinces", "districts", "subdistricts", "villages"):
        assert f'src="jr://file-csv/{media}.csv"' in xform
    assert "instance('districts')/root/item[province_code =  /data/main/household/province ]" in xform
    assert "instance('subdistricts')/root/item[district_code =  /data/main/household/district ]" in xform


def test_nomination_weights_add_up_to_100_in_one_place() -> None:
    rows = sheet_rows("nomination_scoring", "survey")
    weights = {
        r["name"]: int(r["calculation"])
        for r in rows
        if str(r["name"]).startswith("w_") and r["name"] != "w_total"
    }
    assert sum(weights.values()) == 100
    scores = [r for r in rows if str(r["name"]).startswith("score_") and r["type"] == "decimal"]
    assert len(scores) == len(weights)
    for row in scores:
        assert re.search(r"\. <= \$\{w_\w+\}", row["constraint"]), row["name"]


def test_generator_rebuilds_every_form(tmp_path: Any) -> None:
    from tools.forms.build_forms import build_all

    written = build_all(tmp_path)
    assert sorted(p.stem for p in written) == sorted(FORM_IDS + FOLLOW_UP_IDS)
    for path in written:
        assert convert(str(path)).warnings == []


def test_the_generator_makes_the_shipped_xforms(tmp_path: Any) -> None:
    """The definitions in tools/forms/defs/ (entities sheets and save_to included) give the same XForm
    as the shipped .xlsx files, so regenerating a form loses nothing a designer shipped."""
    from tools.forms.build_forms import build_all

    for path in build_all(tmp_path):
        shipped = convert(str(FORMS_DIR / path.name)).xform
        assert convert(str(path)).xform == shipped, f"{path.stem}: the generator and the shipped form differ"
