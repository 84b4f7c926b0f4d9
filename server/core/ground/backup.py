"""Backup and restore: a consistent snapshot of every table (read in one transaction), the blob files
the snapshot references, the settings that are not secrets, and a manifest of SHA-256 hashes.

The dump is one JSON-lines file per table, so a backup of SQLite restores into PostgreSQL and back.
Blobs are written before the rows that reference them commit, so every blob the snapshot names exists."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select, text, update
from sqlalchemy.orm import Session

from server.core.ground.db import Database
from server.core.ground.errors import BadRequest
from server.core.ground.migrate import upgrade_to_head
from server.core.ground.storage import BlobStore, blob_key
from server.core.models import Base

FORMAT = "chumchon-backup/1"
BLOB_COLUMNS = (
    ("form_version", "source_sha256"),
    ("form_version", "xform_sha256"),
    ("form_media", "blob_sha256"),
    ("attachment", "blob_sha256"),
    ("submission_version", "xml_sha256"),
)
# Columns that point "forward" in a cycle (form → its current version, submission → its current
# version): restored as NULL first and filled in once every row exists.
CYCLIC = {("form", "current_version_id"), ("submission", "current_version_id")}
# Short-lived secrets (logins start afresh) and the lookup cache's epoch counter, which every new
# database gets from its migration and which only tells web processes to forget what they cached.
# The tallies are derived: the triggers of the target database rebuild them from the restored rows.
SKIPPED_TABLES = {"digest_nonce", "api_session", "cache_epoch", "submission_tally", "flag_tally"}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return date.fromisoformat(value["$d"])
        if "$b64" in value:
            return base64.b64decode(value["$b64"])
    return value


def _inline(table: str, column: str, row: dict[str, Any]) -> bool:
    """A submission version whose XML is in its own row names no blob: its xml_sha256 is just a hash."""
    return table == "submission_version" and column == "xml_sha256" and row.get("xml") is not None


def _tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED_TABLES]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _rows(session: Session, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    for row in session.execute(select(table).order_by(*order)).mappings():
        yield {key: _encode(value) for key, value in row.items()}


def write_backup(db: Database, blobs: BlobStore, dest: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """Write a backup into the empty or new folder `dest`; returns the manifest."""
    if dest.exists() and any(dest.iterdir()):
        raise BadRequest(f"โฟลเดอร์ปลายทางต้องว่าง / The backup folder {dest} must be empty or new.")
    (dest / "tables").mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"format": FORMAT, "tables": {}, "blobs": {}, "settings": settings}
    referenced: set[str] = set()
    with db.sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        else:  # pysqlite starts no transaction for reads: open one, so all tables share a snapshot
            session.connection().exec_driver_sql("BEGIN")
        # One transaction: every table is read from the same snapshot while the server keeps taking
        # submissions (PostgreSQL repeatable read; SQLite WAL readers see one snapshot too).
        for table in _tables():
            path = dest / "tables" / f"{table.name}.jsonl"
            count = 0
            with path.open("w", encoding="utf-8") as out:
                for row in _rows(session, table):
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
                    count += 1
                    for t, column in BLOB_COLUMNS:
                        if t == table.name and row.get(column) and not _inline(t, column, row):
                            referenced.add(str(row[column]))
            manifest["tables"][table.name] = {"rows": count, "sha256": _sha256_file(path)}
        session.rollback()
    for sha in sorted(referenced):
        target = dest / "blobs" / blob_key(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with target.open("wb") as out:  # from any store (disk or S3), hashed as it is copied
            for chunk in blobs.iter_chunks(sha):
                digest.update(chunk)
                out.write(chunk)
        actual = digest.hexdigest()
        if actual != sha:
            raise BadRequest(f"ไฟล์ {sha} เสียหาย / Blob {sha} is damaged in the store (hash {actual}).")
        manifest["blobs"][sha] = target.stat().st_size
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return manifest


def verify_backup(src: Path) -> dict[str, Any]:
    """The manifest, after checking every file against its hash."""
    manifest: dict[str, Any] = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BadRequest(f"ไม่ใช่ไฟล์สำรองของ Chumchon / {src} is not a Chumchon backup.")
    for name, info in manifest["tables"].items():
        if _sha256_file(src / "tables" / f"{name}.jsonl") != info["sha256"]:
            raise BadRequest(f"ไฟล์สำรองเสียหาย / The backup's table {name} does not match its hash.")
    for sha in manifest["blobs"]:
        if _sha256_file(src / "blobs" / sha[:2] / sha[2:4] / sha) != sha:
            raise BadRequest(f"ไฟล์สำรองเสียหาย / The backup's blob {sha} does not match its hash.")
    return manifest


def restore_backup(db: Database, blobs: BlobStore, src: Path) -> dict[str, Any]:
    """Restore a verified backup into an empty (or new) database and blob store."""
    manifest = verify_backup(src)
    upgrade_to_head(db.engine)
    with db.session() as session:
        for table in _tables():
            if session.scalar(select(func.count()).select_from(table)):
                raise BadRequest(
                    f"ฐานข้อมูลปลายทางต้องว่าง / The target database is not empty (table {table.name})."
                )
    for sha in manifest["blobs"]:
        with (src / "blobs" / sha[:2] / sha[2:4] / sha).open("rb") as fh:
            stored = blobs.put_stream(fh)
        if stored.sha256 != sha:
            raise BadRequest(f"Blob {sha} changed while restoring.")
    with db.session() as session:
        later: list[tuple[Table, dict[str, Any]]] = []
        for table in _tables():
            path = src / "tables" / f"{table.name}.jsonl"
            batch: list[dict[str, Any]] = []
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    row = {k: _decode(v) for k, v in json.loads(line).items()}
                    cyclic = {c: row[c] for c in row if (table.name, c) in CYCLIC and row[c] is not None}
                    if cyclic:
                        later.append((table, {"pk": row["id"], **cyclic}))
                        row.update(dict.fromkeys(cyclic))
                    batch.append(row)
                    if len(batch) >= 1000:
                        session.execute(table.insert(), batch)
                        batch = []
            if batch:
                session.execute(table.insert(), batch)
        for table, values in later:
            pk = values.pop("pk")
            session.execute(update(table).where(table.c.id == pk).values(**values))
        if session.get_bind().dialect.name == "postgresql":
            for table in _tables():
                if "id" in table.c and table.c.id.autoincrement:
                    session.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"
                        )
                    )
    return manifest
