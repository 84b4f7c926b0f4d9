"""แบบเสนอโครงการ: a project proposal following the 12 headings of seed 001 (1.13)."""

from __future__ import annotations

from tools.forms.defs import common
from tools.forms.xlsform import Bilingual, FormDef, Row, begin_group, calc, choice_list, end_group, note, q


def long_text(name: str, label: Bilingual, hint: Bilingual | None = None) -> Row:
    return q("text", name, label, hint=hint, required=True, appearance="multiline")


def build() -> FormDef:
    survey: list[Row] = [
        *common.metadata(),
        *common.privacy_notice(
            (
                "จัดทำและติดตามโครงการพัฒนาชุมชน (ชื่อและเบอร์โทรของผู้รับผิดชอบ)",
                "to prepare and follow up community projects (names and phone numbers of the people responsible)",
            )
        ),
        q("text", "plan_name", ("1) ชื่อแผนงาน", "1) Plan"), required=True),
        q("text", "project_name", ("2) ชื่อโครงการ", "2) Project name"), required=True),
        *common.place(),
        long_text(
            "rationale",
            ("3) หลักการและเหตุผล", "3) Rationale"),
            ("ปัญหาหรือความต้องการที่มาจากเวทีประชาคม", "The problem or need raised at the community forum"),
        ),
        long_text(
            "objectives",
            ("4) วัตถุประสงค์", "4) Objectives"),
            ("ข้อละหนึ่งบรรทัด วัดผลได้", "One per line, measurable"),
        ),
        long_text("targets", ("5) เป้าหมาย", "5) Targets")),
        q(
            "integer",
            "target_people",
            ("จำนวนผู้ได้รับประโยชน์ (คน)", "Number of beneficiaries (people)"),
            constraint=". >= 1",
            message=("ต้องมีอย่างน้อย 1 คน", "At least 1 person"),
            required=True,
        ),
        long_text("method", ("6) วิธีดำเนินการ", "6) Method")),
        q("date", "start_date", ("7) วันเริ่มโครงการ", "7) Start date"), required=True),
        q(
            "date",
            "end_date",
            ("วันสิ้นสุดโครงการ", "End date"),
            constraint="decimal-date-time(.) >= decimal-date-time(${start_date})",
            message=("วันสิ้นสุดต้องไม่ก่อนวันเริ่ม", "The end date cannot be before the start date"),
            required=True,
        ),
        begin_group("budget_lines", ("8) งบประมาณ (รายการ)", "8) Budget lines"), repeat=True),
        q(
            "text",
            "item",
            ("รายการ", "Item"),
            hint=("เช่น ค่าอาหารว่าง 30 คน x 25 บาท", "e.g. snacks, 30 people x 25 baht"),
            required=True,
        ),
        q(
            "decimal",
            "amount",
            ("จำนวนเงิน (บาท)", "Amount (baht)"),
            constraint=". > 0",
            message=("จำนวนเงินต้องมากกว่า 0", "The amount must be more than 0"),
            required=True,
        ),
        end_group("budget_lines", repeat=True),
        calc("budget_total", "sum(${amount})"),
        note("budget_total_note", ("รวมงบประมาณ ${budget_total} บาท", "Total budget ${budget_total} baht")),
        q("select_one budget_source", "budget_source", ("แหล่งงบประมาณ", "Source of funds"), required=True),
        q("text", "responsible_person", ("9) ผู้รับผิดชอบโครงการ", "9) Person responsible"), required=True),
        common.phone("responsible_phone"),
        q("text", "supporting_agency", ("10) หน่วยงานที่สนับสนุน", "10) Supporting agency")),
        long_text(
            "evaluation",
            ("11) การประเมินผล", "11) Evaluation"),
            ("ตัวชี้วัดและวิธีติดตาม", "Indicators and how they will be followed up"),
        ),
        long_text("expected_benefits", ("12) ประโยชน์ที่คาดว่าจะได้รับ", "12) Expected benefits")),
        *common.end_main(),
    ]
    choices = common.COMMON_CHOICES + choice_list(
        "budget_source",
        [
            ("community", "ชุมชนดำเนินการเอง", "The community itself"),
            ("local_government", "องค์กรปกครองส่วนท้องถิ่น", "Local government"),
            ("cdd", "กรมการพัฒนาชุมชน", "Community Development Department"),
            ("other_agency", "หน่วยงานอื่น", "Other agency"),
        ],
    )
    return FormDef(
        form_id="community_project",
        title="แบบเสนอโครงการ",
        instance_name="concat('โครงการ', ${project_name})",
        survey=survey,
        choices=choices,
    )
