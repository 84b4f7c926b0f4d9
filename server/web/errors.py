"""One place mapping errors to answers: OpenRosa XML for Collect's routes, JSON for the API, HTML pages
for the web application.

Nothing here ever shows a stack trace to the user; unexpected errors are logged and answered 500."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request, url_for
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from server.core.ground.errors import ChumchonError, Unauthenticated, Unavailable
from server.core.ground.transactions import is_contention, is_outage, sqlstate
from server.web.auth import add_challenge
from server.web.openrosa.responses import message_response
from server.web.ui import is_ui_request, ui_problem
from server.web.ui.session import finish

log = logging.getLogger(__name__)

# Bilingual texts for plain HTTP errors, shown by Collect as "Error: <message>".
_HTTP_MESSAGES = {
    400: "คำขอไม่ถูกต้อง / Bad request.",
    404: "ไม่พบสิ่งที่ขอ / Not found.",
    405: "ไม่รองรับวิธีนี้ / Method not allowed.",
    413: "ไฟล์ใหญ่เกินกำหนด / The upload is larger than this server accepts.",
}


# Seconds a client should wait when the database is briefly out of reach (a restart, a failover).
RETRY_AFTER_SECONDS = 5
_DB_UNAVAILABLE = (
    "ฐานข้อมูลไม่พร้อมชั่วคราว กรุณาส่งใหม่อีกครั้ง / The database is briefly unavailable; "
    "nothing was saved, please send again in a few seconds."
)
_DB_BUSY = (
    "ระบบมีงานพร้อมกันมาก ยังไม่ได้บันทึก กรุณาส่งใหม่อีกครั้ง / The server is busy with conflicting "
    "changes; nothing was saved, please send again in a few seconds."
)


def _ui_unavailable_page() -> Response:
    """The web application's 503 page, built without templates: the page layout asks the database who
    is signed in, and the database is what is missing. Both languages, since the choice is stored too."""
    css = url_for("ui.static", filename="ui/app.css")
    html = (
        '<!doctype html>\n<html lang="th"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>ระบบไม่พร้อมชั่วคราว / Temporarily unavailable</title><link rel="stylesheet" href="{css}">'
        '</head><body><main><section class="card">'
        "<h1>ระบบไม่พร้อมชั่วคราว (503)</h1>"
        f"<p>ฐานข้อมูลไม่พร้อมชั่วคราว ยังไม่ได้บันทึกสิ่งที่ส่งมา กรุณาลองใหม่ใน {RETRY_AFTER_SECONDS} วินาที</p>"
        '<h1 lang="en">Temporarily unavailable (503)</h1>'
        f'<p lang="en">The database is briefly unavailable; nothing was saved. Please try again in '
        f"{RETRY_AFTER_SECONDS} seconds.</p>"
        '<p><a href="/">หน้าแรก / Home</a></p>'
        "</section></main></body></html>\n"
    )
    return finish(Response(html, status=503, mimetype="text/html"))


def is_openrosa_request() -> bool:
    return request.blueprint is not None and request.blueprint.startswith("openrosa")


def _numeric(code: str) -> float | str:
    """ODK Central's problem codes are JSON numbers (404.1); clients compare them as numbers."""
    try:
        return float(code)
    except ValueError:
        return code


def problem(status: int, code: str, message: str, details: dict[str, object] | None = None) -> Response:
    if is_ui_request():
        return ui_problem(status, message)
    if is_openrosa_request():
        resp = message_response(message, status, nature="error")
    else:
        resp = jsonify({"code": _numeric(code), "message": message, "details": details or {}})
        resp.status_code = status
    if status == 401:
        add_challenge(resp)
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ChumchonError)
    def _domain(err: ChumchonError) -> Response:
        if isinstance(err, Unauthenticated):
            return problem(401, err.code, err.message)
        resp = problem(err.status, err.code, err.message, dict(err.details))
        if isinstance(err, Unavailable):  # e.g. the S3 blob store out of reach: nothing was saved
            log.warning("unavailable on %s %s: %s", request.method, request.path, err.message)
            resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return resp

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(err: RequestEntityTooLarge) -> Response:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        return problem(413, "413.1", _HTTP_MESSAGES[413], {"limit_bytes": limit})

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        status = err.code or 500
        return problem(status, f"{status}.0", _HTTP_MESSAGES.get(status, err.description or err.name))

    @app.errorhandler(DataError)
    def _data(err: DataError) -> Response:
        # A value the database refused (out of range, bad encoding) that slipped past the edge checks.
        log.warning("database refused a value on %s %s: %s", request.method, request.path, err.orig)
        return problem(400, "400.9", "ข้อมูลบางค่าไม่ถูกต้องหรือเกินขอบเขต / A value in the request is out of range.")

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        if is_contention(err):  # a deadlock or lock timeout that outlasted its retries (or was not retried)
            log.warning("database contention (%s) on %s %s: %s", sqlstate(err), request.method, request.path, err)
            resp = problem(503, "503.3", _DB_BUSY)
            resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return resp
        if is_outage(err):
            log.warning("database unavailable on %s %s: %s", request.method, request.path, err)
            resp = _ui_unavailable_page() if is_ui_request() else problem(503, "503.1", _DB_UNAVAILABLE)
            resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return resp
        log.exception("unexpected error on %s %s", request.method, request.path)
        return problem(
            500, "500.1", "เกิดข้อผิดพลาดภายในเซิร์ฟเวอร์ กรุณาลองใหม่ / Internal server error; please try again."
        )
