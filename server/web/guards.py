"""Checks at the edge that every request passes before a view runs: ids that fit the database's
integer columns, and no NUL characters (PostgreSQL text cannot hold them) in the path, the query string
or a JSON body. A refused request gets a 4xx here instead of a 500 from the database."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from server.core.ground.errors import BadRequest

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column
MAX_JSON_DEPTH = 32

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_NUL_MESSAGE = "คำขอมีอักขระ NUL ซึ่งใช้ไม่ได้ / The request contains a NUL character, which is not allowed."


def regex_up_to(limit: int) -> str:
    """A regular expression matching exactly the decimal numbers 0..limit (leading zeros allowed)."""
    digits = str(limit)
    options = [f"0*[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - i - 1
            options.append(f"0*{digits[:i]}[0-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    options.append(f"0*{digits}")
    return "(?:" + "|".join(options) + ")"


class IdConverter(IntegerConverter):
    """`<int:…>` bounded to the id columns' range in its pattern: a larger number matches no route,
    so it is a plain 404 (a bound checked after matching would make werkzeug answer 405)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
        self.regex = regex_up_to(MAX_ID)


def _has_nul(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if depth > MAX_JSON_DEPTH:
        raise BadRequest("JSON ซ้อนกันลึกเกินไป / The JSON body is nested too deeply.")
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


def refuse_nul() -> None:
    if "\x00" in request.path or any(
        "\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)
    ):
        raise BadRequest(_NUL_MESSAGE)
    if request.is_json and request.content_length:
        body = request.get_json(silent=True)
        if _has_nul(body):
            raise BadRequest(_NUL_MESSAGE)
    elif request.mimetype in _FORM_TYPES and request.content_length:
        # The web application's form posts; parsing here is the same parse the view would do.
        if any("\x00" in key or "\x00" in value for key, value in request.form.items(multi=True)) or any(
            "\x00" in key or "\x00" in (upload.filename or "") for key, upload in request.files.items(multi=True)
        ):
            raise BadRequest(_NUL_MESSAGE)


def install_guards(app: Flask) -> None:
    """Call before any blueprint is registered: rules are compiled with the converter in place."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul)


def id_or_none(raw: str | None, message: str) -> int | None:
    """An optional id from a query parameter or form field: empty is None; anything but a whole number
    in the id columns' range is a 400 with `message` (a huge number would otherwise reach the database)."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)) or int(text) > MAX_ID:
        raise BadRequest(message)
    return int(text)
