"""In the browser: the จปฐ. report page of one subdistrict draws its households on the map, red where
they fail the chosen indicator, over the shipped province outlines, and redraws when another
indicator is chosen. Keeps the page as a picture in docs/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from server.core.forms.shipped import publish_with_media
from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.core.models import User
from tests.core.reports.survey import _made
from tests.core.review.support import submit
from tests.forms.conftest import FORMS_DIR
from tests.live.browser import ARTIFACTS, screenshot
from tests.live.harness import ROOT, start_serve
from tests.live.test_browser import sign_in


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="th-TH")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    yield page
    context.close()
    assert not problems, problems


def test_households_failing_an_indicator_on_the_map_of_a_subdistrict(
    settings_env: dict[str, str], tmp_path: Path, page: Page
) -> None:
    live = start_serve(settings_env, tmp_path, "--forms-dir", str(tmp_path / "none"))
    svc = build_services(load_settings(live.env))
    try:
        with svc.db.session() as s:
            version = publish_with_media(s, svc.blobs, 1, FORMS_DIR / "household_survey.xlsx")
            xform = svc.blobs.read_bytes(version.xform_sha256)
            admin = s.scalar(select(User).where(User.username == "admin"))
        assert admin is not None
        made = _made(xform, 40, 21)
        for sent, _ in made:
            submit(svc, 1, admin, sent.xml)
        period = max(h.period for _, h in made)
        subdistrict = "360610"
        mine = [h for _, h in made if h.period == period and h.subdistrict == subdistrict]
        sign_in(page, live)
        page.goto(f"{live.url}/ui/projects/1/reports/basic_needs?area={subdistrict}&period={period}")
        box = page.locator("#report-map.drawn")
        expect(box).to_have_attribute("data-outlines", "77")
        chosen = page.locator("#map-indicator").input_value()
        expect(box).to_have_attribute("data-failing", str(sum(h.outcome[chosen] == "N" for h in mine)))
        page.locator("#map-indicator").select_option("22")
        expect(box).to_have_attribute("data-failing", str(sum(h.outcome["22"] == "N" for h in mine)))
        page.locator("#report-map-card").scroll_into_view_if_needed()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator("#report-map-card").screenshot(path=str(ARTIFACTS / "report-map.png"))
        if os.environ.get("CHUMCHON_REFRESH_DOCS") == "1":  # the README's picture, refreshed on request
            shutil.copyfile(ARTIFACTS / "report-map.png", ROOT / "docs" / "report-basic-needs-map.png")
        screenshot(page, "report-basic-needs-page")
    finally:
        svc.close()
        live.stop()
