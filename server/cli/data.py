"""`chumchon export`, `chumchon reprocess` and `chumchon worker`: data out, derived data rebuilt from
the raw submissions, and the Celery worker that does both in the background."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from server.cli import sizing
from server.cli.context import cli_services
from server.core.accounts import projects
from server.core.exports import jobs
from server.core.exports.prerender import prerender_form
from server.core.forms import publishing
from server.core.ground.settings import SettingsError, load_settings
from server.core.reports import results
from server.core.submissions import entity_rebuild, processing
from workers.app import run_worker


def _progress(label: str) -> Callable[[int, int], None]:
    """A progress bar on standard error (the file name goes to standard output)."""

    def show(done: int, total: int) -> None:
        if not total:  # not counted yet (the CSV zip counts while it writes)
            click.echo(f"\r{label} {done:,}", nl=False, err=True)
            return
        width = 30
        filled = int(width * done / total) if total else width
        percent = 100 * done / total if total else 100.0
        bar = "█" * filled + "░" * (width - filled)
        click.echo(f"\r{label} {bar} {percent:5.1f}%  {done:,}/{total:,}", nl=False, err=True)

    return show


def _options(
    raw_json: str | None,
    labels: str | None,
    multiple: str | None,
    group_names: bool | None,
    header_rows: int | None,
    dates: str | None,
    fields: str | None,
    all_versions: bool,
    review_states: tuple[str, ...],
    submitted_from: str | None,
    submitted_to: str | None,
    sensitive: str | None,
    excel_ids: bool,
) -> dict[str, Any] | None:
    options: dict[str, Any] = {}
    if raw_json:
        try:
            options = json.loads(raw_json)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--options") from exc
        if not isinstance(options, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--options")
    given = {
        "labels": labels,
        "multiple": multiple,
        "group_names": group_names,
        "header_rows": header_rows,
        "dates": dates,
        "fields": [f.strip() for f in fields.split(",") if f.strip()] if fields else None,
        "all_versions": all_versions or None,
        "review_states": list(review_states) or None,
        "submitted_from": submitted_from,
        "submitted_to": submitted_to,
        "sensitive": sensitive,
        "excel_ids": excel_ids or None,
    }
    options.update({k: v for k, v in given.items() if v is not None})
    return options or None


def register(group: click.Group) -> None:
    @group.command("export")
    @click.argument("xml_form_id")
    @click.option("--format", "fmt", default="csv", show_default=True, type=click.Choice(jobs.FORMATS))
    @click.option(
        "--output",
        "output",
        default=None,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Where to write the file (default: FORM.zip / .xlsx / … here).",
    )
    @click.option("--project", "project_id", type=int, default=None, help="Project id (default: the first).")
    @click.option("--labels", default=None, help="Labels as headers and values: th, en, … or codes.")
    @click.option("--multiple", type=click.Choice(["one", "split"]), default=None,
                  help="select_multiple as one column or split into 0/1 columns.")
    @click.option("--group-names/--no-group-names", default=None, help="Group names in headers.")
    @click.option("--header-rows", type=click.Choice(["1", "2"]), default=None,
                  help="XLSX: label row + field-name row (2) or one row.")
    @click.option("--dates", type=click.Choice(["iso", "buddhist"]), default=None, help="ISO or พ.ศ. dates.")
    @click.option("--fields", default=None, help="Only these fields (comma-separated names or paths).")
    @click.option("--all-versions", is_flag=True, help="Columns of every form version, older ones kept.")
    @click.option("--review-state", "review_states", multiple=True,
                  type=click.Choice(["received", "hasIssues", "needsCorrection", "edited", "approved", "rejected"]))
    @click.option("--from", "submitted_from", default=None, help="Submitted on or after YYYY-MM-DD.")
    @click.option("--to", "submitted_to", default=None, help="Submitted on or before YYYY-MM-DD.")
    @click.option("--sensitive", type=click.Choice(["include", "omit", "mask", "pseudonymise"]), default=None,
                  help="PDPA-sensitive fields: include, leave out, mask, or pseudonymise (HMAC).")
    @click.option("--excel-ids", is_flag=True, help='CSV: IDs and phone numbers as ="0812…" for Excel.')
    @click.option("--options", "raw_json", default=None, help="All options as a JSON object.")
    def export(
        xml_form_id: str,
        fmt: str,
        output: Path | None,
        project_id: int | None,
        labels: str | None,
        multiple: str | None,
        group_names: bool | None,
        header_rows: str | None,
        dates: str | None,
        fields: str | None,
        all_versions: bool,
        review_states: tuple[str, ...],
        submitted_from: str | None,
        submitted_to: str | None,
        sensitive: str | None,
        excel_ids: bool,
        raw_json: str | None,
    ) -> None:
        """Build an export in this process (no worker needed) and write it to --output."""
        options = _options(
            raw_json, labels, multiple, group_names, int(header_rows) if header_rows else None, dates,
            fields, all_versions, review_states, submitted_from, submitted_to, sensitive, excel_ids,
        )
        with cli_services() as svc:
            with svc.db.session() as session:
                pid = project_id if project_id is not None else projects.default_project_id(session)
                form = publishing.get_form(session, pid, xml_form_id)
                requested = jobs.request_export(session, form, fmt, options)
                session.commit()
                export_id = requested.id
            result = jobs.build_export(
                svc.db.sessions, svc.settings, svc.blobs, export_id, _progress("exporting / กำลังส่งออก")
            )
            click.echo("", err=True)
            if result.state != "done" or not result.file_path:
                raise click.ClickException(result.error or "export failed")
            target = output or Path(result.filename or Path(result.file_path).name)
            shutil.copyfile(result.file_path, target)
            click.echo(f"{target}  {result.size:,} bytes, {result.progress_done:,} rows")
            if result.error:
                click.echo(result.error, err=True)

    @group.command("prerender")
    @click.option("--form", "xml_form_id", required=True, help="The form (xmlFormId).")
    @click.option("--project", "project_id", type=int, default=None, help="Project of --form (default: the first).")
    def prerender(xml_form_id: str, project_id: int | None) -> None:
        """Store the CSV cells of submissions processed before they were kept, or under an older layout,
        so that CSV exports copy them (an export works without this, only slower for those rows)."""
        with cli_services() as svc:
            with svc.db.session() as session:
                pid = project_id if project_id is not None else projects.default_project_id(session)
                form_id = publishing.get_form(session, pid, xml_form_id).id
            done = prerender_form(svc.db.sessions, form_id, _progress("rendering / กำลังเตรียมเซลล์ CSV"))
            click.echo("", err=True)
            click.echo(f"CSV cells stored for {done:,} submissions")

    @group.command("reprocess")
    @click.option("--form", "xml_form_id", default=None, help="Only this form (xmlFormId).")
    @click.option(
        "--project", "project_id", type=int, default=None, help="Project of --form (default: the first)."
    )
    @click.option(
        "--rebuild-entities",
        is_flag=True,
        help="Also delete the entity lists of the project (of --project / --form; default: every project)"
        " and replay them from the submissions and the API/CSV versions.",
    )
    def reprocess(xml_form_id: str | None, project_id: int | None, rebuild_entities: bool) -> None:
        """Rebuild all processed data (values, repeat rows, flags, entities) from the stored raw submissions."""
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
            if rebuild_entities:
                _rebuild_entities(svc, project_id, xml_form_id)
            with svc.db.session() as session:
                reported = results.refresh_all(session)
            click.echo(f"processed: {counts['processed']:,}  failed: {counts['failed']:,}  report results: {reported:,}")
            if counts["failed"]:
                click.echo("Failed versions keep their raw XML; see processing_error in the API.", err=True)

    def _rebuild_entities(svc: Any, project_id: int | None, xml_form_id: str | None) -> None:
        with svc.db.session() as session:
            if project_id is None and xml_form_id is not None:
                project_id = projects.default_project_id(session)
            wanted = [project_id] if project_id is not None else [p.id for p in projects.list_projects(session)]
        for pid in wanted:
            with svc.db.session() as session:  # one transaction per project: all of it or nothing
                counts = entity_rebuild.rebuild_entities(session, svc.blobs, pid)
                session.commit()
            click.echo(
                f"project {pid}: entities {counts.entities_before:,} → {counts.entities_after:,}, versions"
                f" {counts.versions_before:,} → {counts.versions_after:,}, submission versions replayed"
                f" {counts.submissions:,}" + (f", unreadable {counts.failed:,}" if counts.failed else "")
            )

    @group.command("worker")
    @click.option("--concurrency", default=sizing.worker_concurrency, show_default="one per CPU",
                  type=int, envvar="CHUMCHON_WORKER_CONCURRENCY", help="Worker processes.")
    @click.option("--beat", is_flag=True, help="Also run the scheduler (the sweeper, every few seconds).")
    @click.option("--loglevel", default="INFO", show_default=True)
    def worker(concurrency: int, beat: bool, loglevel: str) -> None:
        """Run a Celery worker: processes submissions and builds exports."""
        try:
            settings = load_settings()
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from exc
        run_worker(settings, concurrency=concurrency, beat=beat, loglevel=loglevel)
