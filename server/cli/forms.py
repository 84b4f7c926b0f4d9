"""`chumchon forms …`: publish XLSForms (with their media folder), list, open/close, attach media,
and show the fields marked sensitive."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.orm import Session

from server.cli.context import cli_services
from server.core.accounts import projects
from server.core.forms import form_media, geography, publishing
from server.core.forms.schema import preferred_label
from server.core.forms.shipped import publish_with_media
from server.core.ground.errors import ChumchonError
from server.core.ground.services import Services
from server.core.models import Form, FormVersion

_project_option = click.option(
    "--project", "project_id", type=int, default=None, help="Project id (default: the first project)."
)


def _project(session: Session, project_id: int | None) -> int:
    if project_id is None:
        return projects.ensure_default_project(session).id
    return projects.get_project(session, project_id).id


def _missing(version: FormVersion) -> list[str]:
    return [m.name for m in version.media if m.blob_sha256 is None]


def _publish_one(svc: Services, path: Path, project_id: int | None) -> None:
    with svc.db.session() as session:
        version = publish_with_media(session, svc.blobs, _project(session, project_id), path)
        click.echo(f"{version.form.xml_form_id}  version {version.version or '-'}  {version.title}")
        for warning in version.warnings:
            click.echo(f"  warning: {warning}")
        missing = _missing(version)
        if missing:
            click.echo(f"  missing media / ยังไม่มีไฟล์: {', '.join(missing)}")


def _form(session: Session, project_id: int | None, xml_form_id: str) -> Form:
    return publishing.get_form(session, _project(session, project_id), xml_form_id)


def register(group: click.Group) -> None:
    @group.group("forms")
    def forms_group() -> None:
        """Publish and manage forms (แบบฟอร์ม)."""

    @forms_group.command("publish")
    @click.argument(
        "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
    )
    @_project_option
    def publish(paths: tuple[Path, ...], project_id: int | None) -> None:
        """Publish XLSForm files; files in a media/ folder beside each form are attached by name."""
        failed: list[str] = []
        with cli_services() as svc:
            for path in paths:
                try:
                    _publish_one(svc, path, project_id)
                except ChumchonError as exc:
                    # Keep going: one broken form must not stop the others from publishing.
                    click.echo(f"{path.name}: {exc.message}", err=True)
                    failed.append(path.name)
        if failed:
            raise click.ClickException(
                f"เผยแพร่ไม่สำเร็จ {len(failed)} ไฟล์ / {len(failed)} form(s) failed: {', '.join(failed)}"
            )

    @forms_group.command("list")
    @_project_option
    def list_(project_id: int | None) -> None:
        """List the forms of a project."""
        with cli_services() as svc, svc.db.session() as session:
            for form in publishing.list_forms(session, _project(session, project_id)):
                version = publishing.current_version(form)
                missing = _missing(version)
                note = f"  missing media: {', '.join(missing)}" if missing else ""
                click.echo(
                    f"{form.xml_form_id}\t{form.state}\t{version.version or '-'}\t{version.title}{note}"
                )

    def _set_state(xml_form_id: str, project_id: int | None, state: str) -> None:
        with cli_services() as svc, svc.db.session() as session:
            form = publishing.set_form_state(session, _form(session, project_id, xml_form_id), state)
            click.echo(f"{form.xml_form_id}: {form.state}")

    @forms_group.command("close")
    @click.argument("xml_form_id")
    @_project_option
    def close(xml_form_id: str, project_id: int | None) -> None:
        """Close a form: it leaves Collect's form list and refuses new submissions."""
        _set_state(xml_form_id, project_id, publishing.CLOSED)

    @forms_group.command("open")
    @click.argument("xml_form_id")
    @_project_option
    def open_(xml_form_id: str, project_id: int | None) -> None:
        """Open a closed form again."""
        _set_state(xml_form_id, project_id, publishing.OPEN)

    @forms_group.command("attach")
    @click.argument("xml_form_id")
    @click.argument(
        "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
    )
    @_project_option
    def attach(xml_form_id: str, files: tuple[Path, ...], project_id: int | None) -> None:
        """Attach media files (by their file name) to a form's current version."""
        with cli_services() as svc, svc.db.session() as session:
            version = publishing.current_version(_form(session, project_id, xml_form_id))
            for path in files:
                media = form_media.attach_media(session, svc.blobs, version, path.name, path.read_bytes())
                click.echo(f"{media.name}  md5:{media.md5}  {media.size} bytes")
            missing = _missing(version)
            if missing:
                click.echo(f"missing media / ยังไม่มีไฟล์: {', '.join(missing)}")

    @forms_group.command("sensitive")
    @click.argument("xml_form_id", required=False)
    @_project_option
    def sensitive(xml_form_id: str | None, project_id: int | None) -> None:
        """List the fields marked sensitive (PDPA section 26) per form: path, type, Thai label."""
        with cli_services() as svc, svc.db.session() as session:
            pid = _project(session, project_id)
            chosen = (
                [publishing.get_form(session, pid, xml_form_id)]
                if xml_form_id
                else publishing.list_forms(session, pid)
            )
            for form in chosen:
                fields = [
                    f for f in publishing.current_version(form).field_schema["fields"] if f["sensitive"]
                ]
                click.echo(f"{form.xml_form_id}: {len(fields)} sensitive field(s)")
                for field in fields:
                    click.echo(f"  {field['path']}\t{field['type']}\t{preferred_label(field['labels'])}")

    @forms_group.command("geography")
    @click.option(
        "--output",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("forms/media"),
        show_default=True,
        help="Folder for provinces.csv, districts.csv, subdistricts.csv.",
    )
    def geography_media(output: Path) -> None:
        """Regenerate the province/district/subdistrict media CSVs from the geothai package (CC-BY-4.0)."""
        for name, count in geography.write_geography_media(output).items():
            click.echo(f"{output / name}: {count:,} rows")
