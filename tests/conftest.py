"""Fixture chain: database URL -> settings -> services -> app -> client -> users and their credentials.

Tests run against SQLite by default and against PostgreSQL when CHUMCHON_TEST_DATABASE_URL is set
(.ci/run does both). Each test gets an empty, fully migrated database and its own data directory."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from server.core.accounts import projects, users
from server.core.ground.broker import RecordingSender
from server.core.ground.db import make_engine
from server.core.ground.migrate import upgrade_to_head
from server.core.ground.services import Services, build_services
from server.core.ground.settings import Settings, load_settings
from server.core.models import Base, Project, User
from server.web.app import create_app
from tests.helpers import PASSWORD, bearer_for

pytest_plugins = ["tests.s3"]  # the local S3-compatible server fixture (s3_server)

PG_URL = os.environ.get("CHUMCHON_TEST_DATABASE_URL", "").strip()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per run: a SQLite file to copy, or the PostgreSQL database itself."""
    if PG_URL:
        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade_to_head(engine)
        engine.dispose()
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return str(path)


def _empty_database(template: str, data_dir: Path) -> str:
    if PG_URL:
        engine = make_engine(PG_URL)
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            conn.execute(text("INSERT INTO cache_epoch (id, value) VALUES (1, 0)"))  # as the migration leaves it
        engine.dispose()
        return PG_URL
    target = data_dir / "chumchon.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def settings_env(tmp_path: Path, migrated_template: str) -> dict[str, str]:
    """Environment variables describing this test's server: used in-process and by live subprocesses."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {
        "CHUMCHON_DATA_DIR": str(data_dir),
        "CHUMCHON_DATABASE_URL": _empty_database(migrated_template, data_dir),
        "CHUMCHON_SECRET_KEY": "test-secret-key",
        "CHUMCHON_MAX_UPLOAD_BYTES": str(5 * 1024 * 1024),
        "CHUMCHON_MAP_TILES_URL": "",  # tests never reach outside 127.0.0.1 (maps: outlines only)
    }
    broker = os.environ.get("CHUMCHON_TEST_BROKER_URL", "").strip()
    if broker:
        env["CHUMCHON_BROKER_URL"] = broker
    return env


@pytest.fixture
def settings(settings_env: dict[str, str]) -> Settings:
    return load_settings(settings_env)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    svc = build_services(settings, tasks=RecordingSender())
    yield svc
    svc.close()


@pytest.fixture
def project(services: Services) -> Project:
    with services.db.session() as session:
        return projects.ensure_default_project(session)


@pytest.fixture
def app(services: Services, project: Project) -> Flask:
    app = create_app(services)
    app.testing = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(services: Services, project: Project) -> Callable[..., User]:
    def make(
        username: str, role: str, project_id: int | None = None, password: str | None = PASSWORD
    ) -> User:
        with services.db.session() as session:
            return users.create_user(
                session,
                username,
                role,
                password=password,
                project_id=project.id if project_id is None and role != "admin" else project_id,
            )

    return make


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user("admin", "admin")


@pytest.fixture
def collector(make_user: Callable[..., User]) -> User:
    return make_user("somchai", "collector")


@pytest.fixture
def admin_headers(services: Services, admin: User) -> dict[str, str]:
    return bearer_for(services, admin)
