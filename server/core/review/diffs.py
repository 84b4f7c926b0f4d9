"""ODK Central's `…/submissions/ID/diffs`: what changed from each version of a submission to the next,
as {instanceID of the newer version: [{old?, new?, path}]}, the path a list of element names with
[repeat name, index] pairs. Repeat instances are compared by position (Central aligns them with a
Myers diff first, so a row inserted in the middle reads differently here)."""

from __future__ import annotations

import itertools
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.forms.masking import MASK, sensitive_paths
from server.core.ground.storage import BlobStore
from server.core.models import Form, FormVersion, SubmissionVersion, User
from server.core.review.access import visible_submission
from server.core.submissions.xmlsafe import parse_xml

Tree = dict[str, Any]
PathPart = str | list[str | int]


def _tree(element: Any, path: str, repeats: frozenset[str], masked: frozenset[str]) -> Tree:
    """Element children by local name: text for a leaf, a tree for a group, a list of trees for a repeat."""
    tree: Tree = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        name = etree.QName(child).localname
        child_path = f"{path}/{name}"
        if child_path in repeats:
            tree.setdefault(name, []).append(_tree(child, child_path, repeats, masked))
        elif len(child):
            tree[name] = _tree(child, child_path, repeats, masked)
        else:
            tree[name] = MASK if child_path in masked and (child.text or "") else (child.text or "")
    return tree


def _diff(a: Any, b: Any, path: list[PathPart], key: str | None) -> list[dict[str, Any]]:
    if isinstance(a, list) and isinstance(b, list):
        out: list[dict[str, Any]] = []
        for i in range(max(len(a), len(b))):
            at: list[PathPart] = [*path, [key or "", i]]
            if i >= len(a):
                out.append({"new": b[i], "path": at})
            elif i >= len(b):
                out.append({"old": a[i], "path": at})
            elif a[i] != b[i]:
                out.extend(_diff(a[i], b[i], at, None))
        return out
    here = [*path, key] if key is not None else path
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for name in [*a, *(k for k in b if k not in a)]:
            if name not in a:
                out.append({"new": b[name], "path": [*here, name]})
            elif name not in b:
                out.append({"old": a[name], "path": [*here, name]})
            elif a[name] != b[name]:
                if isinstance(a[name], dict | list) and type(a[name]) is type(b[name]):
                    out.extend(_diff(a[name], b[name], here, name))
                else:
                    out.append({"old": a[name], "new": b[name], "path": [*here, name]})
        return out
    return [{"old": a, "new": b, "path": here}]


def submission_diffs(
    session: Session, blobs: BlobStore, user: User | None, form: Form, instance_id: str
) -> dict[str, list[dict[str, Any]]]:
    """Each version's changes from the one before it (the first version has none).
    Sensitive answers are masked for those without submission.read_sensitive."""
    submission = visible_submission(session, user, form, instance_id)
    reveal = permissions.can(session, user, "submission.read_sensitive", form.project_id)
    rows = session.execute(
        select(SubmissionVersion, FormVersion.field_schema)
        .join(FormVersion, FormVersion.id == SubmissionVersion.form_version_id)
        .where(SubmissionVersion.submission_id == submission.id)
        .order_by(SubmissionVersion.id)
    ).all()
    trees: list[tuple[str, Tree]] = []
    for version, schema in rows:
        root = parse_xml(version.xml if version.xml is not None else blobs.read_bytes(version.xml_sha256))
        repeats = frozenset(str(r["path"]) for r in (schema or {}).get("repeats") or [])
        masked = frozenset() if reveal else sensitive_paths(schema or {})
        trees.append((version.instance_id, _tree(root, "/" + etree.QName(root).localname, repeats, masked)))
    return {newer_id: _diff(older, newer, [], None) for (_, older), (newer_id, newer) in itertools.pairwise(trees)}
