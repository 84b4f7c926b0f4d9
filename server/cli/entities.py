"""`chumchon entities`: the project's entity lists, and a list made and filled from a CSV file."""

from __future__ import annotations

from pathlib import Path

import click

from server.cli.context import cli_services
from server.core.entities import lists
from server.core.entities.upload import import_csv


def register(group: click.Group) -> None:
    @group.group("entities")
    def entities() -> None:
        """รายการทะเบียน (entity lists) / Entity lists that forms fill and follow-up forms read."""

    @entities.command("list")
    @click.argument("project_id", type=int, default=1)
    def list_command(project_id: int) -> None:
        """Each list of a project: name, live entities, properties."""
        with cli_services() as svc, svc.db.session() as session:
            for entity_list in lists.list_lists(session, project_id):
                summary = lists.summarise(session, entity_list)
                props = ",".join(p.name for p in summary.properties) or "-"
                click.echo(f"{entity_list.name}\t{summary.entities:,}\t{props}")

    @entities.command("import")
    @click.argument("project_id", type=int)
    @click.argument("name")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_command(project_id: int, name: str, csv_file: Path) -> None:
        """Create (or fill) list NAME from a CSV with a `label` column; other columns become properties."""
        with cli_services() as svc, svc.db.session() as session:
            count = import_csv(session, project_id, name, csv_file.read_bytes(), user_id=None, source_name=csv_file.name)
        click.echo(f"{name}: {count:,} รายการ / entities created")
