"""Filling, editing and correcting submissions in the browser with ODK Web Forms (bundled under
static/webforms/): the pages that mount it, the form's XForm and media it loads, and the posts it
sends, which go through the same intake as ODK Collect's (server.core.submissions.intake) and the
edit rules of server.core.review.corrections."""

from __future__ import annotations

import json
from urllib.parse import quote

from flask import Response, g, jsonify, request, url_for

from server.core.forms import form_media, publishing
from server.core.ground.broker import PROCESS_PENDING
from server.core.ground.errors import ChumchonError
from server.core.models import Form, Submission, User
from server.core.review import corrections
from server.core.submissions import intake
from server.core.submissions.intake import IntakeResult
from server.web.context import db, services
from server.web.media import media_response
from server.web.multipart import submission_files, submission_xml
from server.web.ui.blueprint import bp
from server.web.ui.session import _, pick, render, require
from server.web.ui.submissions import state_label

_FORM = "/projects/<int:project_id>/forms/<xml_form_id>"
_SUBMISSION = f"{_FORM}/submissions/<instance_id>"


def _form(project_id: int, xml_form_id: str, verb: str) -> tuple[User, Form]:
    user = require(verb, project_id)
    return user, publishing.get_form(db(), project_id, xml_form_id)


def webform_messages() -> dict[str, str]:
    return {
        "data-msg-sending": _("wf.sending"),
        "data-msg-failed": _("wf.failed"),
        "data-msg-reason": _("wf.reason_needed"),
    }


def _page(form: Form, mount: dict[str, str], **context: object) -> Response:
    g.ui_webforms_csp = True  # session.finish sends the Web Forms policy for this page
    version = publishing.current_version(form)
    attrs = {
        "data-form-url": url_for("ui.download_xform", project_id=form.project_id, xml_form_id=form.xml_form_id),
        "data-media-url": url_for("ui.webform_media", project_id=form.project_id, xml_form_id=form.xml_form_id,
                                  name="x")[:-1],
        **webform_messages(),
        **mount,
    }
    return render("ui/webform.html", form=form, title=version.title, mount=attrs, **context)


@bp.get(f"{_FORM}/new")
def webform_new(project_id: int, xml_form_id: str) -> Response:
    _user, form = _form(project_id, xml_form_id, "submission.create")
    submit = url_for("ui.webform_submit", project_id=project_id, xml_form_id=xml_form_id)
    return _page(form, {"data-submit-url": submit}, editing=None)


@bp.get(f"{_FORM}/media/<name>")
def webform_media(project_id: int, xml_form_id: str, name: str) -> Response:
    """A media file of the form's current version, by its plain name (as in the OpenRosa manifest)."""
    _user, form = _form(project_id, xml_form_id, "form.read")
    return media_response(form_media.get_media_file(publishing.current_version(form), name))


def _answer(result: IntakeResult, next_url: str | None = None) -> Response:
    db().commit()
    # After the commit, as for Collect: the row is the outbox, the message only a wake-up.
    if result.enqueue:
        services().tasks.wake(PROCESS_PENDING)
    version = result.version_id
    return jsonify({"message": pick(result.message), "versionId": version, "next": next_url,
                    "instanceId": _instance_id(result)})


def _instance_id(result: IntakeResult) -> str:
    submission = db().get(Submission, result.submission_id)
    return submission.instance_id if submission is not None else ""


def _problem(err: ChumchonError) -> Response:
    db().rollback()
    resp = jsonify({"code": err.code, "message": pick(err.message)})
    resp.status_code = err.status
    return resp


@bp.post(f"{_FORM}/new")
def webform_submit(project_id: int, xml_form_id: str) -> Response:
    user, _form_row = _form(project_id, xml_form_id, "submission.create")
    try:
        result = intake.accept_submission(
            db(), services().blobs, project_id, submission_xml(), submission_files(), user=user,
            user_agent=request.headers.get("User-Agent"), cache=services().cache,
        )
    except ChumchonError as err:
        return _problem(err)
    return _answer(result)


@bp.get(f"{_SUBMISSION}/edit")
def webform_edit(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id, "submission.create")
    editable = corrections.editable_submission(db(), user, form, instance_id)
    names = [a.name for a in editable.version.attachments if a.blob_sha256 is not None]
    args = {"project_id": project_id, "xml_form_id": xml_form_id, "instance_id": instance_id}
    mount = {
        "data-submit-url": url_for("ui.webform_edit_submit", **args),
        "data-instance-url": url_for("ui.webform_instance", **args),
        "data-attachment-url": url_for("ui.webform_attachment", **args, name="x")[:-1],
        "data-attachments": json.dumps(names, ensure_ascii=False),
    }
    thread = [c for c in corrections.returned_to(db(), user) if c.submission.id == editable.submission.id]
    return _page(form, mount, editing=editable, returned=thread[0] if thread else None,
                 state_label=state_label)


@bp.get(f"{_SUBMISSION}/edit/instance.xml")
def webform_instance(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id, "submission.create")
    xml = corrections.instance_xml(db(), services().blobs, user, form, instance_id)
    db().commit()  # keeps the audit event of a sensitive read
    resp = Response(xml, mimetype="text/xml")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get(f"{_SUBMISSION}/edit/attachments/<path:name>")
def webform_attachment(project_id: int, xml_form_id: str, instance_id: str, name: str) -> Response:
    user, form = _form(project_id, xml_form_id, "submission.create")
    attachment = corrections.instance_attachment(db(), user, form, instance_id, name)
    resp = Response(services().blobs.iter_chunks(attachment.blob_sha256 or ""),
                    mimetype=attachment.content_type or "application/octet-stream")
    # Read by Web Forms' script only; never rendered by the browser as a page.
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(attachment.name)}"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post(f"{_SUBMISSION}/edit")
def webform_edit_submit(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id, "submission.create")
    try:
        editable = corrections.editable_submission(db(), user, form, instance_id)
        result = corrections.edit_submission(
            db(), services().blobs, user, form, instance_id, submission_xml(), submission_files(),
            request.form.get("reason"), cache=services().cache, user_agent=request.headers.get("User-Agent"),
        )
    except ChumchonError as err:
        return _problem(err)
    if editable.as_reviewer:
        back = url_for("ui.submission_page", project_id=project_id, xml_form_id=xml_form_id, instance_id=instance_id)
    else:
        back = url_for("ui.home", sent=instance_id)
    return _answer(result, back)
