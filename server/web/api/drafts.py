"""JSON API for form drafts, as ODK Central: …/forms/ID/draft (new from an upload or from the published
version, read, delete), its XForm, fields and media, and …/draft/publish?version=."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from server.core.accounts import permissions
from server.core.forms import drafts, form_media
from server.core.ground.broker import PROCESS_PENDING
from server.core.models import Form, FormVersion, Submission, User
from server.core.review import listing
from server.core.submissions import draft_intake, queries
from server.core.submissions.intake import IntakeResult
from server.web.api.forms import converted_upload, declared_type, is_true, media_file, stored
from server.web.api.shapes import fields_json, form_attachment_json, form_json, submission_json
from server.web.api.submitting import _body
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


def _test_json(item: queries.SubmissionItem, draft: FormVersion) -> dict[str, Any]:
    body = submission_json(item)
    body["currentVersion"]["formVersion"] = draft.draft_version  # not the draft row's placeholder
    if "formVersion" in body:
        body["formVersion"] = draft.draft_version
    return body


def _accept_test(form: Form, draft: FormVersion, user_id: int | None) -> Response:
    xml, files = _body()
    result = draft_intake.accept_draft_submission(
        db(), services().blobs, form, draft, xml, files, user_id=user_id,
        device_id=request.args.get("deviceID"), user_agent=request.headers.get("User-Agent"),
    )
    db().commit()
    if result.enqueue:  # after the commit: the row is the outbox
        services().tasks.wake(PROCESS_PENDING)
    twin = draft_intake.test_twin(db(), form)
    assert twin is not None
    item = queries.get_submission(db(), twin, _instance_id(result))
    return jsonify(_test_json(item, draft))


def _instance_id(result: IntakeResult) -> str:
    found = db().get(Submission, result.submission_id)
    assert found is not None
    return found.instance_id


@bp.post("/submissions")
def create_test_submission(project_id: int, xml_form_id: str) -> Response:
    """A test submission to the draft (Central's REST POST …/draft/submissions): kept apart from the
    form's data and dropped when the draft is published, replaced or deleted."""
    user, form, draft = _draft(project_id, xml_form_id)
    permissions.require(db(), user, "submission.create", project_id)
    return _accept_test(form, draft, user.id)


@bp.get("/submissions")
def list_test_submissions(project_id: int, xml_form_id: str) -> Response:
    user, form, draft = _draft(project_id, xml_form_id)
    twin = draft_intake.test_twin(db(), form)
    if twin is None:
        return jsonify([])
    rows = listing.list_page(
        db(), user, twin, listing.SubmissionFilter(), cursor=None, limit=listing.MAX_LIMIT, with_values=False
    ).rows
    return jsonify([_test_json(queries.SubmissionItem(r.submission, r.version, r.form_version), draft) for r in rows])


def token_test_submission(token: str, project_id: int, xml_form_id: str) -> Response:
    """POST /v1/test/TOKEN/projects/ID/forms/XML/draft/submissions: the draft token is the credential."""
    form, draft = drafts.draft_by_token(db(), project_id, xml_form_id, token)
    return _accept_test(form, draft, None)


def draft_xml(project_id: int, xml_form_id: str) -> Response:
    _user, _form_row, draft = _draft(project_id, xml_form_id)
    return Response(services().blobs.read_bytes(draft.xform_sha256), content_type="application/xml")


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    # …/forms/ID/draft.xml sits beside the draft's prefix, not under it.
    app.add_url_rule(
        "/v1/projects/<int:project_id>/forms/<xml_form_id>/draft.xml", "api_drafts.draft_xml", draft_xml
    )
    app.add_url_rule(
        "/v1/test/<token>/projects/<int:project_id>/forms/<xml_form_id>/draft/submissions",
        "api_drafts.token_test_submission",
        token_test_submission,
        methods=["POST"],
    )

