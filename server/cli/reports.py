"""`chumchon report NAME`: a report (จปฐ. …) as JSON, XLSX or a Thai PDF, computed in this process."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import select

from server.cli.context import cli_services
from server.core.accounts import projects
from server.core.ground.errors import NotFound
from server.core.models import Project, User
from server.core.reports import basic_needs, catalogue, render
from server.core.review.places import place_labels


def register(group: click.Group) -> None:
    @group.command("report")
    @click.argument("name")
    @click.option("--project", "project_id", type=int, default=None, help="Project id (default: the first).")
    @click.option("--area", default=None, help="DOPA province (2) / district (4) / subdistrict (6) or village code.")
    @click.option("--period", default=None, help="พ.ศ. year, e.g. 2569 (default: the latest).")
    @click.option("--level", type=click.Choice(basic_needs.LEVELS), default=None, help="Rows per … (default: one below --area).")
    @click.option("--format", "fmt", type=click.Choice(list(render.FORMATS)), default="json", show_default=True)
    @click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Write to this file (default: standard output for json, NAME-AREA-PERIOD.FORMAT otherwise).")
    @click.option("--office", default=None, help="Office name printed on the report (default: the project's name).")
    @click.option("--as", "username", default=None, help="Compute it as this account sees it (its area limit).")
    def report(
        name: str,
        project_id: int | None,
        area: str | None,
        period: str | None,
        level: str | None,
        fmt: str,
        out: Path | None,
        office: str | None,
        username: str | None,
    ) -> None:
        """Compute report NAME (see `GET /v1/projects/ID/reports`; e.g. basic_needs) for an area and period."""
        with cli_services() as svc, svc.db.session() as session:
            area, period = basic_needs.check_area(area), basic_needs.check_period(period)  # before any work
            pid = project_id if project_id is not None else projects.default_project_id(session)
            user = None
            if username is not None:
                user = session.scalar(select(User).where(User.username == username))
                if user is None:
                    raise NotFound(f"ไม่พบผู้ใช้ {username} / No user {username!r}.")
            form, rules = catalogue.open_report(session, user, pid, name, operator=user is None)
            session.commit()
            built = catalogue.build(
                session, user, form, rules, area=area, period=period, level=level,
                labels=place_labels(session, svc.blobs, form), operator=user is None,
            )  # fmt: skip
            project = session.get(Project, pid)
            body = render.render(built, fmt, office or (project.name if project else ""), datetime.now(UTC))
        if out is None and fmt == "json":
            sys.stdout.write(body.decode("utf-8") + "\n")
            return
        target = out or Path(render.file_name(built, fmt))
        target.write_bytes(body)
        click.echo(f"{target}  {len(body):,} bytes")
