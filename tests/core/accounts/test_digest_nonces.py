"""Digest replay protection: a nonce count is accepted once and only when it goes up; the stored
expiry reads back as the same moment, and expired nonces are forgotten on a nonce's first use."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from server.core.accounts.digest import NONCE_LIFETIME_SECONDS
from server.core.accounts.digest_nonces import use_nonce
from server.core.ground.services import Services
from server.core.models import DigestNonce, utcnow


def test_a_count_is_accepted_once_and_only_upwards(services: Services) -> None:
    with services.db.session() as session:
        assert use_nonce(session, "n-1", 1)
        assert use_nonce(session, "n-1", 2)
        assert not use_nonce(session, "n-1", 2)  # the same request again: a replay
        assert not use_nonce(session, "n-1", 1)
        assert use_nonce(session, "n-1", 5)
        assert use_nonce(session, "n-2", 1)  # another phone's nonce is its own
        session.commit()
        row = session.get(DigestNonce, "n-1")
        assert row is not None and row.last_nc == 5
        lives = row.expires_at - utcnow()
        assert (
            timedelta(seconds=NONCE_LIFETIME_SECONDS) < lives <= timedelta(seconds=2 * NONCE_LIFETIME_SECONDS)
        )


def test_expired_nonces_are_forgotten_when_a_new_one_is_first_used(services: Services) -> None:
    with services.db.session() as session:
        assert use_nonce(session, "old", 3)
        assert use_nonce(session, "live", 1)
        session.execute(
            update(DigestNonce)
            .where(DigestNonce.nonce == "old")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
        assert use_nonce(session, "new", 1)
        session.commit()
        assert session.scalars(select(DigestNonce.nonce).order_by(DigestNonce.nonce)).all() == ["live", "new"]
