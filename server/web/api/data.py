"""JSON API for data: submissions (list, one with processed values, attachments) and exports
(start, status, download). Paths and shapes follow ODK Central's /v1 where Central has them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request, send_file

from server.core.accounts import permissions
from server.core.exports import access, formats, jobs
from server.core.forms import publishing
from server.core.ground.broker import BUILD_EXPORT
from server.core.ground.errors import BadRequest
from server.core.models import Export, Form, User
from server.core.review import listing, reading, trash
from server.core.submissions import queries
from server.web.api.common import iso, json_body, paging
from server.web.api.shapes import submission_json
from server.web.auth import api_user
from server.web.context import db, services
from server.web.downloads import content_disposition

bp = Blueprint("api_data", __name__, url_prefix="/v1")

_FORM = "/projects/<int:project_id>/forms/<xml_form_id>"


def _form(project_id: int, xml_form_id: str) -> tuple[User, Form]:
    """The caller and the form; the form's project must be visible to the caller (403 before 404,
    so another project's form names cannot be probed). Verbs and areas are checked by the core."""
    user = api_user()
    permissions.require(db(), user, "form.read", project_id)
    return user, publishing.get_form(db(), project_id, xml_form_id)


def export_json(export: Export, form: Form) -> dict[str, Any]:
    return {
        "id": export.id,
        "projectId": form.project_id,
        "xmlFormId": form.xml_form_id,
        "format": export.format,
        "options": export.options,
        "state": export.state,
        "progress": {
            "done": export.progress_done,
            "total": export.progress_total,
            "percent": round(100 * export.progress_done / export.progress_total, 1)
            if export.progress_total
            else (100.0 if export.state == "done" else 0.0),
        },
        "createdAt": iso(export.created_at),
        "startedAt": iso(export.started_at),
        "finishedAt": iso(export.finished_at),
        "filename": export.filename,
        "size": export.size,
        "error": export.error if export.state == "failed" else None,
        "warning": export.error if export.state != "failed" else None,
        "downloadUrl": f"/v1/exports/{export.id}/download" if export.state == "done" else None,
    }


_PAGING = ("limit", "offset", "cursor", "$top", "$skip")


def _all_rows(user: User, form: Form, filters: listing.SubmissionFilter) -> list[listing.SubmissionRow]:
    """Every matching submission, as Central's list returns them, read in keyset pages."""
    rows: list[listing.SubmissionRow] = []
    cursor: str | None = None
    while True:
        page = listing.list_page(
            db(), user, form, filters, cursor=cursor, limit=listing.MAX_LIMIT, with_values=False
        )
        rows.extend(page.rows)
        if page.next_cursor is None:
            return rows
        cursor = page.next_cursor


@bp.get(f"{_FORM}/submissions")
def list_submissions(project_id: int, xml_form_id: str) -> Response:
    """All of them, newest first, as Central. Filters (since, until, submitterId, reviewState, flag,
    province, district, subdistrict, village, q); with ?limit= (or ?cursor=, $top/$skip) one page of
    Chumchon's keyset paging instead: pass X-Next-Cursor back as ?cursor=."""
    user, form = _form(project_id, xml_form_id)
    filters = listing.filter_from_params(request.args.to_dict(flat=False))
    next_cursor: str | None = None
    if any(name in request.args for name in _PAGING):
        limit, offset = paging()
        page = listing.list_page(
            db(), user, form, filters, cursor=request.args.get("cursor"), limit=limit, offset=offset, with_values=False
        )
        rows, next_cursor = page.rows, page.next_cursor
    else:
        rows = _all_rows(user, form, filters)
    resp = jsonify([submission_json(queries.SubmissionItem(r.submission, r.version, r.form_version)) for r in rows])
    resp.headers["X-Total-Count"] = str(listing.count_submissions(db(), user, form, filters))
    if next_cursor:
        resp.headers["X-Next-Cursor"] = next_cursor
    return resp


@bp.get(f"{_FORM}/submissions/<instance_id>")
def get_submission(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    view = reading.read_submission(db(), user, form, instance_id)
    db().commit()  # keeps the audit event of an unmasked sensitive read
    detail = view.detail
    body = submission_json(detail.item)
    body.update(
        values=detail.values,
        repeats=detail.repeats,
        flags=detail.flags,
        attachments=detail.attachments,
        masked=view.masked,
    )
    return jsonify(body)


@bp.delete(f"{_FORM}/submissions/<instance_id>")
def delete_submission(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    """Central's soft delete: out of every list, export and feed until restored."""
    user, form = _form(project_id, xml_form_id)
    trash.delete_submission(db(), user, form, instance_id)
    db().commit()
    return jsonify({"success": True})


@bp.post(f"{_FORM}/submissions/<instance_id>/restore")
def restore_submission(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    trash.restore_submission(db(), user, form, instance_id)
    db().commit()
    return jsonify({"success": True})


@bp.get(f"{_FORM}/submissions/<instance_id>/attachments")
def list_attachments(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    return jsonify(reading.visible_attachments(db(), user, form, instance_id))


@bp.get(f"{_FORM}/submissions/<instance_id>/attachments/<path:name>")
def download_attachment(project_id: int, xml_form_id: str, instance_id: str, name: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    attachment = reading.readable_attachment(db(), user, form, instance_id, name)
    db().commit()
    # Streamed from whichever blob store is configured (disk or S3), never read whole into memory.
    resp = Response(
        services().blobs.iter_chunks(attachment.blob_sha256 or ""),
        mimetype=attachment.content_type or "application/octet-stream",
    )
    resp.headers["Content-Disposition"] = content_disposition(attachment.name)
    if attachment.size is not None:
        resp.content_length = attachment.size
    if attachment.blob_sha256:
        resp.set_etag(attachment.blob_sha256)
    return resp.make_conditional(request)


@bp.post(f"{_FORM}/exports")
def start_export(project_id: int, xml_form_id: str) -> tuple[Response, int]:
    user = api_user()
    permissions.require(db(), user, "export.create", project_id)
    form = publishing.get_form(db(), project_id, xml_form_id)
    body = json_body()
    fmt = body.get("format", "csv")
    if not isinstance(fmt, str):
        raise BadRequest("format ต้องเป็นข้อความ / 'format' must be a string.", formats=list(jobs.FORMATS))
    export = jobs.request_export(db(), form, fmt, body.get("options"), user)
    db().commit()
    if export.state == "queued":  # an identical earlier export's file comes back finished at once
        services().tasks.send(BUILD_EXPORT, export.id)  # after commit: the row is the outbox
    return jsonify(export_json(export, form)), 202


@bp.delete("/exports/<int:export_id>")
@bp.post("/exports/<int:export_id>/cancel")
def cancel_export(export_id: int) -> Response:
    user = api_user()
    export, form = access.readable_export(db(), user, export_id)  # another's export: 404 when area-limited
    permissions.require(db(), user, "export.create", form.project_id)
    jobs.cancel_export(db(), export, user)
    db().commit()
    return jsonify(export_json(export, form))


@bp.get("/exports/<int:export_id>")
def get_export(export_id: int) -> Response:
    export, form = access.readable_export(db(), api_user(), export_id)
    return jsonify(export_json(export, form))


@bp.get("/exports/<int:export_id>/download")
def download_export(export_id: int) -> Response:
    export, form = access.readable_export(db(), api_user(), export_id)
    path = jobs.export_file(export)
    return send_file(
        path,
        mimetype=formats.media_type(export),
        as_attachment=True,
        download_name=export.filename or f"{form.xml_form_id}.zip",
    )


def register(app: Flask) -> None:
    app.register_blueprint(bp)
