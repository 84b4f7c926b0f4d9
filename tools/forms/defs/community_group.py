"""การจัดตั้งกลุ่ม: founding a community group, its 10 founding steps, members and committee."""

from __future__ import annotations

from tools.forms.defs import common
from tools.forms.xlsform import FormDef, Row, begin_group, calc, choice_list, end_group, note, q

# The 10 founding steps of seed 001 (1.9).
STEPS: list[tuple[str, str, str]] = [
    ("s01", "1) สร้างความรู้ความเข้าใจและเผยแพร่แนวคิด", "1) Explain and spread the idea"),
    ("s02", "2) รวบรวมผู้ที่สนใจและจัดประชาคม", "2) Gather interested people, hold a forum"),
    ("s03", "3) จัดตั้งกลุ่ม", "3) Found the group"),
    ("s04", "4) เปิดรับสมาชิก", "4) Open membership"),
    ("s05", "5) คัดเลือกคณะกรรมการบริหาร", "5) Elect the committee"),
    ("s06", "6) จัดทำร่างระเบียบข้อตกลง", "6) Draft the regulations"),
    ("s07", "7) ระดมเงินทุนของกลุ่ม", "7) Raise the group's funds"),
    ("s08", "8) เปิดบัญชีธนาคาร", "8) Open a bank account"),
    ("s09", "9) ติดตาม สนับสนุน และประเมินผล", "9) Follow up, support, evaluate"),
    ("s10", "10) รายงานผู้บริหาร", "10) Report to management"),
]
COMMITTEE_ROLES = ("chair", "vice_chair", "secretary", "treasurer", "committee")


def build() -> FormDef:
    step_dates: list[Row] = [
        q(
            "date",
            f"date_{code}",
            (f"วันที่ดำเนินการ {th}", f"Date of step {en}"),
            relevant=f"selected(${{steps_done}}, '{code}')",
            required=True,
        )
        for code, th, en in STEPS
    ]
    is_committee = " or ".join(f"role = '{r}'" for r in COMMITTEE_ROLES)
    survey: list[Row] = [
        *common.metadata(),
        *common.privacy_notice(
            (
                "ทะเบียนกลุ่มองค์กรชุมชน สมาชิก และคณะกรรมการ",
                "to register the community group, its members and committee",
            )
        ),
        q("text", "group_name", ("ชื่อกลุ่ม", "Group name"), required=True),
        q("select_one group_type", "group_type", ("ประเภทกลุ่ม", "Group type"), required=True),
        q(
            "text",
            "group_type_other",
            ("ระบุประเภทกลุ่ม", "Specify the group type"),
            relevant="${group_type} = 'other'",
            required=True,
        ),
        *common.place(),
        q(
            "date",
            "founding_date",
            ("วันที่จัดตั้งกลุ่ม", "Founding date"),
            required=True,
            constraint="decimal-date-time(.) <= decimal-date-time(today())",
            message=("วันที่จัดตั้งต้องไม่อยู่ในอนาคต", "The founding date cannot be in the future"),
        ),
        q(
            "select_multiple founding_step",
            "steps_done",
            ("ขั้นตอนการจัดตั้งที่ดำเนินการแล้ว", "Founding steps completed"),
            hint=(
                "เลือกทุกขั้นตอนที่ทำแล้ว แล้วใส่วันที่ของแต่ละขั้นตอน",
                "Tick every completed step, then give each one's date",
            ),
            required=True,
        ),
        *step_dates,
        begin_group("members", ("สมาชิกกลุ่ม", "Group members"), repeat=True),
        *common.person_name(),
        *common.citizen_id("nid", ("เลขประจำตัวประชาชนสมาชิก", "Member's citizen ID")),
        q("select_one member_role", "role", ("ตำแหน่งในกลุ่ม", "Role in the group"), required=True),
        common.phone(),
        end_group("members", repeat=True),
        calc("n_members", "count(${members})"),
        calc("n_committee", f"count(${{members}}[{is_committee}])"),
        calc("n_chairs", "count(${members}[role = 'chair'])"),
        note(
            "committee_note",
            (
                "สมาชิก ${n_members} คน เป็นคณะกรรมการ ${n_committee} คน",
                "${n_members} members, ${n_committee} on the committee",
            ),
        ),
        q(
            "select_one yes_no",
            "committee_confirmed",
            ("คณะกรรมการครบและมีประธาน 1 คน", "The committee is complete with one chair"),
            constraint=". = 'no' or ${n_chairs} = 1",
            message=("ต้องมีประธานกลุ่ม 1 คนในรายชื่อสมาชิก", "Exactly one member must be the chair"),
            required=True,
        ),
        q(
            "select_one yes_no",
            "regulations_agreed",
            ("สมาชิกเห็นชอบระเบียบข้อตกลงแล้ว", "Members agreed the regulations"),
            required=True,
        ),
        common.photo(
            "regulations_photo",
            ("ภาพระเบียบข้อตกลงที่ลงนามแล้ว", "Photo of the signed regulations"),
            relevant="${regulations_agreed} = 'yes'",
        ),
        q(
            "decimal",
            "funds_raised",
            ("เงินทุนที่ระดมได้ (บาท)", "Funds raised (baht)"),
            constraint=". >= 0",
            message=("ต้องเป็นจำนวนตั้งแต่ 0 บาท", "Must be 0 baht or more"),
            required=True,
        ),
        q(
            "select_one yes_no",
            "bank_account_opened",
            ("เปิดบัญชีธนาคารของกลุ่มแล้ว", "Group bank account opened"),
            required=True,
        ),
        q(
            "text",
            "bank_name",
            ("ธนาคาร/สาขา", "Bank / branch"),
            relevant="${bank_account_opened} = 'yes'",
            required=True,
        ),
        q(
            "text",
            "bank_account_no",
            ("เลขที่บัญชีกลุ่ม", "Group account number"),
            constraint="regex(., '^[0-9]{10,15}$')",
            message=("เลขที่บัญชีต้องเป็นตัวเลข 10–15 หลัก", "The account number has 10–15 digits"),
            relevant="${bank_account_opened} = 'yes'",
            required=True,
            sensitive=True,
            appearance="numbers",
        ),
        q("text", "officer_name", ("เจ้าหน้าที่ผู้บันทึก", "Recording officer"), required=True),
        *common.end_main(),
    ]
    choices = (
        common.COMMON_CHOICES
        + choice_list(
            "group_type",
            [
                ("occupation", "กลุ่มอาชีพ", "Occupational group"),
                ("housewives", "กลุ่มแม่บ้าน", "Housewives' group"),
                ("savings_production", "กลุ่มออมทรัพย์เพื่อการผลิต", "Savings-for-production group"),
                ("women_development", "กลุ่มพัฒนาสตรี", "Women's development group"),
                ("youth", "กลุ่มเยาวชน", "Youth group"),
                ("elderly", "ชมรมผู้สูงอายุ", "Elderly club"),
                ("other", "อื่น ๆ", "Other"),
            ],
        )
        + choice_list("founding_step", STEPS)
        + choice_list(
            "member_role",
            [
                ("chair", "ประธาน", "Chair"),
                ("vice_chair", "รองประธาน", "Vice-chair"),
                ("secretary", "เลขานุการ", "Secretary"),
                ("treasurer", "เหรัญญิก", "Treasurer"),
                ("committee", "กรรมการ", "Committee member"),
                ("member", "สมาชิก", "Member"),
            ],
        )
    )
    return FormDef(
        form_id="community_group",
        title="การจัดตั้งกลุ่มองค์กรชุมชน",
        instance_name="concat('กลุ่ม', ${group_name})",
        survey=survey,
        choices=choices,
    )
