"""The OpenAPI 3.1 document of the whole /v1 API, generated from the application's routes (so every
endpoint appears, whoever added it), with the hand-written schemas of server.web.api.openapi_schemas;
and /v1/docs, a plain server-rendered page listing the operations (no script, nothing external)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from markupsafe import escape

from server.web.api.openapi_schemas import OPERATIONS, SCHEMAS, ref

bp = Blueprint("api_openapi", __name__, url_prefix="/v1")

_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_INT = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
_PUBLIC = {("POST", "/v1/sessions"), ("GET", "/v1/roles"), ("GET", "/v1/roles/<role_id>"),
           ("GET", "/v1/openapi.json"), ("GET", "/v1/docs")}
_PROBLEM = {"description": "A problem: bad input, not signed in, not allowed, not found, conflict",
            "content": {"application/json": {"schema": ref("Problem")}}}
_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'"


def openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """`/v1/projects/<int:project_id>` -> (`/v1/projects/{project_id}`, its path parameters)."""
    params: list[dict[str, Any]] = []

    def name(match: re.Match[str]) -> str:
        converter, param = match.group(1) or "string", match.group(2)
        schema = dict(_INT) if converter == "int" else {"type": "string", "minLength": 1}
        params.append({"name": param, "in": "path", "required": True, "schema": schema})
        return "{" + param + "}"

    return _PARAM.sub(name, rule), params


def _summary(view: Any, endpoint: str) -> tuple[str, str]:
    doc = (getattr(view, "__doc__", None) or "").strip()
    first, _sep, rest = doc.partition("\n")
    return (first or endpoint.replace("_", " ")), " ".join(rest.split())


def _operation(app: Flask, method: str, rule: Any, used: set[str]) -> dict[str, Any]:
    known = OPERATIONS.get((method, rule.rule), {})
    summary, description = _summary(app.view_functions.get(rule.endpoint), rule.endpoint)
    op_id = re.sub(r"\W", "_", rule.endpoint)
    if op_id in used:
        op_id = f"{op_id}_{method.lower()}"
    used.add(op_id)
    if "ok" in known:
        ok = {"description": "OK", "content": {"application/json": {"schema": known["ok"]}}}
        responses: dict[str, Any] = {"200": ok}
    elif rule.rule == "/v1/docs":
        responses = {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}}
    else:
        responses = {"2XX": {"description": "OK (see the README for this answer's keys)"}}
    responses["4XX"] = _PROBLEM
    operation: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "tags": [rule.endpoint.split(".")[0]],
        "responses": responses,
    }
    if description:
        operation["description"] = description
    if known.get("query"):
        operation["parameters"] = list(known["query"])
    if "body" in known:
        operation["requestBody"] = known["body"]
    if (method, rule.rule) in _PUBLIC or rule.rule.startswith("/v1/test/"):  # the draft token is the credential
        operation["security"] = []
    return operation


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every /v1 route of `app`."""
    paths: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/v1/"):
            continue
        path, params = openapi_path(rule.rule)
        item = paths.setdefault(path, {})
        if params:
            item["parameters"] = params
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            item[method.lower()] = _operation(app, method, rule, used)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chumchon /v1 API",
            "version": "1",
            "description": "Shaped after ODK Central's /v1 (pyodk works unchanged); Chumchon's extras are "
            "extra keys. Errors are Problem objects with a Thai / English message.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "token from POST /v1/sessions"},
                "basic": {"type": "http", "scheme": "basic", "description": "over HTTPS only"},
            },
        },
        "security": [{"bearer": []}, {"basic": []}],
    }


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """This API's OpenAPI 3.1 document."""
    return jsonify(build_document(current_app))


def _docs_html(document: dict[str, Any]) -> str:
    rows: list[str] = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            rows.append(
                f"<tr><td><code>{escape(method.upper())}</code></td><td><code>{escape(path)}</code></td>"
                f"<td>{escape(op['summary'])}</td><td>{escape(', '.join(op['tags']))}</td></tr>"
            )
    return (
        '<!doctype html>\n<html lang="th"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>เอกสาร API / API reference — Chumchon</title>"
        '<link rel="stylesheet" href="/ui/static/ui/app.css"></head><body><main><section class="card">'
        "<h1>เอกสาร API /v1 / API reference</h1>"
        "<p>รูปแบบตาม ODK Central (pyodk ใช้ได้) / Shaped after ODK Central's API. "
        'เอกสาร OpenAPI 3.1: <a href="/v1/openapi.json">/v1/openapi.json</a></p>'
        f"<p>{len(rows)} operations</p>"
        "<table><thead><tr><th>method</th><th>path</th><th>ทำอะไร / what</th><th>group</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section></main></body></html>\n"
    )


@bp.get("/docs")
def docs_page() -> Response:
    """A page listing every operation of this API."""
    resp = Response(_docs_html(build_document(current_app)), mimetype="text/html")
    resp.headers["Content-Security-Policy"] = _CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
