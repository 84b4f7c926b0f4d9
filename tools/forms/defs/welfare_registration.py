"""ขึ้นทะเบียนรับเบี้ยยังชีพ: registration for the elderly, disability and HIV living allowances.

One submission is one registered person; follow-up visit forms select from these records, so the
instance name carries the name and the allowance type.
"""

from __future__ import annotations

from tools.forms.defs import common
from tools.forms.xlsform import FormDef, Row, calc, choice_list, note, q, save_to

# Office-tunable rules, kept in one place at the top of the form.
RULES: dict[str, str] = {
    # Elderly allowance: aged 60 or more on the last day (30 Sep) of the fiscal year applied for.
    "elderly_min_age": "60",
    "fiscal_year_end_md": "'-09-30'",
}


def build() -> FormDef:
    is_elderly = "${allowance_type} = 'elderly'"
    is_disabled = "${allowance_type} = 'disabled'"
    is_hiv = "${allowance_type} = 'hiv'"
    survey: list[Row] = [
        *common.metadata(),
        *common.constants(RULES),
        *common.privacy_notice(
            (
                "ขึ้นทะเบียนและจ่ายเบี้ยยังชีพผู้สูงอายุ คนพิการ หรือผู้ป่วยเอดส์ ตามระเบียบกระทรวงมหาดไทย",
                "to register for and pay the elderly, disability or HIV living allowance under Ministry of Interior regulations",
            ),
            sensitive=True,
        ),
        q(
            "select_one allowance_type",
            "allowance_type",
            ("ประเภทเบี้ยยังชีพที่ขอขึ้นทะเบียน", "Allowance applied for"),
            required=True,
            sensitive=True,  # the type itself reveals disability or HIV status
        ),
        q(
            "integer",
            "fiscal_year_be",
            ("ปีงบประมาณที่ขอรับเบี้ย (พ.ศ.)", "Fiscal year applied for (Buddhist Era)"),
            hint=(
                "ปีงบประมาณ 2570 = 1 ต.ค. 2569 ถึง 30 ก.ย. 2570 ปกติขึ้นทะเบียนล่วงหน้าหนึ่งปี",
                "Fiscal year 2570 runs 1 Oct 2569 to 30 Sep 2570; people usually register a year ahead",
            ),
            constraint=". >= 2560 and . <= 2600",
            message=("ปีงบประมาณต้องเป็นปี พ.ศ. เช่น 2570", "Enter a Buddhist-Era year such as 2570"),
            required=True,
        ),
        calc(
            "elderly_cutoff",
            "concat(string(${fiscal_year_be} - 543 - ${elderly_min_age}), ${fiscal_year_end_md})",
        ),
        *common.citizen_id("nid", ("เลขประจำตัวประชาชนผู้ขอขึ้นทะเบียน", "Applicant's citizen ID")),
        *common.person_name(),
        q("select_one sex", "sex", ("เพศ", "Sex"), required=True),
        q(
            "date",
            "birth_date",
            ("วันเดือนปีเกิด", "Date of birth"),
            hint=(
                "ตามบัตรประชาชน ผู้สูงอายุต้องอายุครบ 60 ปีภายในวันสิ้นปีงบประมาณ (30 ก.ย.)",
                "As on the ID card; elderly applicants must be 60 by the end of the fiscal year (30 Sep)",
            ),
            constraint=(
                "decimal-date-time(.) <= decimal-date-time(today()) and "
                f"(not({is_elderly}) or decimal-date-time(.) <= decimal-date-time(date(${{elderly_cutoff}})))"
            ),
            message=(
                "ผู้สูงอายุต้องมีอายุครบ 60 ปีภายในปีงบประมาณที่ขอรับ (หรือวันเกิดอยู่ในอนาคต)",
                "Elderly applicants must turn 60 within the fiscal year (or the date is in the future)",
            ),
            required=True,
        ),
        calc("age", common.age_years("${birth_date}")),
        note("age_note", ("อายุปัจจุบัน ${age} ปี", "Current age ${age} years")),
        q("text", "house_no", ("บ้านเลขที่ตามทะเบียนบ้าน", "House number (house registration)"), required=True),
        *common.place(),
        common.phone(),
        q(
            "select_one bank",
            "bank",
            ("ธนาคารที่รับโอนเบี้ย", "Bank receiving the allowance"),
            required=True,
        ),
        q(
            "text",
            "bank_account_no",
            ("เลขที่บัญชีธนาคาร", "Bank account number"),
            hint=("ตัวเลขเท่านั้น 10–15 หลัก ตามสมุดบัญชี", "Digits only, 10–15, as in the bank book"),
            constraint="regex(., '^[0-9]{10,15}$')",
            message=("เลขที่บัญชีต้องเป็นตัวเลข 10–15 หลัก", "The account number has 10–15 digits"),
            required=True,
            sensitive=True,
            appearance="numbers",
        ),
        q("text", "bank_account_name", ("ชื่อบัญชี", "Account name"), required=True, sensitive=True),
        q(
            "text",
            "disability_card_no",
            ("เลขบัตรประจำตัวคนพิการ", "Disability card number"),
            hint=("ส่วนใหญ่เป็นเลขเดียวกับเลขประจำตัวประชาชน", "Usually the same as the citizen ID"),
            relevant=is_disabled,
            required=True,
            sensitive=True,
            appearance="numbers",
        ),
        q(
            "select_one yes_no",
            "hiv_medical_certificate",
            ("มีใบรับรองแพทย์ยืนยันสิทธิ", "Has a medical certificate"),
            hint=(
                "บันทึกเพียงว่ามีใบรับรอง ห้ามบันทึกรายละเอียดการรักษา",
                "Record only that a certificate exists, never treatment details",
            ),
            relevant=is_hiv,
            required=True,
            sensitive=True,
            constraint=". = 'yes'",
            message=("ต้องมีใบรับรองแพทย์จึงขึ้นทะเบียนได้", "A medical certificate is required to register"),
        ),
        common.photo(
            "photo_id_card_front",
            ("ภาพบัตรประชาชน (ด้านหน้าเท่านั้น)", "Photo of the ID card (front only)"),
            (
                "ห้ามถ่ายด้านหลังบัตร: รหัสหลังบัตร (laser code) ใช้ยืนยันตัวตนออนไลน์",
                "Never the back: its laser code is used for online identity checks",
            ),
            sensitive=True,
            required=True,
        ),
        common.photo(
            "photo_house_registration",
            ("ภาพทะเบียนบ้าน (หน้าที่มีชื่อผู้ขอ)", "Photo of the house registration (applicant's page)"),
            sensitive=True,
            required=True,
        ),
        common.photo(
            "photo_bank_book",
            ("ภาพหน้าสมุดบัญชีธนาคาร", "Photo of the bank book page"),
            sensitive=True,
            required=True,
        ),
        q("text", "officer_name", ("เจ้าหน้าที่ผู้รับลงทะเบียน", "Registering officer"), required=True),
        common.today_default("registration_date", ("วันที่ขึ้นทะเบียน", "Registration date")),
        *common.end_main(),
    ]
    choices = (
        common.COMMON_CHOICES
        + choice_list(
            "allowance_type",
            [
                ("elderly", "เบี้ยยังชีพผู้สูงอายุ", "Elderly allowance"),
                ("disabled", "เบี้ยความพิการ", "Disability allowance"),
                ("hiv", "เบี้ยยังชีพผู้ป่วยเอดส์", "HIV living allowance"),
            ],
        )
        + choice_list(
            "bank",
            [
                ("baac", "ธ.ก.ส.", "BAAC"),
                ("gsb", "ธนาคารออมสิน", "Government Savings Bank"),
                ("ktb", "ธนาคารกรุงไทย", "Krungthai Bank"),
                ("kbank", "ธนาคารกสิกรไทย", "Kasikornbank"),
                ("scb", "ธนาคารไทยพาณิชย์", "Siam Commercial Bank"),
                ("bbl", "ธนาคารกรุงเทพ", "Bangkok Bank"),
                ("bay", "ธนาคารกรุงศรีอยุธยา", "Bank of Ayudhya"),
                ("other", "อื่น ๆ", "Other"),
            ],
        )
    )
    # The registry welfare_verification reads and updates (server.core.entities).
    save_to(survey, ("first_name", "last_name", "birth_date", "house_no", "subdistrict", "village", "phone"))
    return FormDef(
        form_id="welfare_registration",
        title="ขึ้นทะเบียนรับเบี้ยยังชีพ",
        instance_name="concat(${first_name}, ' ', ${last_name}, ' (', ${allowance_type}, ' ', ${fiscal_year_be}, ')')",
        survey=survey,
        choices=choices,
        version="2026120201",
        entities=[
            {
                "list_name": "beneficiaries",
                "label": "concat(${first_name}, ' ', ${last_name}, ' บ้านเลขที่ ', ${house_no})",
                "create_if": "${consent} = 'yes'",
            }
        ],
    )
