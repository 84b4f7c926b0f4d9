"""Who may do what, per project. Checked on every request by the web layer and by the CLI's API peers."""

from __future__ import annotations

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
         "submission.read", "submission.update", "export.create", "export.read", "user.read", "user.update"}
    ),
}


def verbs_for(session: Session, user: User, project_id: int | None) -> frozenset[str]:
    grants = session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id)).all()
    verbs: set[str] = set()
    for grant in grants:
        if grant.role == "admin":
            return frozenset({"*"})
        if grant.project_id is None or grant.project_id == project_id:
            verbs |= ROLE_VERBS.get(grant.role, frozenset())
    return frozenset(verbs)


def can(session: Session, user: User | None, verb: str, project_id: int | None) -> bool:
    if user is None or not user.active:
        return False
    verbs = verbs_for(session, user, project_id)
    return "*" in verbs or verb in verbs


def require(session: Session, user: User | None, verb: str, project_id: int | None) -> None:
    if not can(session, user, verb, project_id):
        raise Forbidden(
            "คุณไม่มีสิทธิ์ทำรายการนี้ / You are not allowed to do this.", verb=verb, project_id=project_id
        )

