"""JSON shapes of ODK Central's actors (users and app users) and the X-Extended-Metadata switch,
shared by the accounts endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request

from server.core.accounts.app_users import AppUser
from server.core.models import User
from server.web.api.common import iso


def extended() -> bool:
    """Central's `X-Extended-Metadata: true` request header."""
    return request.headers.get("X-Extended-Metadata", "").strip().lower() == "true"


def actor_type(user: User) -> str:
    return "field_key" if user.password_hash is None and user.collect_token is not None else "user"


def actor_json(user: User) -> dict[str, Any]:
    """Central's Actor: every actor has these keys."""
    return {
        "id": user.id,
        "type": actor_type(user),
        "displayName": user.display_name,
        "createdAt": iso(user.created_at),
        "updatedAt": None,
        "deletedAt": None,
    }


def user_json(user: User, last_login: datetime | None = None) -> dict[str, Any]:
    """Central's User (email is Chumchon's username); Chumchon's role names as an extra key."""
    return {
        **actor_json(user),
        "type": "user",
        "email": user.username,
        "lastLoginAt": iso(last_login),
        "roles": sorted({g.role for g in user.grants}),
    }


def app_user_json(app_user: AppUser, *, with_extended: bool = False) -> dict[str, Any]:
    """Central's field key: the token is null once the app user can no longer sign in."""
    user = app_user.user
    body: dict[str, Any] = {
        **actor_json(user),
        "type": "field_key",
        "token": user.collect_token if user.active else None,
        "projectId": app_user.project_id,
    }
    if with_extended:
        body["createdBy"] = actor_json(app_user.created_by) if app_user.created_by is not None else None
        body["lastUsed"] = iso(app_user.last_used)
        body["properties"] = None
    return body
