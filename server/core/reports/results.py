"""Each processed submission's results under its form's rules (report_result), kept in step with
processing: the worker hands every written batch to record_batch (same transaction), and refresh()
recomputes whatever is stale — a submission processed or reprocessed since, a new current version,
or a rules file that changed — before a report is read and after `chumchon reprocess`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from server.core.models import Form, FormVersion, Record, ReportResult, Submission, SubmissionVersion, utcnow
from server.core.models.submissions import PROCESSED
from server.core.reports.evaluate import evaluate
from server.core.reports.rules import SHIPPED_DIR, Rules, RulesError, check_fields, load_rules
from server.core.submissions.batches import Converted

log = logging.getLogger(__name__)
CHUNK = 2000


@dataclass(frozen=True)
class Written:
    """One version a processing batch has just written: what its results are computed from."""

    submission_id: int
    version_id: int
    form_id: int
    values: dict[str, Any]


def rules_by_form(
    session: Session, form_ids: Iterable[int], rules_dir: Path = SHIPPED_DIR
) -> dict[int, Rules]:
    """The rules of each form that has a rules file (matched by the form's xmlFormId)."""
    wanted = set(form_ids)
    if not wanted:
        return {}
    by_xml_id = {r.form_id: r for r in load_rules(rules_dir).values()}
    if not by_xml_id:
        return {}
    rows = session.execute(
        select(Form.id, Form.xml_form_id, FormVersion.field_schema)
        .outerjoin(FormVersion, FormVersion.id == Form.current_version_id)
        .where(Form.id.in_(wanted), Form.xml_form_id.in_(list(by_xml_id)))
    ).all()
    found: dict[int, Rules] = {}
    for form_id, xml_form_id, schema in rows:
        rules = by_xml_id[xml_form_id]
        check_fields(rules, [str(f.get("name")) for f in (schema or {}).get("fields", [])])
        found[form_id] = rules
    return found


def _write(
    session: Session, rows: Sequence[tuple[int, int, int, Rules, dict[str, Any], datetime | None]]
) -> int:
    if not rows:
        return 0
    now = utcnow()
    results = []
    for submission_id, version_id, form_id, rules, values, created in rows:
        outcome = evaluate(rules, values, created)
        results.append(
            {
                "submission_id": submission_id,
                "form_id": form_id,
                "submission_version_id": version_id,
                "rules_sha": rules.sha,
                "period": outcome.period,
                "outcomes": outcome.outcomes,
                "income_per_person": outcome.income_per_person,
                "members": outcome.members,
                "measures": outcome.measures,
                "computed_at": now,
            }
        )
    session.execute(delete(ReportResult).where(ReportResult.submission_id.in_([r[0] for r in rows])))
    session.execute(insert(ReportResult), results)
    return len(results)


def record_batch(session: Session, written: Sequence[Written], rules_dir: Path = SHIPPED_DIR) -> int:
    """Results of the versions a batch has just written, in its transaction, for the versions that
    are their submission's current one. A broken rules file is logged and leaves processing be: the
    report itself then shows the error (refresh raises it)."""
    try:
        rules = rules_by_form(session, {w.form_id for w in written}, rules_dir)
    except Exception:  # a rules file being edited must never stop submissions being processed
        log.warning("indicator rules could not be used; results wait for the next report", exc_info=True)
        return 0
    mine = [w for w in written if w.form_id in rules]
    if not mine:
        return 0
    current = dict(
        session.execute(
            select(Submission.id, Submission.current_version_id).where(
                Submission.id.in_({w.submission_id for w in mine})
            )
        ).all()
    )
    created = dict(
        session.execute(
            select(Submission.id, Submission.created_at).where(Submission.id.in_(list(current)))
        ).all()
    )
    rows = {
        w.submission_id: (
            w.submission_id,
            w.version_id,
            w.form_id,
            rules[w.form_id],
            w.values,
            created.get(w.submission_id),
        )
        for w in mine
        if current.get(w.submission_id) in (None, w.version_id)
    }
    return _write(session, list(rows.values()))


def stale_query(form_id: int, rules: Rules) -> Any:
    """Current, processed versions of a form's live submissions whose results are missing or old."""
    return (
        select(Submission.id, Submission.current_version_id, Submission.created_at)
        .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id)
        .outerjoin(ReportResult, ReportResult.submission_id == Submission.id)
        .where(
            Submission.form_id == form_id,
            Submission.deleted_at.is_(None),
            SubmissionVersion.processing_state == PROCESSED,
            or_(
                ReportResult.submission_id.is_(None),
                ReportResult.submission_version_id != Submission.current_version_id,
                ReportResult.rules_sha != rules.sha,
                ReportResult.computed_at < SubmissionVersion.processed_at,
            ),
        )
        .order_by(Submission.id)
    )


def refresh(session: Session, form_id: int, rules: Rules, chunk: int = CHUNK) -> int:
    """Recompute the stale results of one form in the caller's transaction; returns how many."""
    done, after = 0, 0
    while True:
        # Keyset paging: each chunk starts after the last one, so a backlog is read once, not per chunk.
        query = stale_query(form_id, rules).where(Submission.id > after).limit(chunk)
        stale = session.execute(query).all()
        if not stale:
            return done
        after = stale[-1][0]
        values: dict[int, Any] = dict(
            session.execute(
                select(Record.submission_version_id, Record.values).where(
                    Record.submission_version_id.in_([v for _, v, _ in stale])
                )
            ).all()
        )
        rows = [(sid, vid, form_id, rules, values.get(vid) or {}, created) for sid, vid, created in stale]
        done += _write(session, rows)
        session.flush()
        if len(stale) < chunk:
            return done


def refresh_all(session: Session, rules_dir: Path = SHIPPED_DIR) -> int:
    """Recompute every stale result of every form that has rules (after `chumchon reprocess`)."""
    done = 0
    for form_id in session.scalars(select(Form.id)).all():
        try:
            found = rules_by_form(session, [form_id], rules_dir)
        except RulesError as exc:  # a form of that id whose fields do not fit the rules: reported, skipped
            log.warning("report results of form %s not rebuilt: %s", form_id, exc.message)
            continue
        done += sum(refresh(session, fid, rules) for fid, rules in found.items())
    return done


def after_batch(session: Session, done: Sequence[Converted]) -> int:
    """The processing batch's hook (server.core.submissions.batches.AfterWrite)."""
    written = [
        Written(c.version.submission_id, c.version.id, c.version.form_id, c.flat.values)
        for c in done
        if c.flat is not None
    ]
    return record_batch(session, written)


def record_version(session: Session, version_id: int) -> int:
    """Results of one version just processed on the per-version path (same transaction)."""
    row = session.execute(
        select(SubmissionVersion.submission_id, SubmissionVersion.form_id, Record.values)
        .join(Record, Record.submission_version_id == SubmissionVersion.id)
        .where(SubmissionVersion.id == version_id)
    ).first()
    if row is None:
        return 0
    return record_batch(session, [Written(row.submission_id, version_id, row.form_id, row.values)])
