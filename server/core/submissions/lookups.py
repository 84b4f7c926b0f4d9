"""The form and form version a submission names, as plain data from the per-process lookup cache:
intake reads them on every request, and they change only when a form is published, opened or closed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.ground.cache import LookupCache
from server.core.models import Form, FormVersion


@dataclass(frozen=True)
class FormInfo:
    id: int
    project_id: int
    xml_form_id: str
    state: str


@dataclass(frozen=True)
class FormVersionInfo:
    id: int
    form_id: int
    version: str
    root: str | None  # the instance's root element name, from the field schema
    binary_paths: frozenset[str]  # paths of fields whose values name attachments


def _binary_paths(schema: dict[str, Any]) -> frozenset[str]:
    return frozenset(
        str(f["path"])
        for f in schema.get("fields") or []
        if isinstance(f, dict) and f.get("bind_type") == "binary" and f.get("path")
    )


def find_form(session: Session, cache: LookupCache, project_id: int, xml_form_id: str) -> FormInfo | None:
    def load(s: Session) -> FormInfo | None:
        form = s.scalar(
            select(Form).where(
                Form.project_id == project_id, Form.xml_form_id == xml_form_id, Form.deleted_at.is_(None)
            )
        )
        return None if form is None else FormInfo(form.id, form.project_id, form.xml_form_id, form.state)

    return cache.get(session, ("form", project_id, xml_form_id), load)


def find_form_version(session: Session, cache: LookupCache, form_id: int, version: str) -> FormVersionInfo | None:
    def load(s: Session) -> FormVersionInfo | None:
        fv = s.scalar(
            select(FormVersion).where(
                FormVersion.form_id == form_id, FormVersion.version == version, FormVersion.draft_token.is_(None)
            )
        )
        if fv is None:
            return None
        schema = fv.field_schema or {}
        root = schema.get("root")
        return FormVersionInfo(fv.id, fv.form_id, fv.version, str(root) if root else None, _binary_paths(schema))

    return cache.get(session, ("form_version", form_id, version), load)


def field_schema(session: Session, cache: LookupCache, form_version_id: int) -> dict[str, Any] | None:
    """A form version's field schema (versions are immutable once published): processing's lookup.
    The dict is shared: callers must not change it."""

    def load(s: Session) -> dict[str, Any] | None:
        return s.scalar(select(FormVersion.field_schema).where(FormVersion.id == form_version_id))

    return cache.get(session, ("field_schema", form_version_id), load)
