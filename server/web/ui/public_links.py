"""Public links in the web application: the page anyone opens from a link (ODK Web Forms, no sign-in),
its XForm, media and submit, and the form page's section where a manager creates, copies and revokes
links. Rules live in server.core.forms.public_links; submissions go through Collect's intake."""

from __future__ import annotations

from flask import Response, g, jsonify, redirect, request, url_for

from server.core.forms import form_media, public_links, publishing
from server.core.ground.broker import PROCESS_PENDING
from server.core.ground.errors import ChumchonError
from server.core.models import PublicLink
from server.core.submissions import intake
from server.web.context import db, services
from server.web.media import media_response
from server.web.multipart import submission_files, submission_xml
from server.web.ui.blueprint import bp
from server.web.ui.session import _, address, pick, render, require
from server.web.ui.webforms import webform_messages

_LINK = "/f/<token>"
_FORM = "/projects/<int:project_id>/forms/<xml_form_id>"
SENT_COOKIE = "chumchon_sent"  # set, path-scoped to the link, after a submission through a once link
_YEAR = 365 * 24 * 3600


def share_url(link: PublicLink) -> str:
    root = services().settings.public_url or request.host_url.rstrip("/")
    return root + url_for("ui.public_link_page", token=link.token)


def _sent_here(link: PublicLink) -> bool:
    return link.once and request.cookies.get(SENT_COOKIE) == "1"


@bp.get(_LINK)
def public_link_page(token: str) -> Response:
    link = public_links.open_link(db(), token)
    form = link.form
    version = publishing.current_version(form)
    if _sent_here(link):
        return render("ui/public_webform.html", link=link, title=version.title, mount=None)
    g.ui_webforms_csp = True  # session.finish sends the Web Forms policy for this page
    mount = {
        "data-form-url": url_for("ui.public_link_xform", token=token),
        "data-media-url": url_for("ui.public_link_media", token=token, name="x")[:-1],
        "data-submit-url": url_for("ui.public_link_submit", token=token),
        "data-msg-thanks": _("pl.thanks"),
        "data-msg-once-done": _("pl.once_done"),
        **webform_messages(),
    }
    if link.once:
        mount["data-once"] = f"chumchon-sent:{link.token[:16]}"
    return render("ui/public_webform.html", link=link, title=version.title, mount=mount,
                  closed=form.state != "open")


@bp.get(f"{_LINK}/form.xml")
def public_link_xform(token: str) -> Response:
    link = public_links.open_link(db(), token)
    version = publishing.current_version(link.form)
    resp = Response(services().blobs.read_bytes(version.xform_sha256), mimetype="text/xml")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get(f"{_LINK}/media/<name>")
def public_link_media(token: str, name: str) -> Response:
    link = public_links.open_link(db(), token)
    return media_response(form_media.get_media_file(publishing.current_version(link.form), name))


def _problem(err: ChumchonError) -> Response:
    db().rollback()
    resp = jsonify({"code": err.code, "message": pick(err.message)})
    resp.status_code = err.status
    if err.status == 429:
        resp.headers["Retry-After"] = str(err.details.get("retry_after", 3600))
    return resp


@bp.post(_LINK)
def public_link_submit(token: str) -> Response:
    settings = services().settings
    try:
        link = public_links.open_link(db(), token)
        if _sent_here(link):
            resp = jsonify({"code": "409.1", "message": _("pl.once_done")})
            resp.status_code = 409
            return resp
        public_links.count_attempt(db(), link, address(), per_address=settings.public_link_hourly_per_address,
                                   per_link=settings.public_link_hourly)
        db().commit()  # the attempt counts even if the submission is then refused
        result = intake.accept_submission(
            db(), services().blobs, link.form.project_id, submission_xml(), submission_files(), user=link.actor,
            user_agent=request.headers.get("User-Agent"), cache=services().cache,
        )
    except ChumchonError as err:
        return _problem(err)
    once = link.once
    path = url_for("ui.public_link_page", token=token)
    db().commit()
    # After the commit, as for Collect: the row is the outbox, the message only a wake-up.
    if result.enqueue:
        services().tasks.wake(PROCESS_PENDING)
    resp = jsonify({"message": _("pl.thanks") if not once else _("pl.once_done"), "once": once,
                    "versionId": result.version_id})
    if once:
        resp.set_cookie(SENT_COOKIE, "1", max_age=_YEAR, path=path, secure=request.is_secure, httponly=True,
                        samesite="Lax")
    return resp


@bp.post(f"{_FORM}/public-links")
def public_link_create(project_id: int, xml_form_id: str) -> Response:
    user = require("form.update", project_id)
    form = publishing.get_form(db(), project_id, xml_form_id)
    link = public_links.create_link(db(), user, form, request.form.get("display_name", ""),
                                    once=request.form.get("once") == "1")
    db().commit()
    target = url_for("ui.form_page", project_id=project_id, xml_form_id=xml_form_id, link=link.actor_id)
    return redirect(target + "#public-links")  # type: ignore[return-value]


@bp.post(f"{_FORM}/public-links/<int:actor_id>/revoke")
def public_link_revoke(project_id: int, xml_form_id: str, actor_id: int) -> Response:
    user = require("form.update", project_id)
    form = publishing.get_form(db(), project_id, xml_form_id)
    public_links.revoke_link(db(), user, form, actor_id)
    db().commit()
    target = url_for("ui.form_page", project_id=project_id, xml_form_id=xml_form_id, revoked=actor_id)
    return redirect(target + "#public-links")  # type: ignore[return-value]
