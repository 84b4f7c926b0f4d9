"""Write the place lists (provinces / districts / subdistricts) as ODK form media CSVs from geothai.

Data: geothai (GeoThai/data, from the Department of Provincial Administration), CC-BY-4.0.
Run as ``chumchon forms geography [--output forms/media]``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

import geothai

ATTRIBUTION = f"""\
Place lists in this folder (provinces.csv, districts.csv, subdistricts.csv)
Source: geothai {{version}} (https://github.com/GeoThai/python-library), data from GeoThai/data
(https://github.com/GeoThai/data), data version {geothai.DATA_VERSION}.
Copyright (c) 2026 Pongsakorn Thipayanate. Licensed under Creative Commons Attribution 4.0
International (CC-BY-4.0), https://creativecommons.org/licenses/by/4.0/.
Original sources credited by GeoThai/data: Department of Provincial Administration (กรมการปกครอง),
https://stat.bora.dopa.go.th/ ; Thailand Post postal code booklet 2558; thailand-geography-json (MIT).
Changes: reshaped into ODK select_one_from_file CSVs (name = DOPA code, label = Thai name with the
English name in parentheses, parent code column). villages.csv is a sample list written by Chumchon,
not part of the geothai data.
"""

# ODK's select_one_from_file reads the `name` and `label` columns. Per-language label columns
# (label::Thai (th)) are not supported for external CSVs (pyxform hard-codes `label`; Collect could
# not even download such a form, getodk/collect#4266), so the label carries both languages.
FIELDS = {
    "provinces.csv": ["name", "label", "name_th", "name_en"],
    "districts.csv": ["name", "label", "name_th", "name_en", "province_code"],
    "subdistricts.csv": [
        "name",
        "label",
        "name_th",
        "name_en",
        "district_code",
        "province_code",
        "postal_codes",
    ],
}


def bilingual_label(name_th: str, name_en: str) -> str:
    return f"{name_th} ({name_en})"


def _write(path: Path, fields: list[str], rows: Iterable[dict[str, str]]) -> int:
    count = 0
    # Plain UTF-8 without BOM: Collect reads the header literally, so a BOM would rename `name`.
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_geography_media(out_dir: Path) -> dict[str, int]:
    """Write provinces.csv, districts.csv, subdistricts.csv and ATTRIBUTION.txt; return row counts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    provinces = geothai.provinces()
    districts = [d for p in provinces for d in geothai.districts(p.code)]
    subdistricts = [s for d in districts for s in geothai.subdistricts(d.code)]
    counts = {
        "provinces.csv": _write(
            out_dir / "provinces.csv",
            FIELDS["provinces.csv"],
            (
                {
                    "name": p.code,
                    "label": bilingual_label(p.name_th, p.name_en),
                    "name_th": p.name_th,
                    "name_en": p.name_en,
                }
                for p in provinces
            ),
        ),
        "districts.csv": _write(
            out_dir / "districts.csv",
            FIELDS["districts.csv"],
            (
                {
                    "name": d.code,
                    "label": bilingual_label(d.name_th, d.name_en),
                    "name_th": d.name_th,
                    "name_en": d.name_en,
                    "province_code": d.province_code,
                }
                for d in districts
            ),
        ),
        "subdistricts.csv": _write(
            out_dir / "subdistricts.csv",
            FIELDS["subdistricts.csv"],
            (
                {
                    "name": s.code,
                    "label": bilingual_label(s.name_th, s.name_en),
                    "name_th": s.name_th,
                    "name_en": s.name_en,
                    "district_code": s.district_code,
                    "province_code": s.province_code,
                    "postal_codes": " ".join(s.postal_codes),
                }
                for s in subdistricts
            ),
        ),
    }
    (out_dir / "ATTRIBUTION.txt").write_text(ATTRIBUTION.format(version=version("geothai")), encoding="utf-8")
    return counts
