"""Accounts from the shell: `chumchon users create|list` and `chumchon collect-qr` for a collector's phone."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.cli.context import cli_services
from server.core.accounts import collect_qr, projects, users
from server.core.ground.errors import NotFound
from server.core.ground.services import Services
from server.core.models import ROLES, Project, RoleGrant, User

DEFAULT_BASE_URL = "http://127.0.0.1:8080"


def public_base_url(svc: Services, override: str | None = None) -> str:
    return (override or svc.settings.public_url or DEFAULT_BASE_URL).rstrip("/")


def _read_password(role: str) -> str | None:
    """A password from a prompt (terminal) or the first line of stdin (scripts); collectors need none."""
    if role == "collector":
        return None
    if sys.stdin.isatty():
        value: str = click.prompt("รหัสผ่าน / Password", hide_input=True, confirmation_prompt=True)
        return value
    return sys.stdin.readline().rstrip("\r\n") or None


def _collector_project(session: Session, user: User, project_id: int | None) -> Project:
    from_grants = [g.project_id for g in user.grants if g.project_id is not None]
    pid = project_id or (from_grants[0] if from_grants else None)
    if pid is None:
        return projects.ensure_default_project(session)
    return projects.get_project(session, pid)


@click.group("users")
def users_group() -> None:
    """บัญชีผู้ใช้ / Manage accounts."""


@users_group.command("create")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(ROLES), required=True, help="admin, manager, supervisor, viewer or collector"
)
@click.option(
    "--area",
    "area_code",
    help="Limit a supervisor or viewer to a DOPA area: province (2 digits), district (4) or subdistrict (6).",
)
@click.option("--project", "project_id", type=int, help="Project id (default: the first project).")
@click.option("--password", help="Password (otherwise read from the prompt or stdin; collectors need none).")
@click.option("--display-name", help="Name shown in the UI (default: NAME).")
def create_command(
    name: str,
    role: str,
    area_code: str | None,
    project_id: int | None,
    password: str | None,
    display_name: str | None,
) -> None:
    """Create an account. Collectors get a token URL for ODK Collect instead of a password."""
    if password is None:
        password = _read_password(role)
    with cli_services() as svc, svc.db.session() as session:
        if role != "admin" and project_id is None:
            project_id = projects.ensure_default_project(session).id
        user = users.create_user(
            session,
            name,
            role,
            password=password,
            project_id=project_id,
            display_name=display_name,
            area_code=area_code,
        )
        click.echo(f"สร้างบัญชี {user.username} ({role}) แล้ว / Created {user.username} ({role}).")
        if role == "collector" and user.collect_token and project_id is not None:
            url = collect_qr.collect_url(public_base_url(svc), user.collect_token, project_id)
            click.echo(f"ODK Collect server URL: {url}")
            click.echo(f"QR code: chumchon collect-qr {user.username}")
        if password and user.digest_ha1 is None:
            click.echo(
                "หมายเหตุ: ชื่อหรือรหัสผ่านมีอักษรที่ไม่ใช่ ASCII ใช้ Digest กับ ODK Collect ไม่ได้ / "
                "Note: non-ASCII name or password, so ODK Collect cannot log in with Digest (use HTTPS).",
                err=True,
            )


@users_group.command("list")
def list_command() -> None:
    """List accounts with their roles."""
    with cli_services() as svc, svc.db.session() as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        for user in users:
            grants = session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id)).all()
            roles = ", ".join(
                (g.role if g.project_id is None else f"{g.role}@{g.project_id}")
                + (f"[{g.area_code}]" if g.area_code else "")
                for g in grants
            )
            login = []
            if user.password_hash:
                login.append("password")
            if user.digest_ha1:
                login.append("digest")
            if user.collect_token:
                login.append("token")
            state = "" if user.active else " (inactive)"
            click.echo(f"{user.username}\t{roles}\t{'+'.join(login) or '-'}{state}")


@click.command("collect-qr")
@click.argument("name")
@click.option("--project", "project_id", type=int, help="Project id (default: the collector's project).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="PNG file to write.")
@click.option("--base-url", help="Server URL as phones reach it (default: CHUMCHON_PUBLIC_URL).")
def collect_qr_command(name: str, project_id: int | None, output: Path | None, base_url: str | None) -> None:
    """Show the ODK Collect settings QR code for a collector and write it as a PNG."""
    with cli_services() as svc, svc.db.session() as session:
        user = users.find_user(session, name)
        if user is None:
            raise NotFound(f"ไม่พบผู้ใช้ {name} / No active user named {name}.")
        if not user.collect_token:
            raise click.ClickException(
                f"{name} ไม่มีโทเค็นสำหรับ ODK Collect (เฉพาะพัฒนากร) / {name} has no ODK Collect token "
                "(only collectors have one)."
            )
        project = _collector_project(session, user, project_id)
        base = public_base_url(svc, base_url)
        settings = collect_qr.collect_settings(
            base, user.collect_token, project.id, project.name, username=user.username
        )
        payload = collect_qr.encode_settings(settings)
        target = output or Path(f"collect-qr-{user.username}.png")
        collect_qr.qr_png(payload, target)
        click.echo(collect_qr.qr_terminal(payload))
        click.echo(f"ODK Collect server URL: {settings['general']['server_url']}")
        click.echo(f"QR code PNG: {target}")


def register(group: click.Group) -> None:
    group.add_command(users_group)
    group.add_command(collect_qr_command)
