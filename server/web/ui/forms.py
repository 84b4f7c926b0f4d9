"""The form page: versions, open/closed switch, media (present/missing, upload), downloads of the XLSForm
and the XForm, and publishing a new version (pyxform's errors shown with their sheet and row)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from flask import Response, redirect, request, url_for
from sqlalchemy import select

from server.core.accounts import projects
from server.core.forms import form_media, public_links, publishing
from server.core.forms.publish_errors import locate_error
from server.core.ground.errors import BadRequest, ChumchonError, InvalidXlsForm, NotFound
from server.core.models import Form, User
from server.web.context import db, services
from server.web.ui.blueprint import bp
from server.web.ui.public_links import share_url
from server.web.ui.session import _, can, pick, render, require

_FORM = "/projects/<int:project_id>/forms/<xml_form_id>"


def _load(project_id: int, xml_form_id: str, verb: str) -> Form:
    require(verb, project_id)
    return publishing.get_form(db(), project_id, xml_form_id)


def _page(form: Form, status: int = 200, **extra: Any) -> Response:
    version = publishing.current_version(form)
    versions = list(reversed(publishing.published_versions(form)))
    may_update = _can_update(form.project_id)
    ids = {v.published_by_id for v in versions if v.published_by_id is not None}
    names = {u.id: u.display_name for u in db().scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return render(
        "ui/form.html",
        status=status,
        form=form,
        version=version,
        versions=versions,
        publishers=names,
        project=projects.get_project(db(), form.project_id),
        media=version.media,
        may_update=may_update,
        links=public_links.list_links(db(), form) if may_update else [],
        share_url=share_url,
        may_read_submissions=can("submission.read", form.project_id),
        may_export=can("export.read", form.project_id),
        may_submit=can("submission.create", form.project_id) and form.state == "open",
        **extra,
    )


def _can_update(project_id: int) -> bool:
    return can("form.update", project_id)


@bp.get(_FORM)
def form_page(project_id: int, xml_form_id: str) -> Response:
    form = _load(project_id, xml_form_id, "form.read")
    notice = _("form.published_ok") if request.args.get("published") else None
    if request.args.get("media"):
        notice = _("form.media_saved") + ": " + request.args.get("media", "")
    return _page(form, notice=notice)


@bp.post(f"{_FORM}/state")
def form_state(project_id: int, xml_form_id: str) -> Response:
    user = require("form.update", project_id)
    form = publishing.get_form(db(), project_id, xml_form_id)
    publishing.set_form_state(db(), form, request.form.get("state", ""), user_id=user.id)
    db().commit()
    return redirect(url_for("ui.form_page", project_id=project_id, xml_form_id=xml_form_id))  # type: ignore[return-value]


@bp.post(f"{_FORM}/media")
def form_media_upload(project_id: int, xml_form_id: str) -> Response:
    user = require("form.update", project_id)
    form = publishing.get_form(db(), project_id, xml_form_id)
    upload = request.files.get("file")
    name = request.form.get("name", "")
    if upload is None or not upload.filename:
        return _page(form, status=400, error=_("form.no_file"))
    try:
        form_media.attach_media(db(), services().blobs, publishing.current_version(form), name, upload.read(),
                                user_id=user.id)
    except ChumchonError as err:
        db().rollback()
        return _page(form, status=err.status, error=pick(err.message))
    db().commit()
    return redirect(url_for("ui.form_page", project_id=project_id, xml_form_id=xml_form_id, media=name))  # type: ignore[return-value]


def _download(data: bytes, filename: str, content_type: str) -> Response:
    resp = Response(data, mimetype=content_type)
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return resp


@bp.get(f"{_FORM}/xlsform")
def download_xlsform(project_id: int, xml_form_id: str) -> Response:
    form = _load(project_id, xml_form_id, "form.read")
    version = publishing.current_version(form)
    if version.source_sha256 is None:
        raise NotFound("ไม่มีไฟล์ XLSForm ต้นฉบับ / The original XLSForm was not kept.")
    name = version.source_filename or f"{form.xml_form_id}.xlsx"
    return _download(services().blobs.read_bytes(version.source_sha256), name, "application/octet-stream")


@bp.get(f"{_FORM}/xform")
def download_xform(project_id: int, xml_form_id: str) -> Response:
    form = _load(project_id, xml_form_id, "form.read")
    version = publishing.current_version(form)
    return _download(services().blobs.read_bytes(version.xform_sha256), f"{form.xml_form_id}.xml", "text/xml")


def _publish(project_id: int, expected_form_id: str | None) -> tuple[Form | None, dict[str, Any]]:
    """Publish the uploaded XLSForm; on any error nothing is kept and the error is described."""
    user = require("form.create", project_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None, {"error": _("form.no_file")}
    source, filename = upload.read(), PurePath(upload.filename).name
    try:
        version = publishing.publish_form(
            db(), services().blobs, project_id, source, filename, user_id=user.id,
            form_id_fallback=expected_form_id,
        )
        if expected_form_id is not None and version.form.xml_form_id != expected_form_id:
            raise BadRequest(
                f"ไฟล์นี้เป็นแบบฟอร์ม {version.form.xml_form_id} ไม่ใช่ {expected_form_id}"
                f" / This file is form {version.form.xml_form_id!r}, not {expected_form_id!r}:"
                " check form_id in its settings sheet."
            )
    except ChumchonError as err:
        db().rollback()
        where = locate_error(err.message, source, filename) if isinstance(err, InvalidXlsForm) else None
        # pyxform's own words (English) are the useful half of an XLSForm error: show the whole message.
        text = err.message if isinstance(err, InvalidXlsForm) else pick(err.message)
        return None, {"error": text, "error_where": where, "filename": filename}
    db().commit()
    return version.form, {}


@bp.post(f"{_FORM}/publish")
def publish_version(project_id: int, xml_form_id: str) -> Response:
    form = _load(project_id, xml_form_id, "form.create")
    published, problem = _publish(project_id, xml_form_id)
    if published is None:
        form = publishing.get_form(db(), project_id, xml_form_id)
        return _page(form, status=400, publish_error=problem)
    return redirect(url_for("ui.form_page", project_id=project_id, xml_form_id=xml_form_id, published=1))  # type: ignore[return-value]


@bp.get("/projects/<int:project_id>/publish")
def publish_new_form(project_id: int) -> Response:
    require("form.create", project_id)
    return render("ui/publish.html", project=projects.get_project(db(), project_id))


@bp.post("/projects/<int:project_id>/publish")
def publish_new_form_submit(project_id: int) -> Response:
    require("form.create", project_id)
    published, problem = _publish(project_id, None)
    if published is None:
        return render("ui/publish.html", status=400, project=projects.get_project(db(), project_id),
                      publish_error=problem)
    return redirect(url_for("ui.form_page", project_id=project_id, xml_form_id=published.xml_form_id,  # type: ignore[return-value]
                            published=1))
