"""Export jobs: request (a queued row, or at once the finished file of an identical earlier export),
build (stream processed rows from the database into a format's writer, with visible progress and a
cancel check between chunks), cancel, and locate the finished file. The Export row is the job's
outbox and status; every request is on the audit trail.

Only processed data is exported. Current versions still waiting for the worker are processed inline
before reading, so an export never silently misses fresh submissions; versions whose XML cannot be
processed are left out and counted in the export's `error` note (state stays "done")."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from exports.columns import Table, merge_schemas
from exports.csvzip import write_csv_zip_text
from exports.options import ExportOptions, OptionError, options_from_json, parse_options
from exports.prerendered import renderer_for
from exports.sensitive import protect_rows, sensitive_fields
from server.core.exports import access, lines, rows
from server.core.exports.access import get_export
from server.core.exports.formats import FORMAT_FILES, FORMATS, write_file
from server.core.exports.rows import RowFilter, SessionFactory
from server.core.forms import masking
from server.core.ground.errors import BadRequest, Conflict, NotFound
from server.core.ground.settings import Settings
from server.core.ground.storage import BlobStore
from server.core.models import (
    AuditEvent,
    Export,
    Form,
    FormVersion,
    Project,
    Submission,
    SubmissionVersion,
    User,
    utcnow,
)
from server.core.models.jobs import CANCELLED, DONE, EXPORT_FAILED, QUEUED, RUNNING
from server.core.models.submissions import RECEIVED
from server.core.submissions.processing import process_submission_version

log = logging.getLogger(__name__)


PROGRESS_EVERY = 2000  # rows between progress commits (and cancel checks)


class ExportNotReady(Conflict):
    code = "409.10"


class ExportCancelled(Exception):
    """Raised inside a build when its row says it was cancelled."""


def export_schema(session: Session, form: Form, options: ExportOptions) -> dict[str, Any]:
    """The current version's schema, with older versions' fields merged in when asked."""
    assert form.current_version is not None
    schema = dict(form.current_version.field_schema)
    if options.all_versions:
        older = session.scalars(
            select(FormVersion.field_schema)
            .where(
                FormVersion.form_id == form.id,
                FormVersion.id != form.current_version.id,
                FormVersion.draft_token.is_(None),
            )
            .order_by(FormVersion.id.desc())
        ).all()
        schema = merge_schemas(schema, older)
    return schema


def check_options(raw: Any, schema: Mapping[str, Any]) -> ExportOptions:
    """Options from a request, or a 400 with a Thai / English message."""
    try:
        return parse_options(raw, schema)
    except OptionError as exc:
        raise BadRequest(exc.message, **exc.details) from None


def row_filter(form_id: int, options: ExportOptions, scope: rows.Scope = None) -> RowFilter:
    return RowFilter(form_id, options.review_states, options.submitted_from, options.submitted_to, scope)


def _cache_key(
    session: Session, form: Form, fmt: str, options: ExportOptions, view: access.CreatorView
) -> str:
    state = rows.data_version(session, form.id)
    text = json.dumps(
        [form.id, form.current_version_id, fmt, options.as_json(), view.key, state], sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


def request_export(
    session: Session,
    form: Form,
    fmt: str = "csv",
    options: dict[str, Any] | None = None,
    user: User | None = None,
) -> Export:
    """A queued export of the form's current data, or, when an identical export (same format and
    options, no data changed since) has a file, a finished export sharing that file. The caller
    commits, then enqueues "exports.build" if the returned export is still queued."""
    if fmt not in FORMATS:
        raise BadRequest(
            f"ยังไม่รองรับรูปแบบ {fmt!r} / Export format {fmt!r} is not supported (use: {', '.join(FORMATS)}).",
            formats=list(FORMATS),
        )
    if form.current_version is None:
        raise NotFound(
            f"แบบฟอร์ม {form.xml_form_id} ยังไม่ได้เผยแพร่ / Form {form.xml_form_id!r} is not published."
        )
    parsed = check_options(options, form.current_version.field_schema)
    if parsed.all_versions:  # field selection may name a field only an older version has
        parsed = check_options(options, export_schema(session, form, parsed))
    key = _cache_key(
        session, form, fmt, parsed, access.creator_view(session, user.id if user else None, form)
    )
    export = Export(
        form_id=form.id,
        format=fmt,
        options=parsed.as_json(),
        state=QUEUED,
        created_by_id=user.id if user else None,
        cache_key=key,
    )
    earlier = _reusable(session, key)
    if earlier is not None:
        export.state, export.file_path, export.filename, export.size = (
            DONE,
            earlier.file_path,
            earlier.filename,
            earlier.size,
        )
        export.progress_done, export.progress_total, export.error = (
            earlier.progress_done,
            earlier.progress_total,
            earlier.error,
        )
        export.started_at = export.finished_at = utcnow()
    session.add(export)
    session.flush()
    # Exports carry personal data out of the system: every one is on the audit trail (PDPA).
    details: dict[str, Any] = {"export_id": export.id, "format": fmt, "options": export.options}
    if earlier is not None:
        details["same_file_as"] = earlier.id
    session.add(
        AuditEvent(
            actor_id=user.id if user else None,
            action="form.submission.export",
            target=f"form:{form.project_id}/{form.xml_form_id}",
            details=details,
        )
    )
    return export


def _reusable(session: Session, key: str) -> Export | None:
    for earlier in session.scalars(
        select(Export)
        .where(Export.cache_key == key, Export.state == DONE)
        .order_by(Export.id.desc())
        .limit(5)
    ):
        if earlier.file_path and Path(earlier.file_path).is_file():
            return earlier
    return None


def cancel_export(session: Session, export: Export, user: User | None = None) -> Export:
    """Stop a queued or running export (the worker stops at its next chunk and removes its partial
    file). A finished export cannot be cancelled (409); cancelling twice is harmless."""
    if export.state in (DONE, EXPORT_FAILED):
        raise Conflict(
            f"งานส่งออกเสร็จแล้ว (สถานะ {export.state}) ยกเลิกไม่ได้ / The export has already finished "
            f"(state: {export.state}).",
            state=export.state,
        )
    if export.state != CANCELLED:
        export.state, export.finished_at = CANCELLED, utcnow()
        session.add(
            AuditEvent(
                actor_id=user.id if user else None,
                action="form.submission.export.cancel",
                target=f"export:{export.id}",
                details={"export_id": export.id},
            )
        )
    return export


def export_file(export: Export) -> Path:
    """The finished file of an export; 409 while it is still being built, or if it failed or was
    cancelled."""
    if export.state != DONE or not export.file_path:
        raise ExportNotReady(
            f"ไฟล์ส่งออกยังไม่พร้อม (สถานะ {export.state}) / The export is not ready yet (state: {export.state}).",
            state=export.state,
        )
    path = Path(export.file_path)
    if not path.is_file():
        raise NotFound("ไม่พบไฟล์ส่งออก กรุณาสร้างใหม่ / The export file is gone; please request a new export.")
    return path


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
    """Counts rows as the writer pulls them, commits progress in its own short transaction, and
    stops the build (ExportCancelled) when the row was cancelled meanwhile."""

    def __init__(
        self,
        sessions: SessionFactory,
        export_id: int,
        total: int,
        on_progress: Callable[[int, int], None] | None,
    ) -> None:
        self.sessions, self.export_id, self.total, self.on_progress = sessions, export_id, total, on_progress
        self.done = 0
        self._lock = threading.Lock()  # the CSV zip reads two tables at once, in two threads

    def save(self) -> None:
        with self.sessions() as session:
            result = session.execute(
                update(Export)
                .where(Export.id == self.export_id, Export.state == RUNNING)
                .values(progress_done=self.done, progress_total=max(self.total, self.done))
            )
            session.commit()
        if getattr(result, "rowcount", 1) == 0:
            raise ExportCancelled()
        if self.on_progress is not None:
            self.on_progress(self.done, self.total)

    def set_total(self, total: int) -> None:
        with self._lock:
            self.total = total
            self.save()

    def add(self, rows: int) -> None:
        with self._lock:
            before, self.done = self.done, self.done + rows
            if before // PROGRESS_EVERY != self.done // PROGRESS_EVERY:
                self.save()

    def counted(self, rows: Iterable[Any]) -> Iterator[Any]:
        for row in rows:
            yield row
            self.done += 1
            if self.done % PROGRESS_EVERY == 0:
                self.save()


class _Counting:
    """Rows per table counted in a thread while the export is written; the total goes into the
    progress when known. finish() waits for it and raises what it raised."""

    def __init__(
        self, sessions: SessionFactory, flt: RowFilter, schema: dict[str, Any], progress: _Progress
    ) -> None:
        self._failure: BaseException | None = None
        self._progress = progress
        self._thread = threading.Thread(
            target=self._run, args=(sessions, flt, schema), name="chumchon-export-count", daemon=True
        )
        self._thread.start()

    def _run(self, sessions: SessionFactory, flt: RowFilter, schema: dict[str, Any]) -> None:
        try:
            self._progress.set_total(sum(rows.table_counts(sessions, flt, schema).values()))
        except BaseException as exc:  # noqa: BLE001 -- raised again by finish()
            self._failure = exc

    def finish(self) -> None:
        self._thread.join()
        if self._failure is not None:
            raise self._failure


def _pseudonym_key(sessions: SessionFactory, project_id: int) -> bytes:
    with sessions() as session:
        project = session.get(Project, project_id)
        assert project is not None
        if not project.pseudonym_key:
            # Only the first export of a project writes it; a concurrent first write loses harmlessly
            # because the WHERE keeps the key that won.
            session.execute(
                update(Project)
                .where(Project.id == project_id, Project.pseudonym_key.is_(None))
                .values(pseudonym_key=secrets.token_hex(32))
            )
            session.commit()
            session.refresh(project)
        return bytes.fromhex(project.pseudonym_key or "")


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector, while an export is written, run a hundred times less often:
    the rows are millions of short-lived dicts and lists without cycles (reference counting frees
    them), and the collector's passes over them were 22 % of an SPSS export of a million. Cycles
    are still collected, only later; the thresholds are restored afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def build_export(
    sessions: SessionFactory,
    settings: Settings,
    blobs: BlobStore,
    export_id: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> Export:
    """Build one export (worker task "exports.build", or in-process from the CLI). Safe to run again:
    a finished or cancelled export is left alone; a half-built one is rebuilt from scratch."""
    with sessions() as session:
        export, form = get_export(session, export_id)
        if export.state == CANCELLED or (
            export.state == DONE and export.file_path and Path(export.file_path).is_file()
        ):
            return export
        if form.current_version is None:
            raise NotFound(f"Form {form.xml_form_id!r} is not published.")
        fmt = export.format
        form_id, project_id, xml_form_id = form.id, form.project_id, form.xml_form_id
        try:
            options = options_from_json(
                export.options, export_schema(session, form, ExportOptions(all_versions=True))
            )
        except OptionError as exc:
            export.state, export.error, export.finished_at = EXPORT_FAILED, exc.message, utcnow()
            session.commit()
            return export
        schema = export_schema(session, form, options)
        view = access.creator_view(session, export.created_by_id, form)
        masks = masking.sensitive_paths(schema) if view.masked else frozenset()
        export.state, export.started_at, export.error = RUNNING, utcnow(), None
        export.progress_done = export.progress_total = 0
        session.commit()
    suffix = FORMAT_FILES[fmt].suffix if fmt in FORMAT_FILES else ".bin"
    final = settings.export_dir / f"{export_id}-{_safe_name(xml_form_id)}{suffix}"
    partial = final.with_name(f".{final.name}.part")
    flt = row_filter(form_id, options, view.scope)
    progress = _Progress(sessions, export_id, 0, on_progress)
    try:
        settings.export_dir.mkdir(parents=True, exist_ok=True)
        _process_pending(sessions, blobs, form_id)
        protected = sensitive_fields(schema)
        # A creator without submission.read_sensitive gets the answers fully masked whatever he
        # asked (never a pseudonym: it would link people across exports); "omit" still drops them.
        mode = "include" if masks else options.sensitive
        key = _pseudonym_key(sessions, project_id) if mode == "pseudonymise" else None
        csv_text = fmt == "csv" and not masks and (mode == "include" or not protected)
        counting: _Counting | None = None
        if csv_text:
            # The CSV zip needs no counts to be written: they are taken meanwhile, on another
            # connection (≈ 2.6 s at a million), and the total stays unknown (0) until then.
            counting = _Counting(sessions, flt, schema, progress)
        else:
            counts = rows.table_counts(sessions, flt, schema)
            progress.total = rows.media_count(sessions, flt) if fmt == "media" else sum(counts.values())
        failed = rows.failed_count(sessions, flt)
        # The key of the data as it is now that waiting submissions are processed: stored when the
        # file is done, so the next identical request finds it (data arriving meanwhile changes the
        # key, so that request builds afresh).
        with sessions() as session:
            export, form = get_export(session, export_id)
            cache_key = _cache_key(session, form, fmt, options, view)
        progress.save()

        def shielded(source: Iterable[Any]) -> Iterable[Any]:
            return progress.counted(protect_rows(access.masked(source, masks), protected, mode, key))

        with partial.open("wb") as fh, fewer_collections():
            if counting is not None:
                _write_csv_text(fh, sessions, flt, schema, options, progress, settings.export_dir)
                counting.finish()
            else:
                write_file(
                    fmt,
                    fh,
                    partial,
                    schema,
                    shielded(rows.main_rows(sessions, flt)),
                    lambda path: shielded(rows.repeat_rows(sessions, flt, path)),
                    lambda: progress.counted(rows.media_files(sessions, flt, schema)),
                    blobs,
                    options,
                    counts,
                )
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, final)
        if on_progress is not None:
            on_progress(progress.done, progress.done)  # the bar ends at 100 %
    except ExportCancelled:
        _remove(partial)
        log.info("export %s cancelled", export_id)
        with sessions() as session:
            return get_export(session, export_id)[0]
    except Exception as exc:
        log.exception("export %s failed", export_id)
        _remove(partial)
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
        filename=f"{xml_form_id}{suffix}",
        cache_key=cache_key,
    )


def _write_csv_text(
    fh: Any,
    sessions: SessionFactory,
    flt: RowFilter,
    schema: dict[str, Any],
    options: ExportOptions,
    progress: _Progress,
    spool_dir: Path,
) -> None:
    """The CSV zip from stored cells (exports.prerendered), for exports without masking. On
    PostgreSQL the repeat tables are read and deflated while the main table is, on a second
    connection (PostgreSQL joins the lines; two backends use two cores)."""
    renderer = renderer_for(schema, options)
    with sessions() as session:
        postgres = session.get_bind().dialect.name == "postgresql"

    def text(table: Table) -> Iterator[str | bytes]:
        source = (
            lines.main_chunks(sessions, flt, renderer)
            if table.repeat_path is None
            else lines.repeat_chunks(sessions, flt, renderer, table.repeat_path)
        )
        for chunk, count in source:
            progress.add(count)
            yield chunk

    write_csv_zip_text(fh, renderer.tables, text, ahead=4, spool_dir=spool_dir if postgres else None)


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:  # e.g. its directory is not a directory: nothing was written there
        pass


def _finish(
    sessions: SessionFactory,
    export_id: int,
    *,
    state: str,
    error: str | None,
    done: int | None = None,
    path: Path | None = None,
    filename: str | None = None,
    cache_key: str | None = None,
) -> Export:
    with sessions() as session:
        export = get_export(session, export_id)[0]
        if export.state == CANCELLED:  # cancelled while the last bytes were written: drop the file
            if path is not None:
                path.unlink(missing_ok=True)
            return export
        export.state, export.error, export.finished_at = state, error, utcnow()
        if done is not None:
            export.progress_done = export.progress_total = done
        if path is not None:
            export.file_path, export.size, export.filename = str(path), path.stat().st_size, filename
            export.cache_key = cache_key
        session.commit()
        return export


def stale_queued_exports(session: Session, older_than_seconds: float) -> list[int]:
    """Queued exports whose wake-up message seems lost (for the sweeper)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(session.scalars(select(Export.id).where(Export.state == QUEUED, Export.created_at < cutoff)))
