"""The pyxform adapter: XLSForm bytes in, XForm bytes + warnings + itemsets out. The only module that
imports pyxform, so an upgrade or a swap of the converter touches this file alone."""

from __future__ import annotations

import csv
import io
import logging
import multiprocessing
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path, PurePath
from typing import Any

from lxml import etree
from pyxform.xls2json_backends import get_xlsform
from pyxform.xls2xform import convert

from server.core.forms.expressions import find_problems
from server.core.ground.errors import InvalidXlsForm, TooLarge

# Importing pyxform.xls2xform attaches a StreamHandler at INFO to its logger, which would print
# "Conversion complete!" style noise into our logs; our own logging config decides instead.
_pyxform_log = logging.getLogger("pyxform.xls2xform")
for _handler in list(_pyxform_log.handlers):
    _pyxform_log.removeHandler(_handler)
_pyxform_log.setLevel(logging.WARNING)

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".md")
PYXFORM_DEFAULT_ID = "data"  # what pyxform names a form that has no form_id and no file name

XFORMS_NS = "http://www.w3.org/2002/xforms"
XHTML_NS = "http://www.w3.org/1999/xhtml"
_ERROR_PREFIX = "แบบฟอร์มมีข้อผิดพลาด / The XLSForm has an error: "
_SAFE_FALLBACK = re.compile(r"[^A-Za-z0-9_-]+")

# Bounds on what one workbook may expand to before pyxform reads it (a real XLSForm, even with a
# few thousand choices, is a few MB unpacked): a zip bomb is refused before any cell is parsed.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_ZIP_ENTRIES = 500
MAX_ROWS = 100_000
MAX_CELLS = 2_000_000
_TOO_MUCH_MEMORY = (
    "แปลงแบบฟอร์มนี้ต้องใช้หน่วยความจำเกินกำหนด / Converting this XLSForm needed more memory than this"
    " server allows; split long choice lists into a CSV media file (select_one_from_file)."
)
# The conversion runs in a child process with these limits, so a runaway one cannot take the web
# process down: extra address space over the child's start, and wall time.
CONVERT_MEMORY_BYTES = 1024 * 1024 * 1024
CONVERT_TIMEOUT_SECONDS = 60.0
_TOO_BIG = (
    "ไฟล์ XLSForm ใหญ่เกินกว่าที่รับได้ / The XLSForm expands to more than this server accepts "
    f"(at most {MAX_UNPACKED_BYTES // (1024 * 1024)} MB unpacked, {MAX_ROWS:,} rows, {MAX_CELLS:,} cells)."
)


@dataclass(frozen=True)
class ConvertedForm:
    """What publishing needs from one conversion."""

    xform: bytes
    form_id: str
    version: str
    title: str
    root: str
    warnings: list[str] = field(default_factory=list)
    itemsets: bytes | None = None  # served to Collect as itemsets.csv
    definition: dict[str, Any] = field(default_factory=dict)  # pyxform's internal form dict


def form_id_fallback_from(filename: str) -> str:
    """A form id made from a file name stem (as Central's X-XlsForm-FormId-Fallback): ASCII word chars."""
    return _SAFE_FALLBACK.sub("_", PurePath(filename).stem).strip("_")


def convert_xlsform(source: bytes, filename: str, *, form_id_fallback: str | None = None) -> ConvertedForm:
    """Convert an XLSForm to an XForm without ODK Validate (no Java needed).

    The file type comes from the filename's extension. The form id is the settings sheet's form_id,
    else `form_id_fallback`, else the filename stem; pass form_id_fallback="" to allow no fallback."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InvalidXlsForm(
            "รองรับเฉพาะไฟล์ .xlsx .xls .csv หรือ .md / Only .xlsx, .xls, .csv or .md XLSForm files are"
            f" accepted, not {filename!r}.",
            filename=filename,
        )
    if not source:
        raise InvalidXlsForm("ไฟล์ว่างเปล่า / The uploaded file is empty.", filename=filename)
    if any(ord(ch) < 32 for ch in filename) or len(filename) > 255:
        raise InvalidXlsForm(
            "ชื่อไฟล์ไม่ถูกต้อง / The file name has control characters or is longer than 255 characters."
        )
    fallback = form_id_fallback_from(filename) if form_id_fallback is None else form_id_fallback.strip()
    if suffix in (".xlsx", ".xlsm"):
        check_workbook_archive(source, filename)
    outcome = _convert_isolated(source, suffix, fallback)
    if "error" in outcome:
        raise InvalidXlsForm(_ERROR_PREFIX + str(outcome["error"]), filename=filename, **outcome.get("details", {}))

    xform = str(outcome["xform"]).encode("utf-8")
    try:
        form_id, version, title, root = read_form_identity(xform)
    except etree.XMLSyntaxError as exc:
        # pyxform copies cell text as is; NUL and other control characters cannot be in an XForm.
        raise InvalidXlsForm(
            _ERROR_PREFIX + "มีอักขระควบคุม (เช่น NUL) ในเซลล์ / A cell contains a control character"
            f" (such as NUL) that an XForm cannot hold: {exc.msg}.",
            filename=filename,
        ) from exc
    if form_id == PYXFORM_DEFAULT_ID and not fallback:
        # pyxform's placeholder id: every such upload would collide as one form called "data".
        raise InvalidXlsForm(
            "ต้องระบุ form_id ในชีต settings / The XLSForm needs a form_id (other than 'data') in its"
            " settings sheet.",
            filename=filename,
        )
    return ConvertedForm(
        xform=xform,
        form_id=form_id,
        version=version,
        title=title,
        root=root,
        warnings=[str(w) for w in outcome["warnings"]],
        itemsets=normalise_itemsets(outcome["itemsets"]) if outcome["itemsets"] is not None else None,
        definition=outcome["definition"] or {},
    )


def check_workbook_archive(source: bytes, filename: str) -> None:
    """Refuse an .xlsx whose zip expands past the bounds, judged by the entries' declared sizes and
    then by actually inflating them (declared sizes can lie), counting rows and cells on the way."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(source))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidXlsForm(
            f"อ่านไฟล์ {filename} ไม่ได้ (ไม่ใช่ไฟล์ Excel ที่สมบูรณ์) / {filename!r} is not a readable .xlsx file.",
            filename=filename,
        ) from exc
    if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
        raise TooLarge(_TOO_BIG, filename=filename)
    unpacked = rows = cells = 0
    try:
        for entry in entries:
            is_sheet = entry.filename.startswith("xl/worksheets/")
            tail = b""
            with archive.open(entry) as member:
                while chunk := member.read(1024 * 1024):
                    unpacked += len(chunk)
                    if unpacked > MAX_UNPACKED_BYTES:
                        raise TooLarge(_TOO_BIG, filename=filename)
                    if is_sheet:
                        window = tail + chunk
                        rows += window.count(b"<row") - tail.count(b"<row")
                        cells += window.count(b"<c ") + window.count(b"<c>") - tail.count(b"<c ") - tail.count(b"<c>")
                        tail = chunk[-8:]
                        if rows > MAX_ROWS or cells > MAX_CELLS:
                            raise TooLarge(_TOO_BIG, filename=filename)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as exc:
        raise InvalidXlsForm(
            f"อ่านไฟล์ {filename} ไม่ได้ / {filename!r} is a damaged .xlsx file.", filename=filename
        ) from exc


def _convert_isolated(source: bytes, suffix: str, fallback: str) -> dict[str, Any]:
    """Run the conversion in a forked child (pyxform is already loaded, so a fork costs milliseconds),
    bounded in memory and time. Returns the child's answer dict. Where fork does not exist (Windows),
    it runs in this process, bounded only by the archive checks."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return _convert_answer(source, suffix, fallback)
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child_convert, args=(sender, source, suffix, fallback), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(CONVERT_TIMEOUT_SECONDS):
            raise TooLarge(
                f"แปลงแบบฟอร์มนานเกิน {CONVERT_TIMEOUT_SECONDS:.0f} วินาที / Converting the XLSForm took longer "
                f"than {CONVERT_TIMEOUT_SECONDS:.0f} s; it is too large or too complex."
            )
        answer: dict[str, Any] = receiver.recv()
    except EOFError:
        # The child died without answering: killed at its memory limit, or a crash in the converter.
        answer = {
            "error": "การแปลงแบบฟอร์มหยุดกลางคัน (ใช้หน่วยความจำเกินหรือตัวแปลงขัดข้อง) / The conversion stopped"
            " without an answer (it ran out of memory or the converter failed); check the XLSForm's size."
        }
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    return answer


def _limit_memory(extra_bytes: int) -> None:
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (current + extra_bytes, current + extra_bytes))
    except (ImportError, OSError, ValueError):
        pass  # no /proc or no rlimits (not Linux): the timeout still bounds the conversion


def _child_convert(conn: Connection, source: bytes, suffix: str, fallback: str) -> None:
    _limit_memory(CONVERT_MEMORY_BYTES)
    try:
        answer = _convert_answer(source, suffix, fallback)
    except MemoryError:
        answer = {"error": _TOO_MUCH_MEMORY}
    conn.send(answer)
    conn.close()


def _convert_answer(source: bytes, suffix: str, fallback: str) -> dict[str, Any]:
    try:
        problems = find_problems(get_xlsform(source, file_type=suffix).survey or [])
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001  # pyxform's own conversion below names the problem better
        problems = []
    if problems:
        shown = "; ".join(str(p) for p in problems[:20])
        return {
            "error": shown,
            "details": {"problems": [vars(p) for p in problems]},
        }
    try:
        result = _run_pyxform(source, suffix, fallback)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001  # pyxform raises KeyError/TypeError too, not only PyXFormError
        return {"error": _describe(exc, suffix)}
    return {
        "xform": result.xform,
        "warnings": [str(w) for w in result.warnings],
        "itemsets": result.itemsets,
        "definition": result._pyxform or {},
    }


def _run_pyxform(source: bytes, suffix: str, fallback: str) -> Any:
    if not fallback:
        return convert(source, validate=False, file_type=suffix)
    # pyxform takes its fallback form id only from a file path's stem, so hand it a file named so.
    with tempfile.TemporaryDirectory(prefix="chumchon-xlsform-") as tmp:
        path = Path(tmp) / f"{fallback}{suffix}"
        path.write_bytes(source)
        return convert(path, validate=False, file_type=suffix)


def _describe(exc: Exception, suffix: str) -> str:
    text = str(exc).strip()
    if isinstance(exc, KeyError):
        # A bare KeyError('cities') comes from references pyxform cannot resolve.
        return f"ไม่พบชื่อที่อ้างถึง / Unknown name referenced: {text} (check list names and choice_filter)."
    if isinstance(exc, TypeError) and ("argument" in text or "__init__" in text):
        # pyxform's internals leak through for sheets it cannot lay out (e.g. a CSV without sheet names).
        return (
            f"อ่านไฟล์ {suffix} ไม่ได้ ต้องมีชีต survey ที่มีคอลัมน์ type, name, label / The file could not be"
            f" read as a {suffix} XLSForm: it needs a survey sheet with type, name and label columns"
            " (in a CSV, the sheet name 'survey' in the first column of its first row)."
        )
    if "not recognized as a supported type" in text:
        return (
            f"อ่านไฟล์ {suffix} ไม่ได้ / The file could not be read as a {suffix} XLSForm"
            " (survey, choices and settings sheets)."
        )
    return text or type(exc).__name__


def read_form_identity(xform: bytes) -> tuple[str, str, str, str]:
    """(form id, version, title, root element name) from where Collect reads them in the XForm."""
    root = etree.fromstring(xform, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    title = root.findtext(f"{{{XHTML_NS}}}head/{{{XHTML_NS}}}title") or ""
    instance = root.find(f"{{{XHTML_NS}}}head/{{{XFORMS_NS}}}model/{{{XFORMS_NS}}}instance")
    if instance is None or len(instance) == 0:
        raise InvalidXlsForm(_ERROR_PREFIX + "no primary instance in the generated XForm.")
    data = instance[0]
    form_id = data.get("id") or ""
    return form_id, data.get("version") or "", title or form_id, etree.QName(data).localname


def normalise_itemsets(itemsets: str) -> bytes:
    """pyxform copies the choices header verbatim; Collect queries a column named exactly list_name."""
    rows = list(csv.reader(io.StringIO(itemsets)))
    if rows:
        rows[0] = [
            "list_name" if cell.strip().lower() in ("list name", "list_name") else cell for cell in rows[0]
        ]
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")
