"""Streaming map exports: GeoJSON (a FeatureCollection written feature by feature) and KML (lxml's
incremental xmlfile writer). One feature per answered geopoint / geotrace / geoshape question per row
(main table and repeats), with the row's other columns as properties (all, or those selected)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time
from typing import Any, BinaryIO

from lxml import etree

from exports.columns import Column, Table, plan_tables, value_kind
from exports.options import ExportOptions
from exports.typed import typed

Row = Mapping[str, Any]
GEO_KINDS = ("geopoint", "geotrace", "geoshape")
KML_NS = "http://www.opengis.net/kml/2.2"
_NSMAP: Any = {None: KML_NS}  # the default namespace (lxml-stubs want str keys)


def _geo_fields(schema: Mapping[str, Any], table: Table) -> list[Mapping[str, Any]]:
    return [
        spec
        for spec in schema.get("fields", [])
        if value_kind(spec) in GEO_KINDS and spec.get("repeat") == table.repeat_path
    ]


def _position(point: Any) -> list[float] | None:
    if not isinstance(point, Mapping) or point.get("lat") is None or point.get("lon") is None:
        return None
    position = [float(point["lon"]), float(point["lat"])]  # GeoJSON and KML: longitude first
    if point.get("alt") is not None:
        position.append(float(point["alt"]))
    return position


def geometry(kind: str, value: Any) -> dict[str, Any] | None:
    """A GeoJSON geometry from a stored geo value; None when there is nothing to draw."""
    if kind == "geopoint":
        position = _position(value)
        return {"type": "Point", "coordinates": position} if position else None
    points = [p for p in (_position(v) for v in value) if p] if isinstance(value, list) else []
    if kind == "geotrace" and len(points) >= 2:
        return {"type": "LineString", "coordinates": points}
    if kind == "geoshape" and len(points) >= 3:
        if points[0][:2] != points[-1][:2]:
            points.append(points[0])
        return {"type": "Polygon", "coordinates": [points]}
    return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _property_columns(table: Table, wanted: tuple[str, ...] | None) -> list[Column]:
    columns = [c for c in table.columns if c.part is None and c.kind not in GEO_KINDS]
    if wanted is None:
        return columns
    keep = set(wanted)
    return [
        c
        for c in columns
        if c.system in keep or c.name in keep or c.header in keep or (c.path or "") in keep
        or (c.path or "").rsplit("/", 1)[-1] in keep or c.system in ("KEY", "PARENT_KEY")
    ]


def _features(
    schema: Mapping[str, Any],
    main_rows: Iterable[Row],
    repeat_rows: Callable[[str], Iterable[Row]],
    options: ExportOptions,
) -> Iterator[tuple[Table, Mapping[str, Any], dict[str, Any], dict[str, Any]]]:
    """(table, geo field, geometry, properties) for every drawable geo answer."""
    for table in plan_tables(schema, options=options, extension=""):
        geo = [g for g in _geo_fields(schema, table) if options.fields is None or _chosen(g, options)]
        if not geo:
            continue
        columns = _property_columns(table, options.properties)
        rows = main_rows if table.repeat_path is None else repeat_rows(table.repeat_path)
        for row in rows:
            values = row.get("values") or {}
            properties: dict[str, Any] | None = None
            for spec in geo:
                shape = geometry(value_kind(spec), values.get(spec["path"]))
                if shape is None:
                    continue
                if properties is None:
                    properties = {c.header: _jsonable(typed(c, row)) for c in columns}
                yield table, spec, shape, properties


def _chosen(spec: Mapping[str, Any], options: ExportOptions) -> bool:
    wanted = set(options.fields or ())
    return spec["path"] in wanted or spec.get("name") in wanted or any(
        spec["path"].startswith(w + "/") for w in wanted
    )


def write_geojson(
    out: BinaryIO,
    schema: Mapping[str, Any],
    main_rows: Iterable[Row],
    repeat_rows: Callable[[str], Iterable[Row]],
    *,
    options: ExportOptions | None = None,
) -> dict[str, int]:
    """Write a GeoJSON FeatureCollection (RFC 7946, WGS 84) to `out`; returns features per table."""
    options = options or ExportOptions()
    counts: dict[str, int] = {}
    out.write(b'{"type":"FeatureCollection","features":[\n')
    first = True
    for table, spec, shape, properties in _features(schema, main_rows, repeat_rows, options):
        feature = {
            "type": "Feature",
            "geometry": shape,
            "properties": {"table": table.name, "field": spec["path"], **properties},
        }
        if not first:
            out.write(b",\n")
        out.write(json.dumps(feature, ensure_ascii=False, separators=(",", ":")).encode())
        first = False
        counts[table.name] = counts.get(table.name, 0) + 1
    out.write(b"\n]}\n")
    return counts


def _kml_coordinates(positions: list[list[float]]) -> str:
    return " ".join(",".join(repr(n) for n in p) for p in positions)


def _kml_geometry(shape: dict[str, Any]) -> etree._Element:
    if shape["type"] == "Point":
        element = etree.Element(f"{{{KML_NS}}}Point", nsmap=_NSMAP)
        etree.SubElement(element, f"{{{KML_NS}}}coordinates").text = _kml_coordinates([shape["coordinates"]])
    elif shape["type"] == "LineString":
        element = etree.Element(f"{{{KML_NS}}}LineString", nsmap=_NSMAP)
        etree.SubElement(element, f"{{{KML_NS}}}coordinates").text = _kml_coordinates(shape["coordinates"])
    else:
        element = etree.Element(f"{{{KML_NS}}}Polygon", nsmap=_NSMAP)
        ring = etree.SubElement(
            etree.SubElement(element, f"{{{KML_NS}}}outerBoundaryIs"), f"{{{KML_NS}}}LinearRing"
        )
        etree.SubElement(ring, f"{{{KML_NS}}}coordinates").text = _kml_coordinates(shape["coordinates"][0])
    return element


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_kml(
    out: BinaryIO,
    schema: Mapping[str, Any],
    main_rows: Iterable[Row],
    repeat_rows: Callable[[str], Iterable[Row]],
    *,
    options: ExportOptions | None = None,
) -> dict[str, int]:
    """Write a KML document (Google Earth, QGIS) to `out`, placemark by placemark."""
    options = options or ExportOptions()
    counts: dict[str, int] = {}
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{KML_NS}}}kml", nsmap=_NSMAP), xf.element(f"{{{KML_NS}}}Document"):
            name = etree.Element(f"{{{KML_NS}}}name", nsmap=_NSMAP)
            name.text = str(schema.get("title") or schema.get("form_id") or "export")
            xf.write(name)
            for table, spec, shape, properties in _features(schema, main_rows, repeat_rows, options):
                placemark = etree.Element(f"{{{KML_NS}}}Placemark", nsmap=_NSMAP)
                key = properties.get("KEY")
                etree.SubElement(placemark, f"{{{KML_NS}}}name").text = _text(key)
                extended = etree.SubElement(placemark, f"{{{KML_NS}}}ExtendedData")
                for prop, value in (("table", table.name), ("field", spec["path"]), *properties.items()):
                    data = etree.SubElement(extended, f"{{{KML_NS}}}Data", name=prop)
                    etree.SubElement(data, f"{{{KML_NS}}}value").text = _text(value)
                placemark.append(_kml_geometry(shape))
                xf.write(placemark)
                counts[table.name] = counts.get(table.name, 0) + 1
    return counts
