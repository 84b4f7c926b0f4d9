"""The field schema of a form version (see the brief's FIELD SCHEMA): extracted once at publish from
pyxform's form dict and the generated XForm; processing, exports and the UI read it instead of XML."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from server.core.entities.declarations import read_declarations

XFORMS_NS = "http://www.w3.org/2002/xforms"
XHTML_NS = "http://www.w3.org/1999/xhtml"
ITEMSETS_CSV = "itemsets.csv"
NON_DATA_TYPES = frozenset({"group", "repeat", "note"})

# pyxform's many spellings of one question type, reduced to the XLSForm names the rest of Chumchon uses.
_TYPE_ALIASES = {
    "select one": "select_one",
    "select one external": "select_one",
    "select one using": "select_one",
    "select1": "select_one",
    "select one prompt using": "select_one",
    "select all that apply": "select_multiple",
    "select all that apply from": "select_multiple",
    "select multiple from": "select_multiple",
    "select multiple using": "select_multiple",
    "select": "select_multiple",
    "select multiple prompt using": "select_multiple",
    "photo": "image",
    "picture": "image",
    "location": "geopoint",
    "gps": "geopoint",
    "int": "integer",
    "string": "text",
    "datetime": "dateTime",
    "date time": "dateTime",
    "device id": "deviceid",
    "imei": "deviceid",
    "phone number": "phonenumber",
    "start time": "start",
    "end time": "end",
    "trigger": "acknowledge",
    "sim id": "simserial",
    "subscriber id": "subscriberid",
}
# Rows that declare external instances rather than questions: they add media, not fields.
_NOT_FIELDS = frozenset({"csv-external", "xml-external"})
_MEDIA_REF = re.compile(r"jr://(images|audio|video|file|file-csv)/([^\s\"'<>]+)")
_SEARCH_APPEARANCE = re.compile(r"search\(\s*['\"]([^'\"]+)['\"]")
_MEDIA_TYPES = {"images": "image", "audio": "audio", "video": "video", "file": "file", "file-csv": "file"}
_TRUE = frozenset({"yes", "true", "1", "true()", "y"})


def normalise_type(raw: str) -> str:
    """'select all that apply' -> 'select_multiple', 'photo' -> 'image', 'q int' -> 'integer' …"""
    name = raw.strip()
    for prefix in ("q ", "add ", "get ", "uri:"):
        name = name.removeprefix(prefix)
    name = name.removesuffix(" prompt")
    name = _TYPE_ALIASES.get(name, name)
    return name.replace(" ", "_")


def labels_of(label: Any) -> dict[str, str]:
    """pyxform gives a str for untranslated labels and {language: text} for translated ones."""
    if isinstance(label, dict):
        return {str(k): str(v) for k, v in label.items() if v is not None}
    if isinstance(label, str) and label:
        return {"default": label}
    return {}


def _truthy(value: Any) -> bool:
    return (isinstance(value, bool) and value) or str(value or "").strip().lower() in _TRUE


def _checks(value: Any) -> list[str]:
    return [c for c in re.split(r"[\s,;]+", str(value or "")) if c]


def _bind_types(xform_root: Any) -> dict[str, str]:
    binds: dict[str, str] = {}
    for bind in xform_root.iter(f"{{{XFORMS_NS}}}bind"):
        nodeset = bind.get("nodeset")
        if nodeset:
            binds[nodeset] = bind.get("type") or "string"
    return binds


def _languages(xform_root: Any) -> list[str]:
    langs = [t.get("lang") for t in xform_root.iter(f"{{{XFORMS_NS}}}translation")]
    return [lang for lang in langs if lang and lang != "default"]


def expected_media(xform: bytes, has_itemsets: bool = False) -> dict[str, str]:
    """Form media file names the XForm references -> media type (image|audio|video|file), in order."""
    text = xform.decode("utf-8")
    media: dict[str, str] = {}
    for scheme, ref in _MEDIA_REF.findall(text):
        # Collect keeps only the base name of a media file; so does the manifest.
        name = ref.rsplit("/", 1)[-1]
        if name and name != "-":
            media.setdefault(name, _MEDIA_TYPES[scheme])
    for list_name in _SEARCH_APPEARANCE.findall(text):
        # search('x') reads x.csv from the form's media without declaring it anywhere else.
        media.setdefault(f"{list_name}.csv", "file")
    if has_itemsets:
        media.setdefault(ITEMSETS_CSV, "file")
    return media


class _Walker:
    def __init__(self, binds: dict[str, str]) -> None:
        self.binds = binds
        self.fields: list[dict[str, Any]] = []
        self.repeats: list[dict[str, Any]] = []

    def walk(
        self, node: dict[str, Any], path: str, repeat: str | None, sensitive: bool, in_meta: bool
    ) -> None:
        for child in node.get("children") or []:
            raw_type = str(child.get("type", ""))
            if raw_type in _NOT_FIELDS or "name" not in child:
                continue
            child_path = f"{path}/{child['name']}"
            kind = normalise_type(raw_type)
            is_meta_group = (
                kind == "group" and child["name"] == "meta" and repeat is None and path.count("/") == 1
            )
            if in_meta and kind in ("calculate", "hidden", "text", ""):
                kind = "meta"
            child_sensitive = sensitive or _truthy(child.get("sensitive"))
            is_select = kind in ("select_one", "select_multiple", "rank")
            self.fields.append(
                {
                    "path": child_path,
                    "name": child["name"],
                    "type": kind,
                    "bind_type": "" if kind in NON_DATA_TYPES else self.binds.get(child_path, "string"),
                    "labels": labels_of(child.get("label")),
                    "choice_list": (child.get("list_name") or child.get("itemset")) if is_select else None,
                    "repeat": repeat,
                    "sensitive": child_sensitive,
                    "checks": _checks(child.get("server_check")),
                    "calculation": (child.get("bind") or {}).get("calculate"),
                }
            )
            if kind == "repeat":
                self.repeats.append(
                    {
                        "path": child_path,
                        "name": child["name"],
                        "parent": repeat,
                        "labels": labels_of(child.get("label")),
                    }
                )
                self.walk(child, child_path, child_path, child_sensitive, False)
            elif kind == "group":
                self.walk(child, child_path, repeat, child_sensitive, in_meta or is_meta_group)


def build_field_schema(
    definition: dict[str, Any], xform: bytes, *, has_itemsets: bool = False
) -> dict[str, Any]:
    """The FIELD SCHEMA for one form version, from pyxform's form dict plus the XForm it generated."""
    xform_root = etree.fromstring(xform, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    instance = xform_root.find(f"{{{XHTML_NS}}}head/{{{XFORMS_NS}}}model/{{{XFORMS_NS}}}instance")
    data = instance[0] if instance is not None and len(instance) else None
    root = etree.QName(data).localname if data is not None else str(definition.get("name") or "data")
    walker = _Walker(_bind_types(xform_root))
    walker.walk(definition, f"/{root}", None, False, False)
    default_language = definition.get("default_language")
    languages = _languages(xform_root)
    return {
        "form_id": data.get("id") if data is not None else definition.get("id_string"),
        "version": (data.get("version") if data is not None else None) or "",
        "title": xform_root.findtext(f"{{{XHTML_NS}}}head/{{{XHTML_NS}}}title") or "",
        "root": root,
        "default_language": default_language if default_language and default_language != "default" else None,
        "languages": languages,
        "fields": walker.fields,
        "repeats": walker.repeats,
        "choices": {
            str(list_name): [
                {"name": str(choice.get("name")), "labels": labels_of(choice.get("label"))}
                for choice in choices or []
            ]
            for list_name, choices in (definition.get("choices") or {}).items()
        },
        "media": list(expected_media(xform, has_itemsets)),
        # What the form does to entity lists (server.core.entities.declarations); None when nothing.
        "entities": read_declarations(xform_root),
    }


def data_fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Fields that carry a value in a submission (everything but groups, repeats and notes)."""
    return [f for f in schema.get("fields", []) if f["type"] not in NON_DATA_TYPES]


def preferred_label(labels: dict[str, str], prefer: str = "th") -> str:
    """The label in the preferred language (matched on its code, e.g. 'Thai (th)'), else any label."""
    for language, text in labels.items():
        if f"({prefer})" in language or language.lower().startswith(prefer):
            return text
    return labels.get("default") or next(iter(labels.values()), "")
