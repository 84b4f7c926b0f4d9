"""JSON API for sending and changing submissions, as ODK Central's REST: POST the XML (or multipart with
attachments), PUT an edit, upload or clear one attachment, and read the XML and older versions."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request, send_file
from sqlalchemy import select

from server.core.accounts import permissions
from server.core.forms import publishing
from server.core.ground.broker import PROCESS_PENDING
from server.core.ground.errors import BadRequest, Forbidden, NotFound
from server.core.models import Attachment, Form, SubmissionVersion, User
from server.core.review import diffs as review_diffs
from server.core.review import history
from server.core.review.access import visible_submission
from server.core.review.masking import sensitive_paths
from server.core.submissions import api_intake, queries
from server.core.submissions.intake import IncomingFile
from server.web.api.review import version_json
from server.web.api.shapes import submission_json
from server.web.auth import api_user
from server.web.context import db, services

bp = Blueprint("api_submitting", __name__, url_prefix="/v1/projects/<int:project_id>/forms/<xml_form_id>/submissions")

XML_PART = "xml_submission_file"
_XML_TYPES = frozenset({"application/xml", "text/xml"})
_GENERIC = frozenset({"", "application/octet-stream"})


def _form(project_id: int, xml_form_id: str) -> tuple[User, Form]:
    # 403 before 404 for another project's forms; verbs and areas are then checked by the core.
    user = api_user()
    permissions.require(db(), user, "form.read", project_id)
    return user, publishing.get_form(db(), project_id, xml_form_id)


def _body() -> tuple[bytes, list[IncomingFile]]:
    """The submission XML and any files: a raw XML body (Central), or multipart as Collect sends it."""
    if request.mimetype == "multipart/form-data":
        part = request.files.get(XML_PART)
        if part is None:
            raise BadRequest(f"ไม่พบ {XML_PART} / The multipart body has no {XML_PART} part.", field=XML_PART)
        files: list[IncomingFile] = [
            (storage.filename or name, storage.mimetype or None, storage.stream)
            for name, storage in request.files.items(multi=True)
            if name != XML_PART
        ]
        return part.stream.read(), files
    if request.mimetype not in _XML_TYPES and request.mimetype not in _GENERIC:
        raise BadRequest(
            "ต้องส่งข้อมูลเป็น XML (application/xml) / Send the submission XML as application/xml,"
            f" not {request.mimetype!r}.",
            field="Content-Type",
        )
    return request.get_data(), []


def _answer(user: User, form: Form, instance_id: str, enqueue: bool) -> Response:
    db().commit()
    if enqueue:  # after the commit: the row is the outbox, the message only a wake-up
        services().tasks.wake(PROCESS_PENDING)
    return jsonify(submission_json(queries.get_submission(db(), form, instance_id)))


@bp.post("")
def create(project_id: int, xml_form_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    xml, files = _body()
    submission, result = api_intake.create_submission(
        db(),
        services().blobs,
        form,
        xml,
        files,
        user=user,
        device_id=request.args.get("deviceID"),
        user_agent=request.headers.get("User-Agent"),
        cache=services().cache,
    )
    return _answer(user, form, submission.instance_id, result.enqueue)


@bp.put("/<instance_id>")
def edit(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    xml, _files = _body()
    submission, result = api_intake.edit_submission(
        db(),
        services().blobs,
        form,
        instance_id,
        xml,
        user=user,
        device_id=request.args.get("deviceID"),
        user_agent=request.headers.get("User-Agent"),
        cache=services().cache,
    )
    return _answer(user, form, submission.instance_id, result.enqueue)


@bp.get("/<instance_id>.xml")
def submission_xml(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    submission = visible_submission(db(), user, form, instance_id)
    version = db().get(SubmissionVersion, submission.current_version_id)
    assert version is not None
    return Response(api_intake.version_xml(services().blobs, version), content_type="application/xml")


def _declared_type() -> str | None:
    if request.mimetype and request.mimetype not in _GENERIC:
        return request.mimetype
    return None


@bp.post("/<instance_id>/attachments/<path:name>")
def upload_attachment(project_id: int, xml_form_id: str, instance_id: str, name: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    api_intake.upload_attachment(
        db(), services().blobs, form, instance_id, name, request.get_data(), _declared_type(), user=user
    )
    db().commit()
    return jsonify({"success": True})


@bp.delete("/<instance_id>/attachments/<path:name>")
def clear_attachment(project_id: int, xml_form_id: str, instance_id: str, name: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    api_intake.clear_attachment(db(), form, instance_id, name, user=user)
    db().commit()
    return jsonify({"success": True})


def _version(user: User, form: Form, instance_id: str, version_id: str) -> SubmissionVersion:
    submission = visible_submission(db(), user, form, instance_id)
    version = db().scalar(
        select(SubmissionVersion).where(
            SubmissionVersion.submission_id == submission.id, SubmissionVersion.instance_id == version_id
        )
    )
    if version is None:
        raise NotFound(f"ไม่พบฉบับ {version_id} / Version {version_id!r} not found.", instance_id=version_id)
    return version


@bp.get("/<instance_id>/diffs")
def diffs(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    """What each edit changed (Central's diffs): {newer instanceID: [{old, new, path}]}."""
    user, form = _form(project_id, xml_form_id)
    return jsonify(review_diffs.submission_diffs(db(), services().blobs, user, form, instance_id))


@bp.get("/<instance_id>/versions/<version_id>")
def get_version(project_id: int, xml_form_id: str, instance_id: str, version_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    _version(user, form, instance_id, version_id)
    entries = history.submission_versions(db(), user, form, instance_id)
    db().commit()  # keeps the audit event of changed sensitive answers shown unmasked
    return jsonify(next(version_json(e) for e in entries if e.version.instance_id == version_id))


@bp.get("/<instance_id>/versions/<version_id>.xml")
def get_version_xml(project_id: int, xml_form_id: str, instance_id: str, version_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    version = _version(user, form, instance_id, version_id)
    return Response(api_intake.version_xml(services().blobs, version), content_type="application/xml")


@bp.get("/<instance_id>/versions/<version_id>/attachments")
def version_attachments(project_id: int, xml_form_id: str, instance_id: str, version_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    version = _version(user, form, instance_id, version_id)
    rows = db().scalars(
        select(Attachment).where(Attachment.submission_version_id == version.id).order_by(Attachment.name)
    )
    return jsonify([{"name": a.name, "exists": a.blob_sha256 is not None} for a in rows])


@bp.get("/<instance_id>/versions/<version_id>/attachments/<path:name>")
def version_attachment(project_id: int, xml_form_id: str, instance_id: str, version_id: str, name: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    version = _version(user, form, instance_id, version_id)
    schema = form.current_version.field_schema if form.current_version is not None else {}
    if sensitive_paths(schema) and not permissions.can(db(), user, "submission.read_sensitive", project_id):
        # Older files are not told apart by field here: a form with sensitive fields keeps them all closed.
        raise Forbidden(
            "ไฟล์ของฉบับเก่าต้องมีสิทธิ์ดูข้อมูลอ่อนไหว / Files of older versions of this form need the right"
            " to read sensitive fields.",
            name=name,
        )
    attachment = db().scalar(
        select(Attachment).where(Attachment.submission_version_id == version.id, Attachment.name == name)
    )
    if attachment is None or attachment.blob_sha256 is None:
        raise NotFound(f"ไม่พบไฟล์แนบ {name} / Attachment {name!r} not found.", name=name)
    return send_file(
        services().blobs.path(attachment.blob_sha256),
        mimetype=attachment.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=attachment.name,
        etag=attachment.blob_sha256,
    )


def register(app: Flask) -> None:
    app.register_blueprint(bp)
