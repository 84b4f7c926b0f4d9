"""ODK Central's `…/submissions.csv.zip` and `…/submissions.csv`: the exports' CSV tables (same
writer, same rows, same area limit and masking) in Central's column layout, with Central's options
(attachments, groupPaths, splitSelectMultiples, deletedFields, $filter), streamed as they are built."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, true
from sqlalchemy.orm import Session

from exports.columns import Column, Table, plan_tables
from exports.csvzip import iter_csv, iter_csv_zip
from exports.options import ExportOptions
from server.core.accounts import permissions
from server.core.exports import access, jobs, rows
from server.core.exports.rows import RowFilter, SessionFactory
from server.core.forms import masking
from server.core.ground.errors import NotFound
from server.core.ground.storage import BlobStore
from server.core.models import Form, User
from server.core.odata import filters
from server.core.odata.errors import ODataQueryError
from server.core.odata.model import build_model


@dataclass
class CsvDownload:
    filename: str
    media_type: str
    body: Iterator[bytes]


def _flag(params: Mapping[str, str], name: str, default: bool) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ODataQueryError(name, raw[:40], "it must be true or false")


def central_tables(schema: Mapping[str, Any], options: ExportOptions) -> list[Table]:
    """plan_tables with Central's Status column (always empty here: Chumchon has no encrypted
    submissions) between AttachmentsExpected and ReviewState."""
    tables = plan_tables(schema, options=options)
    main = tables[0]
    at = next(i for i, c in enumerate(main.columns) if c.system == "AttachmentsExpected") + 1
    main.columns.insert(at, Column("Status", system="Status", name="Status"))
    return tables


def _media(
    sessions: SessionFactory, blobs: BlobStore, flt: RowFilter, schema: Mapping[str, Any]
) -> Iterator[tuple[str, Iterable[bytes]]]:
    for item in rows.media_files(sessions, flt, dict(schema)):
        if item.sha256:
            yield item.name, blobs.iter_chunks(item.sha256)


def csv_download(
    session: Session,
    sessions: SessionFactory,
    blobs: BlobStore,
    user: User,
    form: Form,
    params: Mapping[str, str],
    *,
    zipped: bool,
) -> CsvDownload:
    """Check the request (Forbidden, NotFound, 400 for a bad option or $filter) and return the file
    to stream. Central's defaults: attachments=true, groupPaths=true, splitSelectMultiples=false,
    deletedFields=false."""
    permissions.require(session, user, "submission.read", form.project_id)
    if form.current_version is None:
        raise NotFound(f"ยังไม่ได้เผยแพร่แบบฟอร์ม {form.xml_form_id} / Form {form.xml_form_id!r} is not published.")
    options = ExportOptions(
        group_names=_flag(params, "groupPaths", True),
        multiple="split" if _flag(params, "splitSelectMultiples", False) else "one",
        all_versions=_flag(params, "deletedFields", False),
    )
    attachments = _flag(params, "attachments", True)
    schema = jobs.export_schema(session, form, options)
    view = access.creator_view(session, user.id, form)
    scope = view.scope if view.scope is not None else true()
    if params.get("$filter"):
        model = build_model(schema, form.xml_form_id)
        scope = and_(scope, filters.parse_filter(params["$filter"], model, session.get_bind().dialect.name))
    flt = RowFilter(form.id, scope=scope)
    masks = masking.sensitive_paths(schema) if view.masked else frozenset()
    main = access.masked(rows.main_rows(sessions, flt), masks)
    tables = central_tables(schema, options)
    if not zipped:
        body = iter_csv(tables[0], main, options)
        return CsvDownload(f"{form.xml_form_id}.csv", "text/csv; charset=utf-8", body)
    files = _media(sessions, blobs, flt, schema) if attachments else ()
    zip_body = iter_csv_zip(
        tables,
        main,
        lambda path: access.masked(rows.repeat_rows(sessions, flt, path), masks),
        options,
        media=files,
    )
    return CsvDownload(f"{form.xml_form_id}.zip", "application/zip", zip_body)
