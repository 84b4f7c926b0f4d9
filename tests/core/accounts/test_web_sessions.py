"""Web sign-in rules in the core: lock-out window, what a success clears, idle expiry, purging."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.core.accounts import web_sessions
from server.core.ground.errors import TooManyAttempts, Unauthenticated
from server.core.ground.services import Services
from server.core.models import LoginFailure, User, WebSession, utcnow
from tests.helpers import PASSWORD


def test_failures_outside_the_window_do_not_count(services: Services, make_user: Callable[..., User]) -> None:
    make_user("malee", "supervisor")
    now = utcnow()
    with services.db.session() as s:
        for n in range(9):
            s.add(LoginFailure(username="malee", address="10.0.0.1", failed_at=now - timedelta(minutes=20, seconds=n)))
    with services.db.session() as s:
        with pytest.raises(Unauthenticated):
            web_sessions.sign_in(s, "malee", "wrong", address="10.0.0.2", now=now)
        s.commit()
        assert web_sessions.recent_failures(s, "malee", "10.0.0.2", now) == (1, 1)


def test_a_success_clears_the_accounts_failures_but_not_the_addresss(
    services: Services, make_user: Callable[..., User]
) -> None:
    make_user("malee", "supervisor")
    with services.db.session() as s:
        for n in range(5):
            with pytest.raises(Unauthenticated):
                web_sessions.sign_in(s, "malee", f"wrong{n}", address="10.0.0.9")
        signed = web_sessions.sign_in(s, "malee", PASSWORD, address="10.0.0.9")
        assert signed.user.username == "malee" and len(signed.token) > 30
        assert web_sessions.recent_failures(s, "malee", "10.0.0.9") == (0, 0)
        for n in range(10):
            s.add(LoginFailure(username=f"guess{n}", address="10.0.0.9"))
        s.flush()
        with pytest.raises(TooManyAttempts):
            web_sessions.sign_in(s, "malee", PASSWORD, address="10.0.0.9")


def test_idle_sessions_end_and_are_purged(services: Services, make_user: Callable[..., User]) -> None:
    make_user("malee", "supervisor")
    now = utcnow()
    with services.db.session() as s:
        token = web_sessions.sign_in(s, "malee", PASSWORD, address="a", now=now).token
    with services.db.session() as s:
        assert web_sessions.resume(s, token, 3600, now + timedelta(minutes=59)) is not None
    with services.db.session() as s:
        assert web_sessions.resume(s, token, 3600, now + timedelta(minutes=59, seconds=30)) is not None  # touched
        assert web_sessions.resume(s, "not-a-token", 3600) is None
        assert web_sessions.purge_expired(s, 3600, now + timedelta(hours=3)) == 1
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0


def test_csrf_tokens_are_bound_to_the_session() -> None:
    token = web_sessions.csrf_token("secret", "session-a")
    assert web_sessions.check_csrf("secret", "session-a", token)
    assert not web_sessions.check_csrf("secret", "session-b", token)
    assert not web_sessions.check_csrf("other-secret", "session-a", token)
    assert not web_sessions.check_csrf("secret", "session-a", None)
