"""Reading processed rows for exports: keyset-paginated, short transactions, constant memory.

Only current, processed, not deleted versions are read; repeat rows come per chunk of submissions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from server.core.models import Attachment, FormVersion, Record, RepeatRow, Submission, SubmissionVersion, User
from server.core.models.submissions import FAILED, PROCESSED

CHUNK = 1000  # rows read per query (keyset pagination: constant memory, short transactions)
REPEAT_CHUNK = 200  # submissions whose repeat rows are read per query
SessionFactory = Callable[[], Session]
# An extra SQL condition on Submission: the export creator's area (permissions.area_condition).
Scope = ColumnElement[bool] | None


def _current(query: Any, form_id: int, scope: Scope = None) -> Any:
    query = query.where(
        Submission.form_id == form_id,
        Submission.deleted_at.is_(None),
        SubmissionVersion.processing_state == PROCESSED,
    )
    return query if scope is None else query.where(scope)


def main_rows(sessions: SessionFactory, form_id: int, scope: Scope = None) -> Iterator[dict[str, Any]]:
    last = 0
    while True:
        with sessions() as session:
            rows = session.execute(
                _current(
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
                        Record.values,
                    )
                    .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id)
                    .join(Record, Record.submission_version_id == SubmissionVersion.id)
                    .join(FormVersion, FormVersion.id == SubmissionVersion.form_version_id)
                    .outerjoin(User, User.id == Submission.submitter_id),
                    form_id,
                    scope,
                )
                .where(Submission.id > last)
                .order_by(Submission.id)
                .limit(CHUNK)
            ).all()
            if not rows:
                return
            version_ids = [r[5] for r in rows]
            files = {
                vid: (present, expected)
                for vid, expected, present in session.execute(
                    select(Attachment.submission_version_id, func.count(), func.count(Attachment.blob_sha256))
                    .where(Attachment.submission_version_id.in_(version_ids))
                    .group_by(Attachment.submission_version_id)
                )
            }
            versions = dict(
                session.execute(
                    select(SubmissionVersion.submission_id, func.count())
                    .where(SubmissionVersion.submission_id.in_([r[0] for r in rows]))
                    .group_by(SubmissionVersion.submission_id)
                ).all()
            )
        for sid, created, review, submitter, name, vid, iid, device, form_version, values in rows:
            present, expected = files.get(vid, (0, 0))
            yield {
                "SubmissionDate": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "KEY": iid,
                "SubmitterID": submitter,
                "SubmitterName": name,
                "AttachmentsPresent": present,
                "AttachmentsExpected": expected,
                "ReviewState": review,
                "DeviceID": device,
                "Edits": versions.get(sid, 1) - 1,
                "FormVersion": form_version,
                "values": values,
            }
        last = rows[-1][0]


def repeat_rows(
    sessions: SessionFactory, form_id: int, repeat_path: str, scope: Scope = None
) -> Iterator[dict[str, Any]]:
    """Repeat rows in the main table's order, read per chunk of submissions (their current versions),
    so every query is an index lookup however large the form grows."""
    last = 0
    while True:
        with sessions() as session:
            chunk = session.execute(
                _current(
                    select(Submission.id, SubmissionVersion.id).join(
                        SubmissionVersion, SubmissionVersion.id == Submission.current_version_id
                    ),
                    form_id,
                    scope,
                )
                .where(Submission.id > last)
                .order_by(Submission.id)
                .limit(REPEAT_CHUNK)
            ).all()
            if not chunk:
                return
            by_version: dict[int, list[dict[str, Any]]] = {}
            for vid, key, parent_key, values in session.execute(
                select(RepeatRow.submission_version_id, RepeatRow.key, RepeatRow.parent_key, RepeatRow.values)
                .where(
                    RepeatRow.submission_version_id.in_([v for _, v in chunk]),
                    RepeatRow.repeat_path == repeat_path,
                )
                .order_by(RepeatRow.submission_version_id, RepeatRow.ordinal)
            ):
                by_version.setdefault(vid, []).append(
                    {"KEY": key, "PARENT_KEY": parent_key, "values": values}
                )
        for _sid, vid in chunk:
            yield from by_version.get(vid, ())
        last = chunk[-1][0]


def _repeat_query(query: Any, form_id: int, repeat_path: str, scope: Scope = None) -> Any:
    return _current(
        query.join(SubmissionVersion, SubmissionVersion.id == RepeatRow.submission_version_id)
        .join(Submission, Submission.current_version_id == SubmissionVersion.id)
        .where(RepeatRow.form_id == form_id, RepeatRow.repeat_path == repeat_path),
        form_id,
        scope,
    )


def count_rows(
    sessions: SessionFactory, form_id: int, schema: dict[str, Any], scope: Scope = None
) -> tuple[int, int]:
    """(rows to write, current versions that failed processing and are left out)."""
    with sessions() as session:
        base = (
            select(func.count())
            .select_from(Submission)
            .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id)
            .where(Submission.form_id == form_id, Submission.deleted_at.is_(None))
        )
        if scope is not None:
            base = base.where(scope)
        total = session.scalar(base.where(SubmissionVersion.processing_state == PROCESSED)) or 0
        failed = session.scalar(base.where(SubmissionVersion.processing_state == FAILED)) or 0
        for repeat in schema.get("repeats", []):
            total += (
                session.scalar(
                    _repeat_query(select(func.count()).select_from(RepeatRow), form_id, repeat["path"], scope)
                )
                or 0
            )
    return total, failed
