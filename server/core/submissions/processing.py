"""Submission processing: raw XML of one version → typed Record, RepeatRows and QualityFlags.

Idempotent and replayable: the derived rows of a version are deleted and rebuilt from the raw XML,
which is never touched, so running it twice (a redelivered task, `chumchon reprocess`) gives the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lxml import etree
from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from server.core.entities.declarations import EntityBlock, entity_blocks
from server.core.entities.processing import SubmissionRef, apply_submission_entities
from server.core.ground.errors import NotFound
from server.core.ground.storage import BlobStore
from server.core.models import Form, FormVersion, QualityFlag, Record, RepeatRow, SubmissionVersion, utcnow
from server.core.models.submissions import FAILED, PROCESSED, RECEIVED
from server.core.submissions.csvcells import csv_cells
from server.core.submissions.facts import record_submission_facts
from server.core.submissions.thai_id import is_valid_thai_citizen_id
from server.core.submissions.values import TYPE_MISMATCH, parse_value, value_kind
from server.core.submissions.xmlsafe import local_name, parse_xml

log = logging.getLogger(__name__)

THAI_CITIZEN_ID_INVALID = "thai_citizen_id_invalid"
MAX_ATTEMPTS = 3  # the sweeper stops retrying a failed version after this many attempts
_STRUCTURE = {"group", "repeat", "note"}
_MAX_SHOWN = 80  # characters of a bad value quoted in a flag message


class ProcessingError(Exception):
    """The XML does not fit its form version; the version is marked failed with this message."""


@dataclass
class FlatRepeat:
    repeat_path: str
    ordinal: int
    key: str
    parent_key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class FlatFlag:
    field_path: str
    code: str
    message: str


@dataclass
class Flattened:
    """Everything processing derives from one instance, before it touches the database."""

    values: dict[str, Any] = field(default_factory=dict)
    repeats: list[FlatRepeat] = field(default_factory=list)
    flags: list[FlatFlag] = field(default_factory=list)


def _mismatch_message(raw: str, kind: str) -> str:
    shown = raw if len(raw) <= _MAX_SHOWN else raw[:_MAX_SHOWN] + "…"
    return f"ค่า “{shown}” ไม่ใช่ชนิด {kind} / The value “{shown}” is not a valid {kind}."


_CITIZEN_MESSAGE = (
    "เลขประจำตัวประชาชนไม่ถูกต้อง (ต้องเป็นตัวเลข 13 หลักและหลักตรวจสอบถูกต้อง) / "
    "The Thai citizen ID is not valid (13 digits with a correct check digit)."
)


class _Walker:
    """Walks one instance tree against a field schema, collecting values, repeat rows and flags."""

    def __init__(self, schema: dict[str, Any], instance_id: str, root: str) -> None:
        self.root = root
        self.fields = {f["path"]: f for f in schema.get("fields", [])}
        self.repeats = {r["path"] for r in schema.get("repeats", [])}
        self.repeats |= {p for p, f in self.fields.items() if f.get("type") == "repeat"}
        self.instance_id = instance_id
        self.out = Flattened()

    def walk(
        self, element: etree._Element, path: str, indexed: str, values: dict[str, Any], key: str
    ) -> None:
        seen: dict[str, int] = {}
        for child in element:
            name = local_name(child)
            if not name or child.get("{http://openrosa.org/javarosa}template") is not None:
                continue
            child_path = f"{path}/{name}"
            if child_path in self.repeats:
                # KEY as in ODK Central's CSV: instanceID + path with 1-based indexes per parent.
                seen[name] = seen.get(name, 0) + 1
                child_indexed = f"{indexed}/{name}[{seen[name]}]"
                row = FlatRepeat(child_path, len(self.out.repeats) + 1, self.instance_id + child_indexed, key)
                self.out.repeats.append(row)
                self.walk(child, child_path, child_indexed, row.values, row.key)
                continue
            spec = self.fields.get(child_path)
            if spec is None or (spec.get("type") in ("group", "meta") and len(child)):
                # Groups (meta too, and unknown wrappers) carry no value of their own; their children do.
                if len(child):
                    self.walk(child, child_path, f"{indexed}/{name}", values, key)
                continue
            if spec.get("type") in _STRUCTURE:
                continue
            self._leaf(child, spec, child_path, f"{indexed}/{name}", values)

    def _leaf(
        self, element: etree._Element, spec: dict[str, Any], path: str, indexed: str, values: dict[str, Any]
    ) -> None:
        kind = value_kind(spec)
        raw = element.text
        parsed = parse_value(kind, raw)
        values[path] = parsed.value
        flag_path = f"/{self.root}{indexed}"
        if not parsed.ok:
            self.out.flags.append(
                FlatFlag(flag_path, TYPE_MISMATCH, _mismatch_message(str(raw).strip(), kind))
            )
        checks = spec.get("checks") or []
        value = parsed.value
        if (
            "thai_citizen_id" in checks
            and isinstance(value, str)
            and not is_valid_thai_citizen_id(value.strip())
        ):
            # The value itself stays out of the message: citizen IDs are personal data (PDPA).
            self.out.flags.append(FlatFlag(flag_path, THAI_CITIZEN_ID_INVALID, _CITIZEN_MESSAGE))


def flatten_instance(root: etree._Element, schema: dict[str, Any], instance_id: str) -> Flattened:
    """Pure: typed main-table values (path → value), repeat rows with KEY/PARENT_KEY, and quality flags."""
    expected_root = str(schema.get("root") or "")
    actual_root = local_name(root)
    if expected_root and actual_root != expected_root:
        raise ProcessingError(
            f"ข้อมูลไม่ตรงกับแบบฟอร์ม (ราก {actual_root} แทน {expected_root}) / "
            f"The submission root <{actual_root}> does not match the form's <{expected_root}>."
        )
    walker = _Walker(schema, instance_id, actual_root)
    walker.walk(root, f"/{actual_root}", "", walker.out.values, instance_id)
    return walker.out


def clear_derived(session: Session, version_id: int) -> None:
    for model in (QualityFlag, RepeatRow, Record):
        session.execute(delete(model).where(model.submission_version_id == version_id))


RETRY_SECONDS = 30.0  # a failed version is claimed again (attempts left) no sooner than this


def mark_failed(session: Session, version_id: int, error: str) -> None:
    version = session.get(SubmissionVersion, version_id)
    if version is None:
        return
    version.processing_state = FAILED
    version.processing_error = error[:4000]
    version.processed_at = None
    version.claimed_until = utcnow() + timedelta(seconds=RETRY_SECONDS)
    version.claim_token = None


def record_failure(session: Session, version_id: int, error: str) -> None:
    """Note a failed attempt whose own transaction was rolled back (e.g. the database went away).
    A version another run has meanwhile processed is left as it is: its rows are complete."""
    version = session.get(SubmissionVersion, version_id)
    if version is None or version.processing_state == PROCESSED:
        return
    version.processing_attempts = (version.processing_attempts or 0) + 1
    mark_failed(session, version_id, error)


def process_submission_version(session: Session, blobs: BlobStore, version_id: int) -> str:
    """Rebuild the derived rows of one version; returns the new processing_state ("processed" or
    "failed"). The caller commits. A version whose XML does not fit its form version is marked failed
    with a readable processing_error instead of raising; database errors propagate to the caller."""
    # Row lock (PostgreSQL): a redelivered task and the sweeper's copy run one after the other.
    version = session.get(SubmissionVersion, version_id, with_for_update=True)
    if version is None:
        raise NotFound(f"ไม่พบข้อมูลที่ส่ง {version_id} / Submission version {version_id} not found.")
    form_version = session.get(FormVersion, version.form_version_id)
    version.processing_attempts = (version.processing_attempts or 0) + 1
    try:
        if form_version is None:
            raise ProcessingError(f"form version {version.form_version_id} is missing")
        # Parsed once, against the schema of the form version this submission was made with.
        xml = version.xml if version.xml is not None else blobs.read_bytes(version.xml_sha256)
        root = parse_xml(xml, max_bytes=1 << 30)
        flat = flatten_instance(root, form_version.field_schema, version.instance_id)
        blocks: list[EntityBlock] = entity_blocks(root, form_version.field_schema.get("entities"))
    except Exception as exc:  # a bad document or a processing bug must not block the queue
        log.warning("processing submission version %s failed: %s", version_id, exc, exc_info=True)
        clear_derived(session, version_id)
        mark_failed(session, version_id, getattr(exc, "message", None) or str(exc) or type(exc).__name__)
        return FAILED
    clear_derived(session, version_id)
    assert form_version is not None  # a missing one failed above
    csv = csv_cells(version.form_version_id, form_version.field_schema, flat)
    session.add(
        Record(
            submission_version_id=version_id,
            form_id=version.form_id,
            values=flat.values,
            csv_layout=csv.tag,
            csv_cells=csv.main,
        )
    )
    if flat.repeats:
        session.execute(
            insert(RepeatRow),
            [
                {
                    "submission_version_id": version_id,
                    "form_id": version.form_id,
                    "repeat_path": r.repeat_path,
                    "ordinal": r.ordinal,
                    "key": r.key,
                    "parent_key": r.parent_key,
                    "values": r.values,
                    "csv_line": csv.repeat_lines[i],
                }
                for i, r in enumerate(flat.repeats)
            ],
        )
    if flat.flags:
        session.execute(
            insert(QualityFlag),
            [
                {
                    "submission_version_id": version_id,
                    "field_path": f.field_path,
                    "code": f.code,
                    "message": f.message,
                }
                for f in flat.flags
            ],
        )
    schema = form_version.field_schema if form_version is not None else {}
    record_submission_facts(session, version, schema, flat.values, [r.values for r in flat.repeats])
    if blocks and session.scalar(select(Form.draft_of_id).where(Form.id == version.form_id)) is None:
        ref = SubmissionRef(
            version.id, version.submission_id, version.form_id, version.form_version_id, version.submitter_id
        )
        apply_submission_entities(session, ref, blocks)
    version.processing_state = PROCESSED
    version.processing_error = None
    version.processed_at = utcnow()
    # A batch that holds a claim on this version will find its claim gone and leave the rows be.
    version.claimed_until = None
    version.claim_token = None
    session.flush()
    return PROCESSED


def _version_ids(session: Session, after: int, limit: int, form_id: int | None) -> list[int]:
    query = select(SubmissionVersion.id).where(SubmissionVersion.id > after)
    if form_id is not None:
        query = query.where(SubmissionVersion.form_id == form_id)
    return list(session.scalars(query.order_by(SubmissionVersion.id).limit(limit)))


def reprocess_all(
    session_factory: Callable[[], Session],
    blobs: BlobStore,
    on_progress: Callable[[int, int], None] | None = None,
    *,
    form_id: int | None = None,
    chunk: int = 200,
) -> dict[str, int]:
    """Rebuild the derived rows of every stored version (optionally of one form) from the raw XML.
    Returns counts {"processed": n, "failed": n}; on_progress(done, total) after every chunk."""
    counts = {PROCESSED: 0, FAILED: 0}
    with session_factory() as session:
        query = select(SubmissionVersion.id)
        if form_id is not None:
            query = query.where(SubmissionVersion.form_id == form_id)
        total = len(list(session.scalars(query)))
    done, last = 0, 0
    while True:
        with session_factory() as session:
            ids = _version_ids(session, last, chunk, form_id)
            if not ids:
                break
            for version_id in ids:
                counts[process_submission_version(session, blobs, version_id)] += 1
            session.commit()
        done += len(ids)
        last = ids[-1]
        if on_progress is not None:
            on_progress(done, total)
    return counts


def sweep_unprocessed(
    session: Session,
    older_than: timedelta,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    limit: int = 1000,
    now: datetime | None = None,
) -> list[int]:
    """Ids of versions still waiting after the grace period: "received", or "failed" with attempts left."""
    cutoff = (now or utcnow()) - older_than
    query = (
        select(SubmissionVersion.id)
        .where(SubmissionVersion.received_at < cutoff)
        .where(
            or_(
                SubmissionVersion.processing_state == RECEIVED,
                (SubmissionVersion.processing_state == FAILED)
                & (SubmissionVersion.processing_attempts < max_attempts),
            )
        )
        .order_by(SubmissionVersion.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def process_many(session: Session, blobs: BlobStore, version_ids: Iterable[int]) -> dict[str, int]:
    """Process several versions in the caller's transaction (used by exports before reading)."""
    counts = {PROCESSED: 0, FAILED: 0}
    for version_id in version_ids:
        counts[process_submission_version(session, blobs, version_id)] += 1
    return counts
