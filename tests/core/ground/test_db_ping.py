"""A pooled PostgreSQL connection cut while idle (a database restart, a killed backend) is replaced
on its next checkout instead of failing the request that gets it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from server.core.ground import db
from server.core.ground.settings import Settings


def test_a_connection_cut_while_idle_is_replaced_on_checkout(settings: Settings, monkeypatch) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no server to lose")
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = db.make_engine(settings.database_url)
    killer = db.make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            first = conn.execute(text("select pg_backend_pid()")).scalar()
        with killer.connect() as conn:
            conn.execute(text("select pg_terminate_backend(:pid)"), {"pid": first})
            conn.commit()
        with engine.connect() as conn:  # the pooled connection is dead: pinged, dropped, replaced
            second = conn.execute(text("select pg_backend_pid()")).scalar()
        assert second != first
    finally:
        engine.dispose()
        killer.dispose()
