"""Fixtures for the web application: a browser-like client that signs in through the login page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.helpers import PASSWORD

_CSRF = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')


def csrf_of(client: FlaskClient, path: str = "/ui/login") -> str:
    """The CSRF token the page at `path` carries (as a browser would read it from the form)."""
    resp = client.get(path, follow_redirects=True)
    match = _CSRF.search(resp.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({resp.status_code})"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD, *, address: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    token = csrf_of(client)
    return client.post(
        "/ui/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def post(client: FlaskClient, path: str, data: dict[str, object] | None = None, *, page: str = "/ui/", **kw):  # type: ignore[no-untyped-def]
    """POST from a signed-in page, with its CSRF token."""
    body = {"csrf_token": csrf_of(client, page), **(data or {})}
    return client.post(path, data=body, **kw)


@pytest.fixture
def signed_in(app) -> Callable[..., FlaskClient]:  # type: ignore[no-untyped-def]
    """A fresh client signed in as `username` (the account must exist)."""

    def make(username: str, password: str = PASSWORD) -> FlaskClient:
        client = app.test_client()
        resp = sign_in(client, username, password)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return client

    return make
