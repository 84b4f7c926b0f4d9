"""Role assignments as ODK Central lists them (actorId / roleId pairs), on Chumchon's role grants:
project assignments (manager, viewer, Data Collector, supervisor) and site-wide ones (admin).
Permission checks are the caller's; every change is in the audit trail under Central's names."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import permissions, users
from server.core.accounts.roles import Role, assignable_in_project, role_for_grant
from server.core.ground.errors import BadRequest, NotFound
from server.core.models import AuditEvent, RoleGrant, User


@dataclass(frozen=True)
class Assignment:
    user: User
    role: Role


def _active_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound(f"ไม่พบผู้ใช้ {user_id} / Actor {user_id} not found.", actor_id=user_id)
    return user


def _audit(session: Session, actor: User | None, action: str, target: User, **details: object) -> None:
    kind = "field_key" if target.password_hash is None and target.collect_token else "user"
    session.add(
        AuditEvent(
            actor_id=actor.id if actor is not None else None,
            action=f"{kind}.{action}",
            target=f"user:{target.username}",
            details=dict(details),
        )
    )


def _grants(session: Session, project_id: int | None) -> list[Assignment]:
    condition = RoleGrant.project_id.is_(None) if project_id is None else RoleGrant.project_id == project_id
    rows = session.execute(
        select(RoleGrant.role, User)
        .join(User, User.id == RoleGrant.user_id)
        .where(condition, User.active.is_(True))
        .order_by(RoleGrant.id)
    ).all()
    return [Assignment(user, role_for_grant(role)) for role, user in rows]


def project_assignments(session: Session, project_id: int) -> list[Assignment]:
    return _grants(session, project_id)


def site_assignments(session: Session) -> list[Assignment]:
    return _grants(session, None)


def assign(session: Session, actor: User | None, project_id: int | None, role: Role, user_id: int) -> None:
    """Grant `role` to the account in the project (None: site-wide, admin only). Granting again is
    no change. Data Collectors get a token for the QR code if they had none."""
    target = _active_user(session, user_id)
    if project_id is None:
        if role.system != "admin":
            raise BadRequest(
                "มอบได้เฉพาะบทบาทผู้ดูแลระบบทั้งเว็บไซต์ / Only the admin role is assigned site-wide; "
                "assign other roles on a project.",
                role=role.system,
            )
        chumchon_role = "admin"
    else:
        chumchon_role = assignable_in_project(role)
    if chumchon_role == "collector" and target.collect_token is None:
        target.collect_token = users.new_collect_token()
    permissions.grant_role(session, target, chumchon_role, project_id)
    _audit(session, actor, "assignment.create", target, role=role.system, project_id=project_id)
    session.flush()


def unassign(session: Session, actor: User | None, project_id: int | None, role: Role, user_id: int) -> None:
    target = _active_user(session, user_id)
    if role.chumchon_role is None:
        raise NotFound("ไม่พบการมอบหมายนี้ / That assignment does not exist.")
    condition = RoleGrant.project_id.is_(None) if project_id is None else RoleGrant.project_id == project_id
    grant = session.scalar(
        select(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.role == role.chumchon_role, condition)
    )
    if grant is None:
        raise NotFound("ไม่พบการมอบหมายนี้ / That assignment does not exist.", actor_id=user_id)
    if grant.role == "admin" and actor is not None and actor.id == user_id:
        raise BadRequest("ถอนสิทธิ์ผู้ดูแลของตัวเองไม่ได้ / You cannot remove your own administrator role.")
    target.grants.remove(grant)
    _audit(session, actor, "assignment.delete", target, role=role.system, project_id=project_id)
    session.flush()
