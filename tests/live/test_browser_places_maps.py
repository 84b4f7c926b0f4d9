"""In the browser, one live server: place filters that narrow as you choose, the Thai date picker, maps
over the shipped province outlines (tiles from a tile server on 127.0.0.1 when it answers, outlines
only when its requests fail), and every page at tablet width (768×1024) without the page itself
scrolling sideways. Keeps one tablet screenshot in docs/."""

from __future__ import annotations

import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from server.core.forms import form_media
from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.core.models import Form, User
from tests.core.review.support import DUSIT, PHRA_NAKHON, household_xml, publish, submit
from tests.live.browser import ARTIFACTS, screenshot
from tests.live.harness import ROOT, LiveServer, start_serve
from tests.live.test_browser import PHOTO, sign_in

FORM = "/ui/projects/1/forms/review_household"
TILE = PHOTO  # any image will do: the test only needs the browser to load tiles from 127.0.0.1


class _Tiles(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(TILE)))
        self.end_headers()
        self.wfile.write(TILE)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tile_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    server.shutdown()


def _live(settings_env: dict[str, str], tmp_path: Path, tiles: str) -> LiveServer:
    live = start_serve(settings_env, tmp_path, "--forms-dir", str(tmp_path / "none"),
                       extra_env={"CHUMCHON_MAP_TILES_URL": tiles})
    svc = build_services(load_settings(live.env))
    try:
        form = publish(svc, 1)
        with svc.db.session() as s:
            version = s.get(Form, form.id).current_version  # type: ignore[union-attr]
            for name in ("provinces.csv", "districts.csv"):
                form_media.attach_media(s, svc.blobs, version, name, (ROOT / "forms" / "media" / name).read_bytes())
            collector = s.scalar(select(User).where(User.username == "surveyor1"))
        assert collector is not None
        submit(svc, 1, collector, household_xml("uuid:bkk", place=PHRA_NAKHON, name="นายกรุงเทพ"))
        submit(svc, 1, collector, household_xml("uuid:dusit", place=DUSIT, name="นางดุสิต"))
    finally:
        svc.close()
    return live


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="th-TH")  # a tablet
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "Content-Security" in m.text else None)
    yield page
    context.close()
    assert not problems, problems


def _no_sideways_page_scroll(page: Page, name: str) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 1, f"{name} scrolls sideways by {wide}px at 768 px (wide tables must scroll in their box)"


def test_places_dates_and_maps_with_tiles_at_tablet_width(
    settings_env: dict[str, str], tmp_path: Path, page: Page, tile_server: str
) -> None:
    live = _live(settings_env, tmp_path, tile_server)
    try:
        sign_in(page, live)
        page.goto(live.url + FORM + "/submissions")
        district = page.locator("#filters select[name=district]")
        assert district.locator("option").count() == 1  # only "any" until a province is chosen
        page.locator("#filters select[name=province]").select_option("10")
        expect(district).to_have_attribute("data-loaded", "50")  # Bangkok's 50 districts, fetched
        district.select_option("1002")

        # The Thai date picker: day / Thai month / Buddhist-era year, sent as an ISO date.
        picker = page.locator("#filters .thai-date").first
        expect(picker.locator("select").nth(1)).to_contain_text("มกราคม")
        picker.locator("select").nth(0).select_option("5")
        picker.locator("select").nth(1).select_option("1")
        picker.locator("select").nth(2).select_option(label="2569")
        assert page.locator("#filters input[name=since]").input_value() == "2026-01-05"
        page.get_by_role("button", name="กรอง").click()
        assert "since=2026-01-05" in page.url and "district=1002" in page.url
        table = page.locator("table.submissions")
        expect(table).to_contain_text("นางดุสิต")
        expect(table).not_to_contain_text("นายกรุงเทพ")
        expect(page.locator("#filters .thai-date").first.locator("select").nth(2)).to_have_value("2026")
        _no_sideways_page_scroll(page, "the submissions table")
        screenshot(page, "tablet-submissions")
        if os.environ.get("CHUMCHON_REFRESH_DOCS") == "1":  # the README's picture, refreshed on request
            shutil.copyfile(ARTIFACTS / "tablet-submissions.png", ROOT / "docs" / "web-tablet-submissions.png")

        page.goto(live.url + FORM + "/submissions/uuid:dusit")
        box = page.locator(".map.drawn").first
        expect(box).to_have_attribute("data-outlines", "77")
        expect(box).to_have_attribute("data-tiles", "loaded")  # the tile server answered
        _no_sideways_page_scroll(page, "the submission page")

        page.goto(live.url + FORM + "/dashboard?province=10")
        expect(page.locator("#dash-filters select[name=district] option[value='1001']")).to_be_attached()
        expect(page.locator("#points-map.drawn")).to_have_attribute("data-outlines", "77")
        _no_sideways_page_scroll(page, "the dashboard")
        screenshot(page, "tablet-dashboard")

        # Offline (the tile server out of reach): the points and the outlines are still drawn.
        page.route(tile_server.split("{z}")[0] + "**", lambda route: route.abort())
        page.goto(live.url + FORM + "/dashboard")
        box = page.locator("#points-map.drawn")
        expect(box).to_have_attribute("data-points", "2")
        expect(box).to_have_attribute("data-outlines", "77")
        expect(box).to_have_attribute("data-tiles", "unreachable")
        for path in ("/ui/", "/ui/users", "/ui/audit", FORM.replace("/forms/review_household", "/publish"),
                     f"{FORM}", f"{FORM}/exports", "/ui/account/password"):
            page.goto(live.url + path)
            _no_sideways_page_scroll(page, path)
    finally:
        live.stop()
