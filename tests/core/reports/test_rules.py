"""Indicator rules kept as data: the shipped file fits the shipped form; a broken file is refused
with a message naming the file, the indicator and the problem; a changed file is applied to every
household already processed; reprocessing rebuilds the results."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from server.core.ground.services import Services
from server.core.models import Form, Project, ReportResult, User
from server.core.reports import basic_needs, catalogue
from server.core.reports.evaluate import evaluate
from server.core.reports.results import refresh_all, rules_by_form
from server.core.reports.rules import SHIPPED_DIR, RulesError, load_rules, parse_rules
from server.core.submissions.processing import reprocess_all
from tests.core.reports.survey import survey_households

SHIPPED = (SHIPPED_DIR / "household_survey.indicators.toml").read_text(encoding="utf-8")
HEADER = 'report = "basic_needs"\nform_id = "household_survey"\ntitle = "จปฐ."\n'


def test_the_shipped_rules_hold_31_indicators_with_an_income_threshold() -> None:
    rules = load_rules()["basic_needs"]
    assert [i.code for i in rules.indicators] == [str(n) for n in range(1, 32)]
    assert rules.settings["income_threshold"] == 38000
    assert next(i for i in rules.indicators if i.code == "22").threshold == 38000.0


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("report = [", "not valid UTF-8 TOML"),
        (HEADER, "needs at least one indicator"),
        (HEADER + '[[indicator]]\ncode = "1"\nlabel = "x"\nkind = "magic"\n', "kind must be one of"),
        (HEADER + '[[indicator]]\ncode = "1"\nlabel = "x"\nkind = "count"\neligible = ["a"]\n', "needs 'not_meeting'"),
        (HEADER + '[[indicator]]\ncode = "1"\nlabel = "x"\nkind = "at_least"\nfield = "a"\nthreshold = "nope"\n',
         "'nope' is not in [settings]"),
        (HEADER + '[[indicator]]\ncode = "1"\nlabel = "x"\nkind = "all_equal"\nfields = ["a"]\nvalue = "y"\n'
         '[[indicator]]\ncode = "1"\nlabel = "y"\nkind = "all_equal"\nfields = ["b"]\nvalue = "y"\n', "duplicate codes: 1"),
        ('form_id = "x"\ntitle = "t"\n', "needs 'report'"),
    ],
)  # fmt: skip
def test_a_broken_rules_file_is_refused_with_a_clear_message(text: str, says: str) -> None:
    with pytest.raises(RulesError) as caught:
        parse_rules(text.encode(), "broken.indicators.toml")
    assert says in caught.value.message and "broken.indicators.toml" in caught.value.message
    assert "ไฟล์กฎตัวชี้วัด" in caught.value.message  # Thai first


def test_each_kind_of_rule() -> None:
    rules = parse_rules(
        (
            HEADER
            + "[settings]\nline = 100\n"
            + '[[indicator]]\ncode = "c"\nlabel = "x"\nkind = "count"\neligible = ["n_kids"]\nnot_meeting = ["kids_not"]\n'
            + '[[indicator]]\ncode = "e"\nlabel = "x"\nkind = "all_equal"\nfields = ["q1", "q2"]\nvalue = "yes"\n'
            + '[[indicator]]\ncode = "t"\nlabel = "x"\nkind = "at_least"\nfield = "money"\nthreshold = "line"\n'
            + '[[indicator]]\ncode = "s"\nlabel = "x"\nkind = "selected"\nfield = "saving"\nexcept = ["none"]\n'
        ).encode(),
        "t.indicators.toml",
    )
    root = "/household_survey/main"
    cases = [
        (
            {"n_kids": "2", "kids_not": None, "q1": "yes", "q2": None, "money": 100, "saving": ["cash"]},
            "YYYY",
        ),
        (
            {"n_kids": "2", "kids_not": 1, "q1": "yes", "q2": "no", "money": "99.5", "saving": ["none"]},
            "NNNN",
        ),
        ({"n_kids": "0", "q1": None, "money": None, "saving": None}, "----"),
    ]
    for answers, want in cases:
        values = {f"{root}/{k}": v for k, v in answers.items()}
        assert evaluate(rules, values).outcomes == want, answers


def test_rules_naming_a_field_the_form_lacks_are_refused(
    services: Services, client: FlaskClient, project: Project, collector: User, tmp_path: Path
) -> None:
    survey_households(services, client, project, collector, count=1)
    (tmp_path / "household_survey.indicators.toml").write_text(
        SHIPPED.replace('eligible = ["n_u1"]', 'eligible = ["n_babies"]'), encoding="utf-8"
    )
    with services.db.session() as session:
        form_id = session.scalar(select(Form.id).where(Form.xml_form_id == "household_survey"))
        assert rules_by_form(session, [form_id], SHIPPED_DIR)  # the shipped file fits the shipped form
        with pytest.raises(RulesError) as caught:
            rules_by_form(session, [form_id], tmp_path)
    assert "n_babies" in caught.value.message


def test_a_changed_rules_file_is_applied_to_every_household_and_reprocess_rebuilds(
    services: Services, client: FlaskClient, project: Project, collector: User, admin: User, tmp_path: Path
) -> None:
    households = survey_households(services, client, project, collector, count=12)
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ReportResult)) == 12  # written by the worker
    # An office lowers the income line to 1 บาท: every household with any income now meets indicator 22.
    (tmp_path / "household_survey.indicators.toml").write_text(
        SHIPPED.replace("income_threshold = 38000", "income_threshold = 1"), encoding="utf-8"
    )
    with services.db.session() as session:
        form, rules = catalogue.open_report(session, admin, project.id, "basic_needs", rules_dir=tmp_path)
        report = basic_needs.build(session, admin, form, rules, period=None)
    latest = [h for h in households if h.period == report.period]
    meets = next(i for i in report.total.indicators if i.code == "22").meets
    assert meets == sum(1 for h in latest if h.income_per_person >= 1)
    # Results dropped, then `chumchon reprocess` (reprocess_all + refresh_all) brings them all back.
    with services.db.session() as session:
        session.execute(delete(ReportResult))
    reprocess_all(services.db.sessions, services.blobs)
    with services.db.session() as session:
        assert refresh_all(session) == 12
        assert session.scalar(select(func.count()).select_from(ReportResult)) == 12
        assert refresh_all(session) == 0  # nothing stale any more
