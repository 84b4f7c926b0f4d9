"""The streaming zip writer (exports.zipwriter) and the CSV zip built with it: what it writes opens
in Python's zipfile and in Info-ZIP's unzip, CRCs check, Thai names and text survive, and a table
deflated by the spool thread lands in the zip exactly as if written in place."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from exports.columns import Table, plan_tables
from exports.csvzip import write_csv_zip_text
from exports.zipwriter import ZipWriter, deflater
from tests.exports.test_writers import household_schema

THAI = "บ้านเลขที่ 12/3 หมู่ 4, ตำบลบางรัก\r\n".encode()


def test_entries_open_in_zipfile_with_their_crc_and_thai_names(tmp_path: Path) -> None:
    body = THAI * 200_000 + os.urandom(300_000)  # ≈ 15 MB, part of it incompressible
    path = tmp_path / "out.zip"
    with path.open("wb") as out, ZipWriter(out) as archive:
        with archive.open("ครัวเรือน.csv") as entry:
            for k in range(0, len(body), 1 << 20):
                entry.write(body[k : k + (1 << 20)])
        with archive.open("empty.csv"):
            pass
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["ครัวเรือน.csv", "empty.csv"]
        assert archive.read("ครัวเรือน.csv") == body and archive.read("empty.csv") == b""
        info = archive.getinfo("ครัวเรือน.csv")
        assert info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size < info.file_size
    if shutil.which("unzip"):
        result = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True, check=False)
        assert result.returncode == 0 and "No errors detected" in result.stdout, result.stdout + result.stderr


def test_an_entry_deflated_elsewhere_is_copied_in_with_its_crc() -> None:
    compressor = deflater()
    deflated = compressor.compress(THAI * 1000) + compressor.flush()
    out = io.BytesIO()
    with ZipWriter(out) as archive:
        archive.add_deflated("a.csv", [deflated[:100], deflated[100:]], zlib.crc32(THAI * 1000), len(THAI) * 1000)
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None and archive.read("a.csv") == THAI * 1000


def _text(tables: list[Table], fail: str | None = None) -> object:
    def text(table: Table) -> Iterator[str | bytes]:
        for k in range(50):
            if fail == table.filename and k == 10:
                raise RuntimeError("the database went away")
            line = f"{table.filename},{k},ชื่อ สกุล\r\n" * 100
            yield line if k % 2 else line.encode("utf-8")

    return text


def test_tables_spooled_in_a_thread_give_the_same_zip_contents(tmp_path: Path) -> None:
    tables = plan_tables(household_schema())
    assert len(tables) >= 2
    plain, spooled = io.BytesIO(), io.BytesIO()
    write_csv_zip_text(plain, tables, _text(tables), ahead=2)  # type: ignore[arg-type]
    write_csv_zip_text(spooled, tables, _text(tables), ahead=2, spool_dir=tmp_path)  # type: ignore[arg-type]
    with zipfile.ZipFile(plain) as a, zipfile.ZipFile(spooled) as b:
        assert a.namelist() == b.namelist() == [t.filename for t in tables]
        assert b.testzip() is None
        for name in a.namelist():
            assert a.read(name) == b.read(name)
            assert b.read(name).startswith("\ufeff".encode()) and "ชื่อ สกุล".encode() in b.read(name)
    assert list(tmp_path.iterdir()) == []  # the spool files are gone


def test_a_failure_while_spooling_reaches_the_writer(tmp_path: Path) -> None:
    tables = plan_tables(household_schema())
    with pytest.raises(RuntimeError, match="went away"):
        write_csv_zip_text(io.BytesIO(), tables, _text(tables, fail=tables[1].filename), spool_dir=tmp_path)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_stored_entries_keep_their_bytes_and_many_entries_open(tmp_path: Path) -> None:
    """Photos are stored, not deflated again; a zip of thousands of them opens in zipfile and unzip."""
    path = tmp_path / "media.zip"
    photos = {f"media/uuid_{k}/รูปบ้าน-{k}.jpg": os.urandom(64 + k % 50) for k in range(3000)}
    with path.open("wb") as out, ZipWriter(out) as archive:
        for name, body in photos.items():
            with archive.open(name, deflate=False) as entry:
                entry.write(body)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None and len(archive.namelist()) == 3000
        info = archive.getinfo("media/uuid_7/รูปบ้าน-7.jpg")
        assert info.compress_type == zipfile.ZIP_STORED and archive.read(info) == photos[info.filename]
    if shutil.which("unzip"):
        result = subprocess.run(["unzip", "-tq", str(path)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
