"""Public links (ODK Central's public access links): a manager makes a secret URL that lets anyone,
without signing in, fill one form in ODK Web Forms. Each link has its own actor (an account with no
password and no Collect token, assigned to that form only), so its submissions go through the same
intake as Collect's and are attributed to it; revoking the link deactivates the actor at once.
Submission attempts are counted per link and client address in the database for the rate limit."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.core.ground.errors import BadRequest, ChumchonError, NotFound, TooManyAttempts
from server.core.models import AuditEvent, Form, FormAssignment, PublicLink, PublicLinkHit, User, utcnow

MAX_DISPLAY_NAME = 255
WINDOW = timedelta(hours=1)
ACTOR_PREFIX = "link-"  # the actor's username; never a sign-in name (it has no password)

RATE_LIMITED = (
    "ส่งข้อมูลผ่านลิงก์นี้บ่อยเกินไป กรุณารอสักครู่แล้วส่งใหม่ (ข้อมูลที่กรอกยังอยู่ในหน้านี้) / "
    "Too many submissions through this link; please wait a while and send again (your answers are still "
    "on this page)."
)


class LinkRevoked(ChumchonError):
    """A public link that a manager revoked: gone for good, unlike a mistyped one (404)."""

    status, code = 410, "410.1"


def _audit(session: Session, actor: User | None, action: str, link: PublicLink) -> None:
    session.add(
        AuditEvent(
            actor_id=actor.id if actor is not None else None,
            action=action,
            target=f"form:{link.form.project_id}/{link.form.xml_form_id}",
            details={"publicLinkId": link.actor_id, "displayName": link.display_name, "once": link.once},
        )
    )


def list_links(session: Session, form: Form) -> list[PublicLink]:
    """The form's links that still work, oldest first (Central lists only links not deleted)."""
    return list(
        session.scalars(
            select(PublicLink)
            .where(PublicLink.form_id == form.id, PublicLink.revoked_at.is_(None))
            .order_by(PublicLink.id)
        )
    )


def create_link(session: Session, creator: User | None, form: Form, display_name: str, *, once: bool) -> PublicLink:
    """A new link with its actor, assigned to this form only. The caller commits."""
    name = (display_name or "").strip()
    if not name or len(name) > MAX_DISPLAY_NAME:
        raise BadRequest(
            f"ต้องระบุชื่อลิงก์ (ไม่เกิน {MAX_DISPLAY_NAME} ตัวอักษร) / displayName must be 1..{MAX_DISPLAY_NAME} "
            "characters.",
            field="displayName",
        )
    username = ACTOR_PREFIX + secrets.token_hex(8)
    actor = User(username=username, display_name=name)
    session.add(actor)
    session.flush()
    session.add(FormAssignment(user_id=actor.id, form_id=form.id))
    link = PublicLink(
        form_id=form.id,
        actor_id=actor.id,
        token=secrets.token_urlsafe(32),
        display_name=name,
        once=bool(once),
        created_by_id=creator.id if creator is not None else None,
        created_at=utcnow(),
    )
    session.add(link)
    session.flush()
    _audit(session, creator, "public_link.create", link)
    session.flush()
    return link


def get_link(session: Session, form: Form, actor_id: int) -> PublicLink:
    link = session.scalar(
        select(PublicLink).where(
            PublicLink.form_id == form.id, PublicLink.actor_id == actor_id, PublicLink.revoked_at.is_(None)
        )
    )
    if link is None:
        raise NotFound(
            f"ไม่พบลิงก์สาธารณะ {actor_id} ของแบบฟอร์มนี้ / Public link {actor_id} not found on this form.",
            actor_id=actor_id,
        )
    return link


def revoke_link(session: Session, actor: User | None, form: Form, actor_id: int) -> PublicLink:
    """The link stops working at once: its actor can no longer submit, its page answers 410."""
    link = get_link(session, form, actor_id)
    link.revoked_at = utcnow()
    link.actor.active = False
    _audit(session, actor, "public_link.delete", link)
    session.flush()
    return link


def open_link(session: Session, token: str) -> PublicLink:
    """The working link for a URL token: 404 when unknown, 410 when revoked or its form's project is gone."""
    link = session.scalar(select(PublicLink).where(PublicLink.token == token)) if token else None
    if link is None:
        raise NotFound("ไม่พบลิงก์นี้ กรุณาตรวจสอบที่อยู่ / This link does not exist; check the address.")
    if link.revoked_at is not None or not link.actor.active or link.form.project.deleted_at is not None:
        raise LinkRevoked(
            "ลิงก์นี้ถูกยกเลิกแล้ว ไม่รับข้อมูลอีก กรุณาติดต่อสำนักงานที่ส่งลิงก์ให้ / This link has been "
            "revoked and takes no more submissions; ask the office that sent it to you."
        )
    return link


def count_attempt(
    session: Session,
    link: PublicLink,
    address: str,
    *,
    per_address: int,
    per_link: int,
    now: datetime | None = None,
) -> None:
    """Record one submission attempt, or refuse it (429) when the link has had `per_link` attempts in
    the last hour, or `per_address` from this address. The caller commits either way: a refused
    attempt is not counted, an accepted one is, even if its submission is then refused."""
    now = now or utcnow()
    since = now - WINDOW
    session.execute(delete(PublicLinkHit).where(PublicLinkHit.link_id == link.id, PublicLinkHit.at <= since))
    recent = select(func.count()).select_from(PublicLinkHit).where(
        PublicLinkHit.link_id == link.id, PublicLinkHit.at > since
    )
    from_here = session.scalar(recent.where(PublicLinkHit.address == address)) or 0
    if from_here >= per_address or (session.scalar(recent) or 0) >= per_link:
        raise TooManyAttempts(RATE_LIMITED, retry_after=int(WINDOW.total_seconds()))
    session.add(PublicLinkHit(link_id=link.id, address=address[:64], at=now))
    session.flush()
