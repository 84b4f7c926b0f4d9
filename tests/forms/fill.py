"""Produce realistic, deterministic Thai submissions for any converted Chumchon form.

    submission = fill_submission(convert("forms/household_survey.xlsx").xform, seed=1)
    submission.xml          # bytes, as ODK Collect would post it as xml_submission_file
    submission.attachments  # {file name: PNG bytes} for every image answer

Values follow the form itself: relevance decides what is answered, selects take options from the
form's choice lists and media CSVs (province → district → subdistrict → village), numbers respect
the bounds of their constraint, calculates are evaluated like Collect does. ``invalid_citizen_id``
makes every citizen ID fail its checksum (the confirm question still matches) so tests can post a
submission the phone would have refused.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from odk_xpath import REFERENCE_DATE, Evaluator, to_number
from xform_model import (
    MEDIA_DIR,
    Control,
    XForm,
    filtered_options,
    generic_path,
    is_relevant,
    parse_xform,
    recalculate,
)

MALE_NAMES = ["สมชาย", "สมศักดิ์", "ประเสริฐ", "วิชัย", "บุญมี", "สุรชัย", "อนุชา", "ธนากร", "กิตติพงษ์", "ณัฐวุฒิ"]
FEMALE_NAMES = ["สมหญิง", "มาลี", "บุญเรือน", "สุดารัตน์", "วันเพ็ญ", "อรุณี", "กนกวรรณ", "พิมพ์ชนก", "จันทร์เพ็ญ", "ศิริพร"]
SURNAMES = ["ใจดี", "ศรีสุข", "บุญมา", "แก้วมณี", "ทองดี", "สุขสวัสดิ์", "พรหมมา", "จันทร์หอม", "วงศ์ไทย", "ประเสริฐศักดิ์"]
TEXTS = {
    "group_name": ["กลุ่มทอผ้าบ้านหนองบัว", "กลุ่มแม่บ้านเกษตรกรบ้านใหม่", "กลุ่มออมทรัพย์เพื่อการผลิตบ้านโคก"],
    "project_name": ["โครงการส่งเสริมอาชีพจักสานผักตบชวา", "โครงการคัดแยกขยะต้นทาง", "โครงการผักปลอดสารพิษในครัวเรือน"],
    "plan_name": ["แผนงานส่งเสริมเศรษฐกิจชุมชน", "แผนงานสิ่งแวดล้อม"],
    "item": ["ค่าอาหารว่างและเครื่องดื่ม 30 คน", "ค่าวัสดุฝึกอบรม", "ค่าตอบแทนวิทยากร 6 ชั่วโมง"],
    "problem": ["ถนนเข้าหมู่บ้านชำรุด", "ราคาผลผลิตตกต่ำ", "ขยะล้นในชุมชน", "เยาวชนว่างงาน"],
    "indicator": [
        "มีแผนพัฒนากลุ่มและใช้แผน",
        "มีการบันทึกบัญชีรายรับรายจ่าย",
        "สมาชิกมีส่วนร่วมในการประชุม",
        "มีการจัดสวัสดิการแก่สมาชิก",
    ],
    "target_name": ["กลุ่มอาชีพทอเสื่อกกบ้านดอน", "เครือข่ายกองทุนแม่ของแผ่นดินตำบลหนองบัว"],
    "work_title": ["ธนาคารขยะชุมชนสร้างรายได้", "ตลาดนัดชุมชนวิถีพอเพียง"],
    "nominee_position": ["นักพัฒนาชุมชนปฏิบัติการ", "นักพัฒนาชุมชนชำนาญการ", "อาสาพัฒนา (อสพ.)"],
    "partner_position": ["ประธานกลุ่มออมทรัพย์เพื่อการผลิต", "ประธานคณะกรรมการพัฒนาสตรีตำบล", "ผู้นำ อช."],
    "venue": ["ศาลาประชาคมหมู่ที่ 3", "วัดบ้านหนองบัว", "อาคารอเนกประสงค์ชุมชน"],
    "solution": ["ประสานองค์การบริหารส่วนตำบลซ่อมถนน", "ตั้งกลุ่มแปรรูปผลผลิต", "ทำธนาคารขยะ"],
    "agency": ["สำนักงานเกษตรอำเภอ", "โรงพยาบาลส่งเสริมสุขภาพตำบล"],
    "supporting_agency": ["สำนักงานพัฒนาชุมชนอำเภอ", "องค์การบริหารส่วนตำบล"],
    "bank_name": ["ธ.ก.ส. สาขาจัตุรัส", "ธนาคารออมสิน สาขาฉะเชิงเทรา"],
}
LONG_TEXT = "ชุมชนร่วมกันวิเคราะห์ปัญหาในเวทีประชาคม และตกลงแนวทางดำเนินงานร่วมกับหน่วยงานที่เกี่ยวข้อง"
# Real places spread over Thailand (lat, lon) for GPS answers.
GPS_CENTRES = [
    (15.81, 101.92),
    (13.69, 101.07),
    (15.70, 100.13),
    (18.79, 98.98),
    (7.01, 100.47),
    (14.97, 102.10),
]
_LOWER = re.compile(r"\.\s*(>=|>)\s*([^\s)]+)")
_UPPER = re.compile(r"\.\s*(<=|<)\s*([^\s)]+)")
_EQUALS_OTHER = re.compile(r"^\s*\.\s*=\s*(\S+)\s*$")


def thai_citizen_id(rng: random.Random, valid: bool = True) -> str:
    """A random 13-digit ID whose check digit is right (or, with valid=False, deliberately wrong)."""
    first_twelve = str(rng.choice([1, 3, 5, 8])) + "".join(str(rng.randint(0, 9)) for _ in range(11))
    check = (11 - sum(int(d) * (13 - i) for i, d in enumerate(first_twelve)) % 11) % 10
    if not valid:
        check = (check + rng.randint(1, 9)) % 10
    return first_twelve + str(check)


def png_bytes(width: int = 4, height: int = 4, rgb: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """A tiny valid PNG, so attachment uploads carry real image bytes without Pillow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@dataclass
class Persona:
    sex: str
    age: int
    first_name: str
    last_name: str
    title: str
    birth_date: dt.date
    relation: str
    role: str


@dataclass
class FilledSubmission:
    form_id: str
    instance_id: str
    xml: bytes
    root: etree._Element
    attachments: dict[str, bytes] = field(default_factory=dict)


# Most people answer these the common way; random answers would make every household bedridden.
USUAL_ANSWERS = {
    "disabled": "no",
    "health": "healthy",
    "self_care": "yes",
    "welfare_card": "no",
    "religion": "buddhism",
    "i24": "none",
    "i25": "none",
    "discipline_record": "never",
    "regulations_agreed": "yes",
    "bank_account_opened": "yes",
    "hiv_medical_certificate": "yes",
}

# Household roster shape by position: (minimum age, maximum age, relation to head).
HOUSEHOLD_SHAPE = [
    (40, 70, "head"),
    (38, 68, "spouse"),
    (8, 25, "child"),
    (0, 1, "grandchild"),
    (60, 88, "parent"),
]


class _Filler:
    def __init__(
        self, form: XForm, seed: int, today: dt.date, valid_ids: bool, repeat_counts: dict[str, int]
    ) -> None:
        self.form = form
        self.rng = random.Random(seed)
        self.today = today
        self.valid_ids = valid_ids
        self.repeat_counts = repeat_counts
        self.ev = Evaluator(today)
        self.root = etree.fromstring(etree.tostring(form.skeleton))
        self.attachments: dict[str, bytes] = {}
        self.personas: dict[int, Persona] = {}
        self.surname = self.rng.choice(SURNAMES)
        self.head_sex = "male"
        self.clock = dt.datetime.combine(today, dt.time(9, 0))
        self.village = self._pick_village()

    # -- structure --------------------------------------------------------------------------
    def expand_repeats(self) -> None:
        for path in self.form.repeats:
            name = path.rsplit("/", 1)[-1]
            default = {"members": 5 if self.form.form_id == "household_survey" else 4}.get(name, 3)
            count = self.repeat_counts.get(name, default)
            for template in [e for e in self.root.iter() if generic_path(e) == path]:
                parent = template.getparent()
                assert parent is not None
                index = parent.index(template)
                for i in range(1, count):
                    parent.insert(index + i, etree.fromstring(etree.tostring(template)))

    def _pick_village(self) -> dict[str, str] | None:
        villages = self.form.choices.get("villages")
        return self.rng.choice(villages) if villages else None

    # -- people -----------------------------------------------------------------------------
    def persona(self, node: etree._Element) -> Persona:
        """One consistent person per repeat instance (or per form outside repeats)."""
        owner = node.getparent()
        while owner is not None and generic_path(owner) not in self.form.repeats:
            owner = owner.getparent()
        key = id(owner) if owner is not None else 0
        if key in self.personas:
            return self.personas[key]
        position = 0
        if owner is not None:
            position = sum(1 for _ in owner.itersiblings(owner.tag, preceding=True))
        if self.form.form_id == "household_survey":
            lo, hi, relation = HOUSEHOLD_SHAPE[min(position, len(HOUSEHOLD_SHAPE) - 1)]
        elif self.form.form_id == "welfare_registration":
            lo, hi, relation = 62, 85, "head"
        else:
            lo, hi, relation = 25, 65, "head"
        age = self.rng.randint(lo, hi)
        sex = self.rng.choice(["male", "female"])
        if relation == "head":
            self.head_sex = sex
        elif relation == "spouse":
            sex = "female" if self.head_sex == "male" else "male"
        if age < 15:
            title = "boy" if sex == "male" else "girl"
        elif sex == "male":
            title = "mr"
        else:
            title = self.rng.choice(["mrs", "miss"])
        birth = self.today - dt.timedelta(days=int(age * 365.25) + self.rng.randint(20, 330))
        if age == 0:
            birth = self.today - dt.timedelta(days=self.rng.randint(20, 300))
        person = Persona(
            sex=sex,
            age=age,
            first_name=self.rng.choice(MALE_NAMES if sex == "male" else FEMALE_NAMES),
            last_name=self.surname if self.form.form_id == "household_survey" else self.rng.choice(SURNAMES),
            title=title,
            birth_date=birth,
            relation=relation,
            role="chair"
            if position == 0
            else self.rng.choice(["vice_chair", "secretary", "treasurer", "committee", "member", "member"]),
        )
        self.personas[key] = person
        return person

    def full_name(self) -> str:
        first = self.rng.choice(MALE_NAMES + FEMALE_NAMES)
        return f"{first} {self.rng.choice(SURNAMES)}"

    # -- values -----------------------------------------------------------------------------
    def candidates(self, node: etree._Element) -> list[str]:
        """Proposed answers for one question, most plausible first."""
        path = generic_path(node)
        name = path.rsplit("/", 1)[-1]
        bind = self.form.binds[path]
        control = self.form.controls.get(path)
        constraint = bind.constraint or ""
        rng = self.rng

        if bind.preload == "timestamp":  # start, then end a little later
            self.clock += dt.timedelta(minutes=rng.randint(15, 60))
            return [self.clock.isoformat(timespec="milliseconds") + "+07:00"]
        if control is not None and control.kind == "upload":
            kind = "signature" if "signature" in control.appearance else name
            file_name = f"{kind}-{len(self.attachments) + 1}.png"
            self.attachments[file_name] = png_bytes(rgb=(rng.randint(0, 255), 120, 40))
            return [file_name]
        if control is not None and control.kind in ("select1", "select"):
            return self.select_candidates(node, name, control)
        if bind.type == "geopoint":
            lat, lon = rng.choice(GPS_CENTRES)
            return [
                f"{lat + rng.uniform(-0.05, 0.05):.6f} {lon + rng.uniform(-0.05, 0.05):.6f} {rng.uniform(5, 200):.1f} {rng.uniform(3, 9):.1f}"
            ]
        if bind.type == "date":
            if name == "birth_date":
                return [self.persona(node).birth_date.isoformat()]
            past = [self.today - dt.timedelta(days=rng.randint(0, 200)) for _ in range(20)]
            future = [self.today + dt.timedelta(days=rng.randint(1, 200)) for _ in range(20)]
            return [d.isoformat() for d in past + future]
        if bind.type in ("int", "decimal"):
            return self.number_candidates(node, name, bind.type, constraint)
        # text
        if "substr(., 12, 13)" in constraint:
            return [thai_citizen_id(rng, self.valid_ids)]
        same = _EQUALS_OTHER.match(constraint)
        if same:
            return [self.ev.string(same.group(1), self.root, node)]
        if name == "phone" or name.endswith("_phone"):
            return ["0" + rng.choice("689") + "".join(str(rng.randint(0, 9)) for _ in range(8))]
        if name == "house_code":
            return ["".join(str(rng.randint(0, 9)) for _ in range(11))]
        if name.endswith("account_no"):
            return ["".join(str(rng.randint(0, 9)) for _ in range(10))]
        if name == "disability_card_no":
            return [thai_citizen_id(rng)]
        if name == "house_no":
            return [f"{rng.randint(1, 250)}" + rng.choice(["", f"/{rng.randint(1, 9)}"])]
        if name == "first_name":
            return [self.persona(node).first_name]
        if name == "last_name":
            return [self.persona(node).last_name]
        if name == "bank_account_name":
            person = self.persona(node)
            return [f"{person.first_name} {person.last_name}"]
        if name == "village_name":
            return ["บ้านหนองบัว"]
        if name.endswith("_name") or name in ("responsible_person",):
            return [rng.choice(TEXTS[name]) if name in TEXTS else self.full_name()]
        if name in TEXTS:
            return [rng.choice(TEXTS[name])]
        return [
            LONG_TEXT
            if control is not None and "multiline" in control.appearance
            else f"{LONG_TEXT} ({name})"
        ]

    def select_candidates(self, node: etree._Element, name: str, control: Control) -> list[str]:
        options = filtered_options(self.form, control, self.root, node, self.ev)
        person = self.persona(node)
        preferred = {
            "consent": "yes",
            "title": person.title,
            "sex": person.sex,
            "relation": person.relation,
            "role": person.role,
            "committee_confirmed": "yes",
        }
        if self.village is not None:
            code = self.village["subdistrict_code"]
            preferred.update(
                province=code[:2], district=code[:4], subdistrict=code, village=self.village["name"]
            )
        if name in preferred and preferred[name] in options:
            return [preferred[name]]
        usual = USUAL_ANSWERS.get(name)
        if usual in options and self.rng.random() < 0.85:
            return [usual] + [o for o in options if o != usual]
        if control.kind == "select1":
            return self.rng.sample(options, len(options))
        picks = []
        for _ in range(30):
            chosen = self.rng.sample(options, self.rng.randint(1, min(3, len(options))))
            picks.append(" ".join(sorted(chosen, key=options.index)))
        return picks

    def number_candidates(self, node: etree._Element, name: str, type_: str, constraint: str) -> list[str]:
        rng = self.rng
        if name == "fiscal_year_be":
            return [str(self.today.year + 543 + 1)]
        if name.startswith("inc_"):
            return [str(rng.choice([0, rng.randint(5, 200) * 1000]))]
        if name in ("amount", "funds_raised"):
            return [str(rng.randint(5, 200) * 100)]
        if name in ("men", "women"):
            return [str(rng.randint(5, 60))]
        low, high = 0.0, 10.0
        lower = _LOWER.search(constraint)
        upper = _UPPER.search(constraint)
        if lower:
            bound = to_number(self.ev.string(lower.group(2), self.root, node))
            if not math.isnan(bound):
                low = bound + (0.5 if lower.group(1) == ">" else 0)
        if upper:
            bound = to_number(self.ev.string(upper.group(2), self.root, node))
            if not math.isnan(bound):
                high = bound - (0.5 if upper.group(1) == "<" else 0)
        if name in ("full_score",):
            low, high = 5, 20
        if name.endswith("_years") or name.startswith("i14"):
            high = min(high, 12)
        high = max(high, low)
        values = []
        for _ in range(60):
            if type_ == "int":
                values.append(str(rng.randint(int(low), int(high)) if low <= high else int(low)))
            else:
                values.append(f"{rng.uniform(low, high):.1f}".rstrip("0").rstrip("."))
        return [*values, str(int(low)), "0"]

    # -- main loop --------------------------------------------------------------------------
    def run(self) -> None:
        self.expand_repeats()
        meta_id = self.root.find("meta/instanceID")
        if meta_id is not None:
            meta_id.text = f"uuid:{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"
        dirty = True
        for node in list(self.root.iter()):
            path = generic_path(node)
            bind = self.form.binds.get(path)
            if bind is None or len(node) or bind.calculate or path.endswith("/meta/instanceID"):
                continue
            control = self.form.controls.get(path)
            is_note = bind.readonly and (control is None or control.kind == "input")
            if is_note and bind.preload is None:
                continue
            if dirty:
                recalculate(self.form, self.root, self.ev)
                dirty = False
            if not is_relevant(self.form, self.root, node, self.ev):
                continue
            candidates = self.candidates(node)
            for value in candidates:
                node.text = value
                if not bind.constraint or (not self.valid_ids and "substr(., 12, 13)" in bind.constraint):
                    break
                if self.ev.boolean(bind.constraint, self.root, node):
                    break
            else:
                raise RuntimeError(f"{self.form.form_id}: no candidate satisfies {path}: {bind.constraint}")
            dirty = True
        recalculate(self.form, self.root, self.ev)


def fill_submission(
    xform: str | bytes,
    *,
    seed: int = 0,
    invalid_citizen_id: bool = False,
    today: dt.date = REFERENCE_DATE,
    repeat_counts: dict[str, int] | None = None,
    media_dir: Path = MEDIA_DIR,
) -> FilledSubmission:
    """Fill every relevant question of ``xform`` and return the submission XML and attachments."""
    form = parse_xform(xform, media_dir)
    filler = _Filler(form, seed, today, not invalid_citizen_id, repeat_counts or {})
    filler.run()
    root = filler.root
    instance_id = root.findtext("meta/instanceID") or ""
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return FilledSubmission(form.form_id, instance_id, xml, root, filler.attachments)
