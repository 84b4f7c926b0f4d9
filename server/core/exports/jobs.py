"""Export jobs: request (a queued row), build (stream processed rows from the database into a writer,
with visible progress), and locate the finished file. The Export row is the job's outbox and status.

Only processed data is exported. Current versions still waiting for the worker are processed inline
before reading, so an export never silently misses fresh submissions; versions whose XML cannot be
processed are left out and counted in the export's `error` note (state stays "done")."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from exports.csvzip import write_csv_zip
from server.core.accounts import permissions
from server.core.exports import rows
from server.core.exports.rows import SessionFactory
from server.core.ground.errors import BadRequest, Conflict, NotFound
from server.core.ground.settings import Settings
from server.core.ground.storage import BlobStore
from server.core.models import (
    AuditEvent,
    Export,
    Form,
    FormVersion,
    Submission,
    SubmissionVersion,
    User,
    utcnow,
)
from server.core.models.jobs import DONE, EXPORT_FAILED, QUEUED, RUNNING
from server.core.models.submissions import RECEIVED
from server.core.submissions.processing import process_submission_version

log = logging.getLogger(__name__)

FORMATS = ("csv",)
OPTION_KEYS = {"labels"}
PROGRESS_EVERY = 1000  # rows between progress commits


class ExportNotReady(Conflict):
    code = "409.10"


def _check_options(options: dict[str, Any] | None, form_version: FormVersion) -> dict[str, Any]:
    options = dict(options or {})
    unknown = set(options) - OPTION_KEYS
    if unknown:
        raise BadRequest(
            f"ไม่รู้จักตัวเลือก {', '.join(sorted(unknown))} / Unknown export option(s): {', '.join(sorted(unknown))}.",
            allowed=sorted(OPTION_KEYS),
        )
    labels = options.get("labels")
    if labels is not None:
        languages = form_version.field_schema.get("languages") or []
        ok = isinstance(labels, str) and (
            labels in languages
            or labels == "default"
            or any(lang.endswith(f"({labels})") for lang in languages)
        )
        if not ok:
            raise BadRequest(
                f"แบบฟอร์มนี้ไม่มีภาษา {labels!r} / This form has no language {labels!r}.", languages=languages
            )
    return options


def request_export(
    session: Session,
    form: Form,
    fmt: str = "csv",
    options: dict[str, Any] | None = None,
    user: User | None = None,
) -> Export:
    """A queued export of the form's current data. The caller commits, then enqueues "exports.build"."""
    if fmt not in FORMATS:
        raise BadRequest(
            f"ยังไม่รองรับรูปแบบ {fmt!r} / Export format {fmt!r} is not supported (use: {', '.join(FORMATS)}).",
            formats=list(FORMATS),
        )
    if form.current_version is None:
        raise NotFound(
            f"แบบฟอร์ม {form.xml_form_id} ยังไม่ได้เผยแพร่ / Form {form.xml_form_id!r} is not published."
        )
    export = Export(
        form_id=form.id,
        format=fmt,
        options=_check_options(options, form.current_version),
        state=QUEUED,
        created_by_id=user.id if user else None,
    )
    session.add(export)
    session.flush()
    # Exports carry personal data out of the system: every one is on the audit trail (PDPA).
    session.add(
        AuditEvent(
            actor_id=user.id if user else None,
            action="form.submission.export",
            target=f"form:{form.project_id}/{form.xml_form_id}",
            details={"export_id": export.id, "format": fmt, "options": export.options},
        )
    )
    return export


def get_export(session: Session, export_id: int) -> tuple[Export, Form]:
    export = session.get(Export, export_id)
    form = session.get(Form, export.form_id) if export is not None else None
    if export is None or form is None:
        raise NotFound(f"ไม่พบงานส่งออก {export_id} / Export {export_id} not found.")
    return export, form


def export_file(export: Export) -> Path:
    """The finished zip of an export; 409 while it is still being built or if it failed."""
    if export.state != DONE or not export.file_path:
        raise ExportNotReady(
            f"ไฟล์ส่งออกยังไม่พร้อม (สถานะ {export.state}) / The export is not ready yet (state: {export.state}).",
            state=export.state,
        )
    path = Path(export.file_path)
    if not path.is_file():
        raise NotFound("ไม่พบไฟล์ส่งออก กรุณาสร้างใหม่ / The export file is gone; please request a new export.")
    return path


def creator_scope(session: Session, export: Export, form: Form) -> rows.Scope:
    """Only the rows of the creator's area go into an export made by an area-limited user (read when
    the export is built, so a narrowed grant applies to exports still queued)."""
    if export.created_by_id is None:
        return None  # made by the operator (CLI)
    creator = session.get(User, export.created_by_id)
    area = permissions.area_for(session, creator, "export.create", form.project_id)
    return None if area.unlimited else permissions.area_condition(area)


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:100] or "form"


def _process_pending(sessions: SessionFactory, blobs: BlobStore, form_id: int) -> None:
    """Process current versions the worker has not reached yet, in small committed batches."""
    while True:
        with sessions() as session:
            ids = list(
                session.scalars(
                    select(SubmissionVersion.id)
                    .join(Submission, Submission.current_version_id == SubmissionVersion.id)
                    .where(
                        Submission.form_id == form_id,
                        Submission.deleted_at.is_(None),
                        SubmissionVersion.processing_state == RECEIVED,
                    )
                    .order_by(SubmissionVersion.id)
                    .limit(200)
                )
            )
            if not ids:
                return
            for version_id in ids:
                process_submission_version(session, blobs, version_id)
            session.commit()


class _Progress:
    """Counts rows as the writer pulls them and commits progress in its own short transaction."""

    def __init__(
        self,
        sessions: SessionFactory,
        export_id: int,
        total: int,
        on_progress: Callable[[int, int], None] | None,
    ) -> None:
        self.sessions, self.export_id, self.total, self.on_progress = sessions, export_id, total, on_progress
        self.done = 0

    def save(self) -> None:
        with self.sessions() as session:
            session.execute(
                update(Export)
                .where(Export.id == self.export_id)
                .values(progress_done=self.done, progress_total=self.total)
            )
            session.commit()
        if self.on_progress is not None:
            self.on_progress(self.done, self.total)

    def counted(self, rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for row in rows:
            yield row
            self.done += 1
            if self.done % PROGRESS_EVERY == 0:
                self.save()


def build_export(
    sessions: SessionFactory,
    settings: Settings,
    blobs: BlobStore,
    export_id: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> Export:
    """Build one export (worker task "exports.build", or in-process from the CLI). Safe to run again:
    a finished export is left alone; a half-built one is rebuilt from scratch. Returns the final row."""
    with sessions() as session:
        export, form = get_export(session, export_id)
        if export.state == DONE and export.file_path and Path(export.file_path).is_file():
            return export
        if form.current_version is None:
            raise NotFound(f"Form {form.xml_form_id!r} is not published.")
        schema = form.current_version.field_schema
        form_id, xml_form_id, options = form.id, form.xml_form_id, dict(export.options or {})
        scope = creator_scope(session, export, form)
        export.state, export.started_at, export.error = RUNNING, utcnow(), None
        export.progress_done = export.progress_total = 0
        session.commit()
    final = settings.export_dir / f"{export_id}-{_safe_name(xml_form_id)}.zip"
    partial = final.with_name(f".{final.name}.part")
    try:
        settings.export_dir.mkdir(parents=True, exist_ok=True)
        _process_pending(sessions, blobs, form_id)
        total, failed = rows.count_rows(sessions, form_id, schema, scope)
        progress = _Progress(sessions, export_id, total, on_progress)
        progress.save()
        with partial.open("wb") as fh:
            write_csv_zip(
                fh,
                schema,
                progress.counted(rows.main_rows(sessions, form_id, scope)),
                lambda path: progress.counted(rows.repeat_rows(sessions, form_id, path, scope)),
                labels=options.get("labels"),
            )
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, final)
    except Exception as exc:
        log.exception("export %s failed", export_id)
        if partial.is_file():
            partial.unlink()
        return _finish(
            sessions,
            export_id,
            state=EXPORT_FAILED,
            error=(f"สร้างไฟล์ส่งออกไม่สำเร็จ / The export could not be built: {exc}"),
        )
    note = (
        f"ข้อมูล {failed} รายการประมวลผลไม่ได้และไม่อยู่ในไฟล์นี้ / {failed} submission(s) could not be "
        "processed and are not in this export."
        if failed
        else None
    )
    return _finish(
        sessions,
        export_id,
        state=DONE,
        error=note,
        done=progress.done,
        path=final,
        filename=f"{xml_form_id}.zip",
    )


def _finish(
    sessions: SessionFactory,
    export_id: int,
    *,
    state: str,
    error: str | None,
    done: int | None = None,
    path: Path | None = None,
    filename: str | None = None,
) -> Export:
    with sessions() as session:
        export = session.get(Export, export_id)
        assert export is not None
        export.state, export.error, export.finished_at = state, error, utcnow()
        if done is not None:
            export.progress_done = export.progress_total = done
        if path is not None:
            export.file_path, export.size, export.filename = str(path), path.stat().st_size, filename
        session.commit()
        return export


def stale_queued_exports(session: Session, older_than_seconds: float) -> list[int]:
    """Queued exports whose wake-up message seems lost (for the sweeper)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(session.scalars(select(Export.id).where(Export.state == QUEUED, Export.created_at < cutoff)))
