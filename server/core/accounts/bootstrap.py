"""First start of an installation: the default project, a first admin and a first collector.

Generated passwords are written once to <data dir>/first-logins.txt (mode 0600) so that `chumchon serve`
can show them again on later starts until the operator changes them."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import projects, users
from server.core.models import RoleGrant, User

FIRST_ADMIN = "admin"
FIRST_COLLECTOR = "surveyor1"


@dataclass(frozen=True)
class FirstLogins:
    project_id: int
    project_name: str
    admin_username: str
    admin_password: str | None  # None when the admin existed before and no password file is kept
    collector_username: str
    collector_token: str | None


def _logins_file(data_dir: Path) -> Path:
    return data_dir / "first-logins.txt"


def _read_saved(data_dir: Path) -> dict[str, str]:
    path = _logins_file(data_dir)
    if not path.exists():
        return {}
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def _save(data_dir: Path, values: dict[str, str]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = _logins_file(data_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(values, fh, ensure_ascii=False, indent=2)
    os.replace(tmp, path)


def ensure_first_accounts(session: Session, data_dir: Path) -> FirstLogins:
    """Create what a fresh installation needs; on later starts, report what exists."""
    project = projects.ensure_default_project(session)
    saved = _read_saved(data_dir)
    has_admin = session.scalar(select(RoleGrant.id).where(RoleGrant.role == "admin").limit(1)) is not None
    if not has_admin and session.scalar(select(User).where(User.username == FIRST_ADMIN)) is None:
        password = secrets.token_urlsafe(12)
        users.create_user(session, FIRST_ADMIN, "admin", password=password, display_name="ผู้ดูแลระบบ")
        saved["admin_password"] = password
        _save(data_dir, saved)
    collector = session.scalar(select(User).where(User.username == FIRST_COLLECTOR))
    if collector is None:
        collector = users.create_user(
            session, FIRST_COLLECTOR, "collector", project_id=project.id, display_name="พัฒนากร 1"
        )
    session.flush()
    return FirstLogins(
        project_id=project.id,
        project_name=project.name,
        admin_username=FIRST_ADMIN,
        admin_password=saved.get("admin_password"),
        collector_username=collector.username,
        collector_token=collector.collect_token,
    )
