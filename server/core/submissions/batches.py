"""Batch processing: a worker claims many waiting submission versions at once under a short lease,
converts them outside any write transaction, and writes every derived row of the batch with multi-row
inserts in one transaction.

At-least-once, never twice at the same time: a claim is one UPDATE (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so concurrent claimers take disjoint rows; SQLite has one writer) that stamps the rows with
a claim token and a lease end. A worker that dies leaves its rows leased; once the lease has passed the
next claim — by any worker — takes them again. The write transaction first re-checks the token, so a
worker that outlived its lease and lost its rows to another writes nothing for them. Derived rows are
deleted and rebuilt, so processing a version again gives the same rows."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, delete, insert, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from exports.prerendered import Prerendered
from server.core.entities.declarations import EntityBlock, entity_blocks
from server.core.entities.processing import SubmissionRef, apply_submission_entities
from server.core.ground.cache import LookupCache
from server.core.ground.storage import BlobStore
from server.core.models import (
    Form,
    QualityFlag,
    Record,
    RepeatRow,
    Submission,
    SubmissionSearch,
    SubmissionVersion,
    utcnow,
)
from server.core.models.submissions import FAILED, PROCESSED, RECEIVED
from server.core.submissions.csvcells import csv_cells
from server.core.submissions.facts import SubmissionFacts, submission_facts
from server.core.submissions.lookups import field_schema
from server.core.submissions.processing import (
    MAX_ATTEMPTS,
    RETRY_SECONDS,
    Flattened,
    ProcessingError,
    flatten_instance,
)
from server.core.submissions.xmlsafe import parse_xml
from server.core.webhooks import outbox
from server.core.webhooks.subscriptions import PROCESSED as WEBHOOK_PROCESSED

log = logging.getLogger(__name__)

BATCH_SIZE = 100
LEASE_SECONDS = 10.0  # longer than a batch takes; the worst-case delay after a worker is killed

SV = SubmissionVersion
_SV_TABLE = cast(Table, SubmissionVersion.__table__)


@dataclass(frozen=True)
class ClaimedVersion:
    id: int
    submission_id: int
    form_id: int
    form_version_id: int
    instance_id: str
    instance_name: str | None
    xml: bytes | None
    xml_sha256: str
    submitter_id: int | None = None


@dataclass
class Claim:
    token: str
    versions: list[ClaimedVersion]
    until: datetime


@dataclass
class Converted:
    """One claimed version after conversion: its derived rows, or why it could not be converted."""

    version: ClaimedVersion
    flat: Flattened | None = None
    error: str | None = None
    # Column values written to the version row with its new state. Per-version post-processing
    # (e.g. indexed place codes, a search text) adds its columns here, in post_process below.
    version_values: dict[str, Any] = field(default_factory=dict)
    # The schema the version was flattened against, and the facts copied onto its submission when it
    # is the submission's current version (place codes, point, interview length, search text).
    schema: dict[str, Any] = field(default_factory=dict)
    facts: SubmissionFacts | None = None
    # The entity blocks of the version (server.core.entities), applied in the batch's transaction.
    entity_blocks: list[EntityBlock] = field(default_factory=list)
    # Its CSV cells for the default export layout (server.core.submissions.csvcells).
    csv: Prerendered | None = None


def claimable(now: datetime, sv: Any = SV, max_attempts: int = MAX_ATTEMPTS) -> Any:
    """Waiting versions nobody holds: received, or failed with attempts left; lease (or retry time) passed."""
    return and_(
        or_(
            sv.processing_state == RECEIVED,
            and_(sv.processing_state == FAILED, sv.processing_attempts < max_attempts),
        ),
        or_(sv.claimed_until.is_(None), sv.claimed_until < now),
    )


def waiting_ids(now: datetime, limit: int) -> Select[int]:
    """The ids of the oldest `limit` claimable versions, locked, skipping those another claimer holds."""
    # An alias, so the subquery is not correlated to the UPDATE's own table.
    w = aliased(SV, name="waiting")
    return (
        select(w.id)
        # the partial index's own predicate, so the planner walks it in id order (0016_waiting)
        .where(w.processing_state.in_([RECEIVED, FAILED]), claimable(now, w))
        .order_by(w.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def steer_claim_plan(session: Session) -> None:
    """For the rest of the claim's transaction on PostgreSQL: no bitmap scans. One would read every
    entry the waiting index still holds for versions processed since the last VACUUM (0.4 s a claim
    in a soak, the planner misled by stale statistics); a plain index scan skips the entries it has
    seen dead before and stops after the batch."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_bitmapscan = off"))


def claim_batch(
    session: Session,
    *,
    limit: int = BATCH_SIZE,
    lease_seconds: float = LEASE_SECONDS,
    now: datetime | None = None,
) -> Claim:
    """Lease up to `limit` waiting versions (oldest first) to a new claim token. The caller commits
    at once, so other claimers see the lease; the claimed rows come back with their XML."""
    now = now or utcnow()
    claim = Claim(token=uuid.uuid4().hex, versions=[], until=now + timedelta(seconds=lease_seconds))
    waiting = waiting_ids(now, limit)
    steer_claim_plan(session)
    rows = session.execute(
        update(SV)
        .where(SV.id.in_(waiting.scalar_subquery()))
        .values(
            claimed_until=claim.until,
            claim_token=claim.token,
            processing_attempts=SV.processing_attempts + 1,
        )
        .returning(
            SV.id,
            SV.submission_id,
            SV.form_id,
            SV.form_version_id,
            SV.instance_id,
            SV.instance_name,
            SV.xml,
            SV.xml_sha256,
            SV.submitter_id,
        ),
        execution_options={"synchronize_session": False},
    ).all()
    claim.versions = sorted((ClaimedVersion(**row._mapping) for row in rows), key=lambda v: v.id)
    return claim


def convert(session: Session, cache: LookupCache, blobs: BlobStore, version: ClaimedVersion) -> Converted:
    """Parse and flatten one version against its form version's schema (read-only)."""
    try:
        schema = field_schema(session, cache, version.form_version_id)
        if schema is None:
            raise ProcessingError(f"form version {version.form_version_id} is missing")
        xml = version.xml if version.xml is not None else blobs.read_bytes(version.xml_sha256)
        root = parse_xml(xml, max_bytes=1 << 30)
        flat = flatten_instance(root, schema, version.instance_id)
        blocks = entity_blocks(root, schema.get("entities"))
    except Exception as exc:  # a bad document or a processing bug must not block the batch
        log.warning("processing submission version %s failed: %s", version.id, exc, exc_info=True)
        return Converted(version, error=getattr(exc, "message", None) or str(exc) or type(exc).__name__)
    converted = Converted(version, flat=flat, schema=schema, entity_blocks=blocks)
    post_process(session, converted)
    return converted


def post_process(session: Session, converted: Converted) -> None:
    """The one place for per-version work after flattening: put extra columns of the version row in
    converted.version_values (written with its processed state, in the batch's transaction) and the
    submission's facts in converted.facts (written by _write_facts; the same facts as
    server.core.submissions.facts.record_submission_facts gives on the per-version path)."""
    flat, version = converted.flat, converted.version
    if flat is None:
        return
    converted.facts = submission_facts(
        converted.schema,
        flat.values,
        [r.values for r in flat.repeats],
        extra_text=(version.instance_id, version.instance_name or ""),
    )
    converted.csv = csv_cells(version.form_version_id, converted.schema, flat)


def _write_facts(session: Session, done: Sequence[Converted]) -> None:
    """Copy each version's facts onto its submission and rebuild its search row, only where the
    version is (still) the submission's current one, as on the per-version path."""
    with_facts = [c for c in done if c.facts is not None]
    if not with_facts:
        return
    current = {
        sid: current_id
        for sid, current_id in session.execute(
            select(Submission.id, Submission.current_version_id)
            .where(Submission.id.in_({c.version.submission_id for c in with_facts}))
            .with_for_update()
        )
    }
    rows = [c for c in with_facts if current.get(c.version.submission_id, -1) in (None, c.version.id)]
    if not rows:
        return
    submission_table = cast(Table, Submission.__table__)
    session.connection().execute(
        update(submission_table)
        .where(submission_table.c.id == bindparam("sid"))
        .values(
            province_code=bindparam("f_province"),
            district_code=bindparam("f_district"),
            subdistrict_code=bindparam("f_subdistrict"),
            village_code=bindparam("f_village"),
            latitude=bindparam("f_lat"),
            longitude=bindparam("f_lon"),
            interview_seconds=bindparam("f_seconds"),
        ),
        [
            {
                "sid": c.version.submission_id,
                "f_province": c.facts.province_code,
                "f_district": c.facts.district_code,
                "f_subdistrict": c.facts.subdistrict_code,
                "f_village": c.facts.village_code,
                "f_lat": c.facts.latitude,
                "f_lon": c.facts.longitude,
                "f_seconds": c.facts.interview_seconds,
            }
            for c in rows
            if c.facts is not None
        ],
    )
    # One search row per submission; a batch can hold two versions of one submission only if the
    # older one is no longer current, which the filter above already dropped.
    search = {
        c.version.submission_id: {
            "submission_id": c.version.submission_id,
            "form_id": c.version.form_id,
            "body": c.facts.search_body,
            "sensitive_body": c.facts.search_sensitive,
        }
        for c in rows
        if c.facts is not None
    }
    session.execute(delete(SubmissionSearch).where(SubmissionSearch.submission_id.in_(search)))
    session.execute(insert(SubmissionSearch), list(search.values()))


def _apply_entities(session: Session, done: Sequence[Converted]) -> None:
    """Entities from the batch's versions, oldest first, so a registration precedes its follow-ups.
    A draft's test submissions (forms with draft_of_id) make none, as in Central."""
    with_blocks = {c.version.form_id for c in done if c.entity_blocks}
    if not with_blocks:
        return
    tests = set(
        session.scalars(select(Form.id).where(Form.id.in_(with_blocks), Form.draft_of_id.is_not(None)))
    )
    for c in done:
        if c.entity_blocks and c.version.form_id not in tests:
            v = c.version
            ref = SubmissionRef(v.id, v.submission_id, v.form_id, v.form_version_id, v.submitter_id)
            apply_submission_entities(session, ref, c.entity_blocks)


def _derived_rows(done: Sequence[Converted]) -> tuple[list[dict[str, Any]], ...]:
    records, repeats, flags = [], [], []
    now = utcnow()
    for c in done:
        v, flat, csv = c.version, c.flat, c.csv
        assert flat is not None
        records.append(
            {
                "submission_version_id": v.id,
                "form_id": v.form_id,
                "values": flat.values,
                "created_at": now,
                "csv_layout": csv.tag if csv else None,
                "csv_cells": csv.main if csv else None,
            }
        )
        repeats += [
            {
                "submission_version_id": v.id,
                "form_id": v.form_id,
                "repeat_path": r.repeat_path,
                "ordinal": r.ordinal,
                "key": r.key,
                "parent_key": r.parent_key,
                "values": r.values,
                "csv_line": csv.repeat_lines[i] if csv else None,
            }
            for i, r in enumerate(flat.repeats)
        ]
        flags += [
            {"submission_version_id": v.id, "field_path": f.field_path, "code": f.code, "message": f.message}
            for f in flat.flags
        ]
    return records, repeats, flags


# Called in the batch's write transaction with the versions it wrote (e.g. the indicator results of
# server.core.reports, wired in by the worker: a higher layer, so it is passed in, never imported).
AfterWrite = Callable[[Session, Sequence[Converted]], object]


def write_batch(
    session: Session,
    claim: Claim,
    converted: Sequence[Converted],
    *,
    retry_seconds: float = RETRY_SECONDS,
    after_write: AfterWrite | None = None,
) -> dict[str, int]:
    """Write a converted claim in the caller's transaction (the caller commits); versions whose claim
    was lost to another worker are skipped. Returns {"processed": n, "failed": n, "lost": n}."""
    ids = [c.version.id for c in converted]
    if not ids:
        return {PROCESSED: 0, FAILED: 0, "lost": 0}
    # First statement: takes the rows' locks (the write lock on SQLite) and proves the claim still holds.
    owned = set(
        session.scalars(
            update(SV)
            .where(SV.id.in_(ids), SV.claim_token == claim.token)
            .values(claimed_until=claim.until)
            .returning(SV.id),
            execution_options={"synchronize_session": False},
        )
    )
    now = utcnow()
    done = [c for c in converted if c.version.id in owned and c.flat is not None]
    failed = [c for c in converted if c.version.id in owned and c.flat is None]
    done_ids = [c.version.id for c in done]
    if done_ids:
        for model in (QualityFlag, RepeatRow, Record):
            session.execute(delete(model).where(model.submission_version_id.in_(done_ids)))
        records, repeats, flags = _derived_rows(done)
        session.execute(insert(Record), records)
        if repeats:
            session.execute(insert(RepeatRow), repeats)
        if flags:
            session.execute(insert(QualityFlag), flags)
        extra = sorted({k for c in done for k in c.version_values})
        session.connection().execute(
            update(_SV_TABLE)
            .where(_SV_TABLE.c.id == bindparam("vid"))
            .values(
                processing_state=PROCESSED,
                processing_error=None,
                processed_at=now,
                claimed_until=None,
                claim_token=None,
                **{k: bindparam(f"x_{k}") for k in extra},
            ),
            [{"vid": c.version.id, **{f"x_{k}": c.version_values.get(k) for k in extra}} for c in done],
        )
        _write_facts(session, done)
        _apply_entities(session, done)
        outbox.record_for_forms(session, WEBHOOK_PROCESSED, [_processed_event(c) for c in done])
        if after_write is not None:
            after_write(session, done)
    for c in failed:
        session.execute(delete(Record).where(Record.submission_version_id == c.version.id))
        session.execute(delete(RepeatRow).where(RepeatRow.submission_version_id == c.version.id))
        session.execute(delete(QualityFlag).where(QualityFlag.submission_version_id == c.version.id))
        session.execute(
            update(SV)
            .where(SV.id == c.version.id)
            .values(
                processing_state=FAILED,
                processing_error=(c.error or "")[:4000],
                processed_at=None,
                claimed_until=now + timedelta(seconds=retry_seconds),
                claim_token=None,
            ),
            execution_options={"synchronize_session": False},
        )
    return {PROCESSED: len(done), FAILED: len(failed), "lost": len(converted) - len(done) - len(failed)}


def _processed_event(c: Converted) -> tuple[int, dict[str, Any]]:
    v = c.version
    return v.form_id, {"instanceId": v.instance_id, "submissionId": v.submission_id, "versionId": v.id}


def process_pending(
    sessions: Callable[[], Session],
    cache: LookupCache,
    blobs: BlobStore,
    *,
    batch_size: int = BATCH_SIZE,
    lease_seconds: float = LEASE_SECONDS,
    max_versions: int | None = None,
    after_write: AfterWrite | None = None,
) -> dict[str, int]:
    """Claim, convert and write batches while they come back full (a backlog), up to max_versions."""
    totals = {PROCESSED: 0, FAILED: 0, "lost": 0}
    claimed = 0
    while max_versions is None or claimed < max_versions:
        with sessions() as session:
            claim = claim_batch(session, limit=batch_size, lease_seconds=lease_seconds)
            session.commit()
        if not claim.versions:
            break
        claimed += len(claim.versions)
        with sessions() as session:
            converted = [convert(session, cache, blobs, v) for v in claim.versions]
            session.rollback()  # a read-only transaction: end it before the write transaction
            counts = write_batch(session, claim, converted, after_write=after_write)
            session.commit()
        for key, n in counts.items():
            totals[key] += n
        if len(claim.versions) < batch_size:
            # Not a backlog: stop rather than chase arrivals one by one. Every submission committed
            # meanwhile is followed by its own wake-up (sent after its commit), which claims it.
            break
    return totals
