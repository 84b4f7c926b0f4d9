"""Browser sign-in for the web application: server-side sessions (token SHA-256 in the database), idle
expiry, CSRF tokens bound to the session, the lock-out after repeated failures, and changing a password.

Everything is in the database so that any number of web processes agree on who is signed in and who is
locked out."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from server.core.accounts import users
from server.core.ground.errors import BadRequest, TooManyAttempts, Unauthenticated
from server.core.models import AuditEvent, LoginFailure, User, WebSession, utcnow

MAX_FAILURES = 10
LOCKOUT = timedelta(minutes=15)
# last_seen_at is written at most this often, so that reading pages does not write on every request.
TOUCH_EVERY = timedelta(seconds=60)

WRONG_LOGIN = "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง / Wrong username or password."
LOCKED_OUT = (
    "เข้าสู่ระบบผิดพลาดหลายครั้งเกินไป ระบบระงับการเข้าสู่ระบบไว้ 15 นาที กรุณารอแล้วลองใหม่"
    " หรือติดต่อผู้ดูแลระบบ / Too many failed sign-ins: signing in is blocked for 15 minutes."
    " Wait and try again, or ask an administrator."
)


@dataclass(frozen=True)
class SignedIn:
    """A fresh sign-in: the cookie value (shown once, never stored) and its database row."""

    token: str
    web_session: WebSession
    user: User


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret_key: str, session_token: str) -> str:
    """The CSRF token for a session (or an anonymous pre-session nonce): an HMAC, so nothing to store."""
    return hmac.new(secret_key.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def check_csrf(secret_key: str, session_token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(secret_key, session_token), presented or "")


def _audit(session: Session, action: str, actor_id: int | None, target: str, **details: object) -> None:
    session.add(AuditEvent(actor_id=actor_id, action=action, target=target, details=dict(details)))


def recent_failures(session: Session, username: str, address: str, now: datetime | None = None) -> tuple[int, int]:
    """(failures for this username, failures from this address) within the lock-out window."""
    since = (now or utcnow()) - LOCKOUT
    by_user = session.scalar(
        select(func.count()).select_from(LoginFailure).where(
            LoginFailure.username == username, LoginFailure.failed_at > since
        )
    )
    by_address = session.scalar(
        select(func.count()).select_from(LoginFailure).where(
            LoginFailure.address == address, LoginFailure.failed_at > since
        )
    )
    return int(by_user or 0), int(by_address or 0)


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    address: str,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> SignedIn:
    """Check a username and password and start a session. Wrong credentials are counted; the 10th
    failure for an account or an address locks both out for 15 minutes (TooManyAttempts). The caller
    commits in every case: failures and their audit rows must be kept even though this raises."""
    now = now or utcnow()
    username = username.strip()[:150]
    address = (address or "-")[:64]
    by_user, by_address = recent_failures(session, username, address, now)
    if by_user >= MAX_FAILURES or by_address >= MAX_FAILURES:
        _audit(session, "auth.login.refused", None, f"user:{username}", address=address)
        raise TooManyAttempts(LOCKED_OUT)
    user = users.find_user(session, username)
    if user is None or not users.verify_password(user, password):
        session.add(LoginFailure(username=username, address=address, failed_at=now))
        _audit(session, "auth.login.failed", user.id if user else None, f"user:{username}", address=address)
        if by_user + 1 >= MAX_FAILURES or by_address + 1 >= MAX_FAILURES:
            _audit(session, "auth.lockout", user.id if user else None, f"user:{username}", address=address,
                   failures_for_user=by_user + 1, failures_from_address=by_address + 1)
            raise TooManyAttempts(LOCKED_OUT)
        raise Unauthenticated(WRONG_LOGIN)
    # A success clears the account's count (not the address's: one good password must not unlock guessing).
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    token = secrets.token_urlsafe(32)
    row = WebSession(
        user_id=user.id,
        token_sha256=_sha256(token),
        address=address,
        user_agent=(user_agent or "")[:255] or None,
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    _audit(session, "auth.login", user.id, f"user:{user.username}", address=address)
    session.flush()
    return SignedIn(token=token, web_session=row, user=user)


def resume(session: Session, token: str | None, idle_seconds: float, now: datetime | None = None) -> User | None:
    """The user of a session cookie, or None when it is unknown, idle too long, or the user is inactive.
    Refreshes the session's last-seen time (at most once a minute); the caller commits."""
    if not token:
        return None
    now = now or utcnow()
    row = session.scalar(select(WebSession).where(WebSession.token_sha256 == _sha256(token)))
    if row is None:
        return None
    if row.last_seen_at + timedelta(seconds=idle_seconds) < now:
        session.delete(row)
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return user


def sign_out(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.scalar(select(WebSession).where(WebSession.token_sha256 == _sha256(token)))
    if row is not None:
        _audit(session, "auth.logout", row.user_id, f"user_id:{row.user_id}")
        session.delete(row)


def end_sessions(session: Session, user_id: int, *, keep_token: str | None = None) -> None:
    """Sign a user out everywhere (after a password change, a reset or deactivation)."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep_token:
        query = query.where(WebSession.token_sha256 != _sha256(keep_token))
    session.execute(query)


def change_own_password(session: Session, user: User, current: str, new: str, repeat: str, *,
                        keep_token: str | None = None) -> None:
    """Change one's own password: the current one must be right, the new one typed twice and ≥ 8
    characters. Other sessions of the user end; this one stays."""
    if not users.verify_password(user, current):
        raise BadRequest("รหัสผ่านปัจจุบันไม่ถูกต้อง / The current password is wrong.")
    if new != repeat:
        raise BadRequest("รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน / The two new passwords differ.")
    if len(new) < 8:
        raise BadRequest("รหัสผ่านต้องยาวอย่างน้อย 8 ตัวอักษร / The password must be at least 8 characters.")
    users.set_password(user, new)
    end_sessions(session, user.id, keep_token=keep_token)
    _audit(session, "user.password.change", user.id, f"user:{user.username}")
    session.flush()


def purge_expired(session: Session, idle_seconds: float, now: datetime | None = None) -> int:
    """Delete idle sessions and failures older than the lock-out window; returns sessions removed."""
    now = now or utcnow()
    gone = session.execute(
        delete(WebSession).where(WebSession.last_seen_at < now - timedelta(seconds=idle_seconds))
    )
    session.execute(delete(LoginFailure).where(or_(LoginFailure.failed_at < now - LOCKOUT)))
    return int(getattr(gone, "rowcount", 0) or 0)
