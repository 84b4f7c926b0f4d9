"""JSON API: sessions, the current user, projects (paths and shapes follow ODK Central's /v1)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from server.core.accounts import permissions, projects, users
from server.core.ground.errors import AuthenticationFailed, BadRequest, NotFound
from server.core.models import User
from server.web.api.common import Field, checked_body, iso
from server.web.api.shapes import actor_json, extended, project_json, verbs_of
from server.web.auth import api_user
from server.web.context import db

bp = Blueprint("api_projects", __name__, url_prefix="/v1")


def user_json(user: User) -> dict[str, Any]:
    """Central's user: the actor plus email; Chumchon's roles beside it (verbs when extended)."""
    body = {**(actor_json(user) or {}), "type": "user", "email": user.username, "roles": sorted({g.role for g in user.grants})}
    if extended():
        body["verbs"] = verbs_of(user, None)
    return body


_SESSION_BODY = {
    "email": Field((str,), max_length=users.MAX_USERNAME_LENGTH * 2),
    "username": Field((str,), max_length=users.MAX_USERNAME_LENGTH * 2),
    "password": Field((str,), required=True, max_length=1024),
}
_PROJECT_BODY = {
    "name": Field((str,), required=True, max_length=projects.MAX_NAME_LENGTH),
    "description": Field((str,), max_length=projects.MAX_DESCRIPTION_LENGTH, nullable=True),
}


@bp.post("/sessions")
def create_session() -> tuple[Response, int]:
    body = checked_body(_SESSION_BODY)
    username = body.get("email") or body.get("username") or ""
    user = users.find_user(db(), username)
    if user is None or not users.verify_password(user, body["password"]):
        raise AuthenticationFailed("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง / Could not authenticate with the provided credentials.")
    token, row = users.open_api_session(db(), user)
    db().commit()
    # csrf is Central's token for cookie sessions; a Bearer token needs none, so it is only a fresh secret.
    return jsonify(
        {
            "token": token,
            "csrf": secrets.token_urlsafe(48),
            "createdAt": iso(row.created_at),
            "expiresAt": iso(row.expires_at),
        }
    ), 200


@bp.delete("/sessions/current")
def end_current_session() -> Response:
    """Log out: the Bearer token of this request stops working at once."""
    api_user()
    users.end_api_session(db(), _bearer_token())
    db().commit()
    return jsonify({"success": True})


@bp.delete("/sessions/<token>")
def end_session(token: str) -> Response:
    """Central's logout: DELETE /v1/sessions/<the token>. Only the token's own holder (or an admin) may."""
    user = api_user()
    owner = users.find_by_api_token(db(), token)
    if owner is None or (owner.id != user.id and not permissions.can(db(), user, "user.update", None)):
        raise NotFound("ไม่พบเซสชันนี้ / Session not found.")
    users.end_api_session(db(), token)
    db().commit()
    return jsonify({"success": True})


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        raise NotFound("คำขอนี้ไม่ได้ใช้เซสชัน / This request does not use a session token.")
    return header[7:].strip()


@bp.get("/users/current")
def current_user() -> Response:
    return jsonify(user_json(api_user()))


@bp.get("/projects")
def list_projects() -> Response:
    user = api_user()
    visible = [p for p in projects.list_projects(db()) if permissions.can(db(), user, "project.read", p.id)]
    return jsonify([project_json(p, user) for p in visible])


@bp.post("/projects")
def create_project() -> tuple[Response, int]:
    user = api_user()
    permissions.require(db(), user, "project.create", None)
    body = checked_body(_PROJECT_BODY)
    project = projects.create_project(db(), body["name"], body.get("description"))
    db().commit()
    return jsonify(project_json(project, user)), 200


@bp.get("/projects/<int:project_id>")
def get_project(project_id: int) -> Response:
    user = api_user()
    permissions.require(db(), user, "project.read", project_id)
    return jsonify(project_json(projects.get_project(db(), project_id), user))


_PROJECT_UPDATE = {
    "name": Field((str,), max_length=projects.MAX_NAME_LENGTH),
    "description": Field((str,), max_length=projects.MAX_DESCRIPTION_LENGTH, nullable=True),
    "archived": Field((bool,), nullable=True),
}


@bp.patch("/projects/<int:project_id>")
def update_project(project_id: int) -> Response:
    """Central's PATCH: any of name, description, archived."""
    user = api_user()
    permissions.require(db(), user, "project.update", project_id)
    body = checked_body(_PROJECT_UPDATE)
    project = projects.update_project(
        db(),
        projects.get_project(db(), project_id),
        name=body.get("name"),
        description=body.get("description"),
        archived=body.get("archived"),
        actor_id=user.id,
    )
    db().commit()
    return jsonify(project_json(project, user))


@bp.put("/projects/<int:project_id>")
def replace_project(project_id: int) -> Response:
    """Central's PUT sets the project's own fields (name required; its form-level parts are not taken)."""
    user = api_user()
    permissions.require(db(), user, "project.update", project_id)
    body = checked_body({**_PROJECT_UPDATE, "name": Field((str,), required=True, max_length=projects.MAX_NAME_LENGTH)})
    if "forms" in body:
        raise BadRequest(
            "PUT ที่มี forms ยังไม่รองรับ / A PUT with per-form states and assignments (forms) is not supported.",
            field="forms",
        )
    project = projects.update_project(
        db(),
        projects.get_project(db(), project_id),
        name=body["name"],
        description=body.get("description") or "",
        archived=bool(body.get("archived")),
        actor_id=user.id,
    )
    db().commit()
    return jsonify(project_json(project, user))


@bp.delete("/projects/<int:project_id>")
def delete_project(project_id: int) -> Response:
    user = api_user()
    permissions.require(db(), user, "project.delete", project_id)
    projects.delete_project(db(), projects.get_project(db(), project_id), actor_id=user.id)
    db().commit()
    return jsonify({"success": True})


def register(app: Flask) -> None:
    app.register_blueprint(bp)
