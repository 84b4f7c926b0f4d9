"""Replay protection for Digest: each nonce's highest nonce count (nc) is kept until the nonce expires.

One upsert per Digest request (Digest is the password path, not the token URL most phones use)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.core.accounts.digest import NONCE_LIFETIME_SECONDS
from server.core.models import DigestNonce, utcnow

MAX_NC = 0xFFFFFFFF  # eight hex digits


def parse_nc(value: str | None) -> int | None:
    """The nonce count as a number (RFC 7616: eight hex digits); a request without qop counts as 1."""
    if value is None or value == "":
        return 1
    if len(value) > 8 or any(c not in "0123456789abcdefABCDEF" for c in value):
        return None
    return int(value, 16)


def use_nonce(session: Session, nonce: str, nc: int) -> bool:
    """Record one use of (nonce, nc). True if nc is higher than any seen for this nonce, False for a
    replay. The caller commits (in its own short transaction, so GET requests record uses too)."""
    now = utcnow()
    values = {
        "nonce": nonce,
        "last_nc": nc,
        # Kept a little longer than the nonce lives: an expired nonce is refused as stale anyway.
        "expires_at": now + timedelta(seconds=2 * NONCE_LIFETIME_SECONDS),
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(DigestNonce).values(**values)
    upsert = stmt.on_conflict_do_update(
        index_elements=[DigestNonce.nonce],
        set_={"last_nc": stmt.excluded.last_nc},
        where=DigestNonce.last_nc < stmt.excluded.last_nc,
    ).returning(DigestNonce.nonce)
    accepted = session.execute(upsert).first() is not None
    if accepted and nc == 1:
        # A nonce's first use: a cheap moment to forget the nonces that have expired.
        session.execute(delete(DigestNonce).where(DigestNonce.expires_at < now))
    return accepted
