"""Where OpenRosa lives: every OpenRosa blueprint is mounted under the three server URLs Collect may use.

BASE                              -> the default project, Digest/Basic login
BASE/projects/<id>                -> that project, Digest/Basic login
BASE/key/<token>/projects/<id>    -> that project, the collector's path token (QR code), no login
BASE/v1/projects/<id>, BASE/v1/key/<token>/projects/<id> -> the same, at ODK Central's URLs, so a phone
                                     or QR code set up for Central works; links stay in that family
"""

from __future__ import annotations

from flask import Blueprint, Flask, request

from server.core.accounts.projects import cached_default_project_id
from server.web.context import db, services

PREFIXES = {
    "": "default",
    "/projects/<int:project_id>": "project",
    "/key/<token>/projects/<int:project_id>": "key",
    "/v1/projects/<int:project_id>": "v1_project",
    "/v1/key/<token>/projects/<int:project_id>": "v1_key",
}


def register_openrosa(app: Flask, blueprint: Blueprint) -> None:
    for prefix, suffix in PREFIXES.items():
        app.register_blueprint(blueprint, url_prefix=prefix, name=f"{blueprint.name}_{suffix}")


def resolve_project_id(project_id: int | None) -> int:
    return project_id if project_id is not None else cached_default_project_id(db(), services().cache)


def openrosa_base_url(project_id: int | None, token: str | None) -> str:
    """The server URL Collect was configured with, so generated links keep the token prefix."""
    root = services().settings.public_url or request.host_url.rstrip("/")
    root = root + request.script_root
    if request.path.startswith("/v1/"):  # the phone uses ODK Central's URLs: so do its links
        root += "/v1"
    if token is not None:
        return f"{root}/key/{token}/projects/{project_id}"
    if project_id is not None:
        return f"{root}/projects/{project_id}"
    return root
