"""The web application for supervisors, offices and form designers (Thai first, English one click away):
Jinja2 pages under /ui with small progressive JavaScript and vendored static assets.

Uses server.core through thin views; errors on these pages are HTML (server.web.errors asks `is_ui_request`)."""

from __future__ import annotations

from flask import Flask, Response, request

from server.web.ui import (  # noqa: F401  # routes register on bp
    account,
    audit,
    dashboard,
    entities_page,
    exports_page,
    forms,
    home,
    place_filters,
    public_links,
    reports_page,
    submissions,
    users,
    webforms,
)
from server.web.ui.blueprint import bp
from server.web.ui.session import check_csrf, error_page, finish, load_user, login_redirect, template_globals

bp.before_request(load_user)
bp.before_request(check_csrf)
bp.after_request(finish)
bp.app_context_processor(template_globals)


def is_ui_request() -> bool:
    return (request.blueprint or "").startswith("ui") or request.path == "/" or request.path.startswith("/ui/")


def ui_problem(status: int, message: str) -> Response:
    """The HTML answer for an error on a UI page; not signed in means the sign-in page."""
    if status == 401:
        return finish(login_redirect())
    return finish(error_page(status, message))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_url_rule("/", "root", home.root)
