"""Blocks shared by every Chumchon form: privacy notice, consent, place cascade, citizen ID, choices."""

from __future__ import annotations

from tools.forms.xlsform import Bilingual, Row, calc, choice_list, end_group, q

# Exact tested constraint of reference/thai-domain.md §2.2. ODK substr() is 0-based and end-exclusive;
# XPath substring() passes ODK Validate but crashes JavaRosa when the question is answered.
THAI_ID_CONSTRAINT = (
    "regex(., '^[0-9]{13}$') and (11 - ((substr(., 0, 1) * 13 + substr(., 1, 2) * 12"
    " + substr(., 2, 3) * 11 + substr(., 3, 4) * 10 + substr(., 4, 5) * 9 + substr(., 5, 6) * 8"
    " + substr(., 6, 7) * 7 + substr(., 7, 8) * 6 + substr(., 8, 9) * 5 + substr(., 9, 10) * 4"
    " + substr(., 10, 11) * 3 + substr(., 11, 12) * 2) mod 11)) mod 10 = number(substr(., 12, 13))"
)
THAI_ID_MESSAGE: Bilingual = (
    "เลขประจำตัวประชาชนไม่ถูกต้อง (ต้องเป็นตัวเลข 13 หลักและเลขตรวจสอบถูกต้อง)",
    "Invalid citizen ID (13 digits with a correct check digit)",
)
THAI_ID_HINT: Bilingual = (
    "พิมพ์เฉพาะตัวเลข 13 หลัก ไม่ต้องใส่ขีด (บนบัตรเขียนแบบ x-xxxx-xxxxx-xx-x)",
    "Digits only, 13 of them, no dashes (printed on the card as x-xxxx-xxxxx-xx-x)",
)


# Age from a birth date, as ODK forms usually compute it (decimal-date-time counts days).
def age_years(birth_ref: str) -> str:
    return f"int((decimal-date-time(today()) - decimal-date-time({birth_ref})) div 365.25)"


def age_months(birth_ref: str) -> str:
    return f"int((decimal-date-time(today()) - decimal-date-time({birth_ref})) div 30.4375)"


def metadata() -> list[Row]:
    """Device timestamps: the server uses them for audit and to spot back-dated submissions."""
    return [{"type": "start", "name": "start"}, {"type": "end", "name": "end"}]


def privacy_notice(purpose: Bilingual, sensitive: bool = False) -> list[Row]:
    """The PDPA s.23 notice (first item of the form) and the consent question.

    Everything after the consent question sits in a group relevant only when consent = yes, so
    that nothing is collected from a person who said no.
    """
    th_purpose, en_purpose = purpose
    th_sensitive = (
        " ข้อมูลบางรายการเป็นข้อมูลอ่อนไหว (เช่น สุขภาพ ความพิการ ศาสนา) จะเข้าถึงได้เฉพาะเจ้าหน้าที่ที่ได้รับอนุญาต"
        if sensitive
        else ""
    )
    en_sensitive = (
        " Some items are sensitive data (e.g. health, disability, religion) and only authorised"
        " staff can see them."
        if sensitive
        else ""
    )
    text_th = (
        "**ประกาศความเป็นส่วนตัว** หน่วยงานผู้จัดเก็บเป็นผู้ควบคุมข้อมูลส่วนบุคคลตาม พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคล"
        f" พ.ศ. 2562 ข้อมูลนี้เก็บเพื่อ{th_purpose} ใช้เฉพาะการดำเนินงานของหน่วยงานรัฐที่เกี่ยวข้อง"
        f" เก็บรักษาตามระยะเวลาที่ระเบียบกำหนด และจะไม่เปิดเผยต่อผู้อื่นโดยไม่มีกฎหมายให้อำนาจ{th_sensitive}"
        " ท่านมีสิทธิขอเข้าถึง แก้ไข หรือขอให้ลบข้อมูล และสอบถามเจ้าหน้าที่คุ้มครองข้อมูลส่วนบุคคลของหน่วยงานได้"
    )
    text_en = (
        "**Privacy notice** The collecting office is the data controller under the Personal Data"
        f" Protection Act B.E. 2562. These data are collected {en_purpose}, used only for the work of"
        " the government offices concerned, kept for the period the regulations require and not"
        f" disclosed without legal authority.{en_sensitive} You may ask to access, correct or erase"
        " your data and contact the office's data protection officer."
    )
    return [
        q("note", "privacy_notice", (text_th, text_en)),
        q(
            "select_one yes_no",
            "consent",
            (
                "ผู้ให้ข้อมูลยินยอมให้เก็บและใช้ข้อมูลตามประกาศข้างต้นหรือไม่",
                "Does the respondent consent to the collection and use described above?",
            ),
            hint=(
                "อ่านประกาศให้ผู้ให้ข้อมูลฟังก่อน ถ้าไม่ยินยอม ให้จบแบบฟอร์มและบันทึกส่ง",
                "Read the notice aloud first. If they do not consent, finish and send the form.",
            ),
            required=True,
        ),
        q(
            "note",
            "no_consent_note",
            ("ไม่ได้รับความยินยอม ไม่ต้องเก็บข้อมูลต่อ", "No consent: do not collect anything further."),
            relevant="${consent} = 'no'",
        ),
        q("begin_group", "main", ("ข้อมูล", "Data"), relevant="${consent} = 'yes'"),
    ]


def end_main() -> list[Row]:
    return [end_group("main")]


def place(required: bool = True, with_village: bool = True) -> list[Row]:
    """Province → district → subdistrict from geothai CSVs (codes stored), then the office's villages."""
    rows = [
        q(
            "select_one_from_file provinces.csv",
            "province",
            ("จังหวัด", "Province"),
            required=required,
            appearance="minimal",
        ),
        q(
            "select_one_from_file districts.csv",
            "district",
            ("อำเภอ/เขต", "District"),
            required=required,
            choice_filter="province_code = ${province}",
            appearance="minimal",
        ),
        q(
            "select_one_from_file subdistricts.csv",
            "subdistrict",
            ("ตำบล/แขวง", "Subdistrict"),
            hint=(
                "ชื่อตำบลซ้ำกันได้ในหลายอำเภอ เลือกอำเภอให้ถูกก่อน",
                "Subdistrict names repeat across districts: pick the district first",
            ),
            required=required,
            choice_filter="district_code = ${district}",
            appearance="minimal",
        ),
    ]
    if with_village:
        rows += [
            q(
                "select_one_from_file villages.csv",
                "village",
                ("หมู่บ้าน/ชุมชน", "Village / community"),
                hint=(
                    "ถ้าไม่มีในรายการ ให้เว้นว่างแล้วกรอกหมู่ที่และชื่อด้านล่าง",
                    "If it is not listed, leave blank and type the number and name below",
                ),
                choice_filter="subdistrict_code = ${subdistrict}",
                appearance="minimal",
            ),
            q(
                "integer",
                "village_no",
                ("หมู่ที่", "Village no. (หมู่ที่)"),
                relevant="${village} = ''",
                constraint=". >= 1 and . <= 99",
                message=("หมู่ที่ต้องอยู่ระหว่าง 1 ถึง 99", "Village number must be 1 to 99"),
            ),
            q(
                "text",
                "village_name",
                ("ชื่อหมู่บ้าน/ชุมชน", "Village / community name"),
                relevant="${village} = ''",
            ),
        ]
    return rows


def citizen_id(name: str, label: Bilingual, required: bool = True) -> list[Row]:
    """A citizen ID question (checksum, server re-check marker) followed by its confirmation."""
    return [
        q(
            "text",
            name,
            label,
            hint=THAI_ID_HINT,
            constraint=THAI_ID_CONSTRAINT,
            message=THAI_ID_MESSAGE,
            required=required,
            sensitive=True,
            appearance="numbers",
            server_check="thai_citizen_id",
        ),
        q(
            "text",
            f"{name}_confirm",
            ("ยืนยันเลขประจำตัวประชาชน (พิมพ์อีกครั้ง)", "Confirm citizen ID (type it again)"),
            hint=(
                "พิมพ์ซ้ำโดยไม่ดูข้อก่อน ช่วยจับเลขที่พิมพ์ผิดแต่ผ่านเลขตรวจสอบ",
                "Type it again without looking: catches typos that still pass the check digit",
            ),
            constraint=f". = ${{{name}}}",
            message=("เลขไม่ตรงกับข้อก่อนหน้า", "Does not match the number above"),
            required=required,
            sensitive=True,
            appearance="numbers",
        ),
    ]


def person_name(prefix: str = "", required: bool = True) -> list[Row]:
    p = f"{prefix}_" if prefix else ""
    return [
        q("select_one title", f"{p}title", ("คำนำหน้า", "Title"), required=required),
        q("text", f"{p}first_name", ("ชื่อ", "First name"), required=required),
        q("text", f"{p}last_name", ("นามสกุล", "Last name"), required=required),
    ]


def phone(name: str = "phone", required: bool = False) -> Row:
    return q(
        "text",
        name,
        ("เบอร์โทรศัพท์", "Phone number"),
        hint=("ตัวเลข 9–10 หลัก ขึ้นต้นด้วย 0 เช่น 0812345678", "9–10 digits starting with 0, e.g. 0812345678"),
        constraint="regex(., '^0[0-9]{8,9}$')",
        message=("เบอร์โทรศัพท์ไม่ถูกต้อง", "Invalid phone number"),
        required=required,
        appearance="numbers",
    )


def today_default(name: str, label: Bilingual) -> Row:
    return q("date", name, label, required=True, default="today()")


def constants(values: dict[str, str]) -> list[Row]:
    """Office-tunable numbers (weights, age limits) as calculates at the top of the form."""
    return [calc(k, v) for k, v in values.items()]


COMMON_CHOICES: list[Row] = (
    choice_list("yes_no", [("yes", "ใช่/มี", "Yes"), ("no", "ไม่ใช่/ไม่มี", "No")])
    + choice_list(
        "title",
        [
            ("mr", "นาย", "Mr"),
            ("mrs", "นาง", "Mrs"),
            ("miss", "นางสาว", "Miss"),
            ("boy", "เด็กชาย", "Master (boy)"),
            ("girl", "เด็กหญิง", "Miss (girl)"),
            ("other", "อื่น ๆ", "Other"),
        ],
    )
    + choice_list("sex", [("male", "ชาย", "Male"), ("female", "หญิง", "Female")])
)


def photo(
    name: str,
    label: Bilingual,
    hint: Bilingual | None = None,
    *,
    required: bool = False,
    sensitive: bool = False,
    **columns: str,
) -> Row:
    """An image question; max-pixels keeps uploads small on rural mobile data."""
    return q(
        "image",
        name,
        label,
        hint=hint,
        required=required,
        sensitive=sensitive,
        parameters="max-pixels=1600",
        **columns,
    )
