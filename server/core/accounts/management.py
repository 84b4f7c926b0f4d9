"""Managing accounts from the web application: who may manage whom, creating accounts, granting and
revoking roles per project, deactivating, resetting passwords. Every change is in the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from server.core.accounts import permissions, users, web_sessions
from server.core.ground.errors import BadRequest, Forbidden, NotFound
from server.core.models import ROLES, AuditEvent, Project, PublicLink, User

_NOT_ALLOWED = "คุณไม่มีสิทธิ์จัดการผู้ใช้นี้ / You may not manage this user."


@dataclass(frozen=True)
class Manager:
    """What one signed-in user may manage: everything (admin) or the users of some projects."""

    user: User
    is_admin: bool
    project_ids: frozenset[int]

    def may_manage_project(self, project_id: int | None) -> bool:
        return self.is_admin or (project_id is not None and project_id in self.project_ids)

    def assignable_roles(self) -> tuple[str, ...]:
        return ROLES if self.is_admin else tuple(r for r in ROLES if r != "admin")


def manager_for(session: Session, user: User) -> Manager:
    """Admins manage everyone; a manager manages the accounts of the projects he manages. Others: Forbidden."""
    if "*" in permissions.verbs_for(session, user, None):
        return Manager(user, True, frozenset())
    project_ids = frozenset(
        pid for pid in session.scalars(select(Project.id)) if permissions.can(session, user, "user.update", pid)
    )
    if not project_ids:
        raise Forbidden("เฉพาะผู้ดูแลระบบและผู้จัดการโครงการ / Administrators and project managers only.")
    return Manager(user, False, project_ids)


def _may_manage_user(manager: Manager, target: User) -> bool:
    if manager.is_admin:
        return True
    if any(g.role == "admin" for g in target.grants):
        return False
    return any(g.project_id in manager.project_ids for g in target.grants)


def visible_users(session: Session, manager: Manager) -> list[User]:
    """Accounts the manager may manage; a public link's actor is managed on its form's page instead."""
    rows = session.scalars(
        select(User)
        .where(User.id.not_in(select(PublicLink.actor_id)))
        .options(selectinload(User.grants))
        .order_by(User.username)
    ).all()
    return [u for u in rows if _may_manage_user(manager, u)]


def get_managed_user(session: Session, manager: Manager, user_id: int) -> User:
    target = session.get(User, user_id)
    is_link = session.scalar(select(PublicLink.id).where(PublicLink.actor_id == user_id)) is not None
    if target is None or is_link:
        raise NotFound(f"ไม่พบผู้ใช้ {user_id} / User {user_id} not found.")
    if not _may_manage_user(manager, target):
        raise Forbidden(_NOT_ALLOWED)
    return target


def _audit(session: Session, manager: Manager, action: str, target: User, **details: object) -> None:
    session.add(AuditEvent(actor_id=manager.user.id, action=action, target=f"user:{target.username}",
                           details=dict(details)))


def _check_role(manager: Manager, role: str, project_id: int | None) -> None:
    if role not in manager.assignable_roles():
        raise BadRequest(f"บทบาทไม่ถูกต้อง / Unknown or not allowed role {role!r}.", role=role)
    if role != "admin" and project_id is None and not manager.is_admin:
        raise BadRequest("กรุณาเลือกโครงการ / Choose a project.")
    if role != "admin" and not manager.may_manage_project(project_id):
        raise Forbidden("คุณไม่ได้จัดการโครงการนี้ / You do not manage this project.", project_id=project_id)


def create_account(
    session: Session,
    manager: Manager,
    username: str,
    role: str,
    *,
    project_id: int | None,
    display_name: str | None = None,
    password: str | None = None,
    area_code: str | None = None,
) -> User:
    username = username.strip()
    if not username or len(username) > 150 or any(ch.isspace() for ch in username):
        raise BadRequest("ชื่อผู้ใช้ต้องไม่ว่างและไม่มีช่องว่าง / A username must not be empty or contain spaces.")
    _check_role(manager, role, project_id)
    user = users.create_user(
        session, username, role, password=password or None, project_id=project_id,
        display_name=(display_name or "").strip() or None, area_code=(area_code or "").strip() or None,
    )
    _audit(session, manager, "user.create", user, role=role, project_id=project_id, area_code=area_code or None)
    session.flush()
    return user


def grant_role(session: Session, manager: Manager, target: User, role: str, project_id: int | None,
               area_code: str | None = None) -> None:
    """Give a role in a project; a supervisor or viewer grant may be limited to a DOPA area code."""
    _check_role(manager, role, project_id)
    if role == "collector" and target.collect_token is None:
        target.collect_token = users.new_collect_token()
    area = (area_code or "").strip() or None
    permissions.grant_role(session, target, role, project_id, area)
    _audit(session, manager, "user.grant", target, role=role, project_id=project_id, area_code=area)
    session.flush()


def revoke_role(session: Session, manager: Manager, target: User, grant_id: int) -> None:
    grant = next((g for g in target.grants if g.id == grant_id), None)
    if grant is None:
        raise NotFound("ไม่พบสิทธิ์นี้ / That role grant does not exist.")
    if not manager.may_manage_project(grant.project_id) or (grant.role == "admin" and not manager.is_admin):
        raise Forbidden(_NOT_ALLOWED)
    if grant.role == "admin" and target.id == manager.user.id:
        raise BadRequest("ถอนสิทธิ์ผู้ดูแลของตัวเองไม่ได้ / You cannot remove your own administrator role.")
    target.grants.remove(grant)
    _audit(session, manager, "user.revoke", target, role=grant.role, project_id=grant.project_id)
    session.flush()


def set_active(session: Session, manager: Manager, target: User, active: bool) -> None:
    if target.id == manager.user.id and not active:
        raise BadRequest("ระงับบัญชีของตัวเองไม่ได้ / You cannot deactivate your own account.")
    if target.active == active:
        return
    target.active = active
    if not active:
        web_sessions.end_sessions(session, target.id)
    _audit(session, manager, "user.activate" if active else "user.deactivate", target)
    session.flush()


def reset_password(session: Session, manager: Manager, target: User, new_password: str) -> None:
    if len(new_password) < 8:
        raise BadRequest("รหัสผ่านต้องยาวอย่างน้อย 8 ตัวอักษร / The password must be at least 8 characters.")
    users.set_password(target, new_password)
    web_sessions.end_sessions(session, target.id)
    _audit(session, manager, "user.password.reset", target)
    session.flush()


def collectors(session: Session, manager: Manager, project_id: int | None = None) -> list[tuple[User, int]]:
    """(collector, project id) pairs the manager may print onboarding sheets for, by name."""
    pairs: list[tuple[User, int]] = []
    for user in visible_users(session, manager):
        if not user.active or user.collect_token is None:
            continue
        for grant in user.grants:
            if grant.role == "collector" and grant.project_id is not None and manager.may_manage_project(
                grant.project_id
            ) and (project_id is None or grant.project_id == project_id):
                pairs.append((user, grant.project_id))
    return pairs
