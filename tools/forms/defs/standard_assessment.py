"""มชช. self-assessment against the community development standard, before or after development.

Indicators are a repeat because each target type (leader, organisation, network, community) has its
own indicator list and offices add sub-criteria (seed 003, 3.1); each row carries its full score.
"""

from __future__ import annotations

from tools.forms.defs import common
from tools.forms.xlsform import FormDef, Row, begin_group, calc, choice_list, end_group, note, q


def build() -> FormDef:
    survey: list[Row] = [
        *common.metadata(),
        *common.privacy_notice(
            (
                "ประเมินตนเองตามระบบมาตรฐานการพัฒนาชุมชน (มชช.) และรายงานผลต่ออำเภอและจังหวัด",
                "for the community development standard (มชช.) self-assessment reported to the district and province",
            )
        ),
        q("select_one target_type", "target_type", ("ประเภทกลุ่มเป้าหมาย", "Target type"), required=True),
        q(
            "text",
            "target_name",
            ("ชื่อกลุ่มเป้าหมาย", "Target name"),
            hint=("ชื่อผู้นำ ชื่อกลุ่ม ชื่อเครือข่าย หรือชื่อชุมชน", "Name of the leader, group, network or community"),
            required=True,
        ),
        *common.place(),
        q(
            "select_one round",
            "round",
            ("รอบการประเมิน", "Assessment round"),
            hint=(
                "ประเมินก่อนพัฒนาเพื่อวางแผน และหลังพัฒนาเพื่อเตรียมรับการรับรอง",
                "Before development to plan; after development to prepare for certification",
            ),
            required=True,
        ),
        common.today_default("assessment_date", ("วันที่ประเมิน", "Assessment date")),
        begin_group("indicators", ("ตัวบ่งชี้", "Indicators"), repeat=True),
        q("text", "indicator", ("ตัวบ่งชี้", "Indicator"), required=True),
        q(
            "decimal",
            "full_score",
            ("คะแนนเต็ม", "Full score"),
            constraint=". > 0 and . <= 100",
            message=("คะแนนเต็มต้องมากกว่า 0 และไม่เกิน 100", "The full score must be above 0 and at most 100"),
            required=True,
        ),
        q(
            "decimal",
            "self_score",
            ("คะแนนที่ประเมินตนเอง", "Self-assessed score"),
            constraint=". >= 0 and . <= ${full_score}",
            message=(
                "คะแนนต้องไม่ติดลบและไม่เกินคะแนนเต็มของตัวบ่งชี้",
                "The score must be between 0 and the indicator's full score",
            ),
            required=True,
        ),
        common.photo(
            "evidence_photo",
            ("ภาพหลักฐาน", "Evidence photo"),
            ("เอกสาร กิจกรรม หรือผลงานที่ยืนยันคะแนน", "A document, activity or result that supports the score"),
        ),
        end_group("indicators", repeat=True),
        calc("total_full", "sum(${full_score})"),
        calc("total_self", "sum(${self_score})"),
        calc("percent", "if(${total_full} > 0, round(100 * ${total_self} div ${total_full}, 2), 0)"),
        note(
            "total_note",
            (
                "คะแนนรวม ${total_self} จาก ${total_full} (ร้อยละ ${percent})",
                "Total ${total_self} of ${total_full} (${percent} %)",
            ),
        ),
        q(
            "text",
            "development_plan",
            ("แผนพัฒนาตนเอง", "Self-development plan"),
            hint=(
                "ต้องพัฒนาด้านใด วิธีใด เมื่อใด ใครช่วย ใช้หลักฐานอะไร",
                "What to improve, how, when, who helps, what evidence",
            ),
            required=True,
            appearance="multiline",
        ),
        q(
            "text",
            "assessor_name",
            ("ผู้ประเมิน/พัฒนากรผู้รับผิดชอบ", "Assessor / responsible officer"),
            required=True,
        ),
        *common.end_main(),
    ]
    choices = (
        common.COMMON_CHOICES
        + choice_list(
            "target_type",
            [
                ("leader", "ผู้นำชุมชน", "Community leader"),
                ("organisation", "กลุ่มองค์กรชุมชน", "Community organisation"),
                ("network", "เครือข่ายองค์กรชุมชน", "Community organisation network"),
                ("community", "ชุมชน", "Community"),
            ],
        )
        + choice_list(
            "round",
            [("before", "ก่อนการพัฒนา", "Before development"), ("after", "หลังการพัฒนา", "After development")],
        )
    )
    return FormDef(
        form_id="standard_assessment",
        title="ประเมินตนเองตามระบบมาตรฐานการพัฒนาชุมชน (มชช.)",
        instance_name="concat(${target_name}, ' (', ${round}, ')')",
        survey=survey,
        choices=choices,
    )
