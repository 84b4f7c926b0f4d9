"""ติดตามครัวเรือน (จปฐ. ปีถัดไป): next year's visit to a surveyed household.

The surveyor picks the household from the `households` entity list (made by household_survey and
downloaded as households.csv), sees last year's key answers (members, people aged 60+, people with a
disability, household income) and records this year's; the answers update the household's entity.
"""

from __future__ import annotations

from tools.forms.defs import common
from tools.forms.xlsform import FormDef, Row, calc, note, q

LIST = "households"


def _from_list(prop: str) -> str:
    return f"instance('{LIST}')/root/item[name=${{household}}]/{prop}"


def _count(name: str, label: tuple[str, str], prev: str) -> Row:
    return q(
        "integer",
        name,
        label,
        hint=(f"ปีที่แล้ว: ${{{prev}}}", f"Last year: ${{{prev}}}"),
        constraint=". >= 0 and . <= 100",
        message=("จำนวนต้องอยู่ระหว่าง 0 ถึง 100", "The number must be 0 to 100"),
        required=True,
        save_to=name,
    )


def build() -> FormDef:
    survey: list[Row] = [
        *common.metadata(),
        *common.privacy_notice(
            (
                "ติดตามข้อมูลความจำเป็นพื้นฐาน (จปฐ.) ของครัวเรือนเทียบกับปีที่แล้ว",
                "to follow the household's basic-needs (จปฐ.) data against last year's survey",
            )
        ),
        q(
            f"select_one_from_file {LIST}.csv",
            "household",
            ("ครัวเรือน", "Household"),
            hint=("พิมพ์บ้านเลขที่หรือรหัสบ้านเพื่อค้นหา", "Type the house number or code to search"),
            required=True,
            appearance="autocomplete",
        ),
        calc("prev_members", _from_list("n_members")),
        calc("prev_60p", _from_list("n_60p")),
        calc("prev_disabled", _from_list("n_disabled")),
        calc("prev_income", _from_list("inc_total")),
        calc("prev_respondent", _from_list("respondent_name")),
        note(
            "last_year",
            (
                "ปีที่แล้ว: สมาชิก ${prev_members} คน อายุ 60 ปีขึ้นไป ${prev_60p} คน คนพิการ ${prev_disabled} คน"
                " รายได้รวม ${prev_income} บาท/ปี ผู้ให้ข้อมูล ${prev_respondent}",
                "Last year: ${prev_members} members, ${prev_60p} aged 60+, ${prev_disabled} with a disability,"
                " income ${prev_income} baht/year, respondent ${prev_respondent}",
            ),
        ),
        q(
            "text",
            "respondent_name",
            ("ชื่อ-นามสกุลผู้ให้ข้อมูล", "Respondent's full name"),
            required=True,
            save_to="respondent_name",
        ),
        _count("n_members", ("จำนวนสมาชิกในครัวเรือนปีนี้", "Household members this year"), "prev_members"),
        _count("n_60p", ("จำนวนสมาชิกอายุ 60 ปีขึ้นไป", "Members aged 60 or more"), "prev_60p"),
        _count("n_disabled", ("จำนวนคนพิการ", "Members with a disability"), "prev_disabled"),
        q(
            "decimal",
            "inc_total",
            ("รายได้รวมของครัวเรือนปีนี้ (บาท/ปี)", "Household income this year (baht/year)"),
            hint=("ปีที่แล้ว: ${prev_income} บาท", "Last year: ${prev_income} baht"),
            constraint=". >= 0 and . <= 100000000",
            message=("รายได้ต้องไม่ติดลบ", "Income cannot be negative"),
            required=True,
            save_to="inc_total",
        ),
        q(
            "integer",
            "survey_year",
            ("ปีที่สำรวจ (พ.ศ.)", "Survey year (Buddhist Era)"),
            constraint=". >= 2560 and . <= 2600",
            message=("ปีต้องเป็นปี พ.ศ. เช่น 2570", "Enter a Buddhist-Era year such as 2570"),
            required=True,
            save_to="survey_year",
        ),
        q("text", "changes", ("การเปลี่ยนแปลงที่สำคัญ (ถ้ามี)", "Main changes since last year (if any)")),
        q("text", "surveyor_name", ("ชื่อผู้สำรวจ", "Surveyor"), required=True),
        common.today_default("visit_date", ("วันที่เยี่ยม", "Date of the visit")),
        *common.end_main(),
    ]
    return FormDef(
        form_id="household_followup",
        title="ติดตามข้อมูลครัวเรือน (จปฐ. ปีถัดไป)",
        instance_name="concat('ติดตาม ', ${household}, ' ', ${visit_date})",
        survey=survey,
        choices=list(common.COMMON_CHOICES),
        version="2026120201",
        entities=[{"list_name": LIST, "entity_id": "${household}", "update_if": "${consent} = 'yes'"}],
    )
