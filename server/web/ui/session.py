"""The browser side of signing in: the session cookie, the CSRF check on every state-changing request,
the chosen language, security headers, and rendering pages. Session rules live in
server.core.accounts.web_sessions."""

from __future__ import annotations

import secrets
from datetime import timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from flask import Response, g, redirect, render_template, request, url_for

from server.core.accounts import permissions, web_sessions
from server.core.ground.errors import Forbidden, Unauthenticated
from server.core.models import User
from server.web.context import db, services
from server.web.ui import i18n

SESSION_COOKIE = "chumchon_session"
PRE_SESSION_COOKIE = "chumchon_pre"  # anonymous nonce binding the sign-in form's CSRF token
LANG_COOKIE = "chumchon_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "media-src": "'self' blob:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# The ODK Web Forms pages only: its XPath engine is WebAssembly (compiling it needs 'wasm-unsafe-eval',
# which allows no JavaScript eval), its components insert <style> elements and inline fonts, and its
# image resizer (pica, for max-pixels) runs in workers it builds from its own code as blob:/data: URLs.
# Page scripts still come from this server only.
_WEBFORMS = {
    "script-src": "'self' 'wasm-unsafe-eval'",
    "style-src": "'self' 'unsafe-inline'",
    "font-src": "'self' data:",
    "worker-src": "'self' blob: data:",
}


def content_security_policy(tiles_url: str, webforms: bool = False) -> str:
    """No inline script or style, nothing from elsewhere — except map tiles from the configured server
    (and what the Web Forms pages need, above)."""
    parts = urlsplit(tiles_url)
    tiles = f" {parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    policy = {**_POLICY, "img-src": f"'self' data: blob:{tiles}", **(_WEBFORMS if webforms else {})}
    return "; ".join(f"{k} {v}" for k, v in policy.items())


def lang() -> str:
    return i18n.normalise(request.cookies.get(LANG_COOKIE))


def _(key: str) -> str:
    return i18n.translate(key, lang())


def pick(message: str) -> str:
    return i18n.pick(message, lang())


def address() -> str:
    return (request.remote_addr or "-")[:64]


def load_user() -> None:
    """before_request: who is signed in (None when nobody); a refreshed last-seen time is committed.
    Static files need no session (and no database query)."""
    if request.endpoint == "ui.static":
        g.ui_user, g.ui_token, g.ui_pre = None, None, ""
        return
    token = request.cookies.get(SESSION_COOKIE)
    g.ui_token = token
    g.ui_user = web_sessions.resume(db(), token, services().settings.session_idle_seconds) if token else None
    if token:
        db().commit()
    if g.ui_user is None:
        g.ui_token = None
        g.ui_pre = request.cookies.get(PRE_SESSION_COOKIE) or ""


def _csrf_binding() -> str:
    if g.get("ui_token"):
        return str(g.ui_token)
    if not g.get("ui_pre"):
        g.ui_pre = secrets.token_urlsafe(24)
        g.ui_set_pre = True
    return str(g.ui_pre)


def csrf_token() -> str:
    return web_sessions.csrf_token(services().settings.secret_key, _csrf_binding())


def check_csrf() -> Response | None:
    """before_request: refuse a state-changing request without this session's CSRF token."""
    if request.method in SAFE_METHODS:
        return None
    presented = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD)
    binding = g.get("ui_token") or g.get("ui_pre") or ""
    if binding and web_sessions.check_csrf(services().settings.secret_key, binding, presented):
        return None
    return error_page(403, _("error.csrf"))


def current_user() -> User:
    user: User | None = g.get("ui_user")
    if user is None:
        raise Unauthenticated(i18n.CATALOGUE["login.expired"][0] + " / " + i18n.CATALOGUE["login.expired"][1])
    return user


def require(verb: str, project_id: int | None) -> User:
    user = current_user()
    permissions.require(db(), user, verb, project_id)
    return user


def require_admin() -> User:
    user = current_user()
    if "*" not in permissions.verbs_for(db(), user, None):
        raise Forbidden("เฉพาะผู้ดูแลระบบ / Administrators only.")
    return user


def can(verb: str, project_id: int | None) -> bool:
    user: User | None = g.get("ui_user")
    return permissions.can(db(), user, verb, project_id)


def safe_next(target: str | None, default: str) -> str:
    """Only paths on this site: never an open redirect to another host."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def set_cookie(resp: Response, name: str, value: str, *, max_age: int | None = None) -> None:
    resp.set_cookie(
        name, value, max_age=max_age, path="/", secure=request.is_secure, httponly=True, samesite="Lax"
    )


def finish(resp: Response) -> Response:
    """after_request for UI responses: security headers, the anonymous CSRF nonce cookie."""
    resp.headers["Content-Security-Policy"] = content_security_policy(
        services().settings.map_tiles_url, webforms=bool(g.get("ui_webforms_csp"))
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint == "ui.static":
        # Vendored files change only with a release: cache them (offices often have slow links).
        resp.headers["Cache-Control"] = "public, max-age=86400"
    else:
        resp.headers.setdefault("Cache-Control", "no-store")  # pages hold personal data
    if g.get("ui_set_pre"):
        set_cookie(resp, PRE_SESSION_COOKIE, str(g.ui_pre))
    return resp


def render(template: str, status: int = 200, **context: Any) -> Response:
    resp = Response(render_template(template, **context), status=status, mimetype="text/html")
    return resp


def error_page(status: int, message: str) -> Response:
    return render("ui/error.html", status=status, message=pick(message), status_code=status)


def login_redirect() -> Response:
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    resp = redirect(url_for("ui.login", next=target) if target else url_for("ui.login"))
    return resp  # type: ignore[return-value]


def template_globals() -> dict[str, Any]:
    user: User | None = g.get("ui_user")
    is_admin = user is not None and "*" in permissions.verbs_for(db(), user, None)
    manages_users = is_admin or (user is not None and any(grant.role == "manager" for grant in user.grants))
    return {
        "_": _,
        "pick": pick,
        "lang": lang(),
        "csrf_token": csrf_token,
        "me": user,
        "is_admin": is_admin,
        "manages_users": manages_users,
        "thai_time": thai_time,
        "map_tiles": services().settings.map_tiles_url,
    }


def thai_time(value: Any, with_time: bool = True) -> str:
    """A UTC datetime shown in Thailand's time (UTC+7), day/month/Buddhist-era year in Thai."""
    if value is None:
        return "-"
    local = value.astimezone(timezone(timedelta(hours=7)))
    year = local.year + 543 if lang() == "th" else local.year
    text = f"{local.day:02d}/{local.month:02d}/{year}"
    return f"{text} {local:%H:%M}" if with_time else text
