"""Safe parsing of submission XML: refuses DTDs, entities, non-UTF-8 and oversize input, and reads the
identity (form id, version, instanceID, deprecatedID) Collect puts in every submission."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from server.core.ground.errors import InvalidXml

DEFAULT_MAX_XML_BYTES = 20 * 1024 * 1024
MAX_ID_LENGTH = 255  # column width; the OpenRosa spec asks for at least 249

_XML_DECL = re.compile(rb"^\s*<\?xml\s[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_UTF8_NAMES = {"utf-8", "utf8"}
_UTF8_BOM = b"\xef\xbb\xbf"

_BAD_XML = "ข้อมูลที่ส่งมาไม่ใช่ XML ที่ถูกต้อง / The submission is not well-formed XML"


@dataclass(frozen=True)
class SubmissionXml:
    """What intake needs from a submission document; `root` is kept for reading field values."""

    root_name: str
    form_id: str
    version: str | None
    instance_id: str
    deprecated_id: str | None
    instance_name: str | None
    audit_file: str | None
    encrypted: bool
    encrypted_files: tuple[str, ...] = ()
    root: etree._Element | None = field(default=None, repr=False, compare=False)


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not thread-safe, and these flags are the whole defence
    # against entity expansion, external fetches and pathological trees.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        remove_comments=True,
    )


def local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # comments, processing instructions, entity references
        return ""
    # "{namespace}name" → "name" (as etree.QName(tag).localname, without building an object per node)
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if local_name(child) == name]


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    value = element.text.strip()
    return value or None


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_XML_BYTES) -> etree._Element:
    """Parse UTF-8 XML with no DTD and no entities; anything else raises InvalidXml."""
    if not data or not data.strip():
        raise InvalidXml("ไฟล์ XML ว่างเปล่า / The submission XML is empty.")
    if len(data) > max_bytes:
        raise InvalidXml(
            f"ไฟล์ XML ใหญ่เกิน {max_bytes} ไบต์ / The submission XML is larger than {max_bytes} bytes."
        )
    body = data.removeprefix(_UTF8_BOM)
    declared = _XML_DECL.match(body)
    if declared and declared.group(1).decode("ascii").lower() not in _UTF8_NAMES:
        name = declared.group(1).decode("ascii")
        raise InvalidXml(f"ต้องเข้ารหัสเป็น UTF-8 ไม่ใช่ {name} / The submission XML must be UTF-8, not {name}.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidXml("ไฟล์ XML ไม่ได้เข้ารหัสเป็น UTF-8 / The submission XML is not valid UTF-8.") from exc
    # XML keywords are case-sensitive, so this catches every DTD before the parser sees it; the parser
    # flags above and the docinfo check below are the second and third line.
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise InvalidXml("ไม่รับ XML ที่มี DOCTYPE หรือ ENTITY / DOCTYPE and ENTITY declarations are not accepted.")
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidXml(f"{_BAD_XML}: {exc.msg}.") from exc
    if root is None:
        raise InvalidXml(f"{_BAD_XML}.")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise InvalidXml("ไม่รับ XML ที่มี DOCTYPE หรือ ENTITY / DOCTYPE and ENTITY declarations are not accepted.")
    return root


def _checked_id(value: str | None, what: str) -> str | None:
    if value is not None and len(value) > MAX_ID_LENGTH:
        raise InvalidXml(
            f"{what} ยาวเกิน {MAX_ID_LENGTH} ตัวอักษร / {what} is longer than {MAX_ID_LENGTH} characters."
        )
    return value


def parse_submission(data: bytes, *, max_bytes: int = DEFAULT_MAX_XML_BYTES) -> SubmissionXml:
    """Parse a submission (plain or an encrypted-submission manifest) and read its identity."""
    root = parse_xml(data, max_bytes=max_bytes)
    root_name = local_name(root)
    # Form identity is @id, or the root's namespace for very old forms (OpenRosa metadata spec).
    form_id = (root.get("id") or "").strip() or (etree.QName(root).namespace or "").strip()
    if not form_id:
        raise InvalidXml(
            "ไม่พบรหัสแบบฟอร์ม (id) ในข้อมูลที่ส่ง / The submission does not name its form (no id attribute)."
        )
    version = root.get("version")
    meta = next(iter(_children(root, "meta")), None)

    def meta_value(name: str) -> str | None:
        found = _children(meta, name) if meta is not None else []
        return _text(found[0]) if found else None

    instance_id = meta_value("instanceID")
    if instance_id is None:
        legacy = _children(root, "instanceID")  # accepted by ODK Central for old clients
        instance_id = _text(legacy[0]) if legacy else None
    if instance_id is None:
        raise InvalidXml("ไม่พบ meta/instanceID ในข้อมูลที่ส่ง / The submission has no meta/instanceID.")
    encrypted = (root.get("encrypted") or "").strip().lower() == "yes"
    encrypted_files: list[str] = []
    if encrypted:
        # Collect and the spec disagree on the namespace, so match local names only.
        for media in _children(root, "media"):
            encrypted_files += [name for f in _children(media, "file") if (name := _text(f))]
        xml_file = next(iter(_children(root, "encryptedXmlFile")), None)
        if (name := _text(xml_file)) is not None:
            encrypted_files.append(name)
    return SubmissionXml(
        root_name=root_name,
        form_id=_checked_id(form_id, "form id") or form_id,
        version=_checked_id(version, "version"),
        instance_id=_checked_id(instance_id, "instanceID") or instance_id,
        deprecated_id=_checked_id(meta_value("deprecatedID"), "deprecatedID"),
        instance_name=meta_value("instanceName"),
        audit_file=meta_value("audit"),
        encrypted=encrypted,
        encrypted_files=tuple(encrypted_files),
        root=root,
    )


def values_at_paths(root: etree._Element, paths: Iterable[str]) -> list[str]:
    """Non-empty text of every element whose local-name path (e.g. /data/grp/photo) is in `paths`,
    in document order, without duplicates. Repeats share a path, so each instance is found."""
    wanted = set(paths)
    found: dict[str, None] = {}

    def walk(element: etree._Element, prefix: str) -> None:
        name = local_name(element)
        if not name:
            return
        path = f"{prefix}/{name}"
        if path in wanted and (value := _text(element)) is not None:
            found.setdefault(value, None)
        for child in element:
            walk(child, path)

    walk(root, "")
    return list(found)
