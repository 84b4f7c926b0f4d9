"""Reading processed rows for exports: keyset-paginated, short transactions, constant memory.

Only current, processed, not deleted versions are read, narrowed by a RowFilter (review states, date
range; other conditions such as areas are added in `filtered`, the one place every query passes
through). Repeat rows and attachments come per chunk of submissions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, Text, and_, case, cast, func, literal, or_, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session, aliased

from exports.columns import ROOT_SYSTEM_FIRST, ROOT_SYSTEM_LAST, value_kind
from exports.csvzip import read_ahead
from exports.media import MediaFile
from server.core.models import Attachment, FormVersion, Record, RepeatRow, Submission, SubmissionVersion, User
from server.core.models.submissions import FAILED, PROCESSED

CHUNK = 2000  # rows read per query (keyset pagination: constant memory, short transactions)
REPEAT_CHUNK = 500  # submissions whose repeat rows are read per query
JSON_PAGE = 2000  # PostgreSQL: main rows per JSON page (a repeat page is half as many submissions)
SessionFactory = Callable[[], Session]
# JSON values are read as text and decoded with orjson: about 4× faster than the driver's json.loads
# on the export's hot path (one document per row).
_loads = orjson.loads
# A main row's keys: the main table's system columns in their export order, then the answers.
MAIN_KEYS = (*ROOT_SYSTEM_FIRST, *ROOT_SYSTEM_LAST, "values")
# An extra SQL condition on Submission: the export creator's area (permissions.area_condition).
Scope = ColumnElement[bool] | None


@dataclass(frozen=True)
class RowFilter:
    """Which submissions an export contains."""

    form_id: int
    review_states: tuple[str, ...] | None = None  # "received" means not reviewed yet (NULL)
    submitted_from: date | None = None
    submitted_to: date | None = None  # inclusive
    # The creator's area (None: unlimited). Not part of as_json: it is a SQL condition, and the
    # cache key carries the creator's view separately (jobs._creator_view).
    scope: Scope = field(default=None, compare=False)
    # OData with a $filter on __system/deletedAt (as Central): deleted submissions are not left out.
    include_deleted: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "review_states": list(self.review_states) if self.review_states is not None else None,
            "submitted_from": self.submitted_from.isoformat() if self.submitted_from else None,
            "submitted_to": self.submitted_to.isoformat() if self.submitted_to else None,
        }


def filtered(query: Any, flt: RowFilter, *, processed: bool = True) -> Any:
    """`query` (already joined to Submission and its current SubmissionVersion) narrowed to the
    export's submissions. Every export query goes through here."""
    query = query.where(Submission.form_id == flt.form_id)
    if not flt.include_deleted:
        query = query.where(Submission.deleted_at.is_(None))
    if flt.scope is not None:
        query = query.where(flt.scope)
    if processed:
        query = query.where(SubmissionVersion.processing_state == PROCESSED)
    if flt.review_states is not None:
        states = [s for s in flt.review_states if s != "received"]
        condition: Any = Submission.review_state.in_(states)
        if "received" in flt.review_states:
            condition = or_(
                condition, Submission.review_state.is_(None), Submission.review_state == "received"
            )
        query = query.where(condition)
    if flt.submitted_from is not None:
        query = query.where(Submission.created_at >= datetime.combine(flt.submitted_from, time(), UTC))
    if flt.submitted_to is not None:
        end = datetime.combine(flt.submitted_to + timedelta(days=1), time(), UTC)
        query = query.where(Submission.created_at < end)
    return query


def current_versions(flt: RowFilter) -> Select[Any]:
    """(submission id, current version id) of the export's submissions, in submission order."""
    query = select(Submission.id, SubmissionVersion.id).join(
        SubmissionVersion, SubmissionVersion.id == Submission.current_version_id
    )
    return filtered(query, flt).order_by(Submission.id)  # type: ignore[no-any-return]


def iso_z(moment: datetime) -> str:
    """A stored moment as export text: ISO 8601 to the millisecond, UTC written Z (as Central)."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def main_chunk(flt: RowFilter, after: int, limit: int, *answers: Any) -> Select[Any]:
    """One keyset page of the main table: submission id, created, review state, submitter id and
    name, version id, instance id, device id, form version, then the `answers` columns."""
    return (  # type: ignore[no-any-return]
        filtered(
            select(
                Submission.id,
                Submission.created_at,
                Submission.review_state,
                Submission.submitter_id,
                User.display_name,
                SubmissionVersion.id,
                SubmissionVersion.instance_id,
                SubmissionVersion.device_id,
                FormVersion.version,
                *answers,
            )
            .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id)
            .join(Record, Record.submission_version_id == SubmissionVersion.id)
            .join(FormVersion, FormVersion.id == SubmissionVersion.form_version_id)
            .outerjoin(User, User.id == Submission.submitter_id),
            flt,
        )
        .where(Submission.id > after)
        .order_by(Submission.id)
        .limit(limit)
    )


def main_rows(
    sessions: SessionFactory, flt: RowFilter | int, *, in_sql: bool | None = None
) -> Iterator[dict[str, Any]]:
    """The main table's rows in submission order. On PostgreSQL (unless `in_sql` is False) each
    page is joined into one JSON array there and read ahead by a thread while this one converts."""
    flt = flt if isinstance(flt, RowFilter) else RowFilter(flt)
    if on_postgres(sessions) if in_sql is None else in_sql:
        for page in read_ahead(_json_main_pages(sessions, flt), 2):
            for item in _loads(page):
                row = dict(zip(MAIN_KEYS, item, strict=True))
                if row["values"] is None:
                    row["values"] = {}
                yield row
        return
    last = 0
    while True:
        with sessions() as session:
            without_jit(session)
            rows = session.execute(main_chunk(flt, last, CHUNK, cast(Record.values, Text))).all()
            if not rows:
                return
            last_id = rows[-1][0]
            files = attachment_counts(session, [r[5] for r in rows])
            versions = edit_counts(session, [r[0] for r in rows])
        for sid, created, review, submitter, name, vid, iid, device, form_version, values in rows:
            present, expected = files.get(vid, (0, 0))
            edits = versions.get(sid, 0)
            answers = _loads(values) if values else {}
            yield dict(
                zip(
                    MAIN_KEYS,
                    (
                        iso_z(created),
                        iid,
                        submitter,
                        name,
                        present,
                        expected,
                        review,
                        device,
                        edits,
                        form_version,
                        answers,
                    ),
                    strict=True,
                )
            )
        last = last_id


def on_postgres(sessions: SessionFactory) -> bool:
    with sessions() as session:
        return session.get_bind().dialect.name == "postgresql"


def attachment_files() -> Any:
    """(expected, present) attachments of the row's version, in one index lookup (PostgreSQL)."""
    return (
        select(func.count().label("expected"), func.count(Attachment.blob_sha256).label("present"))
        .where(Attachment.submission_version_id == SubmissionVersion.id)
        .lateral("files")
    )


def edit_count() -> ColumnElement[int]:
    """Edits of the row's submission. Every edit names the version it replaces (intake refuses one
    that does not), so a current version without deprecated_id has no earlier versions: counted
    only where there are."""
    other = aliased(SubmissionVersion)
    return case(
        (SubmissionVersion.deprecated_id.is_(None), 0),
        else_=select(func.count() - 1).where(other.submission_id == Submission.id).scalar_subquery(),
    )


def submitted_text() -> ColumnElement[str]:
    """Submission.created_at as `iso_z` writes it, in SQL (PostgreSQL)."""
    return func.to_char(func.timezone("UTC", Submission.created_at), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')


def binary_row(session: Any, statement: Any) -> Any:
    """The one row of a statement, read over psycopg's binary protocol: a page's text comes as
    bytea, already UTF-8, and is neither sent hex-encoded (twice the bytes) nor decoded into a str
    and encoded again (≈ 3 s of this process's CPU for the main table of a million)."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    with connection.connection.driver_connection.cursor(binary=True) as cursor:
        cursor.execute(str(compiled), compiled.params)
        return cursor.fetchone()


def tune_page(session: Any) -> None:
    """For this transaction, in one round trip: no JIT (it spent ≈ 45 ms of each 230-ms page of
    CSV lines compiling), room to sort a page in memory (5,000 lines of ≈ 1.3 KB spilled to disk at
    4 MB), and no parallel workers (starting them for each small page cost more than they gave)."""
    session.execute(
        text(
            "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true),"
            " set_config('max_parallel_workers_per_gather', '0', true)"
        )
    )


def _json_main_pages(sessions: SessionFactory, flt: RowFilter) -> Iterator[bytes]:
    """The main table's rows a page at a time as one JSON array (UTF-8) of the values main_rows
    yields, joined by PostgreSQL: one round trip and one orjson call per page instead of three
    queries and a driver row, a SQLAlchemy row and a JSON document per submission."""
    last = 0
    while True:
        with sessions() as session:
            tune_page(session)
            files = attachment_files()
            by_key = {
                "SubmissionDate": submitted_text(),
                "KEY": SubmissionVersion.instance_id,
                "SubmitterID": Submission.submitter_id,
                "SubmitterName": User.display_name,
                "AttachmentsPresent": files.c.present,
                "AttachmentsExpected": files.c.expected,
                "ReviewState": Submission.review_state,
                "DeviceID": SubmissionVersion.device_id,
                "Edits": edit_count(),
                "FormVersion": FormVersion.version,
                "values": Record.values,
            }
            item = func.json_build_array(*(by_key[key] for key in MAIN_KEYS))
            page = main_chunk(flt, last, JSON_PAGE, item.label("item")).join(files, literal(True)).subquery()
            data, count, last_id = binary_row(
                session,
                select(
                    func.convert_to(
                        cast(func.json_agg(aggregate_order_by(page.c.item, page.c.id)), Text), "UTF8"
                    ),
                    func.count(),
                    func.max(page.c.id),
                ),
            )
        if not count:
            return
        yield bytes(data)
        last = last_id


def _json_repeat_pages(sessions: SessionFactory, flt: RowFilter, repeat_path: str) -> Iterator[bytes]:
    """One repeat table's rows (KEY, PARENT_KEY, values) a page of submissions at a time as one
    JSON array, in the main table's order (PostgreSQL)."""
    last = 0
    while True:
        with sessions() as session:
            tune_page(session)
            page = current_versions(flt).where(Submission.id > last).limit(JSON_PAGE // 2).subquery()
            sid, vid = page.c
            item = func.json_build_array(RepeatRow.key, RepeatRow.parent_key, RepeatRow.values)
            data, pages, last_id = binary_row(
                session,
                select(
                    func.convert_to(
                        cast(
                            func.json_agg(aggregate_order_by(item, sid, RepeatRow.ordinal)).filter(
                                RepeatRow.id.is_not(None)
                            ),
                            Text,
                        ),
                        "UTF8",
                    ),
                    func.count(),
                    func.max(sid),
                )
                .select_from(page)
                .outerjoin(
                    RepeatRow,
                    and_(RepeatRow.submission_version_id == vid, RepeatRow.repeat_path == repeat_path),
                ),
            )
        if not pages:
            return
        if data is not None:
            yield bytes(data)
        last = last_id


def attachment_counts(session: Session, version_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(present, expected) attachments per submission version (versions without any left out)."""
    return {
        vid: (present, expected)
        for vid, expected, present in session.execute(
            select(Attachment.submission_version_id, func.count(), func.count(Attachment.blob_sha256))
            .where(Attachment.submission_version_id.in_(version_ids))
            .group_by(Attachment.submission_version_id)
        )
    }


def edit_counts(session: Session, submission_ids: list[int]) -> dict[int, int]:
    """Edits (versions beyond the first) per submission; only edited submissions come back."""
    return {
        sid: count - 1
        for sid, count in session.execute(
            select(SubmissionVersion.submission_id, func.count())
            .where(SubmissionVersion.submission_id.in_(submission_ids))
            .group_by(SubmissionVersion.submission_id)
            .having(func.count() > 1)
        )
    }


def _chunks(sessions: SessionFactory, flt: RowFilter) -> Iterator[list[tuple[int, int]]]:
    last = 0
    while True:
        with sessions() as session:
            chunk = [
                (sid, vid)
                for sid, vid in session.execute(
                    current_versions(flt).where(Submission.id > last).limit(REPEAT_CHUNK)
                )
            ]
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0]


def repeat_rows(
    sessions: SessionFactory, flt: RowFilter | int, repeat_path: str, *, in_sql: bool | None = None
) -> Iterator[dict[str, Any]]:
    """Repeat rows in the main table's order, read per chunk of submissions (their current versions),
    so every query is an index lookup however large the form grows; on PostgreSQL (unless `in_sql`
    is False) as JSON pages, read ahead, like main_rows."""
    flt = flt if isinstance(flt, RowFilter) else RowFilter(flt)
    if on_postgres(sessions) if in_sql is None else in_sql:
        for page in read_ahead(_json_repeat_pages(sessions, flt, repeat_path), 2):
            for key, parent_key, values in _loads(page):
                yield {"KEY": key, "PARENT_KEY": parent_key, "values": values or {}}
        return
    for chunk in _chunks(sessions, flt):
        by_version: dict[int, list[dict[str, Any]]] = {}
        with sessions() as session:
            without_jit(session)
            for vid, key, parent_key, values in session.execute(
                select(
                    RepeatRow.submission_version_id,
                    RepeatRow.key,
                    RepeatRow.parent_key,
                    cast(RepeatRow.values, Text),
                )
                .where(
                    RepeatRow.submission_version_id.in_([v for _, v in chunk]),
                    RepeatRow.repeat_path == repeat_path,
                )
                .order_by(RepeatRow.submission_version_id, RepeatRow.ordinal)
            ):
                by_version.setdefault(vid, []).append(
                    {"KEY": key, "PARENT_KEY": parent_key, "values": _loads(values) if values else {}}
                )
        for _sid, vid in chunk:
            yield from by_version.get(vid, ())


def media_files(sessions: SessionFactory, flt: RowFilter, schema: dict[str, Any]) -> Iterator[MediaFile]:
    """Attachments of the export's submissions, each linked to the question (and repeat row) whose
    answer names it; in submission order."""
    binary = [f for f in schema.get("fields", []) if value_kind(f) == "binary"]
    main_paths = [f["path"] for f in binary if not f.get("repeat")]
    repeat_paths = sorted({f["repeat"] for f in binary if f.get("repeat")})
    for chunk in _chunks(sessions, flt):
        version_ids = [v for _, v in chunk]
        with sessions() as session:
            attachments = session.execute(
                select(
                    Attachment.submission_version_id,
                    SubmissionVersion.instance_id,
                    Attachment.name,
                    Attachment.blob_sha256,
                    Attachment.size,
                    Attachment.content_type,
                )
                .join(SubmissionVersion, SubmissionVersion.id == Attachment.submission_version_id)
                .where(Attachment.submission_version_id.in_(version_ids))
                .order_by(Attachment.submission_version_id, Attachment.name)
            ).all()
            where: dict[tuple[int, str], tuple[str, str]] = {}  # (version, file name) → (field, row key)
            if main_paths:
                for vid, values in session.execute(
                    select(Record.submission_version_id, Record.values).where(
                        Record.submission_version_id.in_(version_ids)
                    )
                ):
                    for path in main_paths:
                        if isinstance((values or {}).get(path), str):
                            where.setdefault((vid, values[path]), (path, ""))
            if repeat_paths:
                repeat_fields = [f["path"] for f in binary if f.get("repeat")]
                for vid, key, values in session.execute(
                    select(RepeatRow.submission_version_id, RepeatRow.key, RepeatRow.values).where(
                        RepeatRow.submission_version_id.in_(version_ids),
                        RepeatRow.repeat_path.in_(repeat_paths),
                    )
                ):
                    for path in repeat_fields:
                        if isinstance((values or {}).get(path), str):
                            where.setdefault((vid, values[path]), (path, key))
        for vid, iid, name, sha, size, content_type in attachments:
            field, row_key = where.get((vid, name), ("", ""))
            yield MediaFile(iid, name, sha, size, content_type, field, row_key or iid)


def _repeat_query(query: Any, flt: RowFilter, repeat_path: str) -> Any:
    return filtered(
        query.join(SubmissionVersion, SubmissionVersion.id == RepeatRow.submission_version_id)
        .join(Submission, Submission.current_version_id == SubmissionVersion.id)
        .where(RepeatRow.form_id == flt.form_id, RepeatRow.repeat_path == repeat_path),
        flt,
    )


def without_jit(session: Session) -> None:
    """PostgreSQL's JIT, for this transaction, off: on an export's big counts it spent 1.5 s of 3.7
    compiling (×3 parallel workers), and ≈ 45 ms of each 230-ms page of CSV lines."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def table_counts(sessions: SessionFactory, flt: RowFilter, schema: dict[str, Any]) -> dict[str | None, int]:
    """Rows per table (None: the main table, else the repeat path)."""
    with sessions() as session:
        without_jit(session)
        main = session.scalar(
            filtered(
                select(func.count())
                .select_from(Submission)
                .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id),
                flt,
            )
        )
        counts: dict[str | None, int] = {None: main or 0}
        for repeat in schema.get("repeats", []):
            counts[repeat["path"]] = (
                session.scalar(
                    _repeat_query(select(func.count()).select_from(RepeatRow), flt, repeat["path"])
                )
                or 0
            )
    return counts


def failed_count(sessions: SessionFactory, flt: RowFilter) -> int:
    with sessions() as session:
        without_jit(session)
        query = filtered(
            select(func.count())
            .select_from(Submission)
            .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id),
            flt,
            processed=False,
        ).where(SubmissionVersion.processing_state == FAILED)
        return session.scalar(query) or 0


def count_rows(sessions: SessionFactory, form_id: int, schema: dict[str, Any]) -> tuple[int, int]:
    """(rows to write, current versions that failed processing and are left out)."""
    flt = RowFilter(form_id)
    return sum(table_counts(sessions, flt, schema).values()), failed_count(sessions, flt)


def data_version(session: Session, form_id: int) -> list[str]:
    """What changes whenever the export's data would: counts and latest change times of the form's
    submissions and versions (a new submission, an edit, a review, a deletion, a reprocessing)."""
    sub = session.execute(
        select(func.count(), func.max(Submission.updated_at), func.max(Submission.deleted_at)).where(
            Submission.form_id == form_id
        )
    ).one()
    ver = session.execute(
        select(
            func.count(),
            func.max(SubmissionVersion.id),
            func.max(SubmissionVersion.processed_at),
            func.count().filter(SubmissionVersion.processing_state != PROCESSED),
        ).where(SubmissionVersion.form_id == form_id)
    ).one()
    return [str(v) for v in (*sub, *ver)]


def media_count(sessions: SessionFactory, flt: RowFilter) -> int:
    """Attachments (received or expected) of the export's submissions."""
    with sessions() as session:
        query = filtered(
            select(func.count())
            .select_from(Attachment)
            .join(SubmissionVersion, SubmissionVersion.id == Attachment.submission_version_id)
            .join(Submission, Submission.current_version_id == SubmissionVersion.id),
            flt,
        )
        return session.scalar(query) or 0
