"""๑ พัฒนากร ๑ เครือข่าย: provincial nomination of an officer and a network partner, scored out of 100.

The weights live in WEIGHTS, written as calculates at the top of the form, so an office that follows
the seed's other table (50 for the joint work) edits numbers in one place; every score bound and the
total refer to them.
"""

from __future__ import annotations

from tools.forms.defs import common
from tools.forms.xlsform import Bilingual, FormDef, Row, begin_group, calc, choice_list, end_group, note, q

# Seed 002, project text 3.4: discipline 10 + five conduct criteria 10 each + joint work 40 = 100.
WEIGHTS: dict[str, str] = {
    "w_discipline": "10",
    "w_conduct_1": "10",
    "w_conduct_2": "10",
    "w_conduct_3": "10",
    "w_conduct_4": "10",
    "w_conduct_5": "10",
    "w_joint": "40",
}
CONDUCT: list[Bilingual] = [
    (
        "1.2.1 ตั้งมั่นในความซื่อสัตย์ สุจริต ไม่อ่อนไหวต่อสิ่งยั่วยุหรือแรงกดดัน",
        "1.2.1 Steadfast honesty, unmoved by temptation or pressure",
    ),
    (
        "1.2.2 ยืนหยัดต่อสู้ ปกป้องความซื่อสัตย์ ไม่นิ่งเฉยเมื่อพบการทุจริต",
        "1.2.2 Stands up for integrity, reports corruption",
    ),
    ("1.2.3 มุ่งมั่นให้สังคมซื่อสัตย์สุจริต เป็นแบบอย่างที่ดี", "1.2.3 Promotes integrity, sets an example"),
    ("1.2.4 ปฏิบัติหน้าที่ด้วยความอุทิศตน เสียสละ มีคุณธรรม จริยธรรม", "1.2.4 Dedicated, selfless, ethical service"),
    (
        "1.2.5 จิตสาธารณะ พอเพียง จิตอาสา หรือได้รับรางวัลด้านความดี",
        "1.2.5 Public spirit, volunteering or awards for virtue",
    ),
]
SCORE_MESSAGE: Bilingual = (
    "คะแนนต้องไม่ติดลบและไม่เกินคะแนนเต็มของเกณฑ์นี้",
    "The score must be between 0 and this criterion's weight",
)


def score(name: str, label: Bilingual, weight: str, extra: str = "") -> Row:
    return q(
        "decimal",
        name,
        (f"{label[0]} (เต็ม ${{{weight}}} คะแนน)", f"{label[1]} (out of ${{{weight}}})"),
        constraint=f". >= 0 and . <= ${{{weight}}}{extra}",
        message=SCORE_MESSAGE,
        required=True,
    )


def person(prefix: str, th: str, en: str) -> list[Row]:
    return [
        q("text", f"{prefix}_name", (f"ชื่อ-นามสกุล{th}", f"{en}: full name"), required=True),
        q("text", f"{prefix}_position", (f"ตำแหน่ง{th}", f"{en}: position"), required=True),
        q(
            "integer",
            f"{prefix}_years",
            (f"ระยะเวลาในตำแหน่ง{th} (ปี)", f"{en}: years in post"),
            constraint=". >= 0 and . <= 60",
            message=("ต้องอยู่ระหว่าง 0 ถึง 60 ปี", "Must be 0 to 60 years"),
            required=True,
        ),
    ]


def build() -> FormDef:
    total_weight = " + ".join(f"${{{w}}}" for w in WEIGHTS)
    score_names = ["score_discipline", *[f"score_conduct_{i}" for i in range(1, 6)], "score_joint"]
    survey: list[Row] = [
        *common.metadata(),
        *common.constants(WEIGHTS),
        calc("w_total", total_weight),
        *common.privacy_notice(
            (
                "คัดเลือก ๑ พัฒนากร ๑ เครือข่ายการพัฒนา และเผยแพร่ผลงานของผู้ได้รับคัดเลือก",
                "to select the 1 officer 1 network award and publish the winners' work",
            )
        ),
        note(
            "weights_warning",
            (
                "น้ำหนักคะแนนรวมไม่เท่ากับ 100 (${w_total}) แจ้งผู้ดูแลแบบฟอร์ม",
                "The weights add up to ${w_total}, not 100: tell the form administrator",
            ),
            relevant="${w_total} != 100",
        ),
        *common.place(with_village=False)[:2],
        q("select_one nominee_type", "nominee_type", ("ผู้ได้รับการเสนอชื่อเป็น", "Nominee is"), required=True),
        *person("nominee", "ผู้ได้รับการเสนอชื่อ", "Nominee"),
        q(
            "select_one network_type",
            "network_type",
            ("ประเภทเครือข่าย", "Network partner type"),
            required=True,
        ),
        *person("partner", "เครือข่าย", "Network partner"),
        q(
            "select_one discipline_record",
            "discipline_record",
            ("ประวัติทางวินัยของผู้ได้รับการเสนอชื่อ", "Nominee's disciplinary record"),
            hint=(
                "ไม่นับโทษจากความประมาทหรือลหุโทษที่ไม่ทำให้ราชการเสียหายร้ายแรง",
                "Negligence or petty offences without serious harm do not count",
            ),
            required=True,
        ),
        begin_group("scores", ("คะแนน", "Scores")),
        score(
            "score_discipline",
            ("1.1 ประวัติทางวินัย", "1.1 Disciplinary record"),
            "w_discipline",
            " and (${discipline_record} = 'never' or . = 0)",
        ),
        *[score(f"score_conduct_{i}", label, f"w_conduct_{i}") for i, label in enumerate(CONDUCT, start=1)],
        score("score_joint", ("2) ผลงานดีเด่นที่ทำร่วมกัน", "2) Joint outstanding work"), "w_joint"),
        end_group("scores"),
        {
            **calc("score_total", " + ".join(f"${{{n}}}" for n in score_names)),
            "constraint": ". <= ${w_total}",
            "constraint_message::Thai (th)": "คะแนนรวมเกินคะแนนเต็ม",
            "constraint_message::English (en)": "The total is above the maximum",
        },
        note("total_note", ("คะแนนรวม ${score_total} จาก ${w_total}", "Total ${score_total} of ${w_total}")),
        begin_group("joint_work", ("ผลงานดีเด่นที่ทำร่วมกัน", "Joint outstanding work")),
        q("text", "work_title", ("ชื่อผลงาน", "Title"), required=True),
        q("text", "work_steps", ("ขั้นตอนการดำเนินงาน", "Steps taken"), required=True, appearance="multiline"),
        q("date", "work_start", ("เริ่มดำเนินการ", "Started"), required=True),
        q(
            "date",
            "work_end",
            ("สิ้นสุด", "Ended"),
            constraint="decimal-date-time(.) >= decimal-date-time(${work_start})",
            message=("วันสิ้นสุดต้องไม่ก่อนวันเริ่ม", "The end cannot be before the start"),
            required=True,
        ),
        q("text", "work_results", ("ผลการดำเนินงาน", "Results"), required=True, appearance="multiline"),
        q(
            "text",
            "work_use",
            ("การนำไปใช้ประโยชน์", "How the work is used"),
            required=True,
            appearance="multiline",
        ),
        common.photo("evidence_1", ("ภาพหลักฐาน 1", "Evidence photo 1"), required=True),
        common.photo("evidence_2", ("ภาพหลักฐาน 2", "Evidence photo 2")),
        common.photo("evidence_3", ("ภาพหลักฐาน 3", "Evidence photo 3")),
        end_group("joint_work"),
        q("text", "scorer_name", ("กรรมการผู้ให้คะแนน", "Scoring committee member"), required=True),
        common.today_default("scoring_date", ("วันที่ให้คะแนน", "Scoring date")),
        *common.end_main(),
    ]
    choices = (
        common.COMMON_CHOICES
        + choice_list(
            "nominee_type",
            [
                ("officer", "พัฒนากร", "Community development officer"),
                ("volunteer", "อาสาพัฒนา (อสพ.)", "Development volunteer"),
            ],
        )
        + choice_list(
            "network_type",
            [
                ("village_committee", "คณะกรรมการหมู่บ้าน", "Village committee"),
                ("tcc", "ศูนย์ประสานงานองค์การชุมชนตำบล (ศอช.ต.)", "Subdistrict community organisation centre"),
                ("savings_group", "กลุ่มออมทรัพย์เพื่อการผลิต", "Savings-for-production group"),
                ("mother_fund", "กองทุนแม่ของแผ่นดิน", "Mother of the Land fund"),
                ("women_village", "คณะกรรมการพัฒนาสตรีหมู่บ้าน (กพสม.)", "Village women's development committee"),
                (
                    "women_subdistrict",
                    "คณะกรรมการพัฒนาสตรีตำบล (กพสต.)",
                    "Subdistrict women's development committee",
                ),
                ("volunteer_leader", "ผู้นำอาสาพัฒนาชุมชน (ผู้นำ อช.)", "Community development volunteer leader"),
                ("other", "อื่น ๆ", "Other"),
            ],
        )
        + choice_list(
            "discipline_record",
            [("never", "ไม่เคยถูกลงโทษ", "Never punished"), ("punished", "เคยถูกลงโทษ", "Punished")],
        )
    )
    return FormDef(
        form_id="nomination_scoring",
        title="คัดเลือก ๑ พัฒนากร ๑ เครือข่ายการพัฒนา",
        instance_name="concat(${nominee_name}, ' + ', ${partner_name})",
        survey=survey,
        choices=choices,
    )
