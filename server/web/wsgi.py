"""The WSGI application as the web server's worker processes load it.

`chumchon web` builds the app once, before the server forks its worker processes (migrations and the
default project are done by then), and hands it over with `prepare`; each worker process then asks
`application` for it. Without a prepared app (a worker started by another method than fork, or
another WSGI server pointed at `server.web.wsgi:application`), the app is built from the
environment's settings in that process."""

from __future__ import annotations

from flask import Flask

from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.web.app import create_app

_prepared: Flask | None = None


def prepare(app: Flask) -> None:
    global _prepared
    _prepared = app


def application() -> Flask:
    if _prepared is not None:
        return _prepared
    return create_app(build_services(load_settings()))
