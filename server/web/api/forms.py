"""JSON API for forms: publish XLSForms, list, open/close, versions, fields and media (shaped after
ODK Central's /v1/projects/<id>/forms so pyodk-style clients feel at home)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from server.core.accounts import permissions, projects
from server.core.forms import form_media, publishing
from server.core.forms.schema import data_fields
from server.core.ground.errors import BadRequest
from server.core.models import Form, FormMedia, FormVersion
from server.web.api.common import Field, checked_body, iso
from server.web.auth import api_user
from server.web.context import db, services

bp = Blueprint("api_forms", __name__, url_prefix="/v1/projects/<int:project_id>/forms")

# Raw-body uploads name their format only by Content-Type (as pyodk sends them).
_SUFFIX_BY_TYPE = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
    "application/vnd.ms-excel": ".xls",
    "text/csv": ".csv",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
}
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "application/x-www-form-urlencoded"})


def form_json(form: Form, *, with_fields: bool = False) -> dict[str, Any]:
    version = publishing.current_version(form)
    body: dict[str, Any] = {
        "projectId": form.project_id,
        "xmlFormId": form.xml_form_id,
        "name": version.title,
        "version": version.version,
        "hash": version.xform_md5,
        "state": form.state,
        "enketoId": None,
        "keyId": None,
        "createdAt": iso(form.created_at),
        "updatedAt": iso(form.updated_at),
        "publishedAt": iso(version.published_at),
        "warnings": list(version.warnings),
        "attachments": {
            "expected": len(version.media),
            "present": len(form_media.media_with_content(version)),
        },
    }
    if with_fields:
        body["fields"] = [
            {"path": f["path"], "type": f["type"], "sensitive": f["sensitive"]}
            for f in data_fields(version.field_schema)
        ]
    return body


def version_json(version: FormVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "name": version.title,
        "hash": version.xform_md5,
        "sourceFilename": version.source_filename,
        "publishedAt": iso(version.published_at),
        "publishedBy": version.published_by_id,
        "warnings": list(version.warnings),
    }


def attachment_json(media: FormMedia) -> dict[str, Any]:
    return {
        "name": media.name,
        "type": media.media_type,
        "exists": media.blob_sha256 is not None,
        "blobExists": media.blob_sha256 is not None,
        "datasetExists": False,
        "hash": media.md5,
        "updatedAt": iso(media.updated_at) if media.blob_sha256 else None,
    }


def _uploaded_xlsform() -> tuple[bytes, str, str | None]:
    """(bytes, filename, form id fallback) from a multipart 'file' field or a raw body."""
    fallback = request.headers.get("X-XlsForm-FormId-Fallback", "").strip() or None
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest("ต้องส่งไฟล์ในช่อง file / Send the XLSForm in the multipart field 'file'.")
        return upload.read(), upload.filename or "", fallback
    named = request.args.get("filename", "").strip()
    if named:
        return request.get_data(), PurePath(named).name, fallback
    mimetype = request.mimetype.lower()
    if mimetype in ("application/xml", "text/xml"):
        raise BadRequest("รับเฉพาะไฟล์ XLSForm / Upload the XLSForm (.xlsx, .xls, .csv, .md), not XForm XML.")
    suffix = _SUFFIX_BY_TYPE.get(mimetype)
    if suffix is None:
        raise BadRequest(
            "ไม่ทราบชนิดไฟล์ / Unknown file type: send multipart field 'file', ?filename=, or a Content-Type"
            f" of an XLSForm (xlsx, xls, csv, markdown); got {mimetype or 'none'!r}."
        )
    # No real file name: only the header may supply a fallback id, never our made-up name.
    return request.get_data(), f"upload{suffix}", fallback or ""


@bp.get("")
def list_forms(project_id: int) -> Response:
    user = api_user()
    permissions.require(db(), user, "form.read", project_id)
    projects.get_project(db(), project_id)
    return jsonify([form_json(f) for f in publishing.list_forms(db(), project_id)])


@bp.post("")
def publish(project_id: int) -> Response:
    user = api_user()
    permissions.require(db(), user, "form.create", project_id)
    data, filename, fallback = _uploaded_xlsform()
    blobs = services().blobs
    with blobs.journal() as created:
        try:
            version = publishing.publish_form(
                db(), blobs, project_id, data, filename, user_id=user.id, form_id_fallback=fallback
            )
            db().commit()
        except BaseException:
            db().rollback()  # then remove what this attempt wrote that nothing committed refers to
            publishing.discard_unreferenced_blobs(db(), blobs, created)
            raise
    return jsonify(form_json(version.form, with_fields=True))


@bp.get("/<xml_form_id>")
def get_form(project_id: int, xml_form_id: str) -> Response:
    user = api_user()
    permissions.require(db(), user, "form.read", project_id)
    return jsonify(form_json(publishing.get_form(db(), project_id, xml_form_id), with_fields=True))


@bp.patch("/<xml_form_id>")
def update_form(project_id: int, xml_form_id: str) -> Response:
    user = api_user()
    permissions.require(db(), user, "form.update", project_id)
    body = checked_body({"state": Field((str,), max_length=32)})
    if "state" not in body:
        raise BadRequest('ต้องระบุ state / Send {"state": "open"} or {"state": "closed"}.')
    form = publishing.set_form_state(
        db(), publishing.get_form(db(), project_id, xml_form_id), body["state"], user_id=user.id
    )
    db().commit()
    return jsonify(form_json(form))


@bp.get("/<xml_form_id>.xml")
def form_xml(project_id: int, xml_form_id: str) -> Response:
    user = api_user()
    permissions.require(db(), user, "form.read", project_id)
    version = publishing.current_version(publishing.get_form(db(), project_id, xml_form_id))
    return Response(services().blobs.read_bytes(version.xform_sha256), content_type="application/xml")


@bp.get("/<xml_form_id>/versions")
def list_versions(project_id: int, xml_form_id: str) -> Response:
    user = api_user()
    permissions.require(db(), user, "form.read", project_id)
    form = publishing.get_form(db(), project_id, xml_form_id)
    return jsonify([version_json(v) for v in reversed(form.versions)])


@bp.get("/<xml_form_id>/fields")
def list_fields(project_id: int, xml_form_id: str) -> Response:
    user = api_user()
    permissions.require(db(), user, "form.read", project_id)
    schema = publishing.current_version(publishing.get_form(db(), project_id, xml_form_id)).field_schema
    # Central's keys (binary, selectMultiple) beside ours, so its clients can read the list too.
    return jsonify(
        [
            {**f, "binary": f["bind_type"] == "binary", "selectMultiple": f["type"] == "select_multiple"}
            for f in schema["fields"]
        ]
    )


@bp.get("/<xml_form_id>/attachments")
def list_attachments(project_id: int, xml_form_id: str) -> Response:
    user = api_user()
    permissions.require(db(), user, "form.read", project_id)
    version = publishing.current_version(publishing.get_form(db(), project_id, xml_form_id))
    return jsonify([attachment_json(m) for m in version.media])


@bp.post("/<xml_form_id>/attachments/<name>")
def upload_attachment(project_id: int, xml_form_id: str, name: str) -> Response:
    user = api_user()
    permissions.require(db(), user, "form.update", project_id)
    version = publishing.current_version(publishing.get_form(db(), project_id, xml_form_id))
    # Generic types say nothing about the file; the name's extension says more.
    declared = request.mimetype if request.mimetype not in _GENERIC_TYPES else None
    media = form_media.attach_media(
        db(), services().blobs, version, name, request.get_data(), declared, user_id=user.id
    )
    db().commit()
    return jsonify(attachment_json(media))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
