"""WSGI entry point for any WSGI server: reads settings from the environment when first imported."""

from __future__ import annotations

from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.web.app import create_app

app = create_app(build_services(load_settings()))
