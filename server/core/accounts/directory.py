"""Web accounts as ODK Central's /v1/users sees them: listing and search, creating an account without
roles, reading, renaming, deleting (deactivating) and changing one's password. Who may see or change
whom is decided here: an administrator everyone, a manager the accounts of his projects (a Chumchon
extra; Central has no project managers of users), anyone himself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from server.core.accounts import management, permissions, users, web_sessions
from server.core.ground.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthenticated
from server.core.models import ApiSession, AuditEvent, User

MAX_DISPLAY_NAME = 255
_NOT_ALLOWED = "คุณไม่มีสิทธิ์ดูหรือแก้ไขผู้ใช้นี้ / You may not see or change this user."


def is_admin(session: Session, user: User) -> bool:
    return "*" in permissions.verbs_for(session, user, None)


def _audit(session: Session, actor: User, action: str, target: User, **details: object) -> None:
    session.add(
        AuditEvent(actor_id=actor.id, action=action, target=f"user:{target.username}", details=dict(details))
    )


def _web_accounts() -> Select[User]:
    return select(User).where(User.active.is_(True), User.password_hash.is_not(None))


def list_users(session: Session, actor: User, q: str | None = None) -> list[User]:
    """Central's rule: an exact username (Central: email) always finds that account for anyone signed
    in; a search or the full list is for those who may list users (administrators; managers see the
    accounts of their projects), everyone else gets an empty list."""
    text = (q or "").strip()
    if text:
        exact = session.scalar(_web_accounts().where(User.username == text))
        if exact is not None:
            return [exact]
    try:
        manager = management.manager_for(session, actor)
    except Forbidden:
        return []
    query = _web_accounts()
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            or_(func.lower(User.username).like(pattern), func.lower(User.display_name).like(pattern))
        )
    rows = list(session.scalars(query.order_by(User.username)))
    if manager.is_admin:
        return rows
    visible = {u.id for u in management.visible_users(session, manager)}
    return [u for u in rows if u.id in visible]


def last_logins(session: Session, ids: list[int]) -> dict[int, datetime]:
    """The last web sign-in of each account (from the audit trail)."""
    if not ids:
        return {}
    rows = session.execute(
        select(AuditEvent.actor_id, func.max(AuditEvent.logged_at))
        .where(AuditEvent.action == "auth.login", AuditEvent.actor_id.in_(ids))
        .group_by(AuditEvent.actor_id)
    ).all()
    return {int(actor_id): when for actor_id, when in rows if actor_id is not None}


def visible_user(session: Session, actor: User, user_id: int) -> User:
    """The account if the actor may see it: himself, or as administrator or its manager. Others get
    403 whether it exists or not."""
    if user_id == actor.id:
        return actor
    try:
        manager = management.manager_for(session, actor)
    except Forbidden as exc:
        raise Forbidden(_NOT_ALLOWED) from exc
    target = management.get_managed_user(session, manager, user_id)
    if not target.active:
        raise NotFound(f"ไม่พบผู้ใช้ {user_id} / User {user_id} not found.")
    return target


def create_user(
    session: Session, actor: User, email: str, password: str | None, display_name: str | None = None
) -> User:
    """An account with no role (administrators only), as Central's POST /v1/users. Chumchon sends no
    e-mail, so the password is required."""
    if not is_admin(session, actor):
        raise Forbidden("เฉพาะผู้ดูแลระบบ / Administrators only.")
    username = email.strip()
    if not username or len(username) > users.MAX_USERNAME_LENGTH or any(c.isspace() for c in username):
        raise BadRequest(
            "ชื่อผู้ใช้ (email) ต้องไม่ว่างและไม่มีช่องว่าง / The email (username) must be non-empty, without spaces.",
            field="email",
        )
    if not password:
        raise BadRequest(
            "ต้องตั้งรหัสผ่าน (ระบบนี้ไม่ส่งอีเมล) / A password is required: this server sends no e-mail.",
            field="password",
        )
    if len(password) < 8:
        raise BadRequest("รหัสผ่านต้องยาวอย่างน้อย 8 ตัวอักษร / The password must be at least 8 characters.")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"ชื่อผู้ใช้ {username} มีอยู่แล้ว / The username {username} is already taken.")
    name = (display_name or "").strip() or username
    user = User(username=username, display_name=name[:MAX_DISPLAY_NAME])
    users.set_password(user, password)
    session.add(user)
    session.flush()
    _audit(session, actor, "user.create", user)
    session.flush()
    return user


def update_user(
    session: Session, actor: User, target: User, *, display_name: str | None = None, email: str | None = None
) -> User:
    """Rename an account or change its username (Central: email). A new username makes the Digest
    secret useless (it contains the name), so Digest works again only after the next password change."""
    changed: dict[str, object] = {}
    if display_name is not None:
        name = display_name.strip()
        if not name or len(name) > MAX_DISPLAY_NAME:
            raise BadRequest(f"displayName must be 1..{MAX_DISPLAY_NAME} characters.", field="displayName")
        if name != target.display_name:
            target.display_name = name
            changed["displayName"] = name
    if email is not None and email.strip() != target.username:
        username = email.strip()
        if not username or len(username) > users.MAX_USERNAME_LENGTH or any(c.isspace() for c in username):
            raise BadRequest("The email (username) must be non-empty, without spaces.", field="email")
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise Conflict(f"ชื่อผู้ใช้ {username} มีอยู่แล้ว / The username {username} is already taken.")
        changed["email"] = {"from": target.username, "to": username}
        target.username = username
        target.digest_ha1 = None
    if changed:
        _audit(session, actor, "user.update", target, data=changed)
    session.flush()
    return target


def delete_user(session: Session, actor: User, target: User) -> None:
    """Central's delete is a deactivation here: the account cannot sign in, its sessions end, its
    history stays attributed. Administrators only."""
    if not is_admin(session, actor):
        raise Forbidden("เฉพาะผู้ดูแลระบบ / Administrators only.")
    if target.id == actor.id:
        raise BadRequest("ลบบัญชีของตัวเองไม่ได้ / You cannot delete your own account.")
    target.active = False
    web_sessions.end_sessions(session, target.id)
    session.execute(delete(ApiSession).where(ApiSession.user_id == target.id))
    _audit(session, actor, "user.delete", target)
    session.flush()


def change_password(
    session: Session, actor: User, target: User, old: str, new: str, *, keep_api_token_sha256: str | None = None
) -> None:
    """Central's PUT /users/:id/password: the old password must be right (a 401 otherwise); the user's
    other sessions end, the one making the request stays."""
    if target.id != actor.id and not is_admin(session, actor):
        raise Forbidden(_NOT_ALLOWED)
    if not users.verify_password(target, old):
        raise Unauthenticated("รหัสผ่านเดิมไม่ถูกต้อง / The old password is wrong.")
    if len(new) < 8:
        raise BadRequest("รหัสผ่านต้องยาวอย่างน้อย 8 ตัวอักษร / The password must be at least 8 characters.")
    users.set_password(target, new)
    web_sessions.end_sessions(session, target.id)
    query = delete(ApiSession).where(ApiSession.user_id == target.id)
    if keep_api_token_sha256:
        query = query.where(ApiSession.token_sha256 != keep_api_token_sha256)
    session.execute(query)
    _audit(session, actor, "user.password.change", target)
    session.flush()
