"""The Flask app factory: builds nothing at import time; every blueprint is registered here."""

from __future__ import annotations

from flask import Flask

from server.core.ground.services import Services
from server.web import api, openrosa, ui
from server.web.context import close_db
from server.web.errors import register_error_handlers

AREAS = (openrosa, api, ui)


def create_app(services: Services) -> Flask:
    app = Flask("chumchon")
    app.config["MAX_CONTENT_LENGTH"] = services.settings.max_upload_bytes
    app.config["SECRET_KEY"] = services.settings.secret_key
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Thai stays readable in JSON
    app.extensions["chumchon"] = services
    app.teardown_appcontext(close_db)
    register_error_handlers(app)
    for area in AREAS:
        area.register(app)
    return app
