"""JSON API for form drafts, as ODK Central: …/forms/ID/draft (new from an upload or from the published
version, read, delete), its XForm, fields and media, and …/draft/publish?version=."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request

from server.core.accounts import permissions
from server.core.forms import drafts, form_media
from server.core.models import Form, FormVersion, User
from server.web.api.forms import converted_upload, declared_type, is_true, media_file, stored
from server.web.api.shapes import fields_json, form_attachment_json, form_json
from server.web.auth import api_user
from server.web.context import db, services

bp = Blueprint("api_drafts", __name__, url_prefix="/v1/projects/<int:project_id>/forms/<xml_form_id>/draft")


def _form(project_id: int, xml_form_id: str) -> tuple[User, Form]:
    """Drafts are for those who may update the project's forms (403 before 404)."""
    user = api_user()
    permissions.require(db(), user, "form.update", project_id)
    return user, drafts.any_form(db(), project_id, xml_form_id)


def _draft(project_id: int, xml_form_id: str) -> tuple[User, Form, FormVersion]:
    user, form = _form(project_id, xml_form_id)
    return user, form, drafts.draft_of(db(), form)


def _has_body() -> bool:
    return bool(request.content_length) or request.headers.get("Transfer-Encoding", "").lower() == "chunked"


@bp.post("")
def new_draft(project_id: int, xml_form_id: str) -> Response:
    """A body (XLSForm or XForm) makes the draft from it; an empty body copies the published version."""
    user, form = _form(project_id, xml_form_id)
    body = request.get_data(cache=True) if _has_body() else b""
    if body:
        converted, data, filename = converted_upload()
        stored(lambda: drafts.new_draft(db(), services().blobs, form, converted, data, filename, user_id=user.id))
    else:
        stored(lambda: drafts.new_draft(db(), services().blobs, form, None, b"", "", user_id=user.id))
    return jsonify({"success": True})


@bp.get("")
def get_draft(project_id: int, xml_form_id: str) -> Response:
    user, form, draft = _draft(project_id, xml_form_id)
    return jsonify(form_json(form, draft, user))


@bp.delete("")
def delete_draft(project_id: int, xml_form_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    drafts.delete_draft(db(), form, user_id=user.id)
    db().commit()
    return jsonify({"success": True})


@bp.post("/publish")
def publish(project_id: int, xml_form_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    version = request.args.get("version")
    stored(
        lambda: drafts.publish_draft(
            db(), services().blobs, form, version=version if version else None, user_id=user.id
        )
    )
    return jsonify({"success": True})


@bp.get("/fields")
def draft_fields(project_id: int, xml_form_id: str) -> Response:
    _user, _form_row, draft = _draft(project_id, xml_form_id)
    return jsonify(fields_json(draft.field_schema, odata=is_true("odata")))


@bp.get("/attachments")
def list_attachments(project_id: int, xml_form_id: str) -> Response:
    _user, _form_row, draft = _draft(project_id, xml_form_id)
    return jsonify([form_attachment_json(m) for m in draft.media])


@bp.get("/attachments/<name>")
def get_attachment(project_id: int, xml_form_id: str, name: str) -> Response:
    _user, _form_row, draft = _draft(project_id, xml_form_id)
    return media_file(draft, name)


@bp.post("/attachments/<name>")
def upload_attachment(project_id: int, xml_form_id: str, name: str) -> Response:
    """The file as the raw body (pyodk streams it chunked); answers the attachment, as Central ≥ 2025.1."""
    user, _form_row, draft = _draft(project_id, xml_form_id)
    media = stored(
        lambda: form_media.attach_media(
            db(), services().blobs, draft, name, request.get_data(), declared_type(), user_id=user.id
        )
    )
    return jsonify(form_attachment_json(media))


@bp.delete("/attachments/<name>")
def clear_attachment(project_id: int, xml_form_id: str, name: str) -> Response:
    user, _form_row, draft = _draft(project_id, xml_form_id)
    form_media.clear_media(db(), draft, name, user_id=user.id)
    db().commit()
    return jsonify({"success": True})


def draft_xml(project_id: int, xml_form_id: str) -> Response:
    _user, _form_row, draft = _draft(project_id, xml_form_id)
    return Response(services().blobs.read_bytes(draft.xform_sha256), content_type="application/xml")


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    # …/forms/ID/draft.xml sits beside the draft's prefix, not under it.
    app.add_url_rule(
        "/v1/projects/<int:project_id>/forms/<xml_form_id>/draft.xml", "api_drafts.draft_xml", draft_xml
    )

