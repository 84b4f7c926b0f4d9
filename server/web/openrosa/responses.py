"""Building OpenRosa responses: the envelope Collect reads messages from, and the headers it needs."""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask import Response

from server.web.context import services

OPENROSA_NS = "http://openrosa.org/http/response"


def openrosa_headers(resp: Response) -> Response:
    resp.headers["X-OpenRosa-Version"] = "1.0"
    resp.headers["X-OpenRosa-Accept-Content-Length"] = str(services().settings.max_upload_bytes)
    resp.headers.setdefault("Content-Language", "th")
    return resp


def xml_response(body: bytes | str, status: int = 200) -> Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    resp = Response(data, status=status, content_type="text/xml; charset=utf-8")
    return openrosa_headers(resp)


def message_response(message: str, status: int, nature: str = "") -> Response:
    body = (
        "<?xml version='1.0' encoding='UTF-8' ?>\n"
        f'<OpenRosaResponse xmlns="{OPENROSA_NS}" items="0">'
        f'<message nature="{escape(nature)}">{escape(message)}</message>'
        "</OpenRosaResponse>"
    )
    return xml_response(body, status)
