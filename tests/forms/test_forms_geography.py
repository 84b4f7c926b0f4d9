"""The place media CSVs hold the whole national list and cascade correctly."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from conftest import MEDIA_DIR


def read(name: str, media_dir: Path = MEDIA_DIR) -> list[dict[str, str]]:
    with (media_dir / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def geo() -> dict[str, list[dict[str, str]]]:
    return {n: read(f"{n}.csv") for n in ("provinces", "districts", "subdistricts", "villages")}


def test_national_counts(geo: dict[str, list[dict[str, str]]]) -> None:
    assert (len(geo["provinces"]), len(geo["districts"]), len(geo["subdistricts"])) == (77, 928, 7436)


def test_codes_are_unique_dopa_codes(geo: dict[str, list[dict[str, str]]]) -> None:
    for name, digits in (("provinces", 2), ("districts", 4), ("subdistricts", 6)):
        codes = [r["name"] for r in geo[name]]
        assert len(set(codes)) == len(codes)
        assert all(len(c) == digits and c.isdigit() for c in codes), name


def test_every_district_filters_to_its_own_subdistricts(geo: dict[str, list[dict[str, str]]]) -> None:
    provinces = {r["name"] for r in geo["provinces"]}
    districts = {r["name"]: r for r in geo["districts"]}
    for d in geo["districts"]:
        assert d["province_code"] in provinces and d["name"].startswith(d["province_code"])
    per_district = Counter()
    for s in geo["subdistricts"]:
        assert s["district_code"] in districts, s
        assert s["name"].startswith(s["district_code"])
        assert districts[s["district_code"]]["province_code"] == s["province_code"]
        per_district[s["district_code"]] += 1
    assert set(per_district) == set(districts), "a district without subdistricts leaves the surveyor stuck"


def test_labels_show_thai_then_english(geo: dict[str, list[dict[str, str]]]) -> None:
    bangkok = next(r for r in geo["provinces"] if r["name"] == "10")
    assert bangkok["label"] == "กรุงเทพมหานคร (Bangkok)"
    names = Counter(r["name_th"] for r in geo["subdistricts"])
    assert sum(1 for n in names.values() if n > 1) > 500  # why codes, not names, are stored


def test_villages_belong_to_existing_subdistricts(geo: dict[str, list[dict[str, str]]]) -> None:
    subdistricts = {r["name"] for r in geo["subdistricts"]}
    assert geo["villages"], "ship a sample village list"
    codes = [v["name"] for v in geo["villages"]]
    assert len(set(codes)) == len(codes)
    for v in geo["villages"]:
        assert v["subdistrict_code"] in subdistricts, v
        assert v["name"].startswith(v["subdistrict_code"]) and v["label"]


def test_regeneration_reproduces_committed_media(tmp_path: Path) -> None:
    from server.core.forms.geography import write_geography_media

    counts = write_geography_media(tmp_path)
    assert counts == {"provinces.csv": 77, "districts.csv": 928, "subdistricts.csv": 7436}
    for name in counts:
        assert (tmp_path / name).read_bytes() == (MEDIA_DIR / name).read_bytes(), name
    attribution = (tmp_path / "ATTRIBUTION.txt").read_text(encoding="utf-8")
    assert "CC-BY-4.0" in attribution and "GeoThai/data" in attribution and "กรมการปกครอง" in attribution
    assert attribution == (MEDIA_DIR / "ATTRIBUTION.txt").read_text(encoding="utf-8")


def test_geography_command_regenerates_the_lists(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from server.cli import main

    result = CliRunner().invoke(main, ["forms", "geography", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "7,436 rows" in result.output
    assert (tmp_path / "subdistricts.csv").read_bytes() == (MEDIA_DIR / "subdistricts.csv").read_bytes()
