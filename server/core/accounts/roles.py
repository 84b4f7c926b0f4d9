"""ODK Central's role catalogue mapped onto Chumchon's roles: ids and system names as Central's (so
pyodk's `role_id=2` for "App User" works), verbs as this server checks them.

Central's admin, manager and viewer are Chumchon's admin, manager and viewer; Central's Data Collector
(formfill) is Chumchon's project-wide collector, and its App User (app-user) is a collector limited to
the forms assigned to him. Chumchon's supervisor (review within an area) has no Central equivalent
and is listed with its own system name; Central's Public Link (pub-link) exists here only as a name:
Chumchon has no public links, so it cannot be assigned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from server.core.accounts.permissions import ROLE_VERBS
from server.core.ground.errors import BadRequest, NotFound

# The verbs only an administrator holds (site-wide), besides every role's verbs.
ADMIN_ONLY_VERBS = frozenset(
    {"project.create", "user.create", "user.delete", "audit.read", "assignment.site"}
)
# When the catalogue was defined: roles are fixed, so their timestamps are too.
CATALOGUE_DATE = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Role:
    id: int
    system: str
    name: str
    chumchon_role: str | None  # the Chumchon role a project assignment grants (None: not assignable there)
    verbs: tuple[str, ...]


def _verbs(*roles: str) -> tuple[str, ...]:
    found: set[str] = set()
    for role in roles:
        found |= ROLE_VERBS.get(role, frozenset())
    return tuple(sorted(found))


ROLES: tuple[Role, ...] = (
    Role(1, "admin", "Administrator", "admin", tuple(sorted(set(_verbs(*ROLE_VERBS)) | ADMIN_ONLY_VERBS))),
    Role(2, "app-user", "App User", None, _verbs("collector")),
    Role(5, "manager", "Project Manager", "manager", _verbs("manager")),
    Role(6, "viewer", "Project Viewer", "viewer", _verbs("viewer")),
    Role(8, "formfill", "Data Collector", "collector", _verbs("collector")),
    Role(9, "pub-link", "Public Link", None, ()),
    Role(101, "supervisor", "Supervisor (ผู้ตรวจสอบ)", "supervisor", _verbs("supervisor")),
)
_BY_ID = {role.id: role for role in ROLES}
_BY_SYSTEM = {role.system: role for role in ROLES}
# Chumchon's own role names are accepted where Central takes a role id or system name.
_ALIASES = {"collector": "formfill"}
APP_USER = _BY_SYSTEM["app-user"]


def find_role(param: str | int) -> Role:
    """A role by numeric id or system name (as Central's /roles/:id), else NotFound."""
    text = str(param).strip()
    role = _BY_ID.get(int(text)) if text.isascii() and text.isdigit() and len(text) < 10 else _BY_SYSTEM.get(_ALIASES.get(text, text))
    if role is None:
        raise NotFound(f"ไม่พบบทบาท {text!r} / Role {text!r} not found.", role=text)
    return role


def role_for_grant(chumchon_role: str) -> Role:
    """The Central role that a Chumchon role grant is shown as."""
    for role in ROLES:
        if role.chumchon_role == chumchon_role:
            return role
    raise NotFound(f"Role {chumchon_role!r} has no Central equivalent.")


def assignable_in_project(role: Role) -> str:
    """The Chumchon role a project assignment of `role` grants; BadRequest when there is none."""
    if role.chumchon_role is None or role.system == "admin":
        raise BadRequest(
            f"บทบาท {role.system} มอบในโครงการไม่ได้ / The role {role.system!r} cannot be assigned on a "
            "project here (app users get forms assigned; admin is site-wide; there are no public links).",
            role=role.system,
        )
    return role.chumchon_role
