"""Who may do what, per project. Checked on every request by the web layer and by the CLI's API peers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.ground.errors import Forbidden
from server.core.models import RoleGrant, User

# Each role's verbs. Admin holds everything, everywhere.
ROLE_VERBS: dict[str, frozenset[str]] = {
    "collector": frozenset({"project.read", "form.list", "form.read", "submission.create"}),
    "supervisor": frozenset(
        {"project.read", "form.list", "form.read", "submission.create", "submission.read",
         "submission.update", "export.create", "export.read"}
    ),
    "manager": frozenset(
        {"project.read", "form.list", "form.read", "form.create", "form.update", "submission.create",
         "submission.read", "submission.update", "export.create", "export.read", "user.read"}
    ),
}


@dataclass(frozen=True)
class Principal:
    """An account and its grants as plain data: what the per-process lookup cache keeps for the hot
    OpenRosa path (see server.core.ground.cache), so a permission check costs no query."""

    id: int
    username: str
    active: bool
    digest_ha1: str | None
    grants: tuple[tuple[str, int | None], ...]  # (role, project_id or None for site-wide)


def principal_of(session: Session, user: User) -> Principal:
    grants = session.execute(
        select(RoleGrant.role, RoleGrant.project_id).where(RoleGrant.user_id == user.id).order_by(RoleGrant.id)
    ).all()
    return Principal(
        id=user.id,
        username=user.username,
        active=user.active,
        digest_ha1=user.digest_ha1,
        grants=tuple((role, project_id) for role, project_id in grants),
    )


def verbs_from_grants(grants: tuple[tuple[str, int | None], ...], project_id: int | None) -> frozenset[str]:
    verbs: set[str] = set()
    for role, grant_project in grants:
        if role == "admin":
            return frozenset({"*"})
        if grant_project is None or grant_project == project_id:
            verbs |= ROLE_VERBS.get(role, frozenset())
    return frozenset(verbs)


def verbs_for(session: Session, user: User | Principal, project_id: int | None) -> frozenset[str]:
    if isinstance(user, Principal):
        return verbs_from_grants(user.grants, project_id)
    grants = session.execute(select(RoleGrant.role, RoleGrant.project_id).where(RoleGrant.user_id == user.id))
    return verbs_from_grants(tuple((role, pid) for role, pid in grants), project_id)


def can(session: Session, user: User | Principal | None, verb: str, project_id: int | None) -> bool:
    if user is None or not user.active:
        return False
    verbs = verbs_for(session, user, project_id)
    return "*" in verbs or verb in verbs


def require(session: Session, user: User | Principal | None, verb: str, project_id: int | None) -> None:
    if not can(session, user, verb, project_id):
        raise Forbidden(
            "คุณไม่มีสิทธิ์ทำรายการนี้ / You are not allowed to do this.", verb=verb, project_id=project_id
        )

