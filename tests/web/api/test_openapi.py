"""The OpenAPI document covers every /v1 route of the application (whoever added it), and /v1/docs
lists them on a page without scripts."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from server.web.api.openapi import openapi_path


def v1_operations(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1/"):
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                found.add((method.lower(), openapi_path(rule.rule)[0]))
    return found


def test_every_v1_route_is_in_the_document(app: Flask, client: FlaskClient) -> None:
    resp = client.get("/v1/openapi.json")
    assert resp.status_code == 200
    document = resp.get_json()
    assert document["openapi"] == "3.1.0"
    listed = {(m, p) for p, item in document["paths"].items() for m in item if m != "parameters"}
    routes = v1_operations(app)
    assert len(routes) > 60
    assert routes - listed == set(), "routes missing from /v1/openapi.json"
    assert listed - routes == set(), "the document lists operations that do not exist"
    ids = [op["operationId"] for item in document["paths"].values() for m, op in item.items() if m != "parameters"]
    assert len(ids) == len(set(ids))
    app_users = document["paths"]["/v1/projects/{project_id}/app-users"]
    assert app_users["post"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AppUser"
    }
    assert app_users["parameters"][0] == {
        "name": "project_id", "in": "path", "required": True,
        "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    }
    assert document["paths"]["/v1/roles"]["get"]["security"] == []


def test_the_docs_page_lists_every_operation_without_scripts(app: Flask, client: FlaskClient) -> None:
    resp = client.get("/v1/docs")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "script-src" not in resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    for method, path in v1_operations(app):
        assert f"<code>{method.upper()}</code></td><td><code>{path}</code>" in page
    assert "เอกสาร API" in page
