"""HTTP Digest authentication (RFC 7616/2617, MD5, qop=auth) as ODK Collect's okhttp-digest speaks it.

Nonces are stateless: a timestamp and a random part signed with the secret key, so any web process can
check them. The random part keeps two phones challenged in the same second from sharing a nonce (their
nonce counts would collide in the replay guard and one would be refused)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

NONCE_LIFETIME_SECONDS = 300


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _sign(secret: str, stamp: str, salt: str) -> str:
    return hmac.new(secret.encode(), f"{stamp}.{salt}".encode(), hashlib.sha256).hexdigest()[:32]


def make_nonce(secret: str, now: float | None = None) -> str:
    stamp = str(int(now if now is not None else time.time()))
    salt = secrets.token_hex(8)
    return f"{stamp}.{salt}.{_sign(secret, stamp, salt)}"


def nonce_state(secret: str, nonce: str, now: float | None = None) -> str:
    """'ok', 'stale' (well signed but expired: the client retries without asking the user) or 'bad'."""
    parts = nonce.split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        return "bad"
    stamp, salt, sig = parts
    if not hmac.compare_digest(_sign(secret, stamp, salt), sig):
        return "bad"
    age = (now if now is not None else time.time()) - int(stamp)
    return "ok" if 0 <= age <= NONCE_LIFETIME_SECONDS else "stale"


def parse_authorization(value: str) -> dict[str, str]:
    """Parse the comma-separated key=value (optionally quoted) list after 'Digest '."""
    params: dict[str, str] = {}
    i, n = 0, len(value)
    while i < n:
        while i < n and value[i] in " ,\t":
            i += 1
        start = i
        while i < n and value[i] != "=":
            i += 1
        key = value[start:i].strip().lower()
        i += 1
        if i < n and value[i] == '"':
            i += 1
            chars = []
            while i < n and value[i] != '"':
                if value[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(value[i])
                i += 1
            i += 1
            params[key] = "".join(chars)
        else:
            start = i
            while i < n and value[i] != ",":
                i += 1
            params[key] = value[start:i].strip()
        if not key:
            break
    return params


def expected_response(ha1: str, method: str, params: dict[str, str]) -> str:
    ha2 = _md5(f"{method}:{params.get('uri', '')}")
    if params.get("qop"):
        return _md5(
            f"{ha1}:{params['nonce']}:{params.get('nc', '')}:{params.get('cnonce', '')}:{params['qop']}:{ha2}"
        )
    return _md5(f"{ha1}:{params['nonce']}:{ha2}")


def check_digest(params: dict[str, str], method: str, ha1: str | None, secret: str, realm: str) -> str:
    """'ok', 'stale' or 'bad' for one Authorization: Digest header against the account's HA1."""
    if ha1 is None or params.get("realm") != realm or "nonce" not in params or "response" not in params:
        return "bad"
    if params.get("algorithm", "MD5").upper() != "MD5" or params.get("qop", "auth") != "auth":
        return "bad"
    if not hmac.compare_digest(expected_response(ha1, method, params), params["response"].lower()):
        return "bad"
    return nonce_state(secret, params["nonce"])


def challenge(secret: str, realm: str, stale: bool = False) -> str:
    header = f'Digest realm="{realm}", domain="/", qop="auth", algorithm=MD5, nonce="{make_nonce(secret)}", opaque="{_md5(realm)}"'
    return header + (", stale=true" if stale else "")
