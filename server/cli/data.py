"""`chumchon export`, `chumchon reprocess` and `chumchon worker`: data out, derived data rebuilt from
the raw submissions, and the Celery worker that does both in the background."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import click

from server.cli.context import cli_services
from server.core.accounts import projects
from server.core.exports import jobs
from server.core.forms import publishing
from server.core.ground.settings import SettingsError, load_settings
from server.core.submissions import processing
from workers.app import run_worker


def _progress(label: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        click.echo(f"\r{label}: {done:,}/{total:,}", nl=False, err=True)

    return show


def register(group: click.Group) -> None:
    @group.command("export")
    @click.argument("xml_form_id")
    @click.option("--format", "fmt", default="csv", show_default=True, type=click.Choice(jobs.FORMATS))
    @click.option(
        "--output",
        "output",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Where to write the zip.",
    )
    @click.option("--project", "project_id", type=int, default=None, help="Project id (default: the first).")
    @click.option("--labels", default=None, help="Question and choice labels as headers, e.g. th (ภาษาไทย).")
    def export(xml_form_id: str, fmt: str, output: Path, project_id: int | None, labels: str | None) -> None:
        """Build an export in this process (no worker needed) and write it to --output."""
        with cli_services() as svc:
            with svc.db.session() as session:
                pid = project_id if project_id is not None else projects.default_project_id(session)
                form = publishing.get_form(session, pid, xml_form_id)
                export_id = jobs.request_export(session, form, fmt, {"labels": labels} if labels else None).id
            result = jobs.build_export(
                svc.db.sessions, svc.settings, svc.blobs, export_id, _progress("exporting / กำลังส่งออก")
            )
            click.echo("", err=True)
            if result.state != "done" or not result.file_path:
                raise click.ClickException(result.error or "export failed")
            shutil.copyfile(result.file_path, output)
            click.echo(f"{output}  {result.size:,} bytes, {result.progress_done:,} rows")
            if result.error:
                click.echo(result.error, err=True)

    @group.command("reprocess")
    @click.option("--form", "xml_form_id", default=None, help="Only this form (xmlFormId).")
    @click.option(
        "--project", "project_id", type=int, default=None, help="Project of --form (default: the first)."
    )
    def reprocess(xml_form_id: str | None, project_id: int | None) -> None:
        """Rebuild all processed data (values, repeat rows, flags) from the stored raw submissions."""
        with cli_services() as svc:
            form_id = None
            if xml_form_id is not None:
                with svc.db.session() as session:
                    pid = project_id if project_id is not None else projects.default_project_id(session)
                    form_id = publishing.get_form(session, pid, xml_form_id).id
            counts = processing.reprocess_all(
                svc.db.sessions, svc.blobs, _progress("reprocessing / กำลังประมวลผลใหม่"), form_id=form_id
            )
            click.echo("", err=True)
            click.echo(f"processed: {counts['processed']:,}  failed: {counts['failed']:,}")
            if counts["failed"]:
                click.echo("Failed versions keep their raw XML; see processing_error in the API.", err=True)

    @group.command("worker")
    @click.option("--concurrency", default=2, show_default=True, type=int, help="Worker processes.")
    @click.option("--beat", is_flag=True, help="Also run the scheduler (the sweeper every minute).")
    @click.option("--loglevel", default="INFO", show_default=True)
    def worker(concurrency: int, beat: bool, loglevel: str) -> None:
        """Run a Celery worker: processes submissions and builds exports."""
        try:
            settings = load_settings()
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from exc
        run_worker(settings, concurrency=concurrency, beat=beat, loglevel=loglevel)
