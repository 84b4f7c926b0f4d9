"""The pyxform adapter: what a form designer sees when a form converts, warns or fails."""

from __future__ import annotations

import logging

import pytest

from server.core.forms.xlsform import convert_xlsform, normalise_itemsets, read_form_identity
from server.core.ground.errors import InvalidXlsForm
from tests.helpers import FIXTURES

EXTERNAL = b"""
| survey |
| | type | name | label | choice_filter |
| | select_one provinces | province | Province | |
| | select_one_external cities | city | City | province=${province} |
| choices |
| | list name | name | label |
| | provinces | 10 | Bangkok |
| | provinces | 50 | Chiang Mai |
| external_choices |
| | list name | name | label | province |
| | cities | 1001 | Phra Nakhon | 10 |
| | cities | 5001 | Mueang Chiang Mai | 50 |
| settings |
| | form_id | version |
| | cascade | 1 |
"""

NO_FORM_ID = b"""
| survey |
| | type | name | label |
| | text | house_no | House number |
"""


def test_kitchen_sink_converts_with_thai_title_id_and_version() -> None:
    result = convert_xlsform((FIXTURES / "kitchen_sink.md").read_bytes(), "kitchen_sink.md")
    assert (result.form_id, result.version, result.root) == ("kitchen_sink", "2026112301", "data")
    assert result.title == "แบบทดสอบครบทุกชนิดคำถาม"
    assert result.warnings == []
    assert result.itemsets is None
    assert result.xform.startswith(b"<?xml") and "บ้านเลขที่".encode() in result.xform
    assert result.definition["id_string"] == "kitchen_sink"


def test_identity_is_read_from_the_generated_xform() -> None:
    xform = convert_xlsform((FIXTURES / "kitchen_sink.md").read_bytes(), "kitchen_sink.md").xform
    assert read_form_identity(xform) == ("kitchen_sink", "2026112301", "แบบทดสอบครบทุกชนิดคำถาม", "data")


def test_unknown_question_type_is_a_bilingual_form_error() -> None:
    with pytest.raises(InvalidXlsForm) as err:
        convert_xlsform((FIXTURES / "broken_unknown_type.md").read_bytes(), "broken_unknown_type.md")
    assert err.value.message.startswith("แบบฟอร์มมีข้อผิดพลาด / The XLSForm has an error:")
    assert "nonsense_type" in err.value.message


def test_row_numbers_from_pyxform_are_kept() -> None:
    with pytest.raises(InvalidXlsForm) as err:
        convert_xlsform((FIXTURES / "broken_missing_calculation.md").read_bytes(), "broken.md")
    assert "[row : 3]" in err.value.message and "calculation" in err.value.message


@pytest.mark.parametrize("filename", ["form.xlsx", "form.xls", "form.csv", "form.md"])
def test_garbage_bytes_are_a_form_error_not_a_crash(filename: str) -> None:
    with pytest.raises(InvalidXlsForm):
        convert_xlsform(b"PK\x03\x04 this is not a spreadsheet" * 5, filename)


def test_non_pyxform_exceptions_are_caught_too() -> None:
    # pyxform raises a bare KeyError for select_one_external without a choice_filter.
    source = EXTERNAL.replace(b"province=${province}", b"")
    with pytest.raises(InvalidXlsForm) as err:
        convert_xlsform(source, "cascade.md")
    assert "cities" in err.value.message


@pytest.mark.parametrize("filename", ["form.txt", "form.xml", "form", "form.pdf"])
def test_unsupported_extensions_are_refused(filename: str) -> None:
    with pytest.raises(InvalidXlsForm) as err:
        convert_xlsform(NO_FORM_ID, filename)
    assert ".xlsx" in err.value.message


def test_empty_upload_is_refused() -> None:
    with pytest.raises(InvalidXlsForm):
        convert_xlsform(b"", "form.xlsx")


def test_missing_form_id_falls_back_to_the_file_name_stem() -> None:
    result = convert_xlsform(NO_FORM_ID, "house visit-2569.md")
    assert result.form_id == "house_visit-2569"
    assert result.title == "house_visit-2569"


def test_explicit_fallback_wins_over_the_file_name() -> None:
    assert convert_xlsform(NO_FORM_ID, "upload.md", form_id_fallback="visits").form_id == "visits"


def test_without_any_fallback_pyxforms_placeholder_id_is_refused() -> None:
    with pytest.raises(InvalidXlsForm) as err:
        convert_xlsform(NO_FORM_ID, "upload.md", form_id_fallback="")
    assert "form_id" in err.value.message
    # A Thai file name leaves no usable ASCII stem: the designer must set form_id.
    with pytest.raises(InvalidXlsForm):
        convert_xlsform(NO_FORM_ID, "แบบสำรวจ.md")


def test_external_choices_give_itemsets_csv_with_a_list_name_header() -> None:
    result = convert_xlsform(EXTERNAL, "cascade.md")
    assert result.itemsets is not None
    header, first = result.itemsets.decode().splitlines()[:2]
    assert header == '"list_name","name","label","province"'
    assert first == '"cities","1001","Phra Nakhon","10"'


def test_normalise_itemsets_keeps_other_columns_and_quotes_all() -> None:
    assert normalise_itemsets('"list name","name"\r\n"a","b"\r\n') == b'"list_name","name"\r\n"a","b"\r\n'


def test_warnings_are_kept() -> None:
    source = b"""
| survey |
| | type | name | label |
| | image | photo | Photo |
| settings |
| | form_id |
| | photos |
"""
    result = convert_xlsform(source, "photos.md")
    assert any("max-pixels" in w for w in result.warnings)


def test_pyxform_does_not_print_to_the_console() -> None:
    assert logging.getLogger("pyxform.xls2xform").handlers == []
