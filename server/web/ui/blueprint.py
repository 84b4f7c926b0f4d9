"""The web application's one blueprint (under /ui) and the hooks every page shares."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

WEB_DIR = Path(__file__).resolve().parent.parent

bp = Blueprint(
    "ui",
    __name__,
    url_prefix="/ui",
    template_folder=str(WEB_DIR / "templates"),
    static_folder=str(WEB_DIR / "static"),
    static_url_path="/static",
)
