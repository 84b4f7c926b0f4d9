"""Constraints taken from the converted XForms refuse what a surveyor must not be able to save."""

from __future__ import annotations

import random

import pytest
from lxml import etree
from odk_xpath import Evaluator
from pyxform.xls2xform import ConvertResult
from xform_model import parse_xform

from server.core.submissions.thai_id import is_valid_thai_citizen_id

VALID = ["1112034563562", "3100600445635", "1234545678781"]
INVALID = [
    "1234545678789",
    "0000000000000",
    "1-1120-34563-56-2",
    "111203456356",
    "11120345635620",
    "",
    "๑๑๑๒๐๓๔๕๖๓๕๖๒",
]


def constraint_of(converted: dict[str, ConvertResult], form_id: str, path: str) -> str:
    expression = parse_xform(converted[form_id].xform).binds[path].constraint
    assert expression, f"{path} has no constraint"
    return expression


def check(expression: str, xml: str, target: str) -> bool:
    root = etree.fromstring(xml)
    node = root.find(target)
    assert node is not None
    return Evaluator().boolean(expression, root, node)


@pytest.fixture(scope="module")
def nid_constraint(converted: dict[str, ConvertResult]) -> str:
    return constraint_of(converted, "welfare_registration", "/data/main/nid")


@pytest.mark.parametrize("value", VALID)
def test_form_accepts_valid_citizen_ids(nid_constraint: str, value: str) -> None:
    assert check(nid_constraint, f"<data><main><nid>{value}</nid></main></data>", "main/nid")


@pytest.mark.parametrize("value", [v for v in INVALID if v])
def test_form_refuses_invalid_citizen_ids(nid_constraint: str, value: str) -> None:
    assert not check(nid_constraint, f"<data><main><nid>{value}</nid></main></data>", "main/nid")


def test_confirm_id_must_match(converted: dict[str, ConvertResult]) -> None:
    expression = constraint_of(converted, "household_survey", "/data/main/members/nid_confirm")
    xml = "<data><main><members><nid>{}</nid><nid_confirm>{}</nid_confirm></members></main></data>"
    assert check(expression, xml.format("1112034563562", "1112034563562"), "main/members/nid_confirm")
    assert not check(expression, xml.format("1112034563562", "1112034563526"), "main/members/nid_confirm")


@pytest.mark.parametrize("value", VALID)
def test_server_accepts_worked_examples(value: str) -> None:
    assert is_valid_thai_citizen_id(value)


@pytest.mark.parametrize("value", INVALID)
def test_server_refuses_bad_ids(value: str) -> None:
    assert not is_valid_thai_citizen_id(value)


def test_server_and_form_agree_on_random_ids(nid_constraint: str) -> None:
    rng = random.Random(2569)
    values = ["".join(rng.choice("0123456789") for _ in range(13)) for _ in range(3000)]
    root = etree.fromstring("<data><main><nid/></main></data>")
    node = root.find("main/nid")
    ev = Evaluator()
    accepted = 0
    for value in values:
        node.text = value
        form_says = ev.boolean(nid_constraint, root, node)
        assert form_says == is_valid_thai_citizen_id(value), value
        accepted += form_says
    assert 200 < accepted < 400  # about 1 in 10 random strings has the right check digit


HOUSEHOLD = """<data><main>
  <members><age>7</age><age_months>90</age_months></members>
  <members><age>12</age><age_months>150</age_months></members>
  <members><age>40</age><age_months>485</age_months></members>
  <n_6_14>2</n_6_14>
  <sec3><i16_all>not_all</i16_all><i16_not>{}</i16_not></sec3>
</main></data>"""


@pytest.mark.parametrize(("not_in_school", "ok"), [(1, True), (2, True), (3, False), (0, False)])
def test_not_meeting_count_bounded_by_eligible_count(
    converted: dict[str, ConvertResult], not_in_school: int, ok: bool
) -> None:
    expression = constraint_of(converted, "household_survey", "/data/main/sec3/i16_not")
    assert check(expression, HOUSEHOLD.format(not_in_school), "main/sec3/i16_not") is ok


def test_eligible_count_is_computed_from_roster_ages(converted: dict[str, ConvertResult]) -> None:
    calculation = parse_xform(converted["household_survey"].xform).binds["/data/main/n_6_14"].calculate
    assert calculation is not None
    root = etree.fromstring(HOUSEHOLD.format(1))
    assert Evaluator().string(calculation, root, root.find("main/n_6_14")) == "2"


def test_age_is_computed_from_birth_date(converted: dict[str, ConvertResult]) -> None:
    calculation = parse_xform(converted["household_survey"].xform).binds["/data/main/members/age"].calculate
    assert calculation is not None
    root = etree.fromstring(
        "<data><main><members><birth_date>1966-11-24</birth_date><age/></members></main></data>"
    )
    # The reference date is 2026-11-23: one day short of 60.
    assert Evaluator().string(calculation, root, root.find("main/members/age")) == "59"


NOMINATION = """<data><w_discipline>10</w_discipline><w_joint>40</w_joint><main>
  <discipline_record>{record}</discipline_record>
  <scores><score_discipline>{discipline}</score_discipline><score_joint>{joint}</score_joint></scores>
</main></data>"""


@pytest.mark.parametrize(
    ("field", "record", "discipline", "joint", "ok"),
    [
        ("score_joint", "never", 10, 40, True),
        ("score_joint", "never", 10, 40.5, False),
        ("score_joint", "never", 10, -1, False),
        ("score_discipline", "never", 10, 0, True),
        ("score_discipline", "never", 11, 0, False),
        ("score_discipline", "punished", 5, 0, False),  # a punished nominee gets no discipline points
        ("score_discipline", "punished", 0, 0, True),
    ],
)
def test_scores_bounded_by_their_weights(
    converted: dict[str, ConvertResult], field: str, record: str, discipline: float, joint: float, ok: bool
) -> None:
    expression = constraint_of(converted, "nomination_scoring", f"/data/main/scores/{field}")
    xml = NOMINATION.format(record=record, discipline=discipline, joint=joint)
    assert check(expression, xml, f"main/scores/{field}") is ok


@pytest.mark.parametrize(("self_score", "ok"), [(8, True), (10, True), (10.5, False)])
def test_self_assessment_score_bounded_by_full_score(
    converted: dict[str, ConvertResult], self_score: float, ok: bool
) -> None:
    expression = constraint_of(converted, "standard_assessment", "/data/main/indicators/self_score")
    xml = f"<data><main><indicators><full_score>10</full_score><self_score>{self_score}</self_score></indicators></main></data>"
    assert check(expression, xml, "main/indicators/self_score") is ok


ELDERLY = """<data><main><elderly_cutoff>1967-09-30</elderly_cutoff>
  <allowance_type>{kind}</allowance_type><birth_date>{born}</birth_date></main></data>"""


@pytest.mark.parametrize(
    ("kind", "born", "ok"),
    [
        ("elderly", "1967-09-30", True),  # turns 60 on the last day of fiscal year 2570
        ("elderly", "1967-10-01", False),  # turns 60 in fiscal year 2571
        ("disabled", "1990-01-01", True),  # the age rule applies to the elderly allowance only
    ],
)
def test_elderly_allowance_needs_60_by_end_of_fiscal_year(
    converted: dict[str, ConvertResult], kind: str, born: str, ok: bool
) -> None:
    expression = constraint_of(converted, "welfare_registration", "/data/main/birth_date")
    assert check(expression, ELDERLY.format(kind=kind, born=born), "main/birth_date") is ok


def test_elderly_cutoff_follows_fiscal_year(converted: dict[str, ConvertResult]) -> None:
    form = parse_xform(converted["welfare_registration"].xform)
    root = etree.fromstring(
        "<data><elderly_min_age>60</elderly_min_age><fiscal_year_end_md>-09-30</fiscal_year_end_md>"
        "<main><fiscal_year_be>2570</fiscal_year_be><elderly_cutoff/></main></data>"
    )
    calculation = form.binds["/data/main/elderly_cutoff"].calculate
    assert calculation is not None
    assert Evaluator().string(calculation, root, root.find("main/elderly_cutoff")) == "1967-09-30"
