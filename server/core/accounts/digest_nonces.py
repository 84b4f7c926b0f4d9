"""Replay protection for Digest: each nonce's highest nonce count (nc) is kept until the nonce expires.

One upsert per Digest request (Digest is the password path, not the token URL most phones use)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, delete, text
from sqlalchemy.orm import Session

from server.core.accounts.digest import NONCE_LIFETIME_SECONDS
from server.core.models import DigestNonce, utcnow
from server.core.models.base import UTCDateTime

MAX_NC = 0xFFFFFFFF  # eight hex digits


def parse_nc(value: str | None) -> int | None:
    """The nonce count as a number (RFC 7616: eight hex digits); a request without qop counts as 1."""
    if value is None or value == "":
        return 1
    if len(value) > 8 or any(c not in "0123456789abcdefABCDEF" for c in value):
        return None
    return int(value, 16)


# One textual statement, the same on PostgreSQL and SQLite: built once, and without the ORM's bulk
# insert machinery (on a Digest submission that machinery cost more CPU than the submission's own
# insert).
_USE = text(
    "INSERT INTO digest_nonce (nonce, last_nc, expires_at) VALUES (:nonce, :nc, :expires_at) "
    "ON CONFLICT (nonce) DO UPDATE SET last_nc = excluded.last_nc WHERE digest_nonce.last_nc < excluded.last_nc "
    "RETURNING nonce"
).bindparams(bindparam("expires_at", type_=UTCDateTime()))


def use_nonce(session: Session, nonce: str, nc: int) -> bool:
    """Record one use of (nonce, nc). True if nc is higher than any seen for this nonce, False for a
    replay. The caller commits (in its own short transaction, so GET requests record uses too)."""
    now = utcnow()
    # Kept a little longer than the nonce lives: an expired nonce is refused as stale anyway.
    expires_at = now + timedelta(seconds=2 * NONCE_LIFETIME_SECONDS)
    accepted = session.execute(_USE, {"nonce": nonce, "nc": nc, "expires_at": expires_at}).first() is not None
    if accepted and nc == 1:
        # A nonce's first use: a cheap moment to forget the nonces that have expired.
        session.execute(delete(DigestNonce).where(DigestNonce.expires_at < now))
    return accepted
