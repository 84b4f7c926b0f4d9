"""Fixtures for the shipped-forms tests: every forms/*.xlsx converted once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pyxform.xls2xform import ConvertResult, convert

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# fill.py, odk_xpath.py and xform_model.py are plain modules next to the tests; server/ and tools/
# are imported from the repository root.
for path in (str(HERE), str(REPO)):
    if path not in sys.path:
        sys.path.insert(0, path)

FORMS_DIR = REPO / "forms"
MEDIA_DIR = FORMS_DIR / "media"
FORM_IDS = (
    "household_survey",
    "welfare_registration",
    "community_group",
    "community_project",
    "community_forum",
    "standard_assessment",
    "nomination_scoring",
)
# Follow-up forms read an entity list as form media (beneficiaries.csv, households.csv) that the
# server builds, so they are tested with their registration forms in test_forms_entities.py.
FOLLOW_UP_IDS = ("welfare_verification", "household_followup")


@pytest.fixture(scope="session")
def converted() -> dict[str, ConvertResult]:
    results = {}
    for form_id in FORM_IDS:
        warnings: list[str] = []
        results[form_id] = convert(str(FORMS_DIR / f"{form_id}.xlsx"), warnings=warnings)
    return results
