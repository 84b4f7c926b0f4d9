"""One place mapping errors to answers: OpenRosa XML for Collect's routes, JSON for the API.

Nothing here ever shows a stack trace to the user; unexpected errors are logged and answered 500."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from server.core.ground.errors import ChumchonError, Unauthenticated
from server.web.auth import add_challenge
from server.web.openrosa.responses import message_response
from server.web.ui import is_ui_request, ui_problem

log = logging.getLogger(__name__)

# Bilingual texts for plain HTTP errors, shown by Collect as "Error: <message>".
_HTTP_MESSAGES = {
    400: "คำขอไม่ถูกต้อง / Bad request.",
    404: "ไม่พบสิ่งที่ขอ / Not found.",
    405: "ไม่รองรับวิธีนี้ / Method not allowed.",
    413: "ไฟล์ใหญ่เกินกำหนด / The upload is larger than this server accepts.",
}


def is_openrosa_request() -> bool:
    return request.blueprint is not None and request.blueprint.startswith("openrosa")


def problem(status: int, code: str, message: str, details: dict[str, object] | None = None) -> Response:
    if is_ui_request():
        return ui_problem(status, message)
    if is_openrosa_request():
        resp = message_response(message, status, nature="error")
    else:
        resp = jsonify({"code": code, "message": message, "details": details or {}})
        resp.status_code = status
    if status == 401:
        add_challenge(resp)
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ChumchonError)
    def _domain(err: ChumchonError) -> Response:
        if isinstance(err, Unauthenticated):
            return problem(401, err.code, err.message)
        return problem(err.status, err.code, err.message, dict(err.details))

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(err: RequestEntityTooLarge) -> Response:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        return problem(413, "413.1", _HTTP_MESSAGES[413], {"limit_bytes": limit})

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        status = err.code or 500
        return problem(status, f"{status}.0", _HTTP_MESSAGES.get(status, err.description or err.name))

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return problem(
            500, "500.1", "เกิดข้อผิดพลาดภายในเซิร์ฟเวอร์ กรุณาลองใหม่ / Internal server error; please try again."
        )
