"""Users page (administrators, project managers): accounts, roles per project, deactivation, password
resets, and printable onboarding sheets with the QR code that configures ODK Collect."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, request, url_for
from sqlalchemy import select

from server.core.accounts import collect_qr, management
from server.core.ground.errors import BadRequest, ChumchonError
from server.core.models import Project, User
from server.web.context import db, services
from server.web.ui.blueprint import bp
from server.web.ui.session import _, current_user, pick, render


def _manager() -> management.Manager:
    return management.manager_for(db(), current_user())


def _projects(manager: management.Manager) -> list[Project]:
    rows = db().scalars(select(Project).order_by(Project.id)).all()
    return [p for p in rows if manager.may_manage_project(p.id)]


def _page(manager: management.Manager, status: int = 200, **extra: Any) -> Response:
    projects = _projects(manager)
    return render(
        "ui/users.html",
        status=status,
        users=management.visible_users(db(), manager),
        projects=projects,
        project_names={p.id: p.name for p in db().scalars(select(Project))},
        roles=manager.assignable_roles(),
        manager=manager,
        **extra,
    )


def _project_id(raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise BadRequest("โครงการไม่ถูกต้อง / Unknown project.") from exc


@bp.get("/users")
def users_page() -> Response:
    notice = _("users.saved") if request.args.get("saved") else None
    return _page(_manager(), notice=notice)


def _act(action: Any) -> Response:
    """Run one change; on a domain error show the page again with the message, nothing kept."""
    manager = _manager()
    try:
        action(manager)
    except ChumchonError as err:
        db().rollback()
        return _page(manager, status=err.status, error=pick(err.message))
    db().commit()
    return redirect(url_for("ui.users_page", saved=1))  # type: ignore[return-value]


@bp.post("/users")
def users_create() -> Response:
    form = request.form
    return _act(lambda m: management.create_account(
        db(), m, form.get("username", ""), form.get("role", ""), project_id=_project_id(form.get("project_id")),
        display_name=form.get("display_name"), password=form.get("password") or None,
        area_code=form.get("area_code") or None,
    ))


@bp.post("/users/<int:user_id>/grant")
def users_grant(user_id: int) -> Response:
    form = request.form
    return _act(lambda m: management.grant_role(
        db(), m, management.get_managed_user(db(), m, user_id), form.get("role", ""),
        _project_id(form.get("project_id")), form.get("area_code") or None,
    ))


@bp.post("/users/<int:user_id>/revoke/<int:grant_id>")
def users_revoke(user_id: int, grant_id: int) -> Response:
    return _act(lambda m: management.revoke_role(db(), m, management.get_managed_user(db(), m, user_id), grant_id))


@bp.post("/users/<int:user_id>/active")
def users_active(user_id: int) -> Response:
    active = request.form.get("active") == "1"
    return _act(lambda m: management.set_active(db(), m, management.get_managed_user(db(), m, user_id), active))


@bp.post("/users/<int:user_id>/password")
def users_password(user_id: int) -> Response:
    new = request.form.get("password", "")
    return _act(lambda m: management.reset_password(db(), m, management.get_managed_user(db(), m, user_id), new))


def _base_url() -> str:
    return services().settings.public_url or request.host_url.rstrip("/")


def _sheet(user: User, project: Project) -> dict[str, Any]:
    payload = collect_qr.encode_settings(
        collect_qr.collect_settings(_base_url(), user.collect_token or "", project.id, project.name,
                                    username=user.username)
    )
    return {"user": user, "project": project, "qr_svg": collect_qr.qr_svg(payload)}


@bp.get("/users/<int:user_id>/sheet/<int:project_id>")
def onboarding_sheet(user_id: int, project_id: int) -> Response:
    manager = _manager()
    pairs = [(u, pid) for u, pid in management.collectors(db(), manager, project_id) if u.id == user_id]
    if not pairs:
        raise BadRequest("ผู้ใช้นี้ไม่ใช่พนักงานเก็บข้อมูลของโครงการนี้ / This user is not a collector in this project.")
    project = db().get(Project, project_id)
    assert project is not None
    return render("ui/sheets.html", sheets=[_sheet(pairs[0][0], project)])


@bp.get("/users/sheets")
def onboarding_sheets() -> Response:
    manager = _manager()
    projects = {p.id: p for p in db().scalars(select(Project))}
    pairs = management.collectors(db(), manager, _project_id(request.args.get("project")))
    return render("ui/sheets.html", sheets=[_sheet(u, projects[pid]) for u, pid in pairs])
