"""The data records of an SPSS (.sav, uncompressed) or Stata (.dta, release 118/119) file laid out
with numpy a block of rows at a time; the dictionary before them (variables, formats, variable and
value labels, declared missing values) is still pyreadstat's.

pyreadstat converts and writes every value in a Python loop, about half of a typed export of a
million submissions. The records of both formats are fixed width, so they need no loop per value:
pyreadstat writes the file of a one-row sample of the frame (each string column's longest value,
so every variable gets the width the whole frame needs), and that row of data is compared byte for
byte with the same row laid out here before anything is written. On any difference, or a layout
this module does not write (Stata's long strings, strL), `write_records` writes nothing and says so,
and the caller lets pyreadstat write the whole frame as before."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

BLOCK_ROWS = 8_192
_SAV_SYSMIS = -np.finfo(np.float64).max  # SPSS's system-missing value
_DTA_MISSING = 2.0**1023  # Stata's "."
_DTA_STR_MAX = 2045  # longer strings are strLs, which this module does not write
_SAV_CASES = struct.pack("<iiii", 7, 16, 8, 2)  # the record of the 64-bit case count
_SAV_SEGMENT = 255  # data bytes in each but the last segment of a very long SPSS string
_SAV_SEGMENT_WIDTH = 252  # the width SPSS counts per segment
# Seconds from the format's epoch (SPSS 1582-10-14, Stata 1960-01-01) to 1970-01-01, and the
# unit Stata counts in (milliseconds); the same arithmetic as pyreadstat's, so the same doubles.
_EPOCH = {"sav": (12219379200, 1), "dta": (315619200, 1000)}


@dataclass
class _Field:
    offset: int  # in the record
    values: np.ndarray  # float64 (missing as NaN) or fixed-width bytes (S<width>)
    pieces: list[tuple[int, int, int, int]]  # strings: (from, to) of the value → (offset, length)


def write_records(
    path: Path,
    fmt: str,
    df: pd.DataFrame,
    write_dictionary: Callable[[pd.DataFrame, Path], None],
    *,
    block_rows: int = BLOCK_ROWS,
) -> bool:
    """Write `df` to `path` as `write_dictionary` (a pyreadstat writer with every option but the
    frame and path fixed) would, with the rows laid out here. False, and nothing at `path`, when this
    module cannot stand in for it: the caller then writes the whole frame with `write_dictionary`."""
    if len(df) < 2:
        return False
    columns = _columns(df, fmt)
    if columns is None:
        return False
    sample = df.iloc[:1].copy()
    for name, (kind, values) in columns.items():
        if kind == "str":
            longest = int(np.argmax(np.strings.str_len(values)))
            sample[name] = pd.Series([df[name].iat[longest]], dtype=object, index=sample.index)
    sample_columns = _columns(sample, fmt)
    assert sample_columns is not None
    widths = {name: values.dtype.itemsize for name, (kind, values) in columns.items() if kind == "str"}
    try:
        write_dictionary(sample, path)
        data = path.read_bytes()
        head, row, tail = _split(data, fmt)
        fields, size = _layout(columns, widths, fmt)
        sample_fields, _ = _layout(sample_columns, widths, fmt)
        if size != len(row) or _block(sample_fields, 0, 1, size, fmt).tobytes() != row:
            raise _Unknown
        head = _patched_head(head, fmt, len(df), size)
        with path.open("wb") as out:
            out.write(head)
            for start in range(0, len(df), block_rows):
                out.write(_block(fields, start, min(start + block_rows, len(df)), size, fmt).data)
            out.write(tail)
        return True
    except _Unknown:
        path.unlink(missing_ok=True)
        return False
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _columns(df: pd.DataFrame, fmt: str) -> dict[str, tuple[str, np.ndarray]] | None:
    """Each column as numbers (float64, NaN missing) or as fixed-width UTF-8 bytes; None when a
    column is of a kind pyreadstat would write some other way."""
    out: dict[str, tuple[str, np.ndarray]] = {}
    for name in df.columns:
        series = df[name]
        dtype = series.dtype
        if dtype == np.float64:
            out[name] = ("num", series.to_numpy(np.float64, copy=True))
        elif dtype.kind == "M" and np.datetime_data(dtype)[0] in ("ns", "us", "ms"):
            out[name] = ("num", _datetimes(series.to_numpy(), fmt))
        elif dtype is np.dtype(object):
            try:
                encoded = [v.encode() for v in series.to_numpy()]
            except AttributeError:  # not all text
                return None
            if any(type(v) is not bytes for v in encoded):  # an object whose encode gives no bytes
                return None
            width = max(1, max(map(len, encoded), default=0))
            if fmt == "dta" and width >= _DTA_STR_MAX:
                return None
            out[name] = ("str", np.array(encoded, dtype=f"S{width}"))
        else:
            return None
    return out


def _datetimes(values: np.ndarray, fmt: str) -> np.ndarray:
    unit = np.datetime_data(values.dtype)[0]
    per_second = {"ns": 1_000_000_000, "us": 1_000_000, "ms": 1_000}[unit]
    offset, scale = _EPOCH[fmt]
    ticks = values.view(np.int64)
    whole = (ticks // per_second + offset).astype(np.float64) * scale
    out = whole + (ticks % per_second).astype(np.float64) / per_second * scale
    out[values != values] = np.nan  # NaT
    return out


def _pieces(width: int, fmt: str) -> list[tuple[int, int, int, int]]:
    """Where a string's bytes go in the record: (from, to, offset from the variable's start,
    bytes there). SPSS rounds a string up to 8 bytes and splits one wider than 255 into segments of
    255 bytes of data (256 with padding) and a last one of the remaining width."""
    if fmt == "dta":
        return [(0, width, 0, width)]
    if width <= _SAV_SEGMENT:
        return [(0, width, 0, math.ceil(width / 8) * 8)]
    count = math.ceil(width / _SAV_SEGMENT_WIDTH)
    out, at = [], 0
    for k in range(count):
        start = min(k * _SAV_SEGMENT, width)
        if k < count - 1:
            stop, size = min(start + _SAV_SEGMENT, width), _SAV_SEGMENT + 1
        else:
            stop, size = width, math.ceil((width - _SAV_SEGMENT_WIDTH * (count - 1)) / 8) * 8
        out.append((start, stop, at, size))
        at += size
    return out


def _layout(
    columns: dict[str, tuple[str, np.ndarray]], widths: dict[str, int], fmt: str
) -> tuple[list[_Field], int]:
    """The fields of a record and its size."""
    fields, at = [], 0
    missing = _SAV_SYSMIS if fmt == "sav" else _DTA_MISSING
    for name, (kind, values) in columns.items():
        if kind == "num":
            numbers = np.where(np.isnan(values), missing, values).astype("<f8")
            fields.append(_Field(at, numbers, []))
            at += 8
            continue
        width = widths[name]
        if values.dtype.itemsize != width:
            values = values.astype(f"S{width}")
        pieces = _pieces(width, fmt)
        fields.append(_Field(at, values, pieces))
        at += sum(p[3] for p in pieces)
    return fields, at


def _block(fields: list[_Field], start: int, stop: int, record_size: int, fmt: str) -> np.ndarray:
    rows = stop - start
    block = np.empty((rows, record_size), np.uint8)
    pad = 32 if fmt == "sav" else 0
    for field in fields:
        part = field.values[start:stop]
        if not field.pieces:
            block[:, field.offset : field.offset + 8] = part.view(np.uint8).reshape(rows, 8)
            continue
        width = part.dtype.itemsize
        raw = part.view(np.uint8).reshape(rows, width)
        if pad:
            raw = np.where(raw == 0, np.uint8(pad), raw)  # UTF-8 text holds no NUL: only padding is
        for begin, end, offset, size in field.pieces:
            at = field.offset + offset
            block[:, at : at + end - begin] = raw[:, begin:end]
            block[:, at + end - begin : at + size] = pad
    return block


def _split(data: bytes, fmt: str) -> tuple[bytes, bytes, bytes]:
    """A one-row file's bytes before its record, the record, and the bytes after it."""
    if fmt == "sav":
        if data[:4] != b"$FL2":
            raise _Unknown
        units, compression, _, cases = struct.unpack_from("<iiii", data, 68)
        if compression != 0 or cases != 1:
            raise _Unknown
        begin = len(data) - units * 8
        return data[:begin], data[begin:], b""
    begin, end = _data_section(data)
    return data[:begin], data[begin:end], data[end:]


def _data_section(data: bytes) -> tuple[int, int]:
    offsets = _map(data)
    begin, end = offsets[9] + len(b"<data>"), offsets[10] - len(b"</data>")
    if data[offsets[9] : begin] != b"<data>" or data[end : offsets[10]] != b"</data>":
        raise _Unknown
    if data[offsets[10] : offsets[11]] != b"<strls></strls>":
        raise _Unknown
    return begin, end


def _map(data: bytes) -> list[int]:
    if data[:28] != b"<stata_dta><header><release>" or data[28:40] not in (
        b"118</release",
        b"119</release",
    ):
        raise _Unknown
    at = data.index(b"<map>") + len(b"<map>")
    return list(struct.unpack_from("<14Q", data, at))


def _patched_head(head: bytes, fmt: str, rows: int, size: int) -> bytes:
    out = bytearray(head)
    if fmt == "sav":
        struct.pack_into("<i", out, 80, rows)
        # The 64-bit count of cases (record 7, subtype 16) after the 32-bit one of the header.
        at = out.rfind(_SAV_CASES)
        if at < 0 or struct.unpack_from("<qq", out, at + len(_SAV_CASES)) != (1, 1):
            raise _Unknown
        struct.pack_into("<q", out, at + len(_SAV_CASES) + 8, rows)
        return bytes(out)
    at = out.index(b"<N>") + len(b"<N>")
    struct.pack_into("<Q", out, at, rows)
    offsets = _map(head)
    grown = (rows - 1) * size
    offsets[10:] = [o + grown for o in offsets[10:]]
    struct.pack_into("<14Q", out, out.index(b"<map>") + len(b"<map>"), *offsets)
    return bytes(out)


class _Unknown(Exception):
    """A file laid out in a way this module does not write."""
