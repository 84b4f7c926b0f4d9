"""จปฐ. household survey following the published 2560–2564 structure (31 indicators, 5 หมวด).

Eligible counts come from the member roster (ages computed from birth dates), so the surveyor never
adds up children by hand, and every "not meeting" count is bounded by its eligible count.
"""

from __future__ import annotations

from tools.forms.defs import common
from tools.forms.xlsform import (
    Bilingual,
    FormDef,
    Row,
    begin_group,
    calc,
    choice_list,
    end_group,
    note,
    q,
    save_to,
)

NOT_MORE_THAN_ELIGIBLE: Bilingual = (
    "จำนวนต้องไม่น้อยกว่า 1 และไม่เกินจำนวนคนที่เข้าเกณฑ์ในข้อนี้",
    "Must be at least 1 and no more than the number of eligible members",
)
NON_NEGATIVE: Bilingual = ("ต้องเป็นจำนวนตั้งแต่ 0 ขึ้นไป", "Must be 0 or more")

# Eligible groups: calculate name -> (predicate over one member, Thai, English).
ELIGIBLE: dict[str, tuple[str, str, str]] = {
    "n_u1": ("age_months < 12", "เด็กอายุไม่เกิน 1 ปี", "children under 1 year"),
    "n_u6m": ("age_months < 6", "เด็กอายุต่ำกว่า 6 เดือน", "children under 6 months"),
    "n_6m_1y": ("age_months >= 6 and age_months < 12", "เด็กอายุ 6 เดือน–1 ปี", "children 6–12 months"),
    "n_0_12": ("age <= 12", "เด็กอายุแรกเกิด–12 ปี", "children 0–12 years"),
    "n_35p": ("age >= 35", "คนอายุ 35 ปีขึ้นไป", "people 35 and over"),
    "n_6p": ("age >= 6", "คนอายุ 6 ปีขึ้นไป", "people 6 and over"),
    "n_3_5": ("age >= 3 and age <= 5", "เด็กอายุ 3–5 ปี", "children 3–5 years"),
    "n_6_14": ("age >= 6 and age <= 14", "เด็กอายุ 6–14 ปี", "children 6–14 years"),
    "n_15_59": ("age >= 15 and age <= 59", "คนอายุ 15–59 ปี", "people 15–59 years"),
    "n_60p": ("age >= 60", "ผู้สูงอายุ 60 ปีขึ้นไป", "people 60 and over"),
    "n_u15": ("age < 15", "คนอายุต่ำกว่า 15 ปี", "people under 15"),
    "n_15_19": ("age >= 15 and age <= 19", "คนอายุ 15–19 ปี", "people 15–19 years"),
    "n_20p": ("age >= 20", "คนอายุ 20 ปีขึ้นไป", "people 20 and over"),
    "n_disabled": ("disabled = 'yes'", "คนพิการ", "people with a disability"),
    "n_disabled_nocard": (
        "disabled = 'yes' and disability_card = 'no'",
        "คนพิการที่ยังไม่มีบัตรประจำตัวคนพิการ",
        "people with a disability without a disability card",
    ),
    "n_chronic": ("health = 'chronic'", "ผู้ป่วยโรคเรื้อรัง", "people with a chronic illness"),
}
# Groups whose counts reveal health or disability (PDPA s.26).
SENSITIVE_GROUPS = {"n_disabled", "n_disabled_nocard", "n_chronic"}


def bounded_count(name: str, label: Bilingual, bound: str, relevant: str, sensitive: bool) -> Row:
    """An integer count of members not meeting an indicator, at least 1 and at most ``bound``."""
    return q(
        "integer",
        name,
        label,
        constraint=f". >= 1 and . <= {bound}",
        message=NOT_MORE_THAN_ELIGIBLE,
        relevant=relevant,
        required=True,
        sensitive=sensitive,
    )


def all_or_count(
    code: str, group: str, question: Bilingual, not_label: Bilingual, sensitive: bool = False
) -> list[Row]:
    """The จปฐ. pattern "ทุกคน / ไม่… N คน" over an eligible group computed from the roster."""
    _, th_group, en_group = ELIGIBLE[group]
    return [
        note(
            f"{code}_eligible",
            (f"ในครัวเรือนมี{th_group} ${{{group}}} คน", f"The household has ${{{group}}} {en_group}"),
            relevant=f"${{{group}}} > 0",
        ),
        q(
            "select_one all_some",
            f"{code}_all",
            question,
            relevant=f"${{{group}}} > 0",
            required=True,
            sensitive=sensitive,
        ),
        bounded_count(f"{code}_not", not_label, f"${{{group}}}", f"${{{code}_all}} = 'not_all'", sensitive),
    ]


def yes_no_items(
    code: str, items: list[Bilingual], list_name: str = "yes_no", sensitive: bool = False
) -> list[Row]:
    """Sub-item checklist; the indicator passes only if every sub-item passes (handbook rule)."""
    return [
        q(f"select_one {list_name}", f"{code}_{i}", label, required=True, sensitive=sensitive)
        for i, label in enumerate(items, start=1)
    ]


def header() -> list[Row]:
    return [
        begin_group("household", ("ข้อมูลครัวเรือน", "Household")),
        q(
            "text",
            "house_code",
            ("รหัสบ้าน (11 หลัก)", "House code (11 digits)"),
            hint=(
                "ดูจากทะเบียนบ้าน ใช้รหัสบ้าน ไม่ใช่เลขประจำตัวประชาชน",
                "From the house registration book; not a citizen ID",
            ),
            constraint="regex(., '^[0-9]{11}$')",
            message=("รหัสบ้านต้องเป็นตัวเลข 11 หลัก", "The house code has 11 digits"),
            required=True,
            appearance="numbers",
        ),
        q("text", "house_no", ("บ้านเลขที่", "House number"), hint=("เช่น 12/3", "e.g. 12/3"), required=True),
        *common.place(),
        q(
            "select_one area_type",
            "area_type",
            ("ที่ตั้งครัวเรือน", "Household location"),
            required=True,
        ),
        q(
            "geopoint",
            "location",
            ("พิกัดบ้าน", "House location (GPS)"),
            hint=(
                "ยืนหน้าบ้าน รอให้ความแม่นยำต่ำกว่า 10 เมตร",
                "Stand at the front of the house; wait for accuracy under 10 m",
            ),
        ),
        common.photo(
            "house_photo",
            ("ภาพถ่ายบ้าน", "Photo of the house"),
            ("ถ่ายด้านหน้าบ้าน ไม่ต้องมีคนในภาพ", "Front of the house, no people in the picture"),
        ),
        q("text", "respondent_name", ("ชื่อ-นามสกุลผู้ให้ข้อมูล", "Respondent's full name"), required=True),
        end_group("household"),
    ]


def roster() -> list[Row]:
    return [
        begin_group(
            "members",
            ("สมาชิกในครัวเรือน", "Household members"),
            repeat=True,
            hint=(
                "บันทึกทุกคนที่อาศัยอยู่จริง ครั้งละหนึ่งคน เริ่มจากหัวหน้าครัวเรือน",
                "Everyone who actually lives here, one at a time, head first",
            ),
        ),
        *common.person_name(),
        q("select_one sex", "sex", ("เพศ", "Sex"), required=True),
        *common.citizen_id("nid", ("เลขประจำตัวประชาชน 13 หลัก", "Citizen ID (13 digits)")),
        q(
            "date",
            "birth_date",
            ("วันเดือนปีเกิด", "Date of birth"),
            hint=(
                "ถ้าทราบเฉพาะปีเกิด ให้ดูวันที่ในทะเบียนบ้าน",
                "If only the year is known, use the date in the house registration",
            ),
            constraint="decimal-date-time(.) <= decimal-date-time(today())",
            message=("วันเกิดต้องไม่อยู่ในอนาคต", "The birth date cannot be in the future"),
            required=True,
        ),
        calc("age", common.age_years("${birth_date}")),
        calc("age_months", common.age_months("${birth_date}")),
        note("age_note", ("อายุ ${age} ปี", "Age ${age} years")),
        q(
            "select_one relation",
            "relation",
            ("ความสัมพันธ์กับหัวหน้าครัวเรือน", "Relation to the household head"),
            required=True,
        ),
        q("select_one education", "education", ("การศึกษาสูงสุด", "Highest education"), required=True),
        q("select_one occupation", "occupation", ("อาชีพหลัก", "Main occupation"), required=True),
        q("select_one religion", "religion", ("ศาสนา", "Religion"), required=True, sensitive=True),
        q(
            "select_one health",
            "health",
            ("สุขภาพ", "Health"),
            hint=("ถามเฉพาะสถานะ ไม่ต้องบันทึกชื่อโรค", "Ask the status only; do not record a diagnosis"),
            required=True,
            sensitive=True,
        ),
        q(
            "select_one self_care",
            "self_care",
            ("ความสามารถในการดูแลตนเอง", "Ability to care for oneself"),
            required=True,
            sensitive=True,
        ),
        q("select_one yes_no", "disabled", ("เป็นคนพิการ", "Has a disability"), required=True, sensitive=True),
        q(
            "select_one yes_no",
            "disability_card",
            ("มีบัตรประจำตัวคนพิการ", "Has a disability card"),
            relevant="${disabled} = 'yes'",
            required=True,
            sensitive=True,
        ),
        q(
            "select_one yes_no",
            "welfare_card",
            ("มีบัตรสวัสดิการแห่งรัฐ", "Has a state welfare card"),
            required=True,
        ),
        end_group("members", repeat=True),
    ]


def eligible_calcs() -> list[Row]:
    rows = [calc("n_members", "count(${members})")]
    rows += [calc(name, f"count(${{members}}[{pred}])") for name, (pred, _, _) in ELIGIBLE.items()]
    return rows


def health_section() -> list[Row]:
    s = True  # the whole health หมวด is s.26 health data
    return [
        begin_group("sec1", ("หมวดที่ 1 สุขภาพ", "Section 1 Health")),
        *all_or_count(
            "i1",
            "n_u1",
            ("1. เด็กแรกเกิดมีน้ำหนัก 2,500 กรัมขึ้นไปทุกคนหรือไม่", "1. Did every newborn weigh 2,500 g or more?"),
            ("จำนวนเด็กที่น้ำหนักแรกเกิดน้อยกว่า 2,500 กรัม", "Children born under 2,500 g"),
            s,
        ),
        *all_or_count(
            "i2a",
            "n_u6m",
            (
                "2.2 เด็กต่ำกว่า 6 เดือน กินนมแม่อย่างเดียวทุกคนหรือไม่",
                "2.2 Are all children under 6 months exclusively breastfed?",
            ),
            ("จำนวนที่ไม่ได้กินนมแม่อย่างเดียว", "Not exclusively breastfed"),
            s,
        ),
        *all_or_count(
            "i2b",
            "n_6m_1y",
            (
                "2.4 เด็ก 6 เดือน–1 ปี กินนมแม่อย่างเดียว 6 เดือนแรกทุกคนหรือไม่",
                "2.4 Were all children 6–12 months exclusively breastfed for 6 months?",
            ),
            ("จำนวนที่ไม่ได้กินนมแม่อย่างเดียว 6 เดือนแรก", "Not exclusively breastfed for 6 months"),
            s,
        ),
        *all_or_count(
            "i3",
            "n_0_12",
            (
                "3. เด็ก 0–12 ปี ได้รับวัคซีนครบตามตารางทุกคนหรือไม่",
                "3. Are all children 0–12 fully vaccinated on schedule?",
            ),
            ("จำนวนที่ได้รับวัคซีนไม่ครบ", "Not fully vaccinated"),
            s,
        ),
        note(
            "i4_note", ("4. ครัวเรือนกินอาหารถูกสุขลักษณะ ปลอดภัย และได้มาตรฐาน", "4. Hygienic, safe, standard food")
        ),
        *yes_no_items(
            "i4",
            [
                ("4.1 อาหารบรรจุสำเร็จมีเครื่องหมาย อย.", "4.1 Packaged food bears the FDA (อย.) mark"),
                ("4.2 กินเนื้อสัตว์ที่ปรุงสุก", "4.2 Meat is cooked"),
                ("4.3 ผักผลไม้ปลอดสารพิษหรือล้างก่อนกิน", "4.3 Vegetables are chemical-free or washed"),
                ("4.4 ล้างมือก่อนกินและใช้ช้อนกลาง", "4.4 Hands washed, serving spoon used"),
            ],
            sensitive=s,
        ),
        note("i5_note", ("5. ใช้ยาบำบัดบรรเทาอาการเจ็บป่วยเบื้องต้นอย่างเหมาะสม", "5. Appropriate use of medicines")),
        *yes_no_items(
            "i5",
            [
                ("5.1 ใช้ยาสามัญประจำบ้าน", "5.1 Uses household remedies"),
                ("5.2 ไม่กินยาชุด", "5.2 Does not take unlabelled drug bundles (ยาชุด)"),
                ("5.3 ไม่กินยาสมุนไพร/แผนโบราณที่ไม่ได้ปรุงเฉพาะ", "5.3 No unprescribed traditional remedies"),
                ("5.4 ไม่กินผลิตภัณฑ์เสริมอาหารที่อวดอ้างสรรพคุณ", "5.4 No supplements with exaggerated claims"),
            ],
            sensitive=s,
        ),
        *all_or_count(
            "i6",
            "n_35p",
            (
                "6. คนอายุ 35 ปีขึ้นไป ได้รับการตรวจสุขภาพประจำปีทุกคนหรือไม่",
                "6. Did everyone 35+ have an annual check-up?",
            ),
            ("จำนวนที่ไม่ได้รับการตรวจ", "Not checked"),
            s,
        ),
        bounded_count(
            "i6_screen_not",
            (
                "6.5 ในจำนวนนี้ ไม่ได้คัดกรองเบาหวานและความดัน กี่คน",
                "6.5 Of these, how many were not screened for diabetes and hypertension?",
            ),
            "${i6_not}",
            "${i6_all} = 'not_all'",
            s,
        ),
        *all_or_count(
            "i7",
            "n_6p",
            (
                "7. คนอายุ 6 ปีขึ้นไป ออกกำลังกายสัปดาห์ละ 3 วัน วันละ 30 นาที ทุกคนหรือไม่",
                "7. Does everyone 6+ exercise 3 days a week, 30 minutes a day?",
            ),
            ("จำนวนที่ไม่ได้ออกกำลังกาย", "Do not exercise"),
            s,
        ),
        end_group("sec1"),
    ]


def environment_section() -> list[Row]:
    return [
        begin_group("sec2", ("หมวดที่ 2 สภาพแวดล้อม", "Section 2 Living environment")),
        *yes_no_items(
            "i8",
            [
                ("8.1 ครัวเรือนมีความมั่นคงในที่อยู่อาศัย", "8.1 Secure tenure of the home"),
                ("8.2 บ้านมีสภาพคงทนถาวร", "8.2 The house is durable"),
            ],
        ),
        q(
            "select_one enough",
            "i9",
            (
                "9. น้ำสะอาดสำหรับดื่มกิน อย่างน้อยคนละ 5 ลิตรต่อวัน ตลอดปี",
                "9. Clean drinking water, 5 litres per person per day, all year",
            ),
            required=True,
        ),
        q(
            "select_one enough",
            "i10",
            (
                "10. น้ำใช้ อย่างน้อยคนละ 45 ลิตรต่อวัน ตลอดปี",
                "10. Water for use, 45 litres per person per day, all year",
            ),
            hint=("ประมาณ 2 ปี๊บต่อคนต่อวัน", "About two 20-litre tins per person per day"),
            required=True,
        ),
        note("i11_note", ("11. บ้านเรือนเป็นระเบียบ สะอาด ถูกสุขลักษณะ", "11. Tidy, clean, hygienic home")),
        *yes_no_items(
            "i11",
            [
                ("11.1 บ้านสะอาดเป็นระเบียบ", "11.1 House clean and tidy"),
                ("11.2 ที่ประกอบอาหารสะอาด", "11.2 Clean cooking area"),
                ("11.3 ที่เก็บน้ำมีฝาปิด", "11.3 Covered water storage"),
                ("11.4 กำจัดพาหะนำโรค", "11.4 Disease vectors controlled"),
                ("11.5.1 มีอุปกรณ์ใส่ขยะ", "11.5.1 Has rubbish bins"),
                ("11.5.2 คัดแยกขยะ 4 ประเภท", "11.5.2 Sorts waste into 4 types"),
                ("11.5.3 จัดการขยะแห้งถูกวิธี", "11.5.3 Dry waste handled properly"),
                ("11.5.4 จัดการขยะเปียกถูกวิธี", "11.5.4 Wet waste handled properly"),
                ("11.6 มีร่องระบายน้ำ", "11.6 Has drainage"),
                ("11.7 มีส้วมถูกสุขลักษณะ", "11.7 Hygienic toilet"),
                ("11.8 เก็บสารเคมีพ้นมือเด็ก", "11.8 Chemicals out of children's reach"),
            ],
        ),
        note("i12_note", ("12. ถูกรบกวนจากมลพิษหรือไม่", "12. Disturbed by pollution?")),
        *yes_no_items(
            "i12",
            [
                ("12.1 เสียงดัง", "12.1 Noise"),
                ("12.2 ความสั่นสะเทือน", "12.2 Vibration"),
                ("12.3 ฝุ่นละออง", "12.3 Dust"),
                ("12.4 กลิ่นเหม็น", "12.4 Odour"),
                ("12.5 น้ำเสีย", "12.5 Waste water"),
                ("12.6 ขยะ/ของเสียอันตราย", "12.6 Hazardous waste"),
            ],
            list_name="disturbed",
        ),
        q(
            "select_multiple pollution_source",
            "i12_source",
            ("12.7 แหล่งที่มาของมลพิษ", "12.7 Source of the pollution"),
            relevant="selected(${i12_1}, 'disturbed') or selected(${i12_2}, 'disturbed') or selected(${i12_3}, 'disturbed')"
            " or selected(${i12_4}, 'disturbed') or selected(${i12_5}, 'disturbed') or selected(${i12_6}, 'disturbed')",
            required=True,
        ),
        note("i13_note", ("13. ป้องกันอุบัติภัยและภัยธรรมชาติอย่างถูกวิธี", "13. Accident and disaster prevention")),
        *yes_no_items(
            "i13",
            [
                ("13.1 ขับขี่ปลอดภัย (หมวกนิรภัย เข็มขัด)", "13.1 Safe driving (helmet, seat belt)"),
                ("13.2 ใช้ไฟฟ้าปลอดภัย", "13.2 Safe use of electricity"),
                ("13.3 ป้องกันอันตรายจากการประกอบอาชีพ/สารเคมี", "13.3 Occupational / chemical safety"),
                ("13.4 เตรียมพร้อมรับมือภัยธรรมชาติ", "13.4 Prepared for natural disasters"),
            ],
        ),
        q(
            "integer",
            "i14_1",
            ("14.1 สมาชิกถูกฆ่าตายในรอบปี (คน)", "14.1 Members killed in the past year"),
            constraint=". >= 0",
            message=NON_NEGATIVE,
            required=True,
        ),
        q(
            "integer",
            "i14_2",
            ("14.2 สมาชิกถูกทำร้าย/อนาจาร/ข่มขืน (คน)", "14.2 Members assaulted or sexually abused"),
            constraint=". >= 0 and . <= ${n_members}",
            message=("ต้องไม่เกินจำนวนสมาชิก", "No more than the number of members"),
            required=True,
        ),
        q(
            "integer",
            "i14_3",
            ("14.3 มูลค่าทรัพย์สินที่ถูกประทุษร้าย (บาท)", "14.3 Value of property crime losses (baht)"),
            constraint=". >= 0",
            message=NON_NEGATIVE,
            required=True,
        ),
        end_group("sec2"),
    ]


def education_section() -> list[Row]:
    return [
        begin_group("sec3", ("หมวดที่ 3 การศึกษา", "Section 3 Education")),
        *all_or_count(
            "i15",
            "n_3_5",
            (
                "15. เด็ก 3–5 ปี ได้รับบริการเตรียมความพร้อมก่อนวัยเรียนทุกคนหรือไม่",
                "15. Do all children 3–5 get pre-school care?",
            ),
            ("จำนวนที่ไม่ได้รับ", "Not receiving it"),
        ),
        *all_or_count(
            "i16",
            "n_6_14",
            ("16. เด็ก 6–14 ปี ได้เรียนภาคบังคับทุกคนหรือไม่", "16. Are all children 6–14 in compulsory school?"),
            ("จำนวนที่ไม่ได้เรียน", "Not in school"),
        ),
        q(
            "integer",
            "i17_n",
            ("17.1 เด็กจบ ม.3 ในปีนี้ (คน)", "17.1 Children who finished grade 9 this year"),
            constraint=". >= 0 and . <= ${n_members}",
            message=("ต้องไม่เกินจำนวนสมาชิก", "No more than the number of members"),
            required=True,
        ),
        bounded_count(
            "i17_not",
            ("17.2 จำนวนที่ไม่ได้เรียนต่อ ม.4 หรือเทียบเท่า", "17.2 Did not continue to grade 10 or equivalent"),
            "${i17_n}",
            "${i17_n} > 0",
            False,
        ),
        q(
            "integer",
            "i18_n",
            (
                "18.1 คนจบภาคบังคับ ไม่ได้เรียนต่อและไม่มีงานทำ (คน)",
                "18.1 Finished compulsory school, not studying, no work",
            ),
            constraint=". >= 0 and . <= ${n_members}",
            message=("ต้องไม่เกินจำนวนสมาชิก", "No more than the number of members"),
            required=True,
        ),
        bounded_count(
            "i18_not",
            ("18.2 จำนวนที่ไม่ได้รับการฝึกอบรมอาชีพ", "18.2 Received no vocational training"),
            "${i18_n}",
            "${i18_n} > 0",
            False,
        ),
        *all_or_count(
            "i19",
            "n_15_59",
            (
                "19. คน 15–59 ปี อ่าน เขียนภาษาไทย และคิดเลขอย่างง่ายได้ทุกคนหรือไม่",
                "19. Can everyone 15–59 read, write Thai and do simple sums?",
            ),
            ("จำนวนที่อ่านเขียนไม่ได้", "Cannot"),
        ),
        end_group("sec3"),
    ]


def income_section() -> list[Row]:
    money_hint: Bilingual = ("จำนวนเงินทั้งปี (บาท) ถ้าไม่มีให้ใส่ 0", "Whole-year amount in baht; 0 if none")

    def money(name: str, label: Bilingual) -> Row:
        return q(
            "integer", name, label, hint=money_hint, constraint=". >= 0", message=NON_NEGATIVE, required=True
        )

    return [
        begin_group("sec4", ("หมวดที่ 4 การมีงานทำและรายได้", "Section 4 Work and income")),
        q(
            "integer",
            "i20_excluded",
            (
                "20.1 คน 15–59 ปี ที่เป็นนักเรียน/นักศึกษา หรือพิการพึ่งตนเองไม่ได้ (คน)",
                "20.1 People 15–59 who are students or dependent disabled",
            ),
            constraint=". >= 0 and . <= ${n_15_59}",
            message=("ต้องไม่เกินจำนวนคนอายุ 15–59 ปี", "No more than the people aged 15–59"),
            relevant="${n_15_59} > 0",
            required=True,
        ),
        calc("n_20_eligible", "if(${n_15_59} > 0, ${n_15_59} - ${i20_excluded}, 0)"),
        q(
            "integer",
            "i20_no_job_no_income",
            ("20.2 ไม่มีอาชีพและไม่มีรายได้ (คน)", "20.2 No occupation and no income"),
            constraint=". >= 0 and . <= ${n_20_eligible}",
            message=NOT_MORE_THAN_ELIGIBLE,
            relevant="${n_20_eligible} > 0",
            required=True,
        ),
        q(
            "integer",
            "i20_no_job_income",
            ("20.2 ไม่มีอาชีพแต่มีรายได้ (คน)", "20.2 No occupation but some income"),
            constraint=". >= 0 and . + ${i20_no_job_no_income} <= ${n_20_eligible}",
            message=NOT_MORE_THAN_ELIGIBLE,
            relevant="${n_20_eligible} > 0",
            required=True,
        ),
        q(
            "integer",
            "i21_no_job_no_income",
            ("21. ผู้สูงอายุ 60+ ที่ไม่มีอาชีพและไม่มีรายได้ (คน)", "21. People 60+ with no occupation and no income"),
            constraint=". >= 0 and . <= ${n_60p}",
            message=NOT_MORE_THAN_ELIGIBLE,
            relevant="${n_60p} > 0",
            required=True,
        ),
        note("i22_note", ("22. รายได้ของครัวเรือนในรอบปี", "22. Household income over the year")),
        money("inc_main", ("22.1 รายได้จากอาชีพหลัก (บาท/ปี)", "22.1 Main occupation (baht/year)")),
        money(
            "inc_secondary", ("22.2 รายได้จากอาชีพรอง/เสริม (บาท/ปี)", "22.2 Secondary occupation (baht/year)")
        ),
        money(
            "inc_other",
            (
                "22.3 รายได้อื่น เช่น ลูกหลานส่งให้ ค่าเช่า บำนาญ เบี้ยยังชีพ (บาท/ปี)",
                "22.3 Other income: remittances, rent, pensions, allowances (baht/year)",
            ),
        ),
        money(
            "inc_own_produce",
            ("22.4 มูลค่าผลผลิตที่ผลิตเองไว้กินเอง (บาท/ปี)", "22.4 Value of own produce consumed (baht/year)"),
        ),
        calc("inc_total", "${inc_main} + ${inc_secondary} + ${inc_other} + ${inc_own_produce}"),
        calc("inc_per_person", "if(${n_members} > 0, round(${inc_total} div ${n_members}, 0), 0)"),
        note(
            "inc_total_note",
            (
                "รวมรายได้ ${inc_total} บาท/ปี เฉลี่ย ${inc_per_person} บาท/คน/ปี",
                "Total ${inc_total} baht/year, ${inc_per_person} baht per person",
            ),
        ),
        q(
            "select_multiple savings",
            "i23_savings",
            ("23. ครัวเรือนเก็บออมในรูปแบบใดบ้าง", "23. How does the household save?"),
            constraint="not(selected(., 'none') and count-selected(.) > 1)",
            message=("เลือก 'ไม่มีการออม' ร่วมกับข้ออื่นไม่ได้", "'No savings' cannot be combined with others"),
            required=True,
        ),
        end_group("sec4"),
    ]


def values_section() -> list[Row]:
    def count_le(name: str, label: Bilingual, bound: str, relevant: str, sensitive: bool = False) -> Row:
        return q(
            "integer",
            name,
            label,
            constraint=f". >= 0 and . <= {bound}",
            message=NOT_MORE_THAN_ELIGIBLE,
            relevant=relevant,
            required=True,
            sensitive=sensitive,
        )

    drinks = "${i24} = 'some'"
    return [
        begin_group("sec5", ("หมวดที่ 5 ค่านิยม", "Section 5 Values")),
        q(
            "select_one none_some",
            "i24",
            ("24. คนในครัวเรือนดื่มสุราหรือไม่", "24. Does anyone in the household drink alcohol?"),
            required=True,
        ),
        count_le("i24_u15", ("ดื่ม อายุต่ำกว่า 15 ปี (คน)", "Drinkers under 15"), "${n_u15}", drinks),
        count_le("i24_15_19", ("ดื่ม อายุ 15–19 ปี (คน)", "Drinkers 15–19"), "${n_15_19}", drinks),
        count_le("i24_20p", ("ดื่ม อายุ 20 ปีขึ้นไป (คน)", "Drinkers 20 and over"), "${n_20p}", drinks),
        q(
            "select_one none_some",
            "i25",
            ("25. คนในครัวเรือนสูบบุหรี่หรือไม่", "25. Does anyone in the household smoke?"),
            required=True,
        ),
        bounded_count("i25_n", ("จำนวนคนที่สูบ", "Number who smoke"), "${n_members}", "${i25} = 'some'", False),
        *all_or_count(
            "i26",
            "n_6p",
            (
                "26. คน 6 ปีขึ้นไป ปฏิบัติกิจกรรมทางศาสนาอย่างน้อยสัปดาห์ละ 1 ครั้ง ทุกคนหรือไม่",
                "26. Does everyone 6+ practise their religion weekly?",
            ),
            ("จำนวนที่ไม่ปฏิบัติ", "Do not"),
            sensitive=True,
        ),
        *all_or_count(
            "i27",
            "n_60p",
            ("27. ผู้สูงอายุได้รับการดูแลจากครอบครัว ชุมชน หรือรัฐ ทุกคนหรือไม่", "27. Are all elderly members cared for?"),
            ("จำนวนที่ไม่ได้รับการดูแล", "Not cared for"),
        ),
        note(
            "i28_card_note",
            (
                "28.2 คนพิการที่ยังไม่มีบัตรประจำตัวคนพิการ ${n_disabled_nocard} คน",
                "28.2 Members with a disability but no card: ${n_disabled_nocard}",
            ),
            relevant="${n_disabled} > 0",
        ),
        *all_or_count(
            "i28",
            "n_disabled",
            ("28.3 คนพิการได้รับการดูแลทุกคนหรือไม่", "28.3 Are all members with a disability cared for?"),
            ("จำนวนที่ไม่ได้รับการดูแล", "Not cared for"),
            sensitive=True,
        ),
        *all_or_count(
            "i29",
            "n_chronic",
            ("29. ผู้ป่วยโรคเรื้อรังได้รับการดูแลทุกคนหรือไม่", "29. Are all chronically ill members cared for?"),
            ("จำนวนที่ไม่ได้รับการดูแล", "Not cared for"),
            sensitive=True,
        ),
        q(
            "select_one yes_no",
            "i30",
            (
                "30. ครัวเรือนมีส่วนร่วมทำกิจกรรมสาธารณะเพื่อประโยชน์ของชุมชน",
                "30. The household takes part in public activities",
            ),
            required=True,
        ),
        *[
            {**row, "relevant": "${n_members} >= 2"}
            for row in yes_no_items(
                "i31",
                [
                    ("31.1 สมาชิกมีเวลาทำกิจกรรมร่วมกัน", "31.1 Members spend time together"),
                    ("31.2 สมาชิกเคารพและดูแลกัน", "31.2 Members respect and care for each other"),
                    ("31.3 ไม่มีความรุนแรงในครอบครัว", "31.3 No domestic violence"),
                ],
            )
        ],
        *[
            {**row, "relevant": "${n_members} = 1"}
            for row in yes_no_items(
                "i31s",
                [
                    ("31.4 ไปเยี่ยมญาติอย่างน้อยปีละครั้ง", "31.4 Visits relatives at least yearly"),
                    ("31.5 อยู่อย่างมีความสุข", "31.5 Lives happily"),
                ],
            )
        ],
        end_group("sec5"),
    ]


def signature() -> list[Row]:
    return [
        common.photo(
            "respondent_signature",
            ("ลายมือชื่อผู้ให้ข้อมูล", "Respondent's signature"),
            ("ให้ผู้ให้ข้อมูลลงชื่อบนหน้าจอ", "Ask the respondent to sign on the screen"),
            appearance="signature",
        ),
        q("text", "surveyor_name", ("ชื่อผู้จัดเก็บข้อมูล", "Surveyor's name"), required=True),
        common.today_default("survey_date", ("วันที่จัดเก็บ", "Date of the survey")),
    ]


CHOICES: list[Row] = (
    choice_list("all_some", [("all", "ทุกคน", "All of them"), ("not_all", "ไม่ครบทุกคน", "Not all")])
    + choice_list("none_some", [("none", "ไม่มีเลย", "Nobody"), ("some", "มี", "Some")])
    + choice_list("enough", [("enough", "เพียงพอ", "Sufficient"), ("not_enough", "ไม่เพียงพอ", "Insufficient")])
    + choice_list(
        "disturbed", [("not_disturbed", "ไม่ถูกรบกวน", "Not disturbed"), ("disturbed", "ถูกรบกวน", "Disturbed")]
    )
    + choice_list(
        "area_type",
        [
            ("municipal", "ในเขตเทศบาล", "Inside a municipality"),
            ("non_municipal", "นอกเขตเทศบาล", "Outside a municipality"),
        ],
    )
    + choice_list(
        "pollution_source",
        [
            ("industry", "แหล่งอุตสาหกรรม", "Industry"),
            ("agriculture", "เกษตรกรรม", "Agriculture"),
            ("other", "อื่น ๆ", "Other"),
        ],
    )
    + choice_list(
        "relation",
        [
            ("head", "หัวหน้าครัวเรือน", "Head"),
            ("spouse", "คู่สมรส", "Spouse"),
            ("child", "บุตร", "Child"),
            ("grandchild", "หลาน", "Grandchild"),
            ("parent", "บิดา/มารดา", "Parent"),
            ("relative", "ญาติ", "Other relative"),
            ("non_relative", "ผู้อาศัย", "Non-relative"),
        ],
    )
    + choice_list(
        "education",
        [
            ("none", "ไม่ได้เรียน/ยังไม่เข้าเรียน", "None / not yet"),
            ("pre", "ก่อนประถม", "Pre-school"),
            ("primary", "ประถมศึกษา", "Primary"),
            ("lower_sec", "มัธยมศึกษาตอนต้น", "Lower secondary"),
            ("upper_sec", "มัธยมศึกษาตอนปลาย/ปวช.", "Upper secondary / vocational"),
            ("diploma", "ปวส./อนุปริญญา", "Diploma"),
            ("bachelor", "ปริญญาตรี", "Bachelor"),
            ("higher", "สูงกว่าปริญญาตรี", "Postgraduate"),
        ],
    )
    + choice_list(
        "occupation",
        [
            ("none", "ไม่มีอาชีพ", "None"),
            ("student", "นักเรียน/นักศึกษา", "Student"),
            ("farming", "เกษตรกรรม", "Farming"),
            ("labour", "รับจ้างทั่วไป", "Wage labour"),
            ("trade", "ค้าขาย/ธุรกิจส่วนตัว", "Trade / own business"),
            ("civil_servant", "รับราชการ/รัฐวิสาหกิจ", "Civil service / state enterprise"),
            ("employee", "พนักงานบริษัท", "Company employee"),
            ("other", "อื่น ๆ", "Other"),
        ],
    )
    + choice_list(
        "religion",
        [
            ("buddhism", "พุทธ", "Buddhism"),
            ("islam", "อิสลาม", "Islam"),
            ("christianity", "คริสต์", "Christianity"),
            ("other", "อื่น ๆ", "Other"),
            ("none", "ไม่นับถือศาสนา", "None"),
        ],
    )
    + choice_list(
        "health",
        [
            ("healthy", "แข็งแรง", "Healthy"),
            ("chronic", "ป่วยเรื้อรัง", "Chronic illness"),
            ("bedridden", "ติดเตียง", "Bedridden"),
        ],
    )
    + choice_list(
        "self_care",
        [
            ("yes", "ดูแลตนเองได้", "Self-reliant"),
            ("partly", "ต้องมีคนช่วยบางส่วน", "Needs some help"),
            ("no", "ดูแลตนเองไม่ได้", "Dependent"),
        ],
    )
    + choice_list(
        "savings",
        [
            ("cash", "เงินสด", "Cash"),
            ("bank", "ธนาคาร", "Bank"),
            ("coop", "สหกรณ์", "Cooperative"),
            ("savings_group", "กลุ่มออมทรัพย์เพื่อการผลิต", "Savings-for-production group"),
            ("community_fund", "กองทุนชุมชน", "Community fund"),
            ("nsf", "กองทุนการออมแห่งชาติ (กอช.)", "National Savings Fund"),
            ("life_insurance", "ประกันชีวิต", "Life insurance"),
            ("bonds", "พันธบัตร", "Bonds"),
            ("gold", "ทองคำ", "Gold"),
            ("property", "บ้าน/ที่ดิน", "House / land"),
            ("none", "ไม่มีการออม", "No savings"),
        ],
    )
)


def build() -> FormDef:
    survey = [
        *common.metadata(),
        *common.privacy_notice(
            (
                "จัดทำข้อมูลความจำเป็นพื้นฐาน (จปฐ.) และวางแผนพัฒนาคุณภาพชีวิตของครัวเรือน",
                "for the basic minimum needs (จปฐ.) survey and household development planning",
            ),
            sensitive=True,
        ),
        *header(),
        *roster(),
        *eligible_calcs(),
        *health_section(),
        *environment_section(),
        *education_section(),
        *income_section(),
        *values_section(),
        *signature(),
        *common.end_main(),
    ]
    # Counts of disabled or chronically ill members are health data too.
    for row in survey:
        if row.get("name") in SENSITIVE_GROUPS:
            row["sensitive"] = "yes"
    # The registry household_followup reads next year (server.core.entities).
    saved = ("house_code", "house_no", "subdistrict", "village", "respondent_name", "n_members", "n_60p",
             "n_disabled", "inc_total")  # fmt: skip
    save_to(survey, saved)
    return FormDef(
        form_id="household_survey",
        title="แบบสำรวจข้อมูลความจำเป็นพื้นฐานครัวเรือน (จปฐ.)",
        instance_name="concat('จปฐ. ', ${house_code}, ' บ้านเลขที่ ', ${house_no})",
        survey=survey,
        choices=common.COMMON_CHOICES + CHOICES,
        version="2026120201",
        entities=[
            {
                "list_name": "households",
                "label": "concat('บ้านเลขที่ ', ${house_no}, ' (', ${house_code}, ')')",
                "create_if": "${consent} = 'yes'",
            }
        ],
    )
