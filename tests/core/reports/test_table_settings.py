"""The settings files of the table reports (allowance rates, มชช. thresholds, nomination criteria,
forum labels) are data an office edits: the shipped ones load, and a mistake is refused with the
file, the place and the problem in Thai and English, never a traceback; the API answers 400/404."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from server.core.models import Project
from server.core.reports import catalogue
from server.core.reports.rules import SHIPPED_DIR, RulesError

FILES = {
    "allowances": "welfare_registration.rates.toml",
    "community_standard": "standard_assessment.report.toml",
    "nomination_scoring": "nomination_scoring.report.toml",
    "community_forum": "community_forum.report.toml",
}


def test_the_shipped_settings_load() -> None:
    configs = catalogue.table_configs()
    assert {name: c.path.name for name, c in configs.items()} == FILES
    assert all(c.title and c.title_en and len(c.sha) == 64 for c in configs.values())


@pytest.mark.parametrize(
    ("file", "old", "new", "where"),
    [
        ("welfare_registration.rates.toml", "monthly = 600", 'monthly = "six hundred"', "rate 1 monthly"),
        ("welfare_registration.rates.toml", "monthly = 600", "monthly = -600", "rate 1 monthly"),
        ("standard_assessment.report.toml", "network = 80", "", "pass_percent network"),
        ("nomination_scoring.report.toml", 'code = "1.1"', "", "criterion 1 code"),
        ("community_forum.report.toml", "[actors]", "[actors_misspelt]", "actors"),
        ("community_forum.report.toml", 'report = "community_forum"', 'report = "forums"', "report"),
        ("community_forum.report.toml", "[actors]", "[actors", "file"),
    ],
)
def test_a_mistake_in_a_settings_file_is_named(
    tmp_path: Path, file: str, old: str, new: str, where: str
) -> None:
    for name in FILES.values():
        shutil.copy(SHIPPED_DIR / name, tmp_path / name)
    text = (tmp_path / file).read_text(encoding="utf-8")
    assert old in text
    (tmp_path / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        catalogue.table_configs(tmp_path)
    assert caught.value.message.startswith(f"{file}: {where}:") and " / " in caught.value.message


def test_bad_parameters_and_missing_forms(
    client: FlaskClient, project: Project, admin_headers: dict[str, str]
) -> None:
    for name in FILES:
        url = f"/v1/projects/{project.id}/reports/{name}"
        assert client.get(url, headers=admin_headers).status_code == 404  # its form is not published here
        for query in ("period=69", "area=%3D1%2B1", "format=docx"):
            resp = client.get(f"{url}?{query}", headers=admin_headers)
            assert resp.status_code == 400 and resp.get_json()["message"], (name, query)
        assert client.get(url).status_code == 401
