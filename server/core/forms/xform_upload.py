"""XForm XML uploads (ODK Central accepts an XForm or an XLSForm): read the form's identity and rebuild,
from the XForm alone, the question tree that the field schema is made from when pyxform is not involved."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from server.core.forms.schema import XFORMS_NS, XHTML_NS
from server.core.forms.xlsform import ConvertedForm, convert_xlsform
from server.core.ground.errors import InvalidXlsForm

MAX_XFORM_BYTES = 20 * 1024 * 1024
XML_TYPES = frozenset({"application/xml", "text/xml"})
_JR = "http://openrosa.org/javarosa"
_ITEXT_REF = re.compile(r"jr:itext\(\s*['\"]([^'\"]+)['\"]\s*\)")
_INSTANCE_REF = re.compile(r"instance\(\s*['\"]([^'\"]+)['\"]\s*\)")
_BIND_TYPES = {
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "time": "time",
    "dateTime": "dateTime",
    "geopoint": "geopoint",
    "geotrace": "geotrace",
    "geoshape": "geoshape",
    "barcode": "barcode",
    "boolean": "acknowledge",
}
_MEDIA_KINDS = {"image": "image", "audio": "audio", "video": "video"}
_BAD_ID = re.compile(r"\.(xlsx?|xml)$")


def _x(tag: str) -> str:
    return f"{{{XFORMS_NS}}}{tag}"


def _refused(reason: str) -> InvalidXlsForm:
    return InvalidXlsForm(f"XForm ไม่ถูกต้อง / The XForm XML is not valid: {reason}", reason=reason)


def convert_upload(source: bytes, filename: str, *, form_id_fallback: str | None = None) -> ConvertedForm:
    """An uploaded form definition, XForm (a .xml name) or XLSForm (any other supported name)."""
    if filename.lower().endswith(".xml"):
        converted = convert_xform(source)
    else:
        converted = convert_xlsform(source, filename, form_id_fallback=form_id_fallback)
    if _BAD_ID.search(converted.form_id):
        raise InvalidXlsForm(
            f"รหัสแบบฟอร์มต้องไม่ลงท้ายด้วย .xls .xlsx หรือ .xml / The form ID {converted.form_id!r} cannot end"
            " in .xls, .xlsx or .xml; set another form_id.",
            field="formId",
        )
    return converted


def convert_xform(source: bytes) -> ConvertedForm:
    """Check an XForm and describe it as publishing needs it (no conversion: the bytes are served as sent)."""
    if not source.strip():
        raise _refused("the body is empty.")
    if len(source) > MAX_XFORM_BYTES:
        raise _refused(f"larger than {MAX_XFORM_BYTES // (1024 * 1024)} MB.")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(source, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise _refused(str(exc.msg)) from exc
    if root.tag != f"{{{XHTML_NS}}}html":
        raise _refused("the root element must be <h:html>.")
    model = root.find(f"{{{XHTML_NS}}}head/{_x('model')}")
    instance = model.find(_x("instance")) if model is not None else None
    data = instance[0] if instance is not None and len(instance) else None
    if data is None or not isinstance(data.tag, str):
        raise _refused("no primary instance in <model>.")
    form_id = (data.get("id") or "").strip()
    if not form_id:
        raise InvalidXlsForm(
            "XForm ต้องมี id ที่ instance หลัก / The XForm's primary instance needs an id attribute.",
            field="formId",
        )
    title = root.findtext(f"{{{XHTML_NS}}}head/{{{XHTML_NS}}}title") or form_id
    reader = _XFormReader(root, model)
    return ConvertedForm(
        xform=source,
        form_id=form_id,
        version=data.get("version") or "",
        title=title,
        root=etree.QName(data).localname,
        warnings=[],
        itemsets=None,
        definition=reader.definition(data),
    )


class _XFormReader:
    """Questions, groups, repeats and choice lists of an XForm, in pyxform's dict shape."""

    def __init__(self, root: Any, model: Any) -> None:
        self.binds = {b.get("nodeset"): b for b in model.iter(_x("bind")) if b.get("nodeset")}
        self.controls: dict[str, Any] = {}
        self.repeats: set[str] = set()
        self.choices: dict[str, list[dict[str, Any]]] = {}
        self.itext = self._itext(model)
        body = root.find(f"{{{XHTML_NS}}}body")
        if body is not None:
            self._index_body(body, "")
        self.secondary = {i.get("id"): i for i in model.findall(_x("instance")) if i.get("id")}

    @staticmethod
    def _itext(model: Any) -> dict[str, dict[str, str]]:
        texts: dict[str, dict[str, str]] = {}
        for translation in model.iter(_x("translation")):
            lang = translation.get("lang") or "default"
            for text in translation.iter(_x("text")):
                values = [v for v in text.findall(_x("value")) if v.get("form") in (None, "long")]
                if values and text.get("id"):
                    texts.setdefault(text.get("id"), {})[lang] = "".join(values[0].itertext()).strip()
        return texts

    def _index_body(self, node: Any, context: str) -> None:
        for child in node:
            if not isinstance(child.tag, str):
                continue
            ref = child.get("ref") or child.get("nodeset") or ""
            path = ref if ref.startswith("/") else (f"{context}/{ref}" if ref else context)
            name = etree.QName(child).localname
            if name == "repeat" and ref:
                self.repeats.add(path)
            elif ref and name not in ("label", "hint", "item", "itemset"):
                self.controls[path] = child
            if name in ("group", "repeat"):
                self._index_body(child, path)

    def label(self, element: Any | None) -> Any:
        node = element.find(_x("label")) if element is not None else None
        if node is None:
            return None
        found = _ITEXT_REF.search(node.get("ref") or "")
        if found:
            return self.itext.get(found.group(1)) or None
        return "".join(node.itertext()).strip() or None

    def definition(self, data: Any) -> dict[str, Any]:
        root_path = f"/{etree.QName(data).localname}"
        return {
            "name": etree.QName(data).localname,
            "id_string": data.get("id"),
            "type": "survey",
            "children": self._children(data, root_path),
            "choices": self.choices,
        }

    def _children(self, node: Any, path: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for element in node:
            if not isinstance(element.tag, str):
                continue
            name = etree.QName(element).localname
            if name in seen:  # repeat instances and templates: one description each
                continue
            seen.add(name)
            child_path = f"{path}/{name}"
            out.append(self._describe(element, name, child_path))
        return out

    def _describe(self, element: Any, name: str, path: str) -> dict[str, Any]:
        control = self.controls.get(path)
        bind = self.binds.get(path)
        described: dict[str, Any] = {"name": name, "label": self.label(control)}
        if bind is not None and bind.get("calculate"):
            described["bind"] = {"calculate": bind.get("calculate")}
        has_children = any(isinstance(c.tag, str) for c in element)
        if path in self.repeats or (has_children and element.get(f"{{{_JR}}}template") is not None):
            described.update(type="repeat", children=self._children(element, path))
        elif has_children:
            described.update(type="group", children=self._children(element, path))
        else:
            described["type"] = self._question_type(control, bind)
            if described["type"] in ("select one", "select all that apply"):
                described["list_name"] = self._choice_list(control, name)
        return described

    def _question_type(self, control: Any | None, bind: Any | None) -> str:
        bind_type = (bind.get("type") if bind is not None else None) or "string"
        kind = etree.QName(control).localname if control is not None else None
        if kind == "select1":
            return "select one"
        if kind == "select":
            return "select all that apply"
        if bind_type == "binary" or kind == "upload":
            media = (control.get("mediatype") or "") if control is not None else ""
            return _MEDIA_KINDS.get(media.split("/")[0], "file")
        if bind_type in _BIND_TYPES:
            return _BIND_TYPES[bind_type]
        if control is None:
            return "calculate"
        readonly = (bind.get("readonly") if bind is not None else "") or ""
        return "note" if kind == "trigger" or readonly.strip() == "true()" else "text"

    def _choice_list(self, control: Any, name: str) -> str:
        itemset = control.find(_x("itemset"))
        if itemset is not None:
            found = _INSTANCE_REF.search(itemset.get("nodeset") or "")
            list_name = found.group(1) if found else name
            self.choices.setdefault(list_name, self._secondary_choices(list_name))
            return list_name
        items = []
        for item in control.findall(_x("item")):
            items.append({"name": (item.findtext(_x("value")) or "").strip(), "label": self.label(item)})
        self.choices[name] = items
        return name

    def _secondary_choices(self, list_name: str) -> list[dict[str, Any]]:
        instance = self.secondary.get(list_name)
        if instance is None or not len(instance):
            return []
        items = []
        for item in instance[0]:
            if not isinstance(item.tag, str):
                continue
            value = item.findtext(_x("name")) or item.findtext("name") or ""
            text_id = item.findtext(_x("itextId")) or item.findtext("itextId")
            label: Any = self.itext.get(text_id) if text_id else (item.findtext(_x("label")) or item.findtext("label"))
            items.append({"name": value.strip(), "label": label})
        return items
