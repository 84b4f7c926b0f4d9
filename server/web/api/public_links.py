"""JSON API: a form's public links, as ODK Central's /v1/projects/ID/forms/FORM/public-links (list,
create with displayName and once, delete). The link's id is its actor's id, as in Central."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, url_for

from server.core.accounts import permissions, projects
from server.core.forms import public_links, publishing
from server.core.models import Form, PublicLink, User
from server.web.api.actors import actor_json, extended
from server.web.api.common import Field, checked_body, iso
from server.web.auth import api_user
from server.web.context import db

bp = Blueprint("api_public_links", __name__, url_prefix="/v1/projects/<int:project_id>/forms/<xml_form_id>")

_BODY = {
    "displayName": Field((str,), required=True, max_length=public_links.MAX_DISPLAY_NAME),
    "once": Field((bool,), nullable=True),
}


def _form(project_id: int, xml_form_id: str) -> tuple[User, Form]:
    """Managers only (form.update: a link lets anyone submit), 403 before 404."""
    user = api_user()
    permissions.require(db(), user, "form.update", project_id)
    projects.get_project(db(), project_id)
    return user, publishing.get_form(db(), project_id, xml_form_id)


def link_json(link: PublicLink, *, with_extended: bool = False) -> dict[str, Any]:
    """Central's public link; `url` (Chumchon's) is the page to share."""
    body: dict[str, Any] = {
        **actor_json(link.actor),
        "type": "public_link",
        "displayName": link.display_name,
        "createdAt": iso(link.created_at),
        "deletedAt": iso(link.revoked_at),
        "once": link.once,
        "token": link.token if link.revoked_at is None else None,
        "url": url_for("ui.public_link_page", token=link.token, _external=True) if link.revoked_at is None else None,
    }
    if with_extended:
        body["createdBy"] = actor_json(link.created_by) if link.created_by is not None else None
    return body


@bp.get("/public-links")
def list_public_links(project_id: int, xml_form_id: str) -> Response:
    _user, form = _form(project_id, xml_form_id)
    wide = extended()
    return jsonify([link_json(link, with_extended=wide) for link in public_links.list_links(db(), form)])


@bp.post("/public-links")
def create_public_link(project_id: int, xml_form_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    body = checked_body(_BODY)
    link = public_links.create_link(db(), user, form, body["displayName"], once=bool(body.get("once")))
    db().commit()
    return jsonify(link_json(link))


@bp.delete("/public-links/<int:actor_id>")
def delete_public_link(project_id: int, xml_form_id: str, actor_id: int) -> Response:
    """Revoke the link: its page answers 410 and its actor can submit nothing from now on."""
    user, form = _form(project_id, xml_form_id)
    public_links.revoke_link(db(), user, form, actor_id)
    db().commit()
    return jsonify({"success": True})


def register(app: Flask) -> None:
    app.register_blueprint(bp)
