"""JSON API: sessions, the current user, projects (paths and shapes follow ODK Central's /v1)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from server.core.accounts import permissions, projects, users
from server.core.ground.errors import NotFound, Unauthenticated
from server.core.models import Project, User, utcnow
from server.web.api.common import Field, checked_body, iso
from server.web.auth import api_user
from server.web.context import db

bp = Blueprint("api_projects", __name__, url_prefix="/v1")


def project_json(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "archived": project.archived,
        "keyId": None,
        "createdAt": iso(project.created_at),
        "updatedAt": None,
        "deletedAt": None,
    }


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "type": "user",
        "displayName": user.display_name,
        "email": user.username,
        "createdAt": iso(user.created_at),
        "roles": sorted({g.role for g in user.grants}),
    }


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
        raise Unauthenticated("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง / Wrong username or password.")
    token = users.start_api_session(db(), user)
    db().commit()
    return jsonify({"token": token, "createdAt": iso(utcnow()), "expiresAt": None}), 200


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
    rows = db().query(Project).order_by(Project.id).all()
    visible = [p for p in rows if permissions.can(db(), user, "project.read", p.id)]
    return jsonify([project_json(p) for p in visible])


@bp.post("/projects")
def create_project() -> tuple[Response, int]:
    user = api_user()
    permissions.require(db(), user, "project.create", None)
    body = checked_body(_PROJECT_BODY)
    project = projects.create_project(db(), body["name"], body.get("description"))
    db().commit()
    return jsonify(project_json(project)), 200


@bp.get("/projects/<int:project_id>")
def get_project(project_id: int) -> Response:
    user = api_user()
    permissions.require(db(), user, "project.read", project_id)
    return jsonify(project_json(projects.get_project(db(), project_id)))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
