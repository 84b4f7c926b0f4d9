"""JSON API: roles and role assignments as ODK Central's /v1/roles, /v1/assignments and
/v1/projects/ID/assignments (role ids and system names as Central's; see server.core.accounts.roles)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify

from server.core.accounts import assignments, permissions, projects
from server.core.accounts.roles import CATALOGUE_DATE, ROLES, Role, find_role
from server.core.ground.errors import Forbidden
from server.core.models import User
from server.web.api.actors import actor_json, extended
from server.web.api.common import iso
from server.web.auth import api_user
from server.web.context import db

bp = Blueprint("api_roles", __name__, url_prefix="/v1")

_ADMINS_ONLY = "เฉพาะผู้ดูแลระบบ / Administrators only."


def role_json(role: Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "system": role.system,
        "verbs": list(role.verbs),
        "createdAt": iso(CATALOGUE_DATE),
        "updatedAt": None,
    }


@bp.get("/roles")
def list_roles() -> Response:
    """Every role; like Central, anyone may read them."""
    return jsonify([role_json(r) for r in ROLES])


@bp.get("/roles/<role_id>")
def get_role(role_id: str) -> Response:
    """One role by numeric id or system name (`/v1/roles/admin`)."""
    return jsonify(role_json(find_role(role_id)))


def _assignment_list(rows: list[assignments.Assignment]) -> Response:
    if extended():
        return jsonify([{"actor": actor_json(a.user), "roleId": a.role.id} for a in rows])
    return jsonify([{"actorId": a.user.id, "roleId": a.role.id} for a in rows])


def _admin() -> User:
    user = api_user()
    if "*" not in permissions.verbs_for(db(), user, None):
        raise Forbidden(_ADMINS_ONLY)
    return user


@bp.get("/assignments")
def site_assignments() -> Response:
    """Site-wide assignments (administrators), as {actorId, roleId}."""
    _admin()
    return _assignment_list(assignments.site_assignments(db()))


@bp.get("/assignments/<role_id>")
def site_assignees(role_id: str) -> Response:
    _admin()
    role = find_role(role_id)
    return jsonify([actor_json(a.user) for a in assignments.site_assignments(db()) if a.role.id == role.id])


@bp.post("/assignments/<role_id>/<int:actor_id>")
def assign_site(role_id: str, actor_id: int) -> Response:
    """Make an account an administrator (the only site-wide role)."""
    user = _admin()
    assignments.assign(db(), user, None, find_role(role_id), actor_id)
    db().commit()
    return jsonify({"success": True})


@bp.delete("/assignments/<role_id>/<int:actor_id>")
def unassign_site(role_id: str, actor_id: int) -> Response:
    user = _admin()
    assignments.unassign(db(), user, None, find_role(role_id), actor_id)
    db().commit()
    return jsonify({"success": True})


def _project_user(project_id: int, verb: str) -> User:
    user = api_user()
    permissions.require(db(), user, verb, project_id)
    projects.get_project(db(), project_id)
    return user


@bp.get("/projects/<int:project_id>/assignments")
def project_assignments(project_id: int) -> Response:
    """The project's role grants as {actorId, roleId} (manager 5, viewer 6, Data Collector 8, supervisor 101)."""
    _project_user(project_id, "user.read")
    return _assignment_list(assignments.project_assignments(db(), project_id))


@bp.get("/projects/<int:project_id>/assignments/<role_id>")
def project_assignees(project_id: int, role_id: str) -> Response:
    _project_user(project_id, "user.read")
    role = find_role(role_id)
    rows = assignments.project_assignments(db(), project_id)
    return jsonify([actor_json(a.user) for a in rows if a.role.id == role.id])


@bp.post("/projects/<int:project_id>/assignments/<role_id>/<int:actor_id>")
def assign_in_project(project_id: int, role_id: str, actor_id: int) -> Response:
    user = _project_user(project_id, "user.update")
    assignments.assign(db(), user, project_id, find_role(role_id), actor_id)
    db().commit()
    return jsonify({"success": True})


@bp.delete("/projects/<int:project_id>/assignments/<role_id>/<int:actor_id>")
def unassign_in_project(project_id: int, role_id: str, actor_id: int) -> Response:
    user = _project_user(project_id, "user.update")
    assignments.unassign(db(), user, project_id, find_role(role_id), actor_id)
    db().commit()
    return jsonify({"success": True})


def register(app: Flask) -> None:
    app.register_blueprint(bp)
