"""เวทีประชาคม: a community forum, its attendance, the problems raised and who acts on each."""

from __future__ import annotations

from tools.forms.defs import common
from tools.forms.xlsform import FormDef, Row, begin_group, calc, choice_list, end_group, note, q


def build() -> FormDef:
    head_count = (". >= 0", ("ต้องเป็นจำนวนตั้งแต่ 0 ขึ้นไป", "Must be 0 or more"))
    survey: list[Row] = [
        *common.metadata(),
        *common.privacy_notice(
            (
                "บันทึกเวทีประชาคมและจัดทำแผนชุมชน (รวมภาพถ่ายผู้เข้าร่วม)",
                "to record the community forum and prepare the community plan (including photos of participants)",
            )
        ),
        q(
            "date",
            "forum_date",
            ("วันที่จัดเวที", "Date of the forum"),
            required=True,
            constraint="decimal-date-time(.) <= decimal-date-time(today())",
            message=("วันที่ต้องไม่อยู่ในอนาคต", "The date cannot be in the future"),
        ),
        *common.place(),
        q(
            "text",
            "venue",
            ("สถานที่จัด", "Venue"),
            hint=("เช่น ศาลาประชาคมหมู่ที่ 3", "e.g. the village hall of Moo 3"),
            required=True,
        ),
        q("geopoint", "location", ("พิกัดสถานที่", "Venue location (GPS)")),
        q("select_one forum_topic", "topic", ("เรื่องที่ประชุม", "Topic"), required=True),
        q("text", "topic_detail", ("รายละเอียดเรื่อง", "Topic details"), required=True, appearance="multiline"),
        q(
            "integer",
            "men",
            ("ผู้เข้าร่วม ชาย (คน)", "Participants, men"),
            constraint=head_count[0],
            message=head_count[1],
            required=True,
        ),
        q(
            "integer",
            "women",
            ("ผู้เข้าร่วม หญิง (คน)", "Participants, women"),
            constraint=head_count[0],
            message=head_count[1],
            required=True,
        ),
        calc("attendance_total", "${men} + ${women}"),
        note(
            "attendance_note",
            ("รวมผู้เข้าร่วม ${attendance_total} คน", "Total participants: ${attendance_total}"),
        ),
        begin_group(
            "problems",
            ("ปัญหาที่ยกขึ้นในเวที", "Problems raised"),
            repeat=True,
            hint=("หนึ่งปัญหาต่อหนึ่งรายการ", "One problem per entry"),
        ),
        q("text", "problem", ("ปัญหา/ความต้องการ", "Problem or need"), required=True),
        q("select_one problem_area", "problem_area", ("ด้าน", "Area"), required=True),
        q(
            "integer",
            "priority",
            ("ลำดับความสำคัญ (1 = สำคัญที่สุด)", "Priority (1 = most important)"),
            constraint=". >= 1 and . <= ${n_problems}",
            message=(
                "ลำดับต้องอยู่ระหว่าง 1 ถึงจำนวนปัญหาทั้งหมด",
                "Priority must be between 1 and the number of problems",
            ),
            required=True,
        ),
        q("text", "solution", ("แนวทางแก้ไขที่ตกลงกัน", "Agreed solution"), required=True),
        q("select_one actor", "actor", ("ผู้ดำเนินการ", "Who acts"), required=True),
        q(
            "text",
            "agency",
            ("ระบุหน่วยงาน", "Name the agency"),
            relevant="${actor} = 'other_agency'",
            required=True,
        ),
        end_group("problems", repeat=True),
        calc("n_problems", "count(${problems})"),
        common.photo("photo_1", ("ภาพบรรยากาศเวที 1", "Forum photo 1"), required=True),
        common.photo("photo_2", ("ภาพบรรยากาศเวที 2", "Forum photo 2")),
        common.photo("attendance_sheet", ("ภาพใบลงชื่อผู้เข้าร่วม", "Photo of the attendance sheet")),
        q("text", "recorder_name", ("ผู้บันทึก", "Recorded by"), required=True),
        *common.end_main(),
    ]
    choices = (
        common.COMMON_CHOICES
        + choice_list(
            "forum_topic",
            [
                ("community_plan", "จัดทำ/ทบทวนแผนชุมชน", "Prepare or review the community plan"),
                ("problem_analysis", "วิเคราะห์ปัญหาความต้องการ", "Analyse problems and needs"),
                ("project_selection", "คัดเลือกโครงการ", "Select projects"),
                ("fund", "กองทุนชุมชน", "Community fund"),
                ("other", "อื่น ๆ", "Other"),
            ],
        )
        + choice_list(
            "problem_area",
            [
                ("infrastructure", "โครงสร้างพื้นฐาน", "Infrastructure"),
                ("economy", "เศรษฐกิจ/อาชีพ", "Economy / livelihoods"),
                ("health", "สุขภาพ", "Health"),
                ("education", "การศึกษา", "Education"),
                ("environment", "ทรัพยากรธรรมชาติและสิ่งแวดล้อม", "Natural resources and environment"),
                ("social", "สังคม/ความปลอดภัย", "Social / safety"),
                ("other", "อื่น ๆ", "Other"),
            ],
        )
        + choice_list(
            "actor",
            [
                ("community", "ชุมชนทำเอง", "The community itself"),
                ("local_government", "ขอรับการสนับสนุนจากท้องถิ่น", "Local government support"),
                ("other_agency", "ขอรับการสนับสนุนจากหน่วยงานอื่น", "Another agency"),
            ],
        )
    )
    return FormDef(
        form_id="community_forum",
        title="บันทึกเวทีประชาคม",
        instance_name="concat('เวทีประชาคม ', ${forum_date})",
        survey=survey,
        choices=choices,
    )
