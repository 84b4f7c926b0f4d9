"""App users (ODK Central's field keys) and their form assignments, on Chumchon's collectors.

An app user is a token account (the token is the collector's QR/path token). Those made through the
API are bound to one project (a FieldKey row) with no rights until forms are assigned to them; a
collector made in the web application or the CLI, with a project grant, is an app user of that
project too and keeps every form until forms are assigned to him. Permission checks are the caller's
(server.core.accounts.permissions); every change is in the audit trail under Central's action names."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, func, or_, select
from sqlalchemy.orm import Session

from server.core.accounts import users, web_sessions
from server.core.ground.errors import BadRequest, NotFound
from server.core.models import AuditEvent, FieldKey, Form, FormAssignment, RoleGrant, Submission, User

MAX_DISPLAY_NAME = 255


@dataclass(frozen=True)
class AppUser:
    user: User
    project_id: int
    created_by: User | None = None
    last_used: datetime | None = None


def _audit(session: Session, actor: User | None, action: str, target: User, **details: object) -> None:
    session.add(
        AuditEvent(
            actor_id=actor.id if actor is not None else None,
            action=action,
            target=f"user:{target.username}",
            details=dict(details),
        )
    )


def _member_condition(project_id: int) -> ColumnElement[bool]:
    keyed = select(FieldKey.user_id).where(FieldKey.project_id == project_id)
    granted = select(RoleGrant.user_id).where(RoleGrant.project_id == project_id, RoleGrant.role == "collector")
    return or_(User.id.in_(keyed), User.id.in_(granted))


def _query(project_id: int) -> Select[User]:
    return select(User).where(
        User.active.is_(True), User.collect_token.is_not(None), _member_condition(project_id)
    )


def _extend(session: Session, project_id: int, rows: list[User]) -> list[AppUser]:
    """Who made each app user (from FieldKey, else the audit trail) and when it last submitted."""
    if not rows:
        return []
    ids = [u.id for u in rows]
    creators: dict[int, int] = {
        uid: cid
        for uid, cid in session.execute(
            select(FieldKey.user_id, FieldKey.created_by_id).where(FieldKey.user_id.in_(ids))
        )
        if cid is not None
    }
    by_target = {f"user:{u.username}": u.id for u in rows if u.id not in creators}
    if by_target:
        for target, actor_id in session.execute(
            select(AuditEvent.target, AuditEvent.actor_id).where(
                AuditEvent.action == "user.create", AuditEvent.target.in_(list(by_target))
            )
        ):
            if actor_id is not None and target is not None:
                creators.setdefault(by_target[target], actor_id)
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(set(creators.values()))))}
    last_used = dict(
        session.execute(
            select(Submission.submitter_id, func.max(Submission.created_at))
            .where(Submission.submitter_id.in_(ids))
            .group_by(Submission.submitter_id)
        ).all()
    )
    return [
        AppUser(u, project_id, people.get(creators.get(u.id, -1)), last_used.get(u.id)) for u in rows
    ]


def list_app_users(session: Session, project_id: int, *, extended: bool = False) -> list[AppUser]:
    """The project's app users, newest first (Central's order)."""
    rows = list(session.scalars(_query(project_id).order_by(User.created_at.desc(), User.id.desc())))
    if extended:
        return _extend(session, project_id, rows)
    return [AppUser(u, project_id) for u in rows]


def get_app_user(session: Session, project_id: int, user_id: int, *, extended: bool = False) -> AppUser:
    user = session.scalar(_query(project_id).where(User.id == user_id))
    if user is None:
        raise NotFound(
            f"ไม่พบผู้ใช้แอป {user_id} ในโครงการนี้ / App user {user_id} not found in this project.",
            actor_id=user_id,
        )
    return _extend(session, project_id, [user])[0] if extended else AppUser(user, project_id)


def create_app_user(session: Session, actor: User | None, project_id: int, display_name: str) -> AppUser:
    """A new token account bound to the project, with no forms yet. The caller commits."""
    name = display_name.strip()
    if not name or len(name) > MAX_DISPLAY_NAME:
        raise BadRequest(
            f"ต้องระบุชื่อ (ไม่เกิน {MAX_DISPLAY_NAME} ตัวอักษร) / displayName must be 1..{MAX_DISPLAY_NAME} "
            "characters.",
            field="displayName",
        )
    username = f"app-{secrets.token_hex(6)}"
    while session.scalar(select(User.id).where(User.username == username)) is not None:
        username = f"app-{secrets.token_hex(6)}"
    user = User(username=username, display_name=name, collect_token=users.new_collect_token())
    session.add(user)
    session.flush()
    session.add(FieldKey(user_id=user.id, project_id=project_id, created_by_id=actor.id if actor else None))
    _audit(session, actor, "field_key.create", user, project_id=project_id, displayName=name)
    session.flush()
    return AppUser(user, project_id, actor)


def delete_app_user(session: Session, actor: User | None, project_id: int, user_id: int) -> None:
    """Take the app user out of the project: its collector grant and form assignments there go; an
    account left with no project is deactivated, so its token (QR code) stops working at once."""
    app_user = get_app_user(session, project_id, user_id).user
    form_ids = select(Form.id).where(Form.project_id == project_id)
    session.execute(
        delete(FormAssignment).where(FormAssignment.user_id == user_id, FormAssignment.form_id.in_(form_ids))
    )
    for grant in [g for g in app_user.grants if g.project_id == project_id]:
        app_user.grants.remove(grant)
    session.execute(delete(FieldKey).where(FieldKey.user_id == user_id, FieldKey.project_id == project_id))
    session.flush()
    if not app_user.grants and session.get(FieldKey, user_id) is None:
        app_user.active = False
        web_sessions.end_sessions(session, user_id)
    _audit(session, actor, "field_key.delete", app_user, project_id=project_id)
    session.flush()


def form_assignees(session: Session, form: Form) -> list[User]:
    """The active accounts assigned to this form, in order of assignment."""
    return list(
        session.scalars(
            select(User)
            .join(FormAssignment, FormAssignment.user_id == User.id)
            .where(FormAssignment.form_id == form.id, User.active.is_(True))
            .order_by(FormAssignment.id)
        )
    )


def assign_form(session: Session, actor: User | None, form: Form, user_id: int) -> None:
    """Assign the form to one of its project's app users (again: no change)."""
    app_user = get_app_user(session, form.project_id, user_id).user
    exists = session.scalar(
        select(FormAssignment.id).where(FormAssignment.user_id == user_id, FormAssignment.form_id == form.id)
    )
    if exists is None:
        session.add(FormAssignment(user_id=user_id, form_id=form.id))
        _audit(session, actor, "field_key.assignment.create", app_user, form=form.xml_form_id,
               project_id=form.project_id, role="app-user")
    session.flush()


def unassign_form(session: Session, actor: User | None, form: Form, user_id: int) -> None:
    """Remove an assignment; NotFound when there was none (as Central)."""
    row = session.scalar(
        select(FormAssignment).where(FormAssignment.user_id == user_id, FormAssignment.form_id == form.id)
    )
    if row is None:
        raise NotFound("ไม่พบการมอบหมายนี้ / That assignment does not exist.", actor_id=user_id)
    target = session.get(User, user_id)
    session.delete(row)
    if target is not None:
        _audit(session, actor, "field_key.assignment.delete", target, form=form.xml_form_id,
               project_id=form.project_id, role="app-user")
    session.flush()
