"""The Alembic migrations build exactly the schema the models describe (no drift), on this test run's
database (SQLite, or PostgreSQL under CI)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.core.ground.db import make_engine
from server.core.ground.migrate import alembic_config
from server.core.ground.settings import Settings
from server.core.models import Base


def test_migrated_database_matches_the_models(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diffs == [], "a model changed without a migration: run alembic revision --autogenerate"


def test_first_migration_can_be_undone_and_redone(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        cfg = alembic_config(settings.database_url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        with engine.connect() as conn:
            assert "submission" not in engine.dialect.get_table_names(conn)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with engine.connect() as conn:
            assert "submission" in engine.dialect.get_table_names(conn)
    finally:
        engine.dispose()
