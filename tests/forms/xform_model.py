"""Read what tests need from a converted XForm: binds, controls, choice lists, the instance skeleton.

Also checks a filled submission against the form's own relevance, required and constraint rules,
the way Collect would refuse to finalise it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from odk_xpath import Evaluator

XF = "http://www.w3.org/2002/xforms"
H = "http://www.w3.org/1999/xhtml"
JR = "http://openrosa.org/javarosa"
NS = {"xf": XF, "h": H, "jr": JR}
MEDIA_DIR = Path(__file__).resolve().parents[2] / "forms" / "media"
_ITEMSET = re.compile(r"^instance\('([^']+)'\)/root/item(?:\[(.*)\])?$", re.DOTALL)
_EQUALITY_FILTER = re.compile(r"^\s*([\w-]+)\s*=\s*(.+?)\s*$", re.DOTALL)


@dataclass
class Bind:
    nodeset: str
    type: str = "string"
    required: bool = False
    readonly: bool = False
    relevant: str | None = None
    constraint: str | None = None
    calculate: str | None = None
    preload: str | None = None


@dataclass
class Control:
    kind: str  # input, select1, select, upload, trigger
    ref: str
    appearance: str = ""
    instance_id: str | None = None
    choice_filter: str | None = None  # "column = expression" over an external CSV


@dataclass
class XForm:
    root_name: str
    form_id: str
    version: str
    binds: dict[str, Bind]
    controls: dict[str, Control]
    repeats: list[str]
    skeleton: etree._Element
    choices: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def options(self, instance_id: str) -> list[dict[str, str]]:
        return self.choices[instance_id]


def generic_path(element: etree._Element) -> str:
    """/data/main/members/nid for every repeat instance of nid (binds are written that way)."""
    parts = []
    node: etree._Element | None = element
    while node is not None:
        parts.append(etree.QName(node).localname)
        node = node.getparent()
    return "/" + "/".join(reversed(parts))


def _strip(element: etree._Element) -> etree._Element:
    """Copy an instance element without namespaces, jr:template markers or template duplicates."""
    copy = etree.Element(etree.QName(element).localname)
    for key, value in element.attrib.items():
        if etree.QName(key).namespace is None:
            copy.set(key, value)
    copy.text = (element.text or "").strip() or None
    seen_repeat_template: set[str] = set()
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        is_template = child.get(f"{{{JR}}}template") is not None
        if name in seen_repeat_template:
            continue  # a repeat's template and its first instance: keep one skeleton
        if is_template:
            seen_repeat_template.add(name)
        copy.append(_strip(child))
    return copy


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def parse_xform(xform: str | bytes, media_dir: Path = MEDIA_DIR) -> XForm:
    doc = etree.fromstring(xform.encode("utf-8") if isinstance(xform, str) else xform)
    model = doc.find("h:head/xf:model", NS)
    assert model is not None, "no model in XForm"
    primary = next(i for i in model.findall("xf:instance", NS) if i.get("id") is None)
    data = next(child for child in primary if isinstance(child.tag, str))
    skeleton = _strip(data)

    choices: dict[str, list[dict[str, str]]] = {}
    for instance in model.findall("xf:instance", NS):
        instance_id = instance.get("id")
        if instance_id is None:
            continue
        src = instance.get("src")
        if src:
            choices[instance_id] = _read_csv(media_dir / src.rsplit("/", 1)[-1])
        else:
            choices[instance_id] = [
                {etree.QName(leaf).localname: (leaf.text or "") for leaf in item}
                for item in instance.iterfind(".//xf:item", NS)
            ]

    binds: dict[str, Bind] = {}
    for b in model.findall("xf:bind", NS):
        nodeset = b.get("nodeset", "")
        binds[nodeset] = Bind(
            nodeset=nodeset,
            type=b.get("type", "string"),
            required=b.get("required") == "true()",
            readonly=b.get("readonly") == "true()",
            relevant=b.get("relevant"),
            constraint=b.get("constraint"),
            calculate=b.get("calculate"),
            preload=b.get(f"{{{JR}}}preload"),
        )

    controls: dict[str, Control] = {}
    repeats: list[str] = []
    body = doc.find("h:body", NS)
    assert body is not None
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue
        kind = etree.QName(element).localname
        if kind == "repeat":
            repeats.append(element.get("nodeset", ""))
        if kind not in ("input", "select1", "select", "upload", "trigger", "range"):
            continue
        control = Control(kind=kind, ref=element.get("ref", ""), appearance=element.get("appearance", ""))
        itemset = element.find("xf:itemset", NS)
        if itemset is not None:
            match = _ITEMSET.match(itemset.get("nodeset", ""))
            assert match, f"unsupported itemset {itemset.get('nodeset')}"
            control.instance_id, control.choice_filter = match.group(1), match.group(2)
        controls[control.ref] = control

    return XForm(
        root_name=skeleton.tag,
        form_id=skeleton.get("id", ""),
        version=skeleton.get("version", ""),
        binds=binds,
        controls=controls,
        repeats=repeats,
        skeleton=skeleton,
        choices=choices,
    )


def filtered_options(
    form: XForm, control: Control, root: etree._Element, node: etree._Element, ev: Evaluator
) -> list[str]:
    """Values a select may take now, applying a `column = expression` choice filter."""
    assert control.instance_id is not None
    rows = form.options(control.instance_id)
    if control.choice_filter:
        match = _EQUALITY_FILTER.match(control.choice_filter)
        assert match, f"unsupported choice filter {control.choice_filter}"
        column, expression = match.groups()
        wanted = ev.string(expression, root, node)
        rows = [r for r in rows if r.get(column) == wanted]
    return [r["name"] for r in rows]


def is_relevant(form: XForm, root: etree._Element, node: etree._Element, ev: Evaluator) -> bool:
    """A node is relevant when its own and every ancestor's relevance expression holds."""
    current: etree._Element | None = node
    while current is not None:
        bind = form.binds.get(generic_path(current))
        if bind is not None and bind.relevant and not ev.boolean(bind.relevant, root, current):
            return False
        current = current.getparent()
    return True


def recalculate(form: XForm, root: etree._Element, ev: Evaluator) -> None:
    """Evaluate every calculate bind in document order (twice, so later calculates settle)."""
    for _ in range(2):
        for element in root.iter():
            bind = form.binds.get(generic_path(element))
            if bind is not None and bind.calculate and "uuid()" not in bind.calculate:
                element.text = ev.string(bind.calculate, root, element) or None


@dataclass(frozen=True)
class Problem:
    path: str
    rule: str  # "required" or "constraint"
    expression: str
    value: str


def check_submission(form: XForm, root: etree._Element, ev: Evaluator | None = None) -> list[Problem]:
    """Every relevant, required-but-empty answer and every answer its constraint refuses."""
    ev = ev or Evaluator()
    problems = []
    for element in root.iter():
        bind = form.binds.get(generic_path(element))
        if bind is None or len(element) or bind.calculate:
            continue
        if not is_relevant(form, root, element, ev):
            continue
        value = element.text or ""
        if bind.required and value == "" and not bind.readonly:
            problems.append(Problem(generic_path(element), "required", "true()", value))
        if bind.constraint and value != "" and not ev.boolean(bind.constraint, root, element):
            problems.append(Problem(generic_path(element), "constraint", bind.constraint, value))
    return problems
