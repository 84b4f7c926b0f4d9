"""Who may do what, per project and per area. Checked on every request by the web layer and by the
CLI's API peers.

Roles: admin (everything, everywhere), manager, supervisor, viewer, collector. A supervisor or viewer
grant may carry an area: a DOPA province (2 digits), district (4) or subdistrict (6) code. The grant's
verbs then reach only the submissions whose place (copied from their answers when processed, see
server.core.submissions.facts) lies inside that area; `submission_scope` gives the SQL condition.

Decisions (documented here because the UI and the API both rely on them):
- viewer reads submissions and exports and may start an export (an office clerk's work); no review,
  no comments, no sensitive fields.
- sensitive fields (marked `sensitive` in the XLSForm) are shown only with `submission.read_sensitive`,
  held by admin and manager; everyone else sees them masked.
- commenting is reviewing: it needs `submission.update` (ODK Central lets any reader comment).
- form assignments (ODK Central's "app-user" role on a form) give a collector's verbs on that form
  only; a collector with form assignments in a project sees and fills only those forms there (a
  collector without any keeps every form of his project, as before). `form_scope` answers it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from server.core.ground.errors import BadRequest, Forbidden
from server.core.models import ROLES, Form, FormAssignment, RoleGrant, Submission, User

# Each role's verbs. Admin holds everything, everywhere.
ROLE_VERBS: dict[str, frozenset[str]] = {
    "collector": frozenset({"project.read", "form.list", "form.read", "submission.create"}),
    "viewer": frozenset(
        {"project.read", "form.list", "form.read", "submission.read", "export.create", "export.read"}
    ),
    "supervisor": frozenset(
        {
            "project.read",
            "form.list",
            "form.read",
            "submission.create",
            "submission.read",
            "submission.update",
            "export.create",
            "export.read",
        }
    ),
    "manager": frozenset(
        {
            "project.read",
            "form.list",
            "form.read",
            "form.create",
            "form.update",
            "form.delete",
            "form.restore",
            "submission.create",
            "submission.delete",
            "submission.restore",
            "submission.read",
            "submission.read_sensitive",
            "submission.update",
            "export.create",
            "export.read",
            "user.read",
            "user.update",
            "webhook.manage",
            # Entity lists hold whole registries (names, bank accounts) across areas: managers only.
            "entity.read",
            "entity.create",
            "entity.update",
            "entity.delete",
            "dataset.create",
            "dataset.update",
        }
    ),
}
# What a form assignment gives on its form (Central's app-user role, which is Chumchon's collector).
APP_USER_VERBS = ROLE_VERBS["collector"]
AREA_ROLES = frozenset({"supervisor", "viewer"})
AREA_LENGTHS = {2: "province", 4: "district", 6: "subdistrict"}

_NOT_ALLOWED = "คุณไม่มีสิทธิ์ทำรายการนี้ / You are not allowed to do this."


@dataclass(frozen=True)
class Area:
    """The part of a project a user's grants reach for one verb: everything (codes None) or the
    union of some DOPA areas."""

    codes: frozenset[str] | None

    @property
    def unlimited(self) -> bool:
        return self.codes is None


# A user's grants as plain data: (role, project_id or None for site-wide, area_code or None for no limit).
Grants = tuple[tuple[str, int | None, str | None], ...]
# A user's form assignments as plain data: (project_id, form_id).
Assignments = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Principal:
    """An account and its grants as plain data: what the per-process lookup cache keeps for the hot
    OpenRosa path (see server.core.ground.cache), so a permission check costs no query."""

    id: int
    username: str
    active: bool
    digest_ha1: str | None
    grants: Grants
    forms: Assignments = ()


def _grant_rows(session: Session, user: User | Principal) -> Grants:
    if isinstance(user, Principal):
        return user.grants
    rows = session.execute(
        select(RoleGrant.role, RoleGrant.project_id, RoleGrant.area_code)
        .where(RoleGrant.user_id == user.id)
        .order_by(RoleGrant.id)
    ).all()
    return tuple((role, project_id, area_code) for role, project_id, area_code in rows)


def _assignment_rows(session: Session, user: User | Principal) -> Assignments:
    if isinstance(user, Principal):
        return user.forms
    rows = session.execute(
        select(Form.project_id, FormAssignment.form_id)
        .join(Form, Form.id == FormAssignment.form_id)
        .where(FormAssignment.user_id == user.id)
        .order_by(FormAssignment.form_id)
    ).all()
    return tuple((project_id, form_id) for project_id, form_id in rows)


def principal_of(session: Session, user: User) -> Principal:
    return Principal(
        id=user.id,
        username=user.username,
        active=user.active,
        digest_ha1=user.digest_ha1,
        grants=_grant_rows(session, user),
        forms=_assignment_rows(session, user),
    )


def verbs_from_grants(grants: Grants, project_id: int | None) -> frozenset[str]:
    verbs: set[str] = set()
    for role, grant_project, _area in grants:
        if role == "admin":
            return frozenset({"*"})
        if grant_project is None or grant_project == project_id:
            verbs |= ROLE_VERBS.get(role, frozenset())
    return frozenset(verbs)


def verbs_for(session: Session, user: User | Principal, project_id: int | None) -> frozenset[str]:
    return verbs_from_grants(_grant_rows(session, user), project_id)


def can(session: Session, user: User | Principal | None, verb: str, project_id: int | None) -> bool:
    if user is None or not user.active:
        return False
    verbs = verbs_for(session, user, project_id)
    return "*" in verbs or verb in verbs


def require(session: Session, user: User | Principal | None, verb: str, project_id: int | None) -> None:
    if not can(session, user, verb, project_id):
        raise Forbidden(_NOT_ALLOWED, verb=verb, project_id=project_id)


def form_scope(
    session: Session, user: User | Principal | None, verb: str, project_id: int
) -> frozenset[int] | None:
    """The forms of a project on which `user` holds `verb`: None for every form, else a set (maybe
    empty). A project grant gives every form, except a collector grant of a collector who has form
    assignments in the project: he then holds his verbs on the assigned forms only."""
    if user is None or not user.active:
        return frozenset()
    assigned = frozenset(form_id for pid, form_id in _assignment_rows(session, user) if pid == project_id)
    for role, grant_project, _area in _grant_rows(session, user):
        if role == "admin":
            return None
        if grant_project not in (None, project_id) or verb not in ROLE_VERBS.get(role, ()):
            continue
        if role == "collector" and assigned:
            continue
        return None
    return assigned if verb in APP_USER_VERBS else frozenset()


def can_on_some_form(session: Session, user: User | Principal | None, verb: str, project_id: int) -> bool:
    """Whether `user` holds `verb` on the project or on at least one of its forms."""
    scope = form_scope(session, user, verb, project_id)
    return scope is None or bool(scope)


def require_form(
    session: Session, user: User | Principal | None, verb: str, project_id: int, form_id: int
) -> None:
    """Forbidden unless `user` holds `verb` on this form (project grant or form assignment)."""
    scope = form_scope(session, user, verb, project_id)
    if scope is not None and form_id not in scope:
        raise Forbidden(_NOT_ALLOWED, verb=verb, project_id=project_id)


def require_some_form(session: Session, user: User | Principal | None, verb: str, project_id: int) -> None:
    if not can_on_some_form(session, user, verb, project_id):
        raise Forbidden(_NOT_ALLOWED, verb=verb, project_id=project_id)


def area_for(session: Session, user: User | Principal | None, verb: str, project_id: int | None) -> Area:
    """The area in which `user` holds `verb` in the project: unlimited if any grant giving the verb
    has no area; the union of the grants' areas otherwise; empty if no grant gives it."""
    if user is None or not user.active:
        return Area(frozenset())
    codes: set[str] = set()
    for role, grant_project, area_code in _grant_rows(session, user):
        if role == "admin":
            return Area(None)
        if grant_project not in (None, project_id) or verb not in ROLE_VERBS.get(role, ()):
            continue
        if area_code is None:
            return Area(None)
        codes.add(area_code)
    return Area(frozenset(codes))


def area_condition(area: Area) -> ColumnElement[bool]:
    """SQL condition on Submission for an area (true() when unlimited)."""
    if area.codes is None:
        return true()
    columns = {2: Submission.province_code, 4: Submission.district_code, 6: Submission.subdistrict_code}
    conditions = [columns[len(code)] == code for code in sorted(area.codes) if len(code) in columns]
    return or_(*conditions) if conditions else false()


def submission_scope(
    session: Session, user: User | Principal | None, project_id: int, verb: str = "submission.read"
) -> ColumnElement[bool]:
    """The SQL condition for "submissions of this project that this user may <verb>" (project and
    form conditions are the caller's). Raises Forbidden when the user does not hold the verb at all."""
    require(session, user, verb, project_id)
    return area_condition(area_for(session, user, verb, project_id))


def check_area_code(code: str | None) -> str | None:
    """A DOPA area code as stored on a grant (2, 4 or 6 digits), or None for "no limit"."""
    if code is None or not str(code).strip():
        return None
    code = str(code).strip()
    if not code.isascii() or not code.isdigit() or len(code) not in AREA_LENGTHS:
        raise BadRequest(
            "รหัสพื้นที่ต้องเป็นตัวเลข 2 หลัก (จังหวัด) 4 หลัก (อำเภอ) หรือ 6 หลัก (ตำบล) / The area code must be "
            "2 (province), 4 (district) or 6 (subdistrict) digits.",
            area_code=code,
        )
    return code


def grant_role(
    session: Session, user: User, role: str, project_id: int | None, area_code: str | None = None
) -> RoleGrant:
    """Give a user a role in a project (or site-wide), optionally limited to an area; replaces the
    area of an existing grant of the same role in the same project."""
    if role not in ROLES:
        raise BadRequest(f"ไม่รู้จักบทบาท {role!r} / Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    area_code = check_area_code(area_code)
    if area_code is not None and role not in AREA_ROLES:
        raise BadRequest(
            "จำกัดพื้นที่ได้เฉพาะผู้ตรวจสอบและผู้ดูข้อมูล / Only supervisor and viewer grants can be limited to an area.",
            role=role,
        )
    project_id = None if role == "admin" else project_id
    grant = session.scalar(
        select(RoleGrant).where(
            RoleGrant.user_id == user.id,
            RoleGrant.role == role,
            RoleGrant.project_id.is_(None) if project_id is None else RoleGrant.project_id == project_id,
        )
    )
    if grant is None:
        grant = RoleGrant(user_id=user.id, role=role, project_id=project_id)
        session.add(grant)
    grant.area_code = area_code
    session.flush()
    session.expire(user, ["grants"])
    return grant
