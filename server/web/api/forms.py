"""JSON API for forms, in ODK Central's shapes (/v1/projects/<id>/forms): create from an XLSForm or an
XForm (live, or as a draft with ?publish=false), list, open/close, versions, fields and media."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import Any, TypeVar
from urllib.parse import unquote

from flask import Blueprint, Flask, Response, jsonify, request, send_file

from server.core.accounts import permissions, projects
from server.core.forms import drafts, form_media, publishing, trash
from server.core.forms.schema import data_fields
from server.core.forms.xform_upload import XML_TYPES, convert_upload
from server.core.forms.xlsform import ConvertedForm
from server.core.ground.errors import BadRequest, FormWarnings, NotFound
from server.core.models import Form, FormVersion, User
from server.web.api.common import Field, checked_body, iso
from server.web.api.shapes import fields_json, form_attachment_json, form_json, version_json
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
    **{t: ".xml" for t in XML_TYPES},
}
GENERIC_TYPES = frozenset({"", "application/octet-stream", "application/x-www-form-urlencoded"})
T = TypeVar("T")


def is_true(name: str) -> bool:
    return request.args.get(name, "").strip().lower() == "true"


def is_false(name: str) -> bool:
    return request.args.get(name, "").strip().lower() == "false"


def uploaded_definition() -> tuple[bytes, str, str | None]:
    """(bytes, filename, form id fallback) from a multipart 'file' field or a raw body (XLSForm or XForm)."""
    fallback = request.headers.get("X-XlsForm-FormId-Fallback", "").strip() or None
    if fallback is not None:
        fallback = unquote(fallback)  # pyodk percent-encodes the header
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest("ต้องส่งไฟล์ในช่อง file / Send the form in the multipart field 'file'.")
        return upload.read(), upload.filename or "", fallback
    named = request.args.get("filename", "").strip()
    if named:
        return request.get_data(), PurePath(named).name, fallback
    mimetype = request.mimetype.lower()
    suffix = _SUFFIX_BY_TYPE.get(mimetype)
    if suffix is None:
        raise BadRequest(
            "ไม่ทราบชนิดไฟล์ / Unknown file type: send multipart field 'file', ?filename=, or a Content-Type"
            " of an XLSForm (xlsx, xls, csv, markdown) or of an XForm (application/xml);"
            f" got {mimetype or 'none'!r}.",
            field="Content-Type",
        )
    # No real file name: only the header may supply a fallback id, never our made-up name.
    return request.get_data(), f"upload{suffix}", fallback or ""


def converted_upload() -> tuple[ConvertedForm, bytes, str]:
    """The uploaded definition converted; XLSForm warnings refuse it unless ?ignoreWarnings=true."""
    data, filename, fallback = uploaded_definition()
    converted = convert_upload(data, filename, form_id_fallback=fallback)
    if converted.warnings and not is_true("ignoreWarnings"):
        raise FormWarnings(
            "แบบฟอร์มใช้ได้แต่มีคำเตือน ตรวจคำเตือนแล้วส่งใหม่พร้อม ?ignoreWarnings=true / The Form is valid, but"
            " with warnings. Please check the warnings and if they are acceptable resubmit with"
            " ?ignoreWarnings=true",
            warnings={"xlsFormWarnings": converted.warnings},
        )
    return converted, data, filename


def stored(action: Callable[[], T]) -> T:
    """Run a write that stores blobs and commit it; on failure roll back and remove the blobs it wrote
    that nothing committed refers to."""
    blobs = services().blobs
    with blobs.journal() as created:
        try:
            result = action()
            db().commit()
        except BaseException:
            db().rollback()
            publishing.discard_unreferenced_blobs(db(), blobs, created)
            raise
    return result


def readable_form(project_id: int, xml_form_id: str) -> tuple[User, Form]:
    """A form with its published version, or only a draft for those who may update forms (as Central)."""
    user = api_user()
    permissions.require(db(), user, "form.read", project_id)
    form = drafts.any_form(db(), project_id, xml_form_id)
    if form.current_version is None:
        permissions.require(db(), user, "form.update", project_id)
    return user, form


def shown_version(form: Form) -> FormVersion:
    """What Central calls the form's "any version": the published one first, else the draft."""
    return form.current_version or drafts.draft_of(db(), form)


def _chumchon_fields(version: FormVersion) -> list[dict[str, Any]]:
    return [
        {"path": f["path"], "type": f["type"], "sensitive": f["sensitive"]} for f in data_fields(version.field_schema)
    ]


@bp.get("")
def list_forms(project_id: int) -> Response:
    user = api_user()
    permissions.require(db(), user, "form.read", project_id)
    projects.get_project(db(), project_id)
    may_update = permissions.can(db(), user, "form.update", project_id)
    if is_true("deleted"):  # Central: ?deleted=true lists the forms in the trash instead
        permissions.require(db(), user, "form.restore", project_id)
        return jsonify([_deleted_form_json(f, user) for f in trash.deleted_forms(db(), project_id)])
    rows = drafts.list_all_forms(db(), project_id)
    return jsonify(
        [form_json(f, shown_version(f), user) for f in rows if f.current_version is not None or may_update]
    )


def _deleted_form_json(form: Form, user: User) -> dict[str, Any]:
    version = form.current_version or drafts.find_draft(db(), form)
    body = form_json(form, version, user) if version is not None else {"xmlFormId": form.xml_form_id}
    body.update(id=form.id, deletedAt=iso(form.deleted_at))
    return body


@bp.delete("/<xml_form_id>")
def delete_form(project_id: int, xml_form_id: str) -> Response:
    """Central's form delete: into the trash (restore with POST …/forms/NUMERIC_ID/restore)."""
    user = api_user()
    permissions.require(db(), user, "form.delete", project_id)
    form = drafts.any_form(db(), project_id, xml_form_id)
    trash.delete_form(db(), form, user_id=user.id)
    db().commit()
    return jsonify({"success": True})


@bp.post("/<int:form_id>/restore")
def restore_form(project_id: int, form_id: int) -> Response:
    user = api_user()
    permissions.require(db(), user, "form.restore", project_id)
    trash.restore_form(db(), project_id, form_id, user_id=user.id)
    db().commit()
    return jsonify({"success": True})


@bp.post("")
def create_form(project_id: int) -> Response:
    """?publish=false makes a draft (Central); ?publish=true, or no publish parameter, publishes at once
    (an existing form ID then gets a new version, as Chumchon always did)."""
    user = api_user()
    permissions.require(db(), user, "form.create", project_id)
    converted, data, filename = converted_upload()
    if is_false("publish"):
        version = stored(
            lambda: drafts.create_form_as_draft(
                db(), services().blobs, project_id, converted, data, filename, user_id=user.id
            )
        )
    else:
        version = stored(
            lambda: publishing.publish_form(
                db(), services().blobs, project_id, data, filename, user_id=user.id, converted=converted
            )
        )
    body = form_json(version.form, version, user)
    body["fields"] = _chumchon_fields(version)
    return jsonify(body)


@bp.get("/<xml_form_id>")
def get_form(project_id: int, xml_form_id: str) -> Response:
    user, form = readable_form(project_id, xml_form_id)
    version = shown_version(form)
    body = form_json(form, version, user)
    body["fields"] = _chumchon_fields(version)
    return jsonify(body)


@bp.patch("/<xml_form_id>")
def update_form(project_id: int, xml_form_id: str) -> Response:
    user = api_user()
    permissions.require(db(), user, "form.update", project_id)
    body = checked_body({"state": Field((str,), max_length=32)})
    if "state" not in body:
        raise BadRequest('ต้องระบุ state / Send {"state": "open"} or {"state": "closed"}.', field="state")
    form = drafts.any_form(db(), project_id, xml_form_id)
    publishing.set_form_state(db(), form, body["state"], user_id=user.id)
    db().commit()
    return jsonify(form_json(form, shown_version(form), user))


def _xml(version: FormVersion) -> Response:
    return Response(services().blobs.read_bytes(version.xform_sha256), content_type="application/xml")


@bp.get("/<xml_form_id>.xml")
def form_xml(project_id: int, xml_form_id: str) -> Response:
    _user, form = readable_form(project_id, xml_form_id)
    return _xml(shown_version(form))


def published_version(form: Form, version: str) -> FormVersion:
    found = next((v for v in publishing.published_versions(form) if v.version == version), None)
    if found is None:
        raise NotFound(f"ไม่พบรุ่น {version} / Form version {version!r} not found.", version=version)
    return found


@bp.get("/<xml_form_id>/versions")
def list_versions(project_id: int, xml_form_id: str) -> Response:
    _user, form = readable_form(project_id, xml_form_id)
    return jsonify([version_json(form, v) for v in reversed(publishing.published_versions(form))])


@bp.get("/<xml_form_id>/versions/<version>")
def get_version(project_id: int, xml_form_id: str, version: str) -> Response:
    _user, form = readable_form(project_id, xml_form_id)
    return jsonify(version_json(form, published_version(form, version)))


@bp.get("/<xml_form_id>/versions/<version>.xml")
def version_xml(project_id: int, xml_form_id: str, version: str) -> Response:
    _user, form = readable_form(project_id, xml_form_id)
    return _xml(published_version(form, version))


@bp.get("/<xml_form_id>/versions/<version>/fields")
def version_fields(project_id: int, xml_form_id: str, version: str) -> Response:
    _user, form = readable_form(project_id, xml_form_id)
    return jsonify(fields_json(published_version(form, version).field_schema, odata=is_true("odata")))


@bp.get("/<xml_form_id>/versions/<version>/attachments")
def version_attachments(project_id: int, xml_form_id: str, version: str) -> Response:
    _user, form = readable_form(project_id, xml_form_id)
    return jsonify([form_attachment_json(m) for m in published_version(form, version).media])


@bp.get("/<xml_form_id>/versions/<version>/attachments/<name>")
def version_attachment(project_id: int, xml_form_id: str, version: str, name: str) -> Response:
    _user, form = readable_form(project_id, xml_form_id)
    return media_file(published_version(form, version), name)


@bp.get("/<xml_form_id>/fields")
def list_fields(project_id: int, xml_form_id: str) -> Response:
    _user, form = readable_form(project_id, xml_form_id)
    return jsonify(fields_json(shown_version(form).field_schema, odata=is_true("odata")))


@bp.get("/<xml_form_id>/attachments")
def list_attachments(project_id: int, xml_form_id: str) -> Response:
    _user, form = readable_form(project_id, xml_form_id)
    return jsonify([form_attachment_json(m) for m in shown_version(form).media])


def media_file(version: FormVersion, name: str) -> Response:
    media = form_media.get_media_file(version, name)
    return send_file(
        services().blobs.path(media.blob_sha256 or ""),
        mimetype=media.content_type or form_media.content_type_for(name),
        as_attachment=True,
        download_name=media.name,
        etag=media.md5 or False,
    )


@bp.get("/<xml_form_id>/attachments/<name>")
def get_attachment(project_id: int, xml_form_id: str, name: str) -> Response:
    _user, form = readable_form(project_id, xml_form_id)
    return media_file(shown_version(form), name)


def declared_type() -> str | None:
    # Generic types say nothing about the file; the name's extension says more.
    return request.mimetype if request.mimetype not in GENERIC_TYPES else None


@bp.post("/<xml_form_id>/attachments/<name>")
def upload_attachment(project_id: int, xml_form_id: str, name: str) -> Response:
    """Chumchon's extra: replace a media file of the published version in place (Central goes through
    a draft: …/draft/attachments/NAME, then …/draft/publish)."""
    user = api_user()
    permissions.require(db(), user, "form.update", project_id)
    version = publishing.current_version(publishing.get_form(db(), project_id, xml_form_id))
    media = form_media.attach_media(
        db(), services().blobs, version, name, request.get_data(), declared_type(), user_id=user.id
    )
    db().commit()
    return jsonify(form_attachment_json(media))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
