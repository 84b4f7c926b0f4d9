"""Streaming CSV-zip writer: one UTF-8-with-BOM CSV per table, written row by row into zip entries.

Memory stays flat whatever the number of submissions: rows are pulled from iterators one at a time
and written straight into a deflating zip entry; repeat tables are read in their own later pass."""

from __future__ import annotations

import csv
import io
import os
import queue
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import Any, BinaryIO, TypeVar

from exports.cells import cell_function
from exports.columns import Table, plan_tables
from exports.options import ExportOptions
from exports.prerendered import header_line
from exports.zipwriter import ZipWriter, deflater

T = TypeVar("T")

STEP_ROWS = 500  # rows between two hand-overs of a streamed file
Row = Mapping[str, Any]  # {"values": {path: value}, <system column name>: value, …}


def _table_steps(
    archive: zipfile.ZipFile, table: Table, rows: Iterable[Row], options: ExportOptions
) -> Generator[None, None, int]:
    """Write one table into its zip entry, pausing (yield) every STEP_ROWS rows so that a streaming
    caller can hand on what the archive has written so far; returns the rows written."""
    with archive.open(table.filename, "w", force_zip64=True) as entry:
        # utf-8-sig writes the BOM Excel needs to read Thai text as UTF-8 instead of code page 874.
        text = io.TextIOWrapper(entry, encoding="utf-8-sig", newline="", write_through=False)
        count = yield from _csv_steps(text, table, rows, options)
        text.flush()
        text.detach()
    return count


def _csv_steps(
    text: io.TextIOBase, table: Table, rows: Iterable[Row], options: ExportOptions
) -> Generator[None, None, int]:
    count = 0
    columns = table.columns
    buddhist, excel_ids = options.dates == "buddhist", options.excel_ids
    cells = [cell_function(c, buddhist=buddhist, excel_ids=excel_ids) for c in columns]
    text.write(header_line(table))  # labels made formula-safe there: "=HYPERLINK(…)" would run in Excel
    write = csv.writer(text).writerow
    for row in rows:
        if not row.get("values"):
            row = {**row, "values": {}}
        write([f(row) for f in cells])
        count += 1
        if count % STEP_ROWS == 0:
            yield
    return count


def _write_table(archive: zipfile.ZipFile, table: Table, rows: Iterable[Row], options: ExportOptions) -> int:
    steps = _table_steps(archive, table, rows, options)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return int(done.value)


class _Spool(io.RawIOBase):
    """A write-only, non-seekable sink whose bytes are taken out as they come (zipfile then writes
    data descriptors instead of seeking back, which is what lets a zip be streamed)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def iter_csv_zip(
    tables: Iterable[Table],
    main_rows: Iterable[Row],
    repeat_rows: Callable[[str], Iterable[Row]],
    options: ExportOptions,
    media: Iterable[tuple[str, Iterable[bytes]]] = (),
) -> Iterator[bytes]:
    """The same zip as write_csv_zip, as a stream of byte chunks (for an HTTP response), from tables
    the caller planned (plan_tables, possibly with extra system columns); then each `media` file
    (name, chunks) under `media/`, stored as it is (photos do not deflate)."""
    spool = _Spool()
    with zipfile.ZipFile(
        spool, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=5, allowZip64=True
    ) as archive:
        for table in tables:
            rows = main_rows if table.repeat_path is None else repeat_rows(table.repeat_path)
            for _ in _table_steps(archive, table, rows, options):
                if spool.parts:
                    yield spool.take()
            if spool.parts:
                yield spool.take()
        written: set[str] = set()
        for name, chunks in media:
            if name in written:  # the same file name in two submissions: the first one is kept
                continue
            written.add(name)
            info = zipfile.ZipInfo(f"media/{name}")
            info.compress_type = zipfile.ZIP_STORED
            with archive.open(info, "w", force_zip64=True) as entry:
                for chunk in chunks:
                    entry.write(chunk)
                    yield spool.take()
    yield spool.take()


def write_csv_zip_text(
    out: BinaryIO,
    tables: Iterable[Table],
    text: Callable[[Table], Iterable[str | bytes]],
    *,
    ahead: int = 0,
    spool_dir: str | os.PathLike[str] | None = None,
) -> None:
    """The zip of write_csv_zip from text already rendered (exports.prerendered): text(table) gives
    whole CSV lines in chunks (str, or bytes already in UTF-8), the header and the BOM are written here.
    With ahead > 0 the chunks are produced in a thread up to `ahead` chunks in advance, so that reading
    the next chunk overlaps with deflating this one (the deflater runs without the GIL). With a
    spool_dir, the tables after the first are read and deflated at the same time as the first, by
    another thread into a temporary file there, and copied into the zip after it: two database
    connections work at once."""
    tables = list(tables)
    later = tables[1:] if spool_dir is not None else []
    with _Spooler(later, text, spool_dir) as spooler:
        archive = ZipWriter(out)
        for table in tables[: len(tables) - len(later)]:
            with archive.open(table.filename) as entry:
                chunks = text(table)
                for chunk in _lines(table, read_ahead(chunks, ahead) if ahead else chunks):
                    entry.write(chunk)
        for table in later:
            archive.add_deflated(table.filename, *spooler.result(table))
        archive.close()


def _lines(table: Table, chunks: Iterable[str | bytes]) -> Iterator[bytes]:
    """A table's whole text in UTF-8: the BOM Excel needs for Thai, the header, then the chunks."""
    yield ("\ufeff" + header_line(table)).encode("utf-8")
    for chunk in chunks:
        yield chunk if isinstance(chunk, bytes) else chunk.encode("utf-8")


class _Spooler:
    """Deflates tables into temporary files in a thread, in order; result(table) waits for one."""

    def __init__(
        self, tables: list[Table], text: Callable[[Table], Iterable[str | bytes]], where: Any
    ) -> None:
        self._tables, self._text, self._where = tables, text, where
        self._done: dict[str, tuple[BinaryIO, int, int]] = {}
        self._ready = threading.Condition()
        self._failure: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chumchon-spool", daemon=True)

    def __enter__(self) -> _Spooler:
        if self._tables:
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        for spool, _crc, _size in self._done.values():
            spool.close()

    def _run(self) -> None:
        try:
            for table in self._tables:
                spool: BinaryIO = tempfile.TemporaryFile(dir=self._where)  # closed in __exit__
                with self._ready:
                    self._done[table.filename] = (spool, 0, -1)
                compressor, crc, size = deflater(), 0, 0
                for chunk in _lines(table, self._text(table)):
                    if self._stop.is_set():
                        return
                    crc, size = zlib.crc32(chunk, crc), size + len(chunk)
                    spool.write(compressor.compress(chunk))
                spool.write(compressor.flush())
                spool.seek(0)
                with self._ready:
                    self._done[table.filename] = (spool, crc, size)
                    self._ready.notify_all()
        except BaseException as exc:  # noqa: BLE001 -- raised again in the writing thread
            with self._ready:
                self._failure = exc
                self._ready.notify_all()

    def result(self, table: Table) -> tuple[Iterator[bytes], int, int]:
        """(the deflated bytes in chunks, CRC-32, length) of a table, once its thread is done with it."""
        with self._ready:
            while self._failure is None and self._done.get(table.filename, (None, 0, -1))[2] < 0:
                self._ready.wait()
            if self._failure is not None:
                raise self._failure
            spool, crc, size = self._done[table.filename]
        return iter(lambda: spool.read(1 << 20), b""), crc, size


def read_ahead(source: Iterable[T], depth: int) -> Iterator[T]:
    """The items of `source`, produced by a thread up to `depth` items ahead. An exception in the
    thread is raised here; leaving the loop early stops the thread at its next item."""
    items: queue.Queue[tuple[int, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        items.put((0, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put((1, None))
        except Exception as exc:  # noqa: BLE001 -- handed to the consumer, which raises it
            items.put((2, exc))

    worker = threading.Thread(target=produce, name="chumchon-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = items.get()
            if kind == 1:
                return
            if kind == 2:
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


def iter_csv(table: Table, rows: Iterable[Row], options: ExportOptions) -> Iterator[bytes]:
    """One table as a plain UTF-8 (with BOM) CSV, streamed in chunks."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    for _ in _csv_steps(buffer, table, rows, options):
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_csv_zip(
    out: BinaryIO,
    schema: Mapping[str, Any],
    main_rows: Iterable[Row],
    repeat_rows: Callable[[str], Iterable[Row]],
    *,
    labels: str | None = None,
    options: ExportOptions | None = None,
) -> dict[str, int]:
    """Write the zip to `out`; returns rows written per file name.

    main_rows: one row per submission, system keys SubmissionDate, KEY, SubmitterID, SubmitterName,
    AttachmentsPresent, AttachmentsExpected, ReviewState, DeviceID, Edits, FormVersion.
    repeat_rows(repeat_path): called once per repeat table, after the main table is written, giving
    rows with KEY and PARENT_KEY."""
    options = options or ExportOptions(labels=labels)
    counts: dict[str, int] = {}
    with zipfile.ZipFile(
        out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=5, allowZip64=True
    ) as archive:
        for table in plan_tables(schema, options=options):
            rows = main_rows if table.repeat_path is None else repeat_rows(table.repeat_path)
            counts[table.filename] = _write_table(archive, table, rows, options)
    return counts
