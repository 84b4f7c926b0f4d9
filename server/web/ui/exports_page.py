"""Export page of a form: start a CSV export (labels Thai / English / codes), a progress bar that
htmx refreshes while the worker builds it, a normal browser download, and the earlier exports."""

from __future__ import annotations

from flask import Response, redirect, request, send_file, url_for

from server.core.accounts import permissions
from server.core.exports import history, jobs
from server.core.forms import publishing
from server.core.ground.broker import BUILD_EXPORT
from server.core.ground.errors import ChumchonError
from server.web.context import db, services
from server.web.guards import id_or_none
from server.web.ui import answers
from server.web.ui.blueprint import bp
from server.web.ui.session import current_user, pick, render

_FORM = "/projects/<int:project_id>/forms/<xml_form_id>"


@bp.get(f"{_FORM}/exports")
def exports_page(project_id: int, xml_form_id: str) -> Response:
    user = current_user()
    permissions.require(db(), user, "export.read", project_id)
    form = publishing.get_form(db(), project_id, xml_form_id)
    return render(
        "ui/exports.html",
        form=form,
        version=publishing.current_version(form),
        entries=history.earlier_exports(db(), user, form),
        may_create=permissions.can(db(), user, "export.create", project_id),
        started=id_or_none(request.args.get("started"), "started ต้องเป็นตัวเลข / started must be a number."),
    )


@bp.post(f"{_FORM}/exports")
def exports_start(project_id: int, xml_form_id: str) -> Response:
    user = current_user()
    permissions.require(db(), user, "export.create", project_id)
    form = publishing.get_form(db(), project_id, xml_form_id)
    mode = request.form.get("labels", "codes")
    options = {}
    if mode in ("th", "en"):
        key = answers.language_key(publishing.current_version(form).field_schema, mode)
        if key and key != "default":
            options["labels"] = mode
    try:
        export = jobs.request_export(db(), form, "csv", options, user)
    except ChumchonError as err:
        db().rollback()
        return render("ui/error.html", status=err.status, message=pick(err.message), status_code=err.status)
    db().commit()
    services().tasks.send(BUILD_EXPORT, export.id)  # after commit: the row is the outbox
    return redirect(url_for("ui.exports_page", project_id=project_id, xml_form_id=xml_form_id,  # type: ignore[return-value]
                            started=export.id))


@bp.get("/exports/<int:export_id>/progress")
def export_progress(export_id: int) -> Response:
    """The progress fragment; it asks htmx to fetch it again until the export is done or failed."""
    export, form = history.readable_export(db(), current_user(), export_id)
    return render("ui/_export_progress.html", export=export, form=form)


@bp.get("/exports/<int:export_id>/download")
def export_download(export_id: int) -> Response:
    export, form = history.readable_export(db(), current_user(), export_id)
    path = jobs.export_file(export)
    return send_file(path, mimetype="application/zip", as_attachment=True,
                     download_name=export.filename or f"{form.xml_form_id}.zip")
