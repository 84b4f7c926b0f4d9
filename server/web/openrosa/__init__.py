"""The OpenRosa surface ODK Collect talks to: form list, form download, manifests, media, submission.

Uses server.core through thin views; every blueprint here is mounted under the three server URLs in routes."""

from __future__ import annotations

from flask import Flask

from server.web.openrosa import draft_test, forms, submission


def register(app: Flask) -> None:
    for area in (forms, submission, draft_test):
        area.register(app)
