"""The export formats: their file names and media types, and the one dispatch from a format to its
pure writer in exports/."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from exports.csvzip import write_csv_zip
from exports.geo import write_geojson, write_kml
from exports.media import write_media_zip
from exports.options import ExportOptions
from exports.xlsx import write_xlsx
from server.core.ground.storage import BlobStore
from server.core.models import Export


@dataclass(frozen=True)
class Format:
    suffix: str  # file name after the form id
    media_type: str


ZIP = "application/zip"
FORMAT_FILES = {
    "csv": Format(".zip", ZIP),
    "xlsx": Format(".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "sav": Format("-spss.zip", ZIP),
    "dta": Format("-stata.zip", ZIP),
    "geojson": Format(".geojson", "application/geo+json"),
    "kml": Format(".kml", "application/vnd.google-earth.kml+xml"),
    "media": Format("-media.zip", ZIP),
}
FORMATS = tuple(FORMAT_FILES)


def media_type(export: Export) -> str:
    return FORMAT_FILES[export.format].media_type if export.format in FORMAT_FILES else ZIP


def write_file(
    fmt: str,
    fh: BinaryIO,
    path: Path,
    schema: dict[str, Any],
    main: Iterable[Any],
    repeats: Callable[[str], Iterable[Any]],
    media: Callable[[], Iterable[Any]],
    blobs: BlobStore,
    options: ExportOptions,
    counts: Mapping[str | None, int],
) -> None:
    if fmt == "csv":
        write_csv_zip(fh, schema, main, repeats, options=options)
    elif fmt == "xlsx":
        write_xlsx(path, schema, main, repeats, options=options, table_rows=counts)
    elif fmt in ("sav", "dta"):
        # pandas + pyreadstat cost ~100 MB in every process that imports them: only SPSS/Stata
        # builds load them (not a layering workaround; exports.stats has no cycle with this module).
        from exports.stats import write_stats_zip

        write_stats_zip(fh, schema, main, repeats, fmt=fmt, options=options, workdir=path.parent)
    elif fmt == "geojson":
        write_geojson(fh, schema, main, repeats, options=options)
    elif fmt == "kml":
        write_kml(fh, schema, main, repeats, options=options)
    elif fmt == "media":
        write_media_zip(fh, media(), blobs.iter_chunks, folder=str(schema.get("form_id") or "media"))
    else:  # request_export refuses unknown formats; an old row with one fails clearly
        raise ValueError(f"unknown export format {fmt!r}")
