"""fill.py produces submissions the forms themselves accept, and refuses the broken ones."""

from __future__ import annotations

import pytest
from conftest import FORM_IDS
from fill import fill_submission
from lxml import etree
from pyxform.xls2xform import ConvertResult
from xform_model import check_submission, generic_path, parse_xform

from server.core.submissions.thai_id import is_valid_thai_citizen_id

ID_FORMS = ("household_survey", "welfare_registration", "community_group")


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_filled_submission_passes_the_forms_own_rules(
    form_id: str, converted: dict[str, ConvertResult]
) -> None:
    xform = converted[form_id].xform
    form = parse_xform(xform)
    for seed in (1, 2):
        submission = fill_submission(xform, seed=seed)
        root = etree.fromstring(submission.xml)
        assert root.get("id") == form_id and root.get("version") == form.version
        assert submission.instance_id.startswith("uuid:")
        assert check_submission(form, root) == []
        assert root.findtext("consent") == "yes"


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_fill_is_deterministic(form_id: str, converted: dict[str, ConvertResult]) -> None:
    xform = converted[form_id].xform
    assert fill_submission(xform, seed=7).xml == fill_submission(xform, seed=7).xml
    assert fill_submission(xform, seed=7).xml != fill_submission(xform, seed=8).xml


@pytest.mark.parametrize("form_id", ID_FORMS)
def test_invalid_citizen_ids_are_refused(form_id: str, converted: dict[str, ConvertResult]) -> None:
    xform = converted[form_id].xform
    form = parse_xform(xform)
    submission = fill_submission(xform, seed=3, invalid_citizen_id=True)
    problems = check_submission(form, submission.root)
    assert problems and {p.path.rsplit("/", 1)[-1] for p in problems} == {"nid"}
    for problem in problems:
        assert not is_valid_thai_citizen_id(problem.value)
    valid = fill_submission(xform, seed=3)
    ids = [e.text for e in valid.root.iter("nid")]
    assert ids and all(is_valid_thai_citizen_id(i or "") for i in ids)


def test_household_roster_is_realistic(converted: dict[str, ConvertResult]) -> None:
    submission = fill_submission(converted["household_survey"].xform, seed=1)
    root = submission.root
    members = root.findall("main/members")
    assert len(members) == 5
    assert [m.findtext("relation") for m in members][:2] == ["head", "spouse"]
    assert all(m.findtext("nid") == m.findtext("nid_confirm") for m in members)
    assert all("\u0e00" <= (m.findtext("first_name") or " ")[0] <= "\u0e7f" for m in members)
    assert root.findtext("main/n_members") == "5"
    assert int(root.findtext("main/n_60p") or 0) == sum(int(m.findtext("age") or 0) >= 60 for m in members)
    lat, lon, *_ = (root.findtext("main/household/location") or "").split()
    assert 5.5 < float(lat) < 20.5 and 97.3 < float(lon) < 105.7
    village = root.findtext("main/household/village") or ""
    assert village.startswith(root.findtext("main/household/subdistrict") or "-")


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_image_answer_has_an_attachment(form_id: str, converted: dict[str, ConvertResult]) -> None:
    form = parse_xform(converted[form_id].xform)
    submission = fill_submission(converted[form_id].xform, seed=1)
    answered = [
        e.text
        for e in submission.root.iter()
        if e.text
        and form.binds.get(generic_path(e)) is not None
        and form.binds[generic_path(e)].type == "binary"
    ]
    assert sorted(answered) == sorted(submission.attachments)
    assert all(data.startswith(b"\x89PNG") for data in submission.attachments.values())
