"""A streaming zip writer for large deflated entries, written by this project from the zip format
(PKWARE APPNOTE 6.3): every entry is followed by a data descriptor and carries Zip64 sizes, so the
output need not be seekable and no size limit applies.

It exists for speed. The standard library's zipfile deflates with zlib; a CSV zip of a million
household submissions is ≈ 1.9 GB of text, which zlib at level 5 deflates at ≈ 100 MB/s (≈ 19 s
of one core) where ISA-L (python-isal) at its level 1 does ≈ 750 MB/s with a smaller file than
zlib's level 1. An entry can also be deflated elsewhere (another thread, into a spool file) and
copied in afterwards with its CRC and sizes (`add_deflated`)."""

from __future__ import annotations

import os
import struct
import tempfile
import time
import zlib
from collections.abc import Iterable
from typing import Any, BinaryIO

from isal import isal_zlib

LEVEL = 1  # ISA-L's levels are 0–3; its 1 deflates CSV about as small as zlib's 5, ≈ 7× as fast

_STORED, _DEFLATED = 0, 8
_VERSION = 45  # Zip64
_FLAGS = 0x08 | 0x800  # sizes in a data descriptor; names in UTF-8
_UNKNOWN = 0xFFFFFFFF
_UNIX_FILE = 0o100644 << 16


def deflater() -> Any:
    """A raw deflate stream (no zlib header), as zip entries hold them."""
    return isal_zlib.compressobj(LEVEL, isal_zlib.DEFLATED, -15)


def _dos_time(moment: float) -> tuple[int, int]:
    t = time.localtime(moment)
    year = max(t.tm_year, 1980)
    return (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2), ((year - 1980) << 9) | (
        t.tm_mon << 5
    ) | t.tm_mday


class Entry:
    """One entry being written: write() bytes, then close(). Deflated, or stored as it is (photos)."""

    def __init__(self, archive: ZipWriter, name: str, *, deflate: bool = True) -> None:
        self._archive = archive
        self._compressor = deflater() if deflate else None
        self.crc = 0
        self.size = 0
        self.compressed = 0
        archive._begin(name, _DEFLATED if deflate else _STORED)

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        out = self._compressor.compress(data) if self._compressor is not None else data
        if out:
            self.compressed += len(out)
            self._archive._write(out)

    def close(self) -> None:
        if self._compressor is not None:
            out = self._compressor.flush()
            self.compressed += len(out)
            self._archive._write(out)
        self._archive._end(self.crc, self.compressed, self.size)

    def __enter__(self) -> Entry:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.close()


class ZipWriter:
    """Entries one after the other into `out`, then close() writes the central directory. The
    directory is gathered in a temporary file, not in memory: a media zip of a million photos has a
    million entries (the standard library's zipfile keeps one object per entry, ≈ 0.4 GB here)."""

    def __init__(self, out: BinaryIO, *, spool_dir: str | os.PathLike[str] | None = None) -> None:
        self._out = out
        self._offset = 0
        self._count = 0
        self._directory = tempfile.TemporaryFile(dir=spool_dir)  # closed in close() / __exit__
        self._current: tuple[bytes, int, int] | None = None
        self._time, self._date = _dos_time(time.time())

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._offset += len(data)

    def _begin(self, name: str, method: int) -> None:
        if self._current is not None:
            raise RuntimeError("an entry is still open")
        encoded = name.encode("utf-8")
        extra = struct.pack("<HHQQ", 1, 16, 0, 0)  # Zip64: the sizes follow in the data descriptor
        header = struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            _VERSION,
            _FLAGS,
            method,
            self._time,
            self._date,
            0,
            _UNKNOWN,
            _UNKNOWN,
            len(encoded),
            len(extra),
        )
        self._current = (encoded, self._offset, method)
        self._write(header + encoded + extra)

    def _end(self, crc: int, compressed: int, size: int) -> None:
        assert self._current is not None
        encoded, offset, method = self._current
        self._write(struct.pack("<IIQQ", 0x08074B50, crc, compressed, size))
        extra = struct.pack("<HHQQQ", 1, 24, size, compressed, offset)
        self._directory.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                (3 << 8) | _VERSION,
                _VERSION,
                _FLAGS,
                method,
                self._time,
                self._date,
                crc,
                _UNKNOWN,
                _UNKNOWN,
                len(encoded),
                len(extra),
                0,
                0,
                0,
                _UNIX_FILE,
                _UNKNOWN,
            )
            + encoded
            + extra
        )
        self._count += 1
        self._current = None

    def open(self, name: str, *, deflate: bool = True) -> Entry:
        return Entry(self, name, deflate=deflate)

    def add_deflated(self, name: str, deflated: Iterable[bytes], crc: int, size: int) -> None:
        """An entry deflated elsewhere (a finished raw deflate stream, in chunks), with the CRC-32
        and length of what was deflated."""
        self._begin(name, _DEFLATED)
        compressed = 0
        for chunk in deflated:
            compressed += len(chunk)
            self._write(chunk)
        self._end(crc, compressed, size)

    def close(self) -> None:
        start = self._offset
        self._directory.seek(0)
        for block in iter(lambda: self._directory.read(1 << 20), b""):
            self._write(block)
        self._directory.close()
        length = self._offset - start
        end64 = self._offset
        count = self._count
        self._write(
            struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, _VERSION, _VERSION, 0, 0, count, count, length, start)
        )
        self._write(struct.pack("<IIQI", 0x07064B50, 0, end64, 1))
        self._write(
            struct.pack(
                "<IHHHHIIH",
                0x06054B50,
                0,
                0,
                min(count, 0xFFFF),
                min(count, 0xFFFF),
                min(length, _UNKNOWN),
                _UNKNOWN,
                0,
            )
        )

    def __enter__(self) -> ZipWriter:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.close()
        else:
            self._directory.close()
