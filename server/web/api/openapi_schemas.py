"""Hand-written parts of the OpenAPI document: component schemas after ODK Central's (Actor, User,
AppUser, Role, Assignment, Audit, Problem …) and, per (method, rule), the request body, query
parameters and 200 answer where they are known. Every other /v1 route still appears in the document
(see server.web.api.openapi), with a generic answer."""

from __future__ import annotations

from typing import Any

_ISO = {"type": ["string", "null"], "description": "ISO 8601 date-time in UTC"}
_REF = "#/components/schemas/"


def ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def array(name: str) -> dict[str, Any]:
    return {"type": "array", "items": ref(name)}


SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "Every 4xx answer: a problem code (as Central's), a Thai / English message, details.",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": ["string", "number"]},
            "message": {"type": "string"},
            "details": {"type": "object"},
        },
    },
    "Success": {"type": "object", "required": ["success"], "properties": {"success": {"type": "boolean"}}},
    "Actor": {
        "type": "object",
        "required": ["id", "type", "displayName", "createdAt"],
        "properties": {
            "id": {"type": "integer"},
            "type": {"type": "string", "enum": ["user", "field_key", "public_link", "singleUse"]},
            "displayName": {"type": "string"},
            "createdAt": _ISO,
            "updatedAt": _ISO,
            "deletedAt": _ISO,
        },
    },
    "User": {
        "allOf": [
            ref("Actor"),
            {
                "type": "object",
                "required": ["email"],
                "properties": {
                    "email": {"type": "string", "description": "Chumchon's username"},
                    "lastLoginAt": _ISO,
                    "roles": {"type": "array", "items": {"type": "string"}},
                },
            },
        ]
    },
    "AppUser": {
        "allOf": [
            ref("Actor"),
            {
                "type": "object",
                "required": ["token", "projectId"],
                "properties": {
                    "token": {"type": ["string", "null"], "description": "the Collect token; null once revoked"},
                    "projectId": {"type": "integer"},
                    "createdBy": {"anyOf": [ref("Actor"), {"type": "null"}]},
                    "lastUsed": _ISO,
                    "properties": {"type": ["object", "null"]},
                },
            },
        ]
    },
    "PublicLink": {
        "allOf": [
            ref("Actor"),
            {
                "type": "object",
                "required": ["once", "token"],
                "properties": {
                    "once": {"type": "boolean", "description": "one submission per browser"},
                    "token": {"type": ["string", "null"], "description": "the link's secret; null once revoked"},
                    "url": {"type": ["string", "null"], "description": "the page to share (Chumchon's)"},
                    "createdBy": {"anyOf": [ref("Actor"), {"type": "null"}]},
                },
            },
        ]
    },
    "Role": {
        "type": "object",
        "required": ["id", "name", "system", "verbs", "createdAt", "updatedAt"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "system": {"type": ["string", "null"]},
            "verbs": {"type": "array", "items": {"type": "string"}},
            "createdAt": _ISO,
            "updatedAt": _ISO,
        },
    },
    "Assignment": {
        "type": "object",
        "description": "{actorId, roleId}; with X-Extended-Metadata: true, {actor, roleId}",
        "required": ["roleId"],
        "properties": {"actorId": {"type": "integer"}, "actor": ref("Actor"), "roleId": {"type": "integer"}},
    },
    "Audit": {
        "type": "object",
        "required": ["action", "loggedAt"],
        "properties": {
            "actorId": {"type": ["integer", "null"]},
            "action": {"type": "string"},
            "acteeId": {"type": ["string", "null"], "format": "uuid"},
            "details": {"type": "object"},
            "loggedAt": _ISO,
            "notes": {"type": ["string", "null"]},
            "chumchonAction": {"type": "string"},
            "actor": {"anyOf": [ref("Actor"), {"type": "null"}]},
        },
    },
    "Webhook": {
        "type": "object",
        "required": ["id", "projectId", "url", "events", "active", "createdAt"],
        "properties": {
            "id": {"type": "integer"},
            "projectId": {"type": "integer"},
            "url": {"type": "string"},
            "events": {"type": "array", "items": {"type": "string"}},
            "active": {"type": "boolean"},
            "createdBy": {"type": ["integer", "null"]},
            "createdAt": _ISO,
            "secret": {"type": "string", "description": "only in the answer that created the webhook"},
        },
    },
    "WebhookDelivery": {
        "type": "object",
        "required": ["id", "webhookId", "event", "state", "attempts", "log"],
        "properties": {
            "id": {"type": "integer"},
            "webhookId": {"type": "integer"},
            "event": {"type": "string"},
            "state": {"type": "string", "enum": ["pending", "delivered", "failed"]},
            "attempts": {"type": "integer"},
            "lastStatus": {"type": ["integer", "null"]},
            "lastError": {"type": ["string", "null"]},
            "createdAt": _ISO,
            "nextAttemptAt": _ISO,
            "deliveredAt": _ISO,
            "log": {"type": "array", "items": {"type": "object"}},
            "data": {"type": "object"},
        },
    },
    "Project": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "description": {"type": ["string", "null"]}},
    },
}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "required": required, "properties": properties}}},
    }


def _query(*names: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": n, "in": "query", "required": False, "schema": s} for n, s in names]


_STR = {"type": "string"}
_PAGE = (("limit", {"type": "integer", "minimum": 1, "maximum": 1000}), ("offset", {"type": "integer", "minimum": 0}))
_P = "/v1/projects/<int:project_id>"
_F = f"{_P}/forms/<xml_form_id>"

# (method, rule) -> {"body": requestBody, "query": parameters, "ok": schema of the 200 JSON answer}
_XML_BODY = {
    "required": True,
    "content": {"application/xml": {"schema": {"type": "string", "description": "the submission XML"}}},
}
OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/sessions"): {
        "body": _body({"email": _STR, "password": _STR}, ["email", "password"]),
        "ok": {"type": "object", "required": ["token"], "properties": {"token": _STR}},
    },
    ("GET", "/v1/projects"): {"ok": array("Project")},
    ("GET", _P): {"ok": ref("Project")},
    ("GET", "/v1/users"): {"query": _query(("q", _STR)), "ok": array("User")},
    ("POST", "/v1/users"): {
        "body": _body({"email": _STR, "password": _STR, "displayName": _STR}, ["email"]),
        "ok": ref("User"),
    },
    ("GET", "/v1/users/<int:user_id>"): {"ok": ref("User")},
    ("PATCH", "/v1/users/<int:user_id>"): {"body": _body({"displayName": _STR, "email": _STR}, []), "ok": ref("User")},
    ("DELETE", "/v1/users/<int:user_id>"): {"ok": ref("Success")},
    ("PUT", "/v1/users/<int:user_id>/password"): {
        "body": _body({"old": _STR, "new": _STR}, ["old", "new"]),
        "ok": ref("Success"),
    },
    ("GET", "/v1/roles"): {"ok": array("Role")},
    ("GET", "/v1/roles/<role_id>"): {"ok": ref("Role")},
    ("GET", "/v1/assignments"): {"ok": array("Assignment")},
    ("GET", "/v1/assignments/<role_id>"): {"ok": array("Actor")},
    ("POST", "/v1/assignments/<role_id>/<int:actor_id>"): {"ok": ref("Success")},
    ("DELETE", "/v1/assignments/<role_id>/<int:actor_id>"): {"ok": ref("Success")},
    ("GET", f"{_P}/assignments"): {"ok": array("Assignment")},
    ("GET", f"{_P}/assignments/<role_id>"): {"ok": array("Actor")},
    ("POST", f"{_P}/assignments/<role_id>/<int:actor_id>"): {"ok": ref("Success")},
    ("DELETE", f"{_P}/assignments/<role_id>/<int:actor_id>"): {"ok": ref("Success")},
    ("GET", f"{_P}/app-users"): {"ok": array("AppUser")},
    ("POST", f"{_P}/app-users"): {"body": _body({"displayName": _STR}, ["displayName"]), "ok": ref("AppUser")},
    ("GET", f"{_P}/app-users/<int:actor_id>"): {"ok": ref("AppUser")},
    ("DELETE", f"{_P}/app-users/<int:actor_id>"): {"ok": ref("Success")},
    ("GET", f"{_F}/assignments"): {"ok": array("Assignment")},
    ("GET", f"{_F}/assignments/<role_id>"): {"ok": array("Actor")},
    ("POST", f"{_F}/assignments/<role_id>/<int:actor_id>"): {"ok": ref("Success")},
    ("DELETE", f"{_F}/assignments/<role_id>/<int:actor_id>"): {"ok": ref("Success")},
    ("GET", f"{_F}/public-links"): {"ok": array("PublicLink")},
    ("POST", f"{_F}/public-links"): {
        "body": _body({"displayName": _STR, "once": {"type": "boolean"}}, ["displayName"]),
        "ok": ref("PublicLink"),
    },
    ("DELETE", f"{_F}/public-links/<int:actor_id>"): {"ok": ref("Success")},
    ("GET", "/v1/audits"): {
        "query": _query(("action", _STR), ("start", _STR), ("end", _STR), *_PAGE),
        "ok": array("Audit"),
    },
    ("GET", f"{_P}/webhooks"): {"ok": array("Webhook")},
    ("POST", f"{_P}/webhooks"): {
        "body": _body(
            {
                "url": {"type": "string", "format": "uri"},
                "events": {
                    "type": "array",
                    "items": {"type": "string", "enum": ["submission.received", "submission.processed",
                                                         "submission.reviewed"]},
                },
                "secret": {"type": "string", "minLength": 16},
            },
            ["url"],
        ),
        "ok": ref("Webhook"),
    },
    ("DELETE", f"{_P}/webhooks/<int:webhook_id>"): {"ok": ref("Success")},
    ("GET", f"{_P}/webhooks/<int:webhook_id>/deliveries"): {"query": _query(*_PAGE), "ok": array("WebhookDelivery")},
    ("POST", f"{_P}/webhooks/<int:webhook_id>/test"): {"ok": ref("WebhookDelivery")},
    # Central's trash: forms by xmlFormId out, back by numeric id; submissions out and back.
    ("DELETE", _F): {"ok": ref("Success")},
    ("POST", f"{_P}/forms/<int:form_id>/restore"): {"ok": ref("Success")},
    ("GET", f"{_P}/forms"): {"query": _query(("deleted", {"type": "string", "enum": ["true", "false"]}))},
    ("GET", f"{_F}/submissions"): {"query": _query(("deleted", {"type": "string", "enum": ["true", "false"]}))},
    ("DELETE", f"{_F}/submissions/<instance_id>"): {"ok": ref("Success")},
    ("POST", f"{_F}/submissions/<instance_id>/restore"): {"ok": ref("Success")},
    ("GET", f"{_F}/submissions/<instance_id>/diffs"): {
        "ok": {
            "type": "object",
            "description": "by the newer version's instanceID: what changed from the version before",
            "additionalProperties": {
                "type": "array",
                "items": {"type": "object", "required": ["path"], "properties": {"path": {"type": "array"}}},
            },
        }
    },
    # Draft testing: test submissions by REST, with a session or the draft token.
    ("POST", f"{_F}/draft/submissions"): {"body": _XML_BODY},
    ("POST", "/v1/test/<token>/projects/<int:project_id>/forms/<xml_form_id>/draft/submissions"): {"body": _XML_BODY},
}
