"""Laying out a submission's answers in form order with labels in the chosen language."""

from __future__ import annotations

from server.web.ui import answers
from tests.workers.factories import household_schema


def test_layout_groups_repeats_nested_repeats_and_choice_labels() -> None:
    schema = household_schema()
    values = {"/data/household/house_no": "12/3", "/data/household/village": "2", "/data/savings": ["bank", "gold"],
              "/data/household/location": {"lat": 13.75, "lon": 100.5, "alt": 1.0, "accuracy": 4.0}}
    repeats = [
        {"repeat": "/data/members", "key": "k/members[1]", "parentKey": "k", "values": {"/data/members/full_name": "สมชาย"}},
        {"repeat": "/data/members/visits", "key": "k/members[1]/visits[1]", "parentKey": "k/members[1]",
         "values": {"/data/members/visits/visit_note": "ครั้งแรก"}},
    ]
    th = answers.layout(schema, values, repeats, answers.language_key(schema, "th"))
    household = next(s for s in th if s.label == "ครัวเรือน")
    shown = {a.label: a.text for a in household.answers}
    assert shown["บ้านเลขที่"] == "12/3" and shown["หมู่บ้าน"] == "บ้านดอนแก้ว"
    assert shown["พิกัดบ้าน"] == "13.75, 100.5 (±4.0 m)"
    tables = [t for s in th for t in s.tables]
    assert [t.label for t in tables] == ["สมาชิก", "การเยี่ยม"] and tables[1].nested
    assert tables[0].rows[0]["cells"][0].text == "สมชาย"
    savings = next(a for s in th for a in s.answers if a.path == "/data/savings")
    assert savings.text == "เงินฝากธนาคาร, ทองคำ"
    en = answers.layout(schema, values, repeats, answers.language_key(schema, "en"))
    assert any(a.label == "House number" for s in en for a in s.answers)
    raw = answers.layout(schema, values, repeats, answers.language_key(schema, "raw"))
    assert any(a.label == "house_no" and a.text == "12/3" for s in raw for a in s.answers)


def test_flag_label_keeps_the_repeat_instance() -> None:
    assert answers.flag_label("/data/members[2]/citizen_id", {"/data/members/citizen_id": "เลขบัตร"}) == "เลขบัตร #2"
    assert answers.flag_label("/data/x", {}) == "/data/x"
