"""JSON API: web accounts and the audit trail, as ODK Central's /v1/users and /v1/audits
(/v1/users/current lives with the sessions in server.web.api.projects)."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from server.core.accounts import audit_feed, directory, permissions, users
from server.core.ground.errors import BadRequest, Forbidden
from server.core.models import User
from server.web.api.actors import actor_json, extended, user_json
from server.web.api.common import MAX_OFFSET, MAX_PAGE, Field, checked_body, iso
from server.web.auth import api_user
from server.web.context import db

bp = Blueprint("api_users", __name__, url_prefix="/v1")

_NAME = users.MAX_USERNAME_LENGTH
_CREATE_BODY = {
    "email": Field((str,), required=True, max_length=_NAME),
    "password": Field((str,), max_length=1024, nullable=True),
    "displayName": Field((str,), max_length=directory.MAX_DISPLAY_NAME, nullable=True),
}
_UPDATE_BODY = {
    "email": Field((str,), max_length=_NAME),
    "displayName": Field((str,), max_length=directory.MAX_DISPLAY_NAME),
}
_PASSWORD_BODY = {
    "old": Field((str,), required=True, max_length=1024),
    "new": Field((str,), required=True, max_length=1024),
}


def _one(user: User) -> dict[str, Any]:
    return user_json(user, directory.last_logins(db(), [user.id]).get(user.id))


@bp.get("/users")
def list_users() -> Response:
    """Accounts (administrators: all; managers: those of their projects; others: only an exact `q`)."""
    rows = directory.list_users(db(), api_user(), request.args.get("q"))
    logins = directory.last_logins(db(), [u.id for u in rows])
    return jsonify([user_json(u, logins.get(u.id)) for u in rows])


@bp.post("/users")
def create_user() -> Response:
    """A new account without roles (assign roles on projects); `email` is the username."""
    user = api_user()
    if not directory.is_admin(db(), user):
        raise Forbidden("เฉพาะผู้ดูแลระบบ / Administrators only.")
    body = checked_body(_CREATE_BODY)
    created = directory.create_user(db(), user, body["email"], body.get("password"), body.get("displayName"))
    db().commit()
    return jsonify(_one(created))


@bp.get("/users/<int:user_id>")
def get_user(user_id: int) -> Response:
    return jsonify(_one(directory.visible_user(db(), api_user(), user_id)))


@bp.patch("/users/<int:user_id>")
def update_user(user_id: int) -> Response:
    """Change displayName and/or email (the username)."""
    actor = api_user()
    target = directory.visible_user(db(), actor, user_id)
    body = checked_body(_UPDATE_BODY)
    directory.update_user(db(), actor, target, display_name=body.get("displayName"), email=body.get("email"))
    db().commit()
    return jsonify(_one(target))


@bp.delete("/users/<int:user_id>")
def delete_user(user_id: int) -> Response:
    """Deactivate the account (administrators only): it cannot sign in again, its history stays."""
    actor = api_user()
    if not directory.is_admin(db(), actor):
        raise Forbidden("เฉพาะผู้ดูแลระบบ / Administrators only.")
    directory.delete_user(db(), actor, directory.visible_user(db(), actor, user_id))
    db().commit()
    return jsonify({"success": True})


@bp.put("/users/<int:user_id>/password")
def change_password(user_id: int) -> Response:
    """Change a password by giving the old one; the account's other sessions end."""
    actor = api_user()
    if user_id != actor.id and not directory.is_admin(db(), actor):
        raise Forbidden("เปลี่ยนได้เฉพาะรหัสผ่านของตัวเอง / You may change only your own password.")
    target = directory.visible_user(db(), actor, user_id)
    body = checked_body(_PASSWORD_BODY)
    header = request.headers.get("Authorization", "")
    keep = hashlib.sha256(header[7:].strip().encode()).hexdigest() if header.lower().startswith("bearer ") else None
    directory.change_password(db(), actor, target, body["old"], body["new"], keep_api_token_sha256=keep)
    db().commit()
    return jsonify({"success": True})


def _paging() -> tuple[int | None, int]:
    try:
        limit = int(request.args["limit"]) if request.args.get("limit") else None
        offset = int(request.args.get("offset") or 0)
    except ValueError as exc:
        raise BadRequest("limit และ offset ต้องเป็นตัวเลข / limit and offset must be whole numbers.") from exc
    if (limit is not None and not 1 <= limit <= MAX_PAGE) or not 0 <= offset <= MAX_OFFSET:
        raise BadRequest(f"limit must be 1..{MAX_PAGE} and offset 0..{MAX_OFFSET}.")
    return limit, offset


@bp.get("/audits")
def list_audits() -> Response:
    """The audit trail, newest first, with Central's action names and filters (administrators only)."""
    user = api_user()
    if "*" not in permissions.verbs_for(db(), user, None):
        raise Forbidden("เฉพาะผู้ดูแลระบบ / Administrators only.")
    limit, offset = _paging()
    query = audit_feed.AuditQuery(
        action=(request.args.get("action") or "").strip() or None,
        start=audit_feed.parse_time(request.args.get("start"), "start"),
        end=audit_feed.parse_time(request.args.get("end"), "end"),
        limit=limit,
        offset=offset,
    )
    events = audit_feed.entries(db(), query)
    wide = extended()
    actors = {u.id: u for u in db().query(User).filter(User.id.in_({e.actor_id for e in events if e.actor_id}))} if wide else {}
    out = []
    for event in events:
        entry = {**audit_feed.entry_fields(event), "loggedAt": iso(event.logged_at)}
        if wide:
            actor = actors.get(event.actor_id or -1)
            entry["actor"] = actor_json(actor) if actor is not None else None
        out.append(entry)
    return jsonify(out)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
