"""The JSON API under /v1, shaped after ODK Central's: projects, forms, submissions, exports.

Uses server.core through thin views; errors are mapped to JSON in server.web.errors."""

from __future__ import annotations

from flask import Flask

from server.web.api import data, forms, projects, reports, review


def register(app: Flask) -> None:
    for area in (projects, forms, data, review, reports):
        area.register(app)
