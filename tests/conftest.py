"""Fixture chain: database URL -> settings -> services -> app -> client -> users and their credentials.

Tests run against SQLite by default and against PostgreSQL when CHUMCHON_TEST_DATABASE_URL is set
(.ci/run does both). Each test gets an empty, fully migrated database and its own data directory."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.routing.rules import Rule

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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """CHUMCHON_TEST_DATABASE_ONLY=1 (the PostgreSQL pass of .ci/run) keeps only the tests that use the
    database fixtures: the rest (form conversion, writers, pure functions) never reach the database or
    the broker, ran in the SQLite pass already and would only repeat it."""
    if os.environ.get("CHUMCHON_TEST_DATABASE_ONLY", "").strip() != "1":
        return
    keep = [item for item in items if "migrated_template" in getattr(item, "fixturenames", ())]
    dropped = [item for item in items if "migrated_template" not in getattr(item, "fixturenames", ())]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _remembered_url_builders() -> None:
    """Nearly every test builds a Flask app, and werkzeug compiles two URL-building functions per route
    (≈ 200 routes) with ast and compile() each time: most of an app's start. The generated function
    depends only on the rule's parsed parts and defaults and takes the rule as its first argument, so
    tests build each once and bind it to every later app's rule (production builds one app a process)."""
    compile_builder = Rule._compile_builder
    built: dict[tuple[object, ...], Callable[..., tuple[str, str]]] = {}

    def remembered(rule: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        key = (rule.rule, tuple(rule._trace), repr(sorted((rule.defaults or {}).items())), append_unknown)
        if key not in built:
            built[key] = compile_builder(rule, append_unknown)
        return built[key]

    Rule._compile_builder = remembered  # type: ignore[method-assign]


_remembered_url_builders()


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashing() -> Iterator[None]:
    """The suite makes accounts by the thousand: argon2id at its production cost (64 MiB, 3 passes,
    ≈ 0.1–0.8 s a hash here) made up a third of the run. Tests hash with argon2id at its lowest cost;
    each hash carries its own parameters, so live servers verify these hashes just as cheaply."""
    saved = users._hasher
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    users._hasher = saved


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
    return server_env(tmp_path, migrated_template)


def server_env(tmp_path: Path, migrated_template: str) -> dict[str, str]:
    """An empty, migrated database and a data directory under tmp_path, as settings variables (also for
    module-scoped set-ups: tests that only read share one)."""
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
