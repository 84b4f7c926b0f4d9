"""Shared CLI plumbing: settings and services from the environment, errors printed without tracebacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from server.core.ground.errors import ChumchonError
from server.core.ground.migrate import upgrade_to_head
from server.core.ground.services import Services, build_services
from server.core.ground.settings import SettingsError, load_settings


@contextmanager
def cli_services(migrate: bool = True) -> Iterator[Services]:
    """Services for one command; domain errors become a clear message and exit code 1."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    svc = build_services(settings)
    try:
        if migrate:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            upgrade_to_head(svc.db.engine)
        yield svc
    except ChumchonError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        svc.close()
