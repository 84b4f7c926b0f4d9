"""The rows of a brand-new submission, written on intake's hot path with statements built once:
submission, version (raw XML in the row), current-version link, attachments. No ORM unit of work —
measured, statement construction and flushing cost more CPU than the database round trips.

On PostgreSQL the submission, its version and the current-version link are one statement (the version
id is drawn from its sequence first, so both rows can name each other; the foreign keys are checked at
the end of the statement), which also reads the cache epoch for the lookup cache's deferred check."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, BinaryIO, cast

from sqlalchemy import Connection, Table, bindparam, insert, update

from server.core.ground.storage import BlobStore
from server.core.models import CACHE_EPOCH_ID, Attachment, Submission, SubmissionVersion, utcnow
from server.core.models.submissions import RECEIVED
from server.core.submissions.xmlsafe import SubmissionXml

_SUB = cast(Table, Submission.__table__)
_VER = cast(Table, SubmissionVersion.__table__)
_INSERT_SUBMISSION = insert(_SUB).returning(_SUB.c.id)
_INSERT_VERSION = insert(_VER).returning(_VER.c.id)
_INSERT_ATTACHMENTS = insert(cast(Table, Attachment.__table__))
_SET_CURRENT_VERSION = (
    update(_SUB).where(_SUB.c.id == bindparam("sid")).values(current_version_id=bindparam("vid"))
)


_VERSION_VALUES = (
    "form_id, form_version_id, instance_id, deprecated_id, instance_name, current, xml, xml_sha256, "
    "xml_size, device_id, user_agent, submitter_id, received_at, processing_state, processing_attempts"
)
_PG_INSERT_BOTH = f"""
WITH ids AS (SELECT nextval(pg_get_serial_sequence('submission_version', 'id')) AS vid),
s AS (
    INSERT INTO submission (form_id, instance_id, submitter_id, created_at, updated_at, current_version_id)
    SELECT %(form_id)s, %(instance_id)s, %(submitter_id)s, %(received_at)s, %(received_at)s, ids.vid
    FROM ids RETURNING id
),
v AS (
    INSERT INTO submission_version (id, submission_id, {_VERSION_VALUES})
    SELECT ids.vid, s.id, {", ".join(f"%({c})s" for c in _VERSION_VALUES.split(", "))}
    FROM ids, s RETURNING id
)
SELECT s.id, v.id, (SELECT value FROM cache_epoch WHERE id = %(epoch_id)s) FROM s, v
"""


@dataclass(frozen=True)
class NewRows:
    submission_id: int
    version_id: int
    stored: list[str]  # attachments received in this request
    missing: list[str]  # attachments the XML names that have not arrived
    epoch: int | None = None  # the cache epoch the insert saw (PostgreSQL only)


def insert_new_submission(
    conn: Connection,
    blobs: BlobStore,
    *,
    form_id: int,
    form_version_id: int,
    parsed: SubmissionXml,
    xml: bytes,
    expected: Sequence[str],
    files: Sequence[tuple[str, str | None, bytes | IO[bytes]]],
    submitter_id: int | None,
    device_id: str | None,
    user_agent: str | None,
) -> NewRows:
    """Insert in the caller's transaction; attachment blobs are written (fsynced) before it commits.
    Files that no field references are not kept (as ODK Central)."""
    now = utcnow()
    version = {
        "form_id": form_id,
        "form_version_id": form_version_id,
        "instance_id": parsed.instance_id,
        "deprecated_id": None,
        "instance_name": parsed.instance_name,
        "current": True,
        # The raw XML is committed in the row itself: one durable write (the database's commit)
        # instead of a file, its fsync and its directory's fsync per submission.
        "xml": xml,
        "xml_sha256": hashlib.sha256(xml).hexdigest(),
        "xml_size": len(xml),
        "device_id": (device_id or None) and device_id[:255],
        "user_agent": (user_agent or None) and user_agent[:255],
        "submitter_id": submitter_id,
        "received_at": now,
        "processing_state": RECEIVED,
        "processing_attempts": 0,
    }
    epoch: int | None = None
    if conn.dialect.name == "postgresql":
        ids = conn.exec_driver_sql(_PG_INSERT_BOTH, {**version, "epoch_id": CACHE_EPOCH_ID}).one()
        submission_id, version_id, epoch = int(ids[0]), int(ids[1]), int(ids[2] or 0)
    else:
        submission_id = conn.execute(
            _INSERT_SUBMISSION,
            {"form_id": form_id, "instance_id": parsed.instance_id, "submitter_id": submitter_id,
             "created_at": now, "updated_at": now},
        ).scalar_one()
        version_id = conn.execute(_INSERT_VERSION, {"submission_id": submission_id, **version}).scalar_one()
        conn.execute(_SET_CURRENT_VERSION, {"sid": submission_id, "vid": version_id})
    rows: dict[str, dict[str, object]] = {
        name: {"submission_version_id": version_id, "name": name, "blob_sha256": None, "size": None,
               "content_type": None, "received_at": None}
        for name in expected
    }
    stored: list[str] = []
    for name, content_type, content in files:
        row = rows.get(name)
        if row is None:
            continue
        blob = blobs.put_bytes(content) if isinstance(content, bytes) else blobs.put_stream(cast(BinaryIO, content))
        row.update(blob_sha256=blob.sha256, size=blob.size, received_at=now,
                   content_type=(content_type or "application/octet-stream")[:127])
        stored.append(name)
    if rows:
        conn.execute(_INSERT_ATTACHMENTS, list(rows.values()))
    missing = [name for name, row in rows.items() if row["blob_sha256"] is None]
    return NewRows(int(submission_id), int(version_id), stored, missing, epoch)
