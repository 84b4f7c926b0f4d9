"""Export page of a form: start an export in any format with the main options (labels Thai / English
/ codes, select_multiple split, review states, a date range, sensitive fields where the role may read
them), a progress bar that htmx refreshes while the worker builds it, cancel, a normal browser
download, and the earlier exports."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, request, send_file, url_for

from server.core.accounts import permissions
from server.core.exports import access, formats, jobs
from server.core.forms import publishing
from server.core.ground.broker import BUILD_EXPORT
from server.core.ground.errors import ChumchonError
from server.web.context import db, services
from server.web.guards import id_or_none
from server.web.ui import answers
from server.web.ui.blueprint import bp
from server.web.ui.session import current_user, pick, render

_FORM = "/projects/<int:project_id>/forms/<xml_form_id>"
LISTED = 50
REVIEW_STATES = ("received", "hasIssues", "needsCorrection", "edited", "approved", "rejected")
SENSITIVE_MODES = ("include", "mask", "pseudonymise", "omit")


def _may_read_sensitive(project_id: int) -> bool:
    return permissions.can(db(), current_user(), "submission.read_sensitive", project_id)


@bp.get(f"{_FORM}/exports")
def exports_page(project_id: int, xml_form_id: str) -> Response:
    user = current_user()
    permissions.require(db(), user, "export.read", project_id)
    form = publishing.get_form(db(), project_id, xml_form_id)
    earlier = access.list_exports(db(), user, form, limit=LISTED)
    return render(
        "ui/exports.html",
        form=form,
        version=publishing.current_version(form),
        exports=earlier,
        names=access.creator_names(db(), earlier),
        formats=formats.FORMATS,
        review_states=REVIEW_STATES,
        sensitive_modes=SENSITIVE_MODES if _may_read_sensitive(project_id) else ("mask", "omit"),
        may_create=permissions.can(db(), user, "export.create", project_id),
        started=id_or_none(request.args.get("started"), "started ต้องเป็นตัวเลข / started must be a number."),
    )


def _options(schema: dict[str, Any]) -> dict[str, Any]:
    """Export options from the page's form fields (the core checks them: a bad date is a 400)."""
    options: dict[str, Any] = {}
    mode = request.form.get("labels", "codes")
    if mode in ("th", "en"):
        key = answers.language_key(schema, mode)
        if key and key != "default":
            options["labels"] = mode
    if request.form.get("multiple") == "split":
        options["multiple"] = "split"
    states = request.form.getlist("review_state")
    if states:
        options["review_states"] = states
    for name in ("submitted_from", "submitted_to"):
        if request.form.get(name):
            options[name] = request.form[name]
    sensitive = request.form.get("sensitive", "")
    if sensitive and sensitive != "include":
        options["sensitive"] = sensitive
    return options


@bp.post(f"{_FORM}/exports")
def exports_start(project_id: int, xml_form_id: str) -> Response:
    user = current_user()
    permissions.require(db(), user, "export.create", project_id)
    form = publishing.get_form(db(), project_id, xml_form_id)
    fmt = request.form.get("format", "csv")
    try:
        export = jobs.request_export(db(), form, fmt, _options(publishing.current_version(form).field_schema), user)
    except ChumchonError as err:
        db().rollback()
        return render("ui/error.html", status=err.status, message=pick(err.message), status_code=err.status)
    db().commit()
    if export.state == "queued":  # an identical earlier export's file comes back finished at once
        services().tasks.send(BUILD_EXPORT, export.id)  # after commit: the row is the outbox
    return redirect(url_for("ui.exports_page", project_id=project_id, xml_form_id=xml_form_id,  # type: ignore[return-value]
                            started=export.id))


@bp.get("/exports/<int:export_id>/progress")
def export_progress(export_id: int) -> Response:
    """The progress fragment; it asks htmx to fetch it again until the export is done or failed."""
    export, form = access.readable_export(db(), current_user(), export_id)
    return render("ui/_export_progress.html", export=export, form=form,
                  may_create=permissions.can(db(), current_user(), "export.create", form.project_id))


@bp.post("/exports/<int:export_id>/cancel")
def export_cancel(export_id: int) -> Response:
    user = current_user()
    export, form = access.readable_export(db(), user, export_id)
    permissions.require(db(), user, "export.create", form.project_id)
    try:
        jobs.cancel_export(db(), export, user)
    except ChumchonError as err:
        db().rollback()
        return render("ui/error.html", status=err.status, message=pick(err.message), status_code=err.status)
    db().commit()
    return redirect(url_for("ui.exports_page", project_id=form.project_id,  # type: ignore[return-value]
                            xml_form_id=form.xml_form_id, started=export.id))


@bp.get("/exports/<int:export_id>/download")
def export_download(export_id: int) -> Response:
    export, form = access.readable_export(db(), current_user(), export_id)
    path = jobs.export_file(export)
    return send_file(path, mimetype=formats.media_type(export), as_attachment=True,
                     download_name=export.filename or f"{form.xml_form_id}.zip")
