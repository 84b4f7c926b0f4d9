"""Accounts: creating users, argon2 passwords, the Digest HA1, collector tokens and API sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.accounts.permissions import Principal, principal_of
from server.core.ground.cache import LookupCache
from server.core.ground.errors import BadRequest, Conflict
from server.core.models import ROLES, ApiSession, Project, User, utcnow

DIGEST_REALM = "chumchon"
API_SESSION_LIFETIME = timedelta(hours=24)
MAX_USERNAME_LENGTH = 150
_hasher = PasswordHasher()


def digest_ha1(username: str, password: str, realm: str = DIGEST_REALM) -> str:
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


def new_collect_token() -> str:
    # 48 random bytes, URL-safe: as long as ODK Central's app-user tokens and safe in a path segment.
    return secrets.token_urlsafe(48)


def create_user(
    session: Session,
    username: str,
    role: str,
    *,
    password: str | None = None,
    project_id: int | None = None,
    display_name: str | None = None,
    area_code: str | None = None,
) -> User:
    """Create an account with one role (a supervisor or viewer optionally limited to an area, see
    permissions.grant_role). Collectors get a token for the QR code; others need a password."""
    username = username.strip()
    if not username or len(username) > MAX_USERNAME_LENGTH or any(c.isspace() for c in username):
        raise BadRequest("ชื่อผู้ใช้ต้องไม่ว่างและไม่มีช่องว่าง / The username must be non-empty, without spaces.")
    if role not in ROLES:
        raise BadRequest(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    if role != "collector" and not password:
        raise BadRequest("บัญชีนี้ต้องมีรหัสผ่าน / This account needs a password.")
    if password is not None and len(password) < 8:
        raise BadRequest("รหัสผ่านต้องยาวอย่างน้อย 8 ตัวอักษร / The password must be at least 8 characters.")
    if project_id is not None and session.get(Project, project_id) is None:
        raise BadRequest(f"Project {project_id} does not exist.")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"ชื่อผู้ใช้ {username} มีอยู่แล้ว / The username {username} is already taken.")
    user = User(username=username, display_name=display_name or username)
    if password:
        set_password(user, password)
    if role == "collector":
        user.collect_token = new_collect_token()
    session.add(user)
    session.flush()
    permissions.grant_role(session, user, role, project_id, area_code)
    return user


def set_password(user: User, password: str) -> None:
    user.password_hash = _hasher.hash(password)
    # Digest needs HA1; only ASCII credentials survive Collect's US-ASCII Digest encoding.
    user.digest_ha1 = digest_ha1(user.username, password) if (user.username + password).isascii() else None


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash or not user.active:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username, User.active.is_(True)))


def find_by_collect_token(session: Session, token: str) -> User | None:
    if not token:
        return None
    return session.scalar(select(User).where(User.collect_token == token, User.active.is_(True)))


def cached_user(session: Session, cache: LookupCache, username: str) -> Principal | None:
    """The active account with this username as plain data, from the per-process cache (Digest logins)."""

    def load(s: Session) -> Principal | None:
        user = find_user(s, username)
        return principal_of(s, user) if user is not None else None

    return cache.get(session, ("user", username), load) if username else None


def cached_collector(session: Session, cache: LookupCache, token: str) -> Principal | None:
    """The active account behind a collector token (path URL / QR code), from the per-process cache."""

    def load(s: Session) -> Principal | None:
        user = find_by_collect_token(s, token)
        return principal_of(s, user) if user is not None else None

    return cache.get(session, ("collector", token), load) if token else None


def start_api_session(session: Session, user: User) -> str:
    return open_api_session(session, user)[0]


def open_api_session(session: Session, user: User) -> tuple[str, ApiSession]:
    """A new bearer token and its row (created and expiry times, as POST /v1/sessions answers them)."""
    token = secrets.token_urlsafe(48)
    now = utcnow()
    row = ApiSession(
        user_id=user.id,
        token_sha256=hashlib.sha256(token.encode()).hexdigest(),
        created_at=now,
        expires_at=now + API_SESSION_LIFETIME,
    )
    session.add(row)
    return token, row


def end_api_session(session: Session, token: str) -> bool:
    """Log out one API session; True if it existed."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    api_session = session.scalar(select(ApiSession).where(ApiSession.token_sha256 == digest))
    if api_session is None:
        return False
    session.delete(api_session)
    session.flush()
    return True


def find_by_api_token(session: Session, token: str) -> User | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    api_session = session.scalar(select(ApiSession).where(ApiSession.token_sha256 == digest))
    if api_session is None or api_session.expires_at < utcnow():
        return None
    user = session.get(User, api_session.user_id)
    return user if user is not None and user.active else None
