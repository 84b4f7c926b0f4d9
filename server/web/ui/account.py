"""Signing in and out, changing one's own password, choosing the language."""

from __future__ import annotations

from flask import Response, g, redirect, request, url_for

from server.core.accounts import web_sessions
from server.core.ground.errors import ChumchonError, TooManyAttempts
from server.web.context import db
from server.web.ui import i18n
from server.web.ui.blueprint import bp
from server.web.ui.session import (
    LANG_COOKIE,
    SESSION_COOKIE,
    _,
    address,
    current_user,
    pick,
    render,
    safe_next,
    set_cookie,
)


@bp.get("/login")
def login() -> Response:
    if g.get("ui_user") is not None:
        return redirect(safe_next(request.args.get("next"), url_for("ui.home")))  # type: ignore[return-value]
    notice = _("login.signed_out") if request.args.get("bye") else None
    return render("ui/login.html", next=request.args.get("next", ""), notice=notice, username="")


@bp.post("/login")
def login_submit() -> Response:
    username = request.form.get("username", "")
    target = safe_next(request.form.get("next"), url_for("ui.home"))
    try:
        signed = web_sessions.sign_in(
            db(), username, request.form.get("password", ""), address=address(),
            user_agent=request.headers.get("User-Agent"),
        )
    except ChumchonError as err:
        db().commit()  # keep the counted failure and its audit row
        status = 429 if isinstance(err, TooManyAttempts) else 401
        return render("ui/login.html", status=status, error=pick(err.message), next=target, username=username,
                      locked=isinstance(err, TooManyAttempts))
    db().commit()
    resp = redirect(target)
    set_cookie(resp, SESSION_COOKIE, signed.token)  # type: ignore[arg-type]
    return resp  # type: ignore[return-value]


@bp.post("/logout")
def logout() -> Response:
    web_sessions.sign_out(db(), g.get("ui_token"))
    db().commit()
    resp = redirect(url_for("ui.login", bye=1))
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp  # type: ignore[return-value]


@bp.get("/account/password")
def password_form() -> Response:
    current_user()
    return render("ui/password.html")


@bp.post("/account/password")
def password_submit() -> Response:
    user = current_user()
    try:
        web_sessions.change_own_password(
            db(), user, request.form.get("current", ""), request.form.get("new", ""),
            request.form.get("repeat", ""), keep_token=g.get("ui_token"),
        )
    except ChumchonError as err:
        db().rollback()
        return render("ui/password.html", status=400, error=pick(err.message))
    db().commit()
    return render("ui/password.html", notice=_("password.changed"))


@bp.post("/lang")
def set_language() -> Response:
    choice = i18n.normalise(request.form.get("lang"))
    resp = redirect(safe_next(request.form.get("next"), url_for("ui.home")))
    set_cookie(resp, LANG_COOKIE, choice, max_age=365 * 24 * 3600)  # type: ignore[arg-type]
    return resp  # type: ignore[return-value]
