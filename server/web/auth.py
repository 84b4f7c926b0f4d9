"""Authentication at the edge: Digest and HTTPS-only Basic for Collect, path tokens for phones,
Bearer sessions (and HTTPS Basic) for the JSON API. Permission checks live in server.core.accounts.permissions."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote, urlsplit

from flask import Response, g, request

from server.core.accounts import digest, digest_nonces, users
from server.core.accounts.permissions import Principal, principal_of
from server.core.ground.errors import Forbidden, Unauthenticated
from server.core.models import User
from server.web.context import db, services

_NEED_LOGIN = "กรุณาเข้าสู่ระบบ / Please log in."


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def _basic_user() -> User | None:
    creds = _basic_credentials()
    if creds is None:
        return None
    if not request.is_secure:
        # Basic sends the password in clear text; Collect only offers it over HTTPS anyway.
        raise Unauthenticated("ใช้ Basic ได้เฉพาะผ่าน HTTPS / Basic authentication needs HTTPS.")
    user = users.find_user(db(), creds[0])
    if user is None or not users.verify_password(user, creds[1]):
        raise Unauthenticated("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง / Wrong username or password.")
    return user


def _digest_user() -> Principal | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("digest "):
        return None
    params = digest.parse_authorization(header[7:])
    if unquote(urlsplit(params.get("uri", "")).path) != request.path:
        # The response only proves knowledge for the URI it was computed on: refuse replays elsewhere.
        raise Unauthenticated("ข้อมูลยืนยันตัวตนไม่ตรงกับที่อยู่ / Digest URI does not match the request.")
    user = users.cached_user(db(), services().cache, params.get("username", ""))
    state = digest.check_digest(
        params,
        request.method,
        user.digest_ha1 if user is not None else None,
        services().settings.secret_key,
        users.DIGEST_REALM,
    )
    if state == "stale":
        g.digest_stale = True
        raise Unauthenticated(_NEED_LOGIN)
    if state != "ok" or user is None:
        raise Unauthenticated("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง / Wrong username or password.")
    _refuse_replay(params)
    return user


def _refuse_replay(params: dict[str, str]) -> None:
    """A correct Digest answer whose nonce count was already used is a replayed request: challenge anew.

    A submission records the count in its own transaction (it commits with the submission, or not at
    all: replaying a request that stored nothing gains nothing); other requests record it in a short
    transaction of its own, since a GET commits nothing. Once per request."""
    if g.get("digest_nc_used"):
        return
    nc = digest_nonces.parse_nc(params.get("nc"))
    if nc is not None:
        if request.method == "POST":
            if digest_nonces.use_nonce(db(), params["nonce"], nc):
                g.digest_use = (params["nonce"], nc)
                return  # a re-run after a rollback records it again
        else:
            with services().db.session() as session:
                if digest_nonces.use_nonce(session, params["nonce"], nc):
                    g.digest_nc_used = True
                    return
    g.digest_stale = True  # a fresh nonce: a real client answers it without asking for the password
    raise Unauthenticated(_NEED_LOGIN)


def record_digest_use_again() -> None:
    """After a rollback re-runs a Digest submission's transaction: record its nonce count in it again."""
    use = g.get("digest_use")
    if use is not None and not digest_nonces.use_nonce(db(), *use):
        g.digest_stale = True
        raise Unauthenticated(_NEED_LOGIN)


def openrosa_user(token: str | None) -> Principal:
    """The account behind an OpenRosa request: its path token, or a Digest/Basic login. Token and
    Digest accounts come from the process's lookup cache, which a deactivation empties everywhere."""
    if token is not None:
        principal = users.cached_collector(db(), services().cache, token)
        if principal is None:
            # 403, not 401: a 401 would make Collect ask for a password that cannot help (as ODK Central).
            raise Forbidden("ลิงก์หรือคิวอาร์โค้ดนี้ใช้ไม่ได้แล้ว / This link or QR code is no longer valid.")
        return principal
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        # An API client on a URL both surfaces answer (ODK Central's /v1/projects/ID/forms/ID.xml).
        return principal_of(db(), api_user())
    principal = _digest_user()
    if principal is not None:
        return principal
    user = _basic_user()
    if user is None:
        raise Unauthenticated(_NEED_LOGIN)
    return principal_of(db(), user)


def api_user() -> User:
    """The account behind a JSON API request: Bearer session token, or Basic over HTTPS."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = users.find_by_api_token(db(), header[7:].strip())
        if user is None:
            raise Unauthenticated("เซสชันหมดอายุหรือไม่ถูกต้อง / The session token is invalid or expired.")
        return user
    user = _basic_user()
    if user is None:
        raise Unauthenticated(_NEED_LOGIN)
    return user


def add_challenge(resp: Response) -> None:
    """Attach the challenge Collect (Digest) or an API client (Bearer) can answer."""
    if request.blueprint is not None and request.blueprint.startswith("openrosa"):
        settings = services().settings
        resp.headers["WWW-Authenticate"] = digest.challenge(
            settings.secret_key, users.DIGEST_REALM, stale=bool(g.get("digest_stale"))
        )
        if request.is_secure:
            resp.headers.add("WWW-Authenticate", f'Basic realm="{users.DIGEST_REALM}", charset="UTF-8"')
    else:
        resp.headers["WWW-Authenticate"] = f'Bearer realm="{users.DIGEST_REALM}"'
