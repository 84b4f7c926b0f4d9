"""What a form says about entities, read once from the XForm pyxform generated (the entities namespace,
each `meta/entity` block and the `entities:saveto` binds), and the entity blocks of one submission."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

ENTITIES_NS = "http://www.opendatakit.org/xforms/entities"
XFORMS_NS = "http://www.w3.org/2002/xforms"
_SYSTEM_ATTRIBUTES = ("dataset", "id", "create", "update", "baseVersion", "trunkVersion", "branchId")


def _local(element: Any) -> str:
    tag = element.tag
    return str(etree.QName(tag).localname) if isinstance(tag, str) else ""


def read_declarations(xform_root: etree._Element) -> dict[str, Any] | None:
    """{"spec": "2024.1.0", "lists": [{"dataset", "container", "entity", "actions", "label",
    "properties": {name: path relative to the container}, "order": [names in the form's order]}]}
    or None when the form declares none.
    Paths are absolute instance paths like the field schema's (`/data/meta/entity`)."""
    model = xform_root.find(f".//{{{XFORMS_NS}}}model")
    instance = model.find(f"{{{XFORMS_NS}}}instance") if model is not None else None
    if model is None or instance is None or not len(instance):
        return None
    data = instance[0]
    lists: list[dict[str, Any]] = []
    seen: set[str] = set()

    def walk(element: etree._Element, path: str) -> None:
        for child in element:
            name = _local(child)
            if not name:
                continue
            child_path = f"{path}/{name}"
            if child_path in seen:  # a repeat's jr:template and its first instance share a path
                continue
            seen.add(child_path)
            if name == "entity" and _local(element) == "meta" and child.get("dataset") is not None:
                actions = [a for a in ("create", "update") if child.get(a) is not None]
                lists.append(
                    {
                        "dataset": child.get("dataset"),
                        "container": path.rsplit("/", 1)[0],
                        "entity": child_path,
                        "actions": actions,
                        "label": child.find("label") is not None
                        or child.find(f"{{{XFORMS_NS}}}label") is not None,
                        "properties": {},
                    }
                )
                continue
            walk(child, child_path)

    walk(data, f"/{_local(data)}")
    if not lists:
        return None
    # Each saveto belongs to the declaration whose container holds it most closely.
    for bind in model.iter(f"{{{XFORMS_NS}}}bind"):
        prop = bind.get(f"{{{ENTITIES_NS}}}saveto")
        nodeset = bind.get("nodeset") or ""
        if not prop:
            continue
        owners = [d for d in lists if nodeset.startswith(d["container"] + "/")]
        if owners:
            owner = max(owners, key=lambda d: len(d["container"]))
            owner["properties"][prop.strip()] = nodeset[len(owner["container"]) + 1 :]
    for declaration in lists:  # a JSON list keeps the form's order (PostgreSQL's JSONB reorders keys)
        declaration["order"] = list(declaration["properties"])
    spec = model.get(f"{{{ENTITIES_NS}}}entities-version") or ""
    return {"spec": spec, "lists": lists}


@dataclass
class EntityBlock:
    """One `meta/entity` element of a submission with the values its form saves to the list."""

    ordinal: int
    system: dict[str, str | None]
    label: str | None
    data: dict[str, str] = field(default_factory=dict)


def _containers(root: etree._Element, container: str) -> list[etree._Element]:
    """Every element at an absolute instance path (repeats give many), in document order."""
    parts = container.strip("/").split("/")
    if not parts or _local(root) != parts[0]:
        return []
    found = [root]
    for name in parts[1:]:
        found = [c for element in found for c in element if _local(c) == name]
    return found


def _find(element: etree._Element, relative: str) -> etree._Element | None:
    current: etree._Element | None = element
    for name in relative.split("/"):
        if current is None:
            return None
        current = next((c for c in current if _local(c) == name), None)
    return current


def entity_blocks(root: etree._Element, declarations: dict[str, Any] | None) -> list[EntityBlock]:
    """Pure: the entity blocks of a parsed submission, as Collect filled them (attributes as sent)."""
    blocks: list[EntityBlock] = []
    for declaration in (declarations or {}).get("lists", []):
        container_path: str = declaration["container"]
        relative_entity = declaration["entity"][len(container_path) + 1 :]
        for container in _containers(root, container_path):
            entity = _find(container, relative_entity)
            if entity is None:
                continue
            label_element = _find(entity, "label")
            data: dict[str, str] = {}
            for prop, relative in declaration["properties"].items():
                element = _find(container, relative)
                if element is not None:
                    data[prop] = element.text or ""
            blocks.append(
                EntityBlock(
                    ordinal=len(blocks) + 1,
                    system={a: entity.get(a) for a in _SYSTEM_ATTRIBUTES},
                    label=label_element.text if label_element is not None else None,
                    data=data,
                )
            )
    return blocks
