"""Streaming media zip: every attachment copied chunk by chunk from the blob store into the zip (no
whole file in memory), plus `index.csv` linking each file to its submission, row and question."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import BinaryIO

from exports.cells import safe_text
from exports.zipwriter import ZipWriter

INDEX_HEADER = (
    "KEY",  # the submission's instance ID
    "ROW_KEY",  # the repeat row holding the question (= KEY for the main table)
    "field",  # the question's path, "" when no question names this file
    "name",
    "path",  # where the file is in this zip, "" when it was never received
    "size",
    "sha256",
    "content_type",
    "present",  # 1 received, 0 expected but never sent by the phone
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class MediaFile:
    key: str
    name: str
    sha256: str | None  # None: expected, not (yet) received
    size: int | None = None
    content_type: str | None = None
    field: str = ""
    row_key: str = ""


def _folder(key: str) -> str:
    return _UNSAFE.sub("_", key).strip("_") or "submission"


def write_media_zip(
    out: BinaryIO,
    files: Iterable[MediaFile],
    open_chunks: Callable[[str], Iterable[bytes]],
    *,
    folder: str = "media",
) -> dict[str, int]:
    """Write the zip; `open_chunks(sha256)` streams one blob. Returns {"files": n, "missing": m}."""
    counts = {"files": 0, "missing": 0}
    # ZipWriter keeps the central directory on disk: memory stays flat however many files.
    with tempfile.TemporaryFile() as index, ZipWriter(out) as archive:
        text = io.TextIOWrapper(index, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(INDEX_HEADER)
        used: set[str] = set()  # paths of the current submission (files come grouped by submission)
        last_key: str | None = None
        for media in files:
            if media.key != last_key:
                used.clear()
                last_key = media.key
            path = ""
            if media.sha256:
                path = f"{folder}/{_folder(media.key)}/{media.name}"
                if path in used:  # same name twice in one submission (a repeat): keep both
                    path = f"{folder}/{_folder(media.key)}/{media.sha256[:8]}-{media.name}"
                used.add(path)
                # Photos, audio and video are compressed already: stored, not deflated again.
                with archive.open(path, deflate=False) as entry:
                    for chunk in open_chunks(media.sha256):
                        entry.write(chunk)
                counts["files"] += 1
            else:
                counts["missing"] += 1
            writer.writerow(
                [
                    safe_text(media.key),
                    safe_text(media.row_key or media.key),
                    media.field,
                    safe_text(media.name),
                    path,
                    "" if media.size is None else media.size,
                    media.sha256 or "",
                    media.content_type or "",
                    1 if media.sha256 else 0,
                ]
            )
        text.flush()
        text.detach()
        index.seek(0)
        with archive.open(f"{folder}/index.csv") as entry:
            for block in iter(lambda: index.read(1 << 20), b""):
                entry.write(block)
    return counts
