"""The JSON API under /v1, shaped after ODK Central's: projects, forms, submissions, exports, OData.

Uses server.core through thin views; errors are mapped to JSON in server.web.errors."""

from __future__ import annotations

from flask import Flask

from server.web.api import (
    app_users,
    data,
    drafts,
    entities,
    forms,
    odata,
    openapi,
    projects,
    public_links,
    reports,
    review,
    roles,
    submitting,
    users,
    webhooks,
)


def register(app: Flask) -> None:
    for area in (projects, forms, drafts, data, review, submitting, odata, app_users, roles, users, webhooks, openapi, entities, reports, public_links):
        area.register(app)
