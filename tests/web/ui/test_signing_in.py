"""Signing in to the web application: sessions in the database, cookie flags, CSRF, idle expiry,
lock-out after 10 failures (per account and per address), sign out and changing one's password."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from server.core.ground.services import Services
from server.core.models import AuditEvent, LoginFailure, User, WebSession
from tests.helpers import PASSWORD
from tests.web.ui.conftest import csrf_of, post, sign_in


def test_the_site_root_leads_a_browser_to_the_thai_sign_in_page(client: FlaskClient) -> None:
    assert client.get("/").headers["Location"].endswith("/ui/")
    resp = client.get("/ui/", follow_redirects=True)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert "เข้าสู่ระบบ" in body and 'lang="th"' in body


def test_sign_in_sets_a_safe_session_cookie_and_shows_home(
    client: FlaskClient, admin: User, services: Services
) -> None:
    resp = sign_in(client, "admin")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/ui/")
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("chumchon_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    home = client.get("/ui/")
    assert home.status_code == 200 and "โครงการและแบบฟอร์ม" in home.get_data(as_text=True)
    token = cookie.split(";")[0].split("=", 1)[1]
    with services.db.session() as s:
        stored = s.scalars(select(WebSession.token_sha256)).all()
        assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64
        assert s.scalar(select(AuditEvent.action).where(AuditEvent.action == "auth.login")) == "auth.login"


def test_cookie_is_secure_over_https(app: Flask, admin: User) -> None:
    client = app.test_client()
    page = client.get("/ui/login", base_url="https://localhost")
    token = page.get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    resp = client.post("/ui/login", base_url="https://localhost",
                       data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("chumchon_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_wrong_password_is_refused_in_thai_and_audited(client: FlaskClient, admin: User, services: Services) -> None:
    resp = sign_in(client, "admin", "wrong-password")
    assert resp.status_code == 401
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in resp.get_data(as_text=True)
    assert client.get("/ui/").status_code == 302
    with services.db.session() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.action == "auth.login.failed")) == 1


def test_a_post_without_the_csrf_token_is_refused(client: FlaskClient, admin: User) -> None:
    client.get("/ui/login")
    resp = client.post("/ui/login", data={"username": "admin", "password": PASSWORD})
    assert resp.status_code == 403 and "โหลดหน้าใหม่" in resp.get_data(as_text=True)
    assert not any(c.startswith("chumchon_session=") for c in resp.headers.getlist("Set-Cookie"))


def test_signed_in_posts_need_the_sessions_token_form_field_or_header(
    signed_in: Callable[..., FlaskClient], admin: User
) -> None:
    client = signed_in("admin")
    assert client.post("/ui/logout").status_code == 403
    assert client.post("/ui/logout", data={"csrf_token": "0" * 64}).status_code == 403
    assert client.get("/ui/").status_code == 200  # still signed in
    token = csrf_of(client, "/ui/")
    assert client.post("/ui/logout", headers={"X-CSRF-Token": token}).status_code == 302  # as htmx sends it
    assert client.get("/ui/").status_code == 302


def test_ten_failures_lock_the_account_for_15_minutes_with_a_thai_message(
    app: Flask, admin: User, services: Services
) -> None:
    for attempt in range(9):
        resp = sign_in(app.test_client(), "admin", f"bad-{attempt}", address=f"10.0.0.{attempt}")
        assert resp.status_code == 401
    tenth = sign_in(app.test_client(), "admin", "bad-10", address="10.0.1.1")
    assert tenth.status_code == 429 and "15 นาที" in tenth.get_data(as_text=True)
    # Even the right password is refused now, from any address (every web process reads the same table).
    right = sign_in(app.test_client(), "admin", PASSWORD, address="10.0.2.2")
    assert right.status_code == 429 and "ระงับการเข้าสู่ระบบไว้ 15 นาที" in right.get_data(as_text=True)
    with services.db.session() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.action == "auth.lockout")) == 1
        assert s.scalar(select(func.count()).where(AuditEvent.action == "auth.login.refused")) == 1
        # 15 minutes later the account can sign in again.
        for failure in s.scalars(select(LoginFailure)):
            failure.failed_at -= timedelta(minutes=16)
    assert sign_in(app.test_client(), "admin", PASSWORD, address="10.0.2.2").status_code == 302


def test_ten_failures_from_one_address_lock_that_address(
    app: Flask, make_user: Callable[..., User]
) -> None:
    make_user("malee", "supervisor")
    client = app.test_client()
    for n in range(10):
        sign_in(client, f"nobody{n}", "guess", address="192.0.2.7")
    assert sign_in(client, "malee", PASSWORD, address="192.0.2.7").status_code == 429
    assert sign_in(app.test_client(), "malee", PASSWORD, address="192.0.2.8").status_code == 302


def test_a_session_ends_after_the_idle_time(
    signed_in: Callable[..., FlaskClient], admin: User, services: Services
) -> None:
    client = signed_in("admin")
    idle = services.settings.session_idle_seconds
    assert idle == 8 * 3600
    with services.db.session() as s:
        for row in s.scalars(select(WebSession)):
            row.last_seen_at -= timedelta(seconds=idle + 5)
    resp = client.get("/ui/")
    assert resp.status_code == 302 and "/ui/login" in resp.headers["Location"]


def test_sign_out_ends_the_session_in_the_database(
    signed_in: Callable[..., FlaskClient], admin: User, services: Services
) -> None:
    client = signed_in("admin")
    resp = post(client, "/ui/logout")
    assert resp.status_code == 302
    assert "ออกจากระบบแล้ว" in client.get(resp.headers["Location"]).get_data(as_text=True)
    with services.db.session() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0


def test_change_own_password(signed_in: Callable[..., FlaskClient], app: Flask, admin: User) -> None:
    client = signed_in("admin")
    other = signed_in("admin")  # a second browser: signed out by the change
    bad = post(client, "/ui/account/password", {"current": "nope", "new": "new-password-1", "repeat": "new-password-1"},
               page="/ui/account/password")
    assert bad.status_code == 400 and "รหัสผ่านปัจจุบันไม่ถูกต้อง" in bad.get_data(as_text=True)
    ok = post(client, "/ui/account/password", {"current": PASSWORD, "new": "new-password-1", "repeat": "new-password-1"},
              page="/ui/account/password")
    assert ok.status_code == 200 and "เปลี่ยนรหัสผ่านแล้ว" in ok.get_data(as_text=True)
    assert client.get("/ui/").status_code == 200
    assert other.get("/ui/").status_code == 302
    assert sign_in(app.test_client(), "admin", PASSWORD).status_code == 401
    assert sign_in(app.test_client(), "admin", "new-password-1").status_code == 302


def test_english_is_one_click_away_and_stays_chosen(signed_in: Callable[..., FlaskClient], admin: User) -> None:
    client = signed_in("admin")
    resp = post(client, "/ui/lang", {"lang": "en", "next": "/ui/"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/ui/"
    body = client.get("/ui/").get_data(as_text=True)
    assert "Projects and forms" in body and 'lang="en"' in body and "ภาษาไทย" in body
    # Only paths on this site are followed after switching.
    assert post(client, "/ui/lang", {"lang": "th", "next": "https://evil.example/"}).headers["Location"] == "/ui/"
    assert "โครงการและแบบฟอร์ม" in client.get("/ui/").get_data(as_text=True)


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client: FlaskClient, admin: User) -> None:
    token = csrf_of(client)
    resp = client.post("/ui/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token,
                                          "next": "/ui/users"})
    assert resp.headers["Location"] == "/ui/users"
    client2 = client.application.test_client()
    token = csrf_of(client2)
    resp = client2.post("/ui/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token,
                                           "next": "//evil.example/x"})
    assert resp.headers["Location"] == "/ui/"


def test_security_headers_on_every_ui_response(signed_in: Callable[..., FlaskClient], client: FlaskClient,
                                                admin: User) -> None:
    pages = [client.get("/ui/login"), client.get("/ui/nowhere"), signed_in("admin").get("/ui/")]
    for resp in pages:
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
    assert pages[1].status_code == 404 and "ไม่พบ" in pages[1].get_data(as_text=True)
    assert "<script>" not in pages[2].get_data(as_text=True).replace("<script src=", "")


def test_a_deactivated_user_is_signed_out(signed_in: Callable[..., FlaskClient], admin: User,
                                          services: Services) -> None:
    client = signed_in("admin")
    with services.db.session() as s:
        s.execute(update(User).values(active=False))
    assert client.get("/ui/").status_code == 302


def test_static_files_are_cached_and_pages_are_not(signed_in: Callable[..., FlaskClient], client: FlaskClient,
                                                  admin: User) -> None:
    asset = client.get("/ui/static/vendor/htmx/htmx.min.js")
    assert asset.status_code == 200 and "max-age=86400" in asset.headers["Cache-Control"]
    assert asset.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/ui/static/vendor/sarabun/sarabun-thai-400-normal.woff2").status_code == 200
    assert signed_in("admin").get("/ui/").headers["Cache-Control"] == "no-store"
