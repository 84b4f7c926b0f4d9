"""JSON API: sessions, the current user, projects (paths and shapes follow ODK Central's /v1)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify

from server.core.accounts import permissions, projects, users
from server.core.ground.errors import Unauthenticated
from server.core.models import Project, User, utcnow
from server.web.api.common import iso, json_body
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


@bp.post("/sessions")
def create_session() -> tuple[Response, int]:
    body = json_body()
    username = str(body.get("email") or body.get("username") or "")
    user = users.find_user(db(), username)
    if user is None or not users.verify_password(user, str(body.get("password", ""))):
        raise Unauthenticated("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง / Wrong username or password.")
    token = users.start_api_session(db(), user)
    db().commit()
    return jsonify({"token": token, "createdAt": iso(utcnow()), "expiresAt": None}), 200


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
    body = json_body()
    project = projects.create_project(db(), str(body.get("name", "")), body.get("description"))
    db().commit()
    return jsonify(project_json(project)), 200


@bp.get("/projects/<int:project_id>")
def get_project(project_id: int) -> Response:
    user = api_user()
    permissions.require(db(), user, "project.read", project_id)
    return jsonify(project_json(projects.get_project(db(), project_id)))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
