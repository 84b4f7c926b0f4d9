"""A form's field schema seen as OData: the entity sets (Submissions and one per repeat, named as ODK
Central names them, e.g. `Submissions.members.visits`), their properties with OData-safe names, the
service document and the EDMX `$metadata` document."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import quoteattr

from exports.columns import value_kind

SUBMISSIONS = "Submissions"
FQDN_ROOT = "org.opendatakit.user"
# What a value kind is in OData (anything else is Edm.String: text, choices, times, file names).
EDM_TYPES = {
    "int": "Edm.Int64",
    "decimal": "Edm.Decimal",
    "geopoint": "Edm.GeographyPoint",
    "geotrace": "Edm.GeographyLineString",
    "geoshape": "Edm.GeographyPolygon",
    "date": "Edm.Date",
    "dateTime": "Edm.DateTimeOffset",
}
SYSTEM_FIELDS = (
    "submissionDate",
    "updatedAt",
    "submitterId",
    "submitterName",
    "attachmentsPresent",
    "attachmentsExpected",
    "status",
    "reviewState",
    "deviceId",
    "edits",
    "formVersion",
)
_SKIPPED = frozenset({"note"})


def odata_name(name: str) -> str:
    """An OData identifier as Central makes one: a leading non-letter gets "_" before it, and every
    character outside [A-Za-z0-9_] becomes "_"."""
    name = re.sub(r"^([^A-Za-z_])", r"_\1", name)
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


@dataclass
class Node:
    """One property of an entity or complex type: a value, a group (nested object) or a repeat
    (navigation to its own entity set)."""

    name: str  # OData name
    path: str  # field path in the schema, e.g. /data/household/house_no
    kind: str  # "group", "repeat" or a value kind (int, decimal, geopoint, text …)
    children: list[Node] = field(default_factory=list)


@dataclass
class Table:
    """An entity set: Submissions, or the rows of one repeat (parent_key names its parent's id)."""

    name: str  # "Submissions" or "Submissions.members.visits"
    repeat_path: str | None
    parent_repeat: str | None  # the enclosing repeat's path (None: the submission)
    parent_key: str | None  # "__Submissions-id", "__Submissions-members-id"; None for Submissions
    nodes: list[Node] = field(default_factory=list)


@dataclass
class FormModel:
    xml_form_id: str
    root: str  # "/data"
    tables: dict[str, Table]  # by entity set name, Submissions first
    by_repeat: dict[str, Table]  # repeat path -> its table

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)


def _relative_parts(path: str, root: str) -> list[str]:
    return [odata_name(p) for p in path[len(root) + 1 :].split("/")]


def build_model(schema: Mapping[str, Any], xml_form_id: str) -> FormModel:
    root = "/" + str(schema.get("root") or "data")
    children: dict[str, list[dict[str, Any]]] = {}
    for spec in schema.get("fields") or []:
        if spec.get("type") in _SKIPPED or "path" not in spec:
            continue
        parent = str(spec["path"]).rsplit("/", 1)[0]
        children.setdefault(parent, []).append(spec)
    main = Table(SUBMISSIONS, None, None, None)
    tables = {SUBMISSIONS: main}
    by_repeat: dict[str, Table] = {}

    def nodes_under(path: str, repeat: Table) -> list[Node]:
        out: list[Node] = []
        for spec in children.get(path, []):
            kind = str(spec.get("type"))
            node_kind = kind if kind in ("group", "repeat") else value_kind(spec)
            node = Node(odata_name(str(spec["name"])), str(spec["path"]), node_kind)
            if kind == "repeat":
                parts = _relative_parts(node.path, root)
                parent_parts = _relative_parts(repeat.repeat_path, root) if repeat.repeat_path else []
                table = Table(
                    ".".join([SUBMISSIONS, *parts]),
                    node.path,
                    repeat.repeat_path,
                    "__" + "-".join([SUBMISSIONS, *parent_parts]) + "-id",
                )
                tables[table.name] = table
                by_repeat[node.path] = table
                table.nodes = nodes_under(node.path, table)
            elif kind == "group":
                node.children = nodes_under(node.path, repeat)
            out.append(node)
        return out

    main.nodes = nodes_under(root, main)
    return FormModel(xml_form_id, root, tables, by_repeat)


def service_document(model: FormModel, service_url: str) -> dict[str, Any]:
    return {
        "@odata.context": f"{service_url}/$metadata",
        "value": [{"name": name, "kind": "EntitySet", "url": name} for name in model.tables],
    }


def _type_name(model: FormModel, path: str) -> str:
    return ".".join(_relative_parts(path, model.root))


def _properties(model: FormModel, fqdn: str, nodes: list[Node], complex_types: list[str]) -> list[str]:
    lines: list[str] = []
    for node in nodes:
        if node.kind == "repeat":
            target = f"{fqdn}.{SUBMISSIONS}.{_type_name(model, node.path)}"
            lines.append(f'<NavigationProperty Name="{node.name}" Type="Collection({target})"/>')
        elif node.kind == "group":
            type_name = _type_name(model, node.path)
            lines.append(f'<Property Name="{node.name}" Type="{fqdn}.{type_name}"/>')
            inner = _properties(model, fqdn, node.children, complex_types)
            complex_types.append(f'<ComplexType Name="{type_name}">{"".join(inner)}</ComplexType>')
        else:
            lines.append(f'<Property Name="{node.name}" Type="{EDM_TYPES.get(node.kind, "Edm.String")}"/>')
    return lines


_SUBMISSION_NS = (
    '<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="org.opendatakit.submission">'
    '<ComplexType Name="metadata">'
    '<Property Name="submissionDate" Type="Edm.DateTimeOffset"/>'
    '<Property Name="updatedAt" Type="Edm.DateTimeOffset"/>'
    '<Property Name="deletedAt" Type="Edm.DateTimeOffset"/>'
    '<Property Name="submitterId" Type="Edm.String"/>'
    '<Property Name="submitterName" Type="Edm.String"/>'
    '<Property Name="attachmentsPresent" Type="Edm.Int64"/>'
    '<Property Name="attachmentsExpected" Type="Edm.Int64"/>'
    '<Property Name="status" Type="org.opendatakit.submission.Status"/>'
    '<Property Name="reviewState" Type="org.opendatakit.submission.ReviewState"/>'
    '<Property Name="deviceId" Type="Edm.String"/>'
    '<Property Name="edits" Type="Edm.Int64"/>'
    '<Property Name="formVersion" Type="Edm.String"/>'
    "</ComplexType>"
    '<EnumType Name="Status"><Member Name="notDecrypted"/><Member Name="missingEncryptedFormData"/></EnumType>'
    '<EnumType Name="ReviewState"><Member Name="hasIssues"/><Member Name="edited"/>'
    '<Member Name="rejected"/><Member Name="approved"/></EnumType>'
    "</Schema>"
)
# What the feed supports, told the way Excel's and Power BI's connectors read it (as Central does).
_CAPABILITIES = (
    '<Annotation Term="Org.OData.Capabilities.V1.ConformanceLevel" '
    'EnumMember="Org.OData.Capabilities.V1.ConformanceLevelType/Minimal"/>'
    '<Annotation Term="Org.OData.Capabilities.V1.BatchSupported" Bool="false"/>'
    '<Annotation Term="Org.OData.Capabilities.V1.CountRestrictions">'
    '<Record><PropertyValue Property="Countable" Bool="true"/></Record></Annotation>'
    '<Annotation Term="Org.OData.Capabilities.V1.SortRestrictions">'
    '<Record><PropertyValue Property="Sortable" Bool="false"/></Record></Annotation>'
    '<Annotation Term="Org.OData.Capabilities.V1.ExpandRestrictions">'
    '<Record><PropertyValue Property="Expandable" Bool="false"/></Record></Annotation>'
)


def edmx(model: FormModel) -> str:
    """The $metadata document (CSDL XML) of a form."""
    fqdn = f"{FQDN_ROOT}.{odata_name(model.xml_form_id)}"
    complex_types: list[str] = []
    entity_types: list[str] = []
    sets: list[str] = []
    for table in model.tables.values():
        head = ['<Key><PropertyRef Name="__id"/></Key>', '<Property Name="__id" Type="Edm.String"/>']
        if table.parent_key is None:
            head.append('<Property Name="__system" Type="org.opendatakit.submission.metadata"/>')
        else:
            head.append(f'<Property Name="{table.parent_key}" Type="Edm.String"/>')
        body = _properties(model, fqdn, table.nodes, complex_types)
        entity_types.append(f'<EntityType Name="{table.name}">{"".join(head + body)}</EntityType>')
        annotations = _CAPABILITIES if table.parent_key is None else ""
        sets.append(f'<EntitySet Name="{table.name}" EntityType="{fqdn}.{table.name}">{annotations}</EntitySet>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">'
        f"<edmx:DataServices>{_SUBMISSION_NS}"
        f'<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="{fqdn}">'
        f"{''.join(entity_types)}{''.join(complex_types)}"
        f"<EntityContainer Name={quoteattr(model.xml_form_id)}>{''.join(sets)}</EntityContainer>"
        "</Schema></edmx:DataServices></edmx:Edmx>"
    )
