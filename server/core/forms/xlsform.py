"""The pyxform adapter: XLSForm bytes in, XForm bytes + warnings + itemsets out. The only module that
imports pyxform, so an upgrade or a swap of the converter touches this file alone."""

from __future__ import annotations

import csv
import io
import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from lxml import etree
from pyxform.xls2xform import convert

from server.core.ground.errors import InvalidXlsForm

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
    fallback = form_id_fallback_from(filename) if form_id_fallback is None else form_id_fallback.strip()
    try:
        result = _run_pyxform(source, suffix, fallback)
    except InvalidXlsForm:
        raise
    except Exception as exc:  # pyxform raises KeyError/TypeError too, not only PyXFormError
        raise InvalidXlsForm(_ERROR_PREFIX + _describe(exc, suffix), filename=filename) from exc

    xform = result.xform.encode("utf-8")
    form_id, version, title, root = read_form_identity(xform)
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
        warnings=[str(w) for w in result.warnings],
        itemsets=normalise_itemsets(result.itemsets) if result.itemsets is not None else None,
        definition=result._pyxform or {},
    )


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
