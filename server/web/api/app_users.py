"""JSON API: app users (Central's field keys) and form assignments, as ODK Central's
/v1/projects/ID/app-users and /v1/projects/ID/forms/FORM/assignments."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify

from server.core.accounts import app_users, permissions, projects
from server.core.accounts.roles import APP_USER, find_role
from server.core.forms import publishing
from server.core.ground.errors import BadRequest
from server.core.models import Form, User
from server.web.api.actors import actor_json, app_user_json, extended
from server.web.api.common import Field, checked_body
from server.web.auth import api_user
from server.web.context import db

bp = Blueprint("api_app_users", __name__, url_prefix="/v1/projects/<int:project_id>")

_APP_USER_BODY = {"displayName": Field((str,), required=True, max_length=app_users.MAX_DISPLAY_NAME)}


def _project_user(project_id: int, verb: str) -> User:
    """The caller, if he holds `verb` in the project (403 before 404), and the project exists."""
    user = api_user()
    permissions.require(db(), user, verb, project_id)
    projects.get_project(db(), project_id)
    return user


def _form(project_id: int, xml_form_id: str, verb: str) -> tuple[User, Form]:
    user = _project_user(project_id, verb)
    return user, publishing.get_form(db(), project_id, xml_form_id)


@bp.get("/app-users")
def list_app_users(project_id: int) -> Response:
    """The project's app users, newest first; X-Extended-Metadata adds createdBy and lastUsed."""
    _project_user(project_id, "user.read")
    wide = extended()
    rows = app_users.list_app_users(db(), project_id, extended=wide)
    return jsonify([app_user_json(a, with_extended=wide) for a in rows])


@bp.post("/app-users")
def create_app_user(project_id: int) -> Response:
    """A new app user with a token and no forms (assign forms to let it list and submit them)."""
    user = _project_user(project_id, "user.update")
    body = checked_body(_APP_USER_BODY)
    created = app_users.create_app_user(db(), user, project_id, body["displayName"])
    db().commit()
    return jsonify(app_user_json(created))


@bp.get("/app-users/<int:actor_id>")
def get_app_user(project_id: int, actor_id: int) -> Response:
    _project_user(project_id, "user.read")
    wide = extended()
    return jsonify(app_user_json(app_users.get_app_user(db(), project_id, actor_id, extended=wide), with_extended=wide))


@bp.delete("/app-users/<int:actor_id>")
def delete_app_user(project_id: int, actor_id: int) -> Response:
    """Remove the app user from the project; its token stops working at once."""
    user = _project_user(project_id, "user.update")
    app_users.delete_app_user(db(), user, project_id, actor_id)
    db().commit()
    return jsonify({"success": True})


@bp.get("/forms/<xml_form_id>/assignments")
def form_assignments(project_id: int, xml_form_id: str) -> Response:
    """Every assignment on the form as {actorId, roleId} ({actor, roleId} with extended metadata)."""
    _, form = _form(project_id, xml_form_id, "user.read")
    people = app_users.form_assignees(db(), form)
    if extended():
        return jsonify([{"actor": actor_json(p), "roleId": APP_USER.id} for p in people])
    return jsonify([{"actorId": p.id, "roleId": APP_USER.id} for p in people])


@bp.get("/forms/<xml_form_id>/assignments/<role_id>")
def form_assignees(project_id: int, xml_form_id: str, role_id: str) -> Response:
    """The actors holding the role on the form (only app-user is assigned per form here)."""
    _, form = _form(project_id, xml_form_id, "user.read")
    role = find_role(role_id)
    people = app_users.form_assignees(db(), form) if role.id == APP_USER.id else []
    return jsonify([actor_json(p) for p in people])


def _app_user_role(role_id: str) -> None:
    role = find_role(role_id)
    if role.id != APP_USER.id:
        raise BadRequest(
            "มอบแบบฟอร์มได้เฉพาะบทบาท app-user / Only the app-user role is assigned per form here; "
            "assign other roles on the project.",
            role=role.system,
        )


@bp.post("/forms/<xml_form_id>/assignments/<role_id>/<int:actor_id>")
def assign_form(project_id: int, xml_form_id: str, role_id: str, actor_id: int) -> Response:
    """Let an app user of the project list, download and fill this form."""
    user, form = _form(project_id, xml_form_id, "user.update")
    _app_user_role(role_id)
    app_users.assign_form(db(), user, form, actor_id)
    db().commit()
    return jsonify({"success": True})


@bp.delete("/forms/<xml_form_id>/assignments/<role_id>/<int:actor_id>")
def unassign_form(project_id: int, xml_form_id: str, role_id: str, actor_id: int) -> Response:
    user, form = _form(project_id, xml_form_id, "user.update")
    _app_user_role(role_id)
    app_users.unassign_form(db(), user, form, actor_id)
    db().commit()
    return jsonify({"success": True})


def register(app: Flask) -> None:
    app.register_blueprint(bp)
