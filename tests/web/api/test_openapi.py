"""The OpenAPI document covers every /v1 route of the application (whoever added it), and /v1/docs
lists them on a page without scripts."""

from __future__ import annotations

import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from server.core.forms.publishing import publish_form
from server.core.webhooks import subscriptions
from server.web.api.openapi import openapi_path
from tests.helpers import FIXTURES

KITCHEN = FIXTURES / "kitchen_sink.md"


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


# schemathesis against the document, through the Flask WSGI app: a few generated requests per
# operation (derandomised, so every run sends the same ones), signed in as an administrator. Session
# endpoints are left out: a generated DELETE /v1/sessions/current would sign the test out.
def test_no_5xx_and_every_answer_fits_the_document(app: Flask, services, project, collector, admin_headers) -> None:
    with services.db.session() as session:
        form_id = publish_form(session, services.blobs, project.id, KITCHEN.read_bytes(), "kitchen_sink.md").form.xml_form_id
        hook = subscriptions.create_webhook(session, project.id, "http://127.0.0.1:9/hook")
    known = {"project_id": project.id, "xml_form_id": form_id, "actor_id": collector.id,
             "user_id": collector.id, "role_id": "app-user", "webhook_id": hook.id}
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", app)
    checks = [not_a_server_error, response_schema_conformance]
    tried, answered = 0, set()
    operations = [result.ok() for result in schema.get_all_operations()]
    # Deletes last: a project deleted early would leave every later operation a 404.
    operations.sort(key=lambda op: op.method.upper() == "DELETE")
    for operation in operations:
        if operation.path.startswith("/v1/sessions"):
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=2, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def answers_fit(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=admin_headers, checks=checks)
            # The same request on things that exist, so that real answers are checked too.
            if case.path_parameters:
                case.path_parameters = {k: known.get(k, v) for k, v in case.path_parameters.items()}
            response = case.call_and_validate(headers=admin_headers, checks=checks)
            if response.status_code < 300:
                answered.add(case.operation.label)

        answers_fit()
        tried += 1
    assert tried > 60
    assert len(answered) > 20, answered  # many operations really answered, not only refused
