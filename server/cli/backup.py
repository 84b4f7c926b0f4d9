"""`chumchon backup DEST` and `chumchon restore SRC`: a consistent snapshot of the database, the blobs
and the non-secret settings, with a manifest of hashes; restored into an empty database and data dir."""

from __future__ import annotations

from pathlib import Path

import click

from server.cli.context import cli_services
from server.core.ground import backup as backups


def register(group: click.Group) -> None:
    @group.command("backup")
    @click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
    def backup(dest: Path) -> None:
        """Write a backup into DEST (a new or empty folder) while the server keeps running."""
        with cli_services() as svc:
            s = svc.settings
            settings = {
                "public_url": s.public_url,
                "max_upload_bytes": s.max_upload_bytes,
                "sweep_seconds": s.sweep_seconds,
                "sweep_grace_seconds": s.sweep_grace_seconds,
                "embedded_database": s.embedded_database,
            }
            manifest = backups.write_backup(svc.db, svc.blobs, dest, settings)
        rows = sum(t["rows"] for t in manifest["tables"].values())
        click.echo(f"สำรองข้อมูลแล้ว / backed up: {rows:,} rows, {len(manifest['blobs']):,} files -> {dest}")
        click.echo("The secret key is not in the backup: keep CHUMCHON_SECRET_KEY (or secret_key) apart.")

    @group.command("restore")
    @click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
    def restore(src: Path) -> None:
        """Restore the backup in SRC into the configured (empty) database and data directory."""
        with cli_services() as svc:
            manifest = backups.restore_backup(svc.db, svc.blobs, src)
        rows = sum(t["rows"] for t in manifest["tables"].values())
        click.echo(f"กู้คืนแล้ว / restored: {rows:,} rows, {len(manifest['blobs']):,} files (hashes checked)")
