"""A submission's history: its versions (who sent each, when, from which device) with the answers
that changed from one version to the next, computed from the processed values (Record and
RepeatRow, never the XML), and its audit events (review changes, comments, sensitive reads)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.models import AuditEvent, Form, FormVersion, Record, RepeatRow, SubmissionVersion, User
from server.core.review.access import audit, submission_target, visible_submission
from server.core.review.masking import MASK, sensitive_paths
from server.core.submissions.audits import EDIT_ACTION

# Every edit is an EDIT_ACTION event: from the browser (server.core.review.corrections) with details
# {"versionId", "via": "web"} and notes = the reason; from Collect or the API (intake) with "via"
# "openrosa" / "api" and no notes.


@dataclass(frozen=True)
class Change:
    """One answer that differs from the previous version. `path` is the field path for main-table
    answers; answers in a repeat are named by the repeat instance, e.g. "/members[2]/first_name".
    `field` is always the field's schema path (for labels)."""

    path: str
    field: str
    before: Any
    after: Any


@dataclass
class VersionEntry:
    version: SubmissionVersion
    form_version: str | None
    submitter_name: str | None
    processed: bool
    changes: list[Change] = field(default_factory=list)  # against the previous version; [] for the first
    reason: str | None = None  # the editor's reason, for a version made in the browser


Answers = dict[str, tuple[str, Any]]  # shown path -> (field path, value)


def flat_answers(
    instance_id: str, values: Mapping[str, Any] | None, repeats: list[tuple[str, dict[str, Any]]]
) -> Answers:
    """Pure: every answer of a version by a path that stays the same across versions. Repeat rows are
    named by their KEY without the instanceID (which changes with every version)."""
    answers: Answers = {path: (path, value) for path, value in (values or {}).items()}
    for key, row_values in repeats:
        suffix = key[len(instance_id) :] if key.startswith(instance_id) else key
        for path, value in row_values.items():
            answers[f"{suffix}/{path.rsplit('/', 1)[-1]}"] = (path, value)
    return answers


def changed_answers(before: Answers, after: Answers) -> list[Change]:
    """Pure: the answers whose value differs (added, removed or changed), sorted by path."""
    changes: list[Change] = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        old_value, new_value = (old[1] if old else None), (new[1] if new else None)
        if old_value != new_value:
            field_path = new[0] if new else old[0] if old else path
            changes.append(Change(path, field_path, old_value, new_value))
    return changes


def _identity_paths(schema: Mapping[str, Any]) -> frozenset[str]:
    """instanceID and friends change with every version by definition: not "changed answers"."""
    meta = {str(f["path"]) for f in schema.get("fields") or [] if f.get("type") == "meta"}
    root = f"/{schema.get('root') or 'data'}/meta"
    return frozenset(meta | {f"{root}/instanceID", f"{root}/deprecatedID", f"{root}/instanceName"})


def _mask_change(change: Change, paths: frozenset[str]) -> Change:
    if change.field not in paths:
        return change
    return Change(
        change.path,
        change.field,
        MASK if change.before is not None else None,
        MASK if change.after is not None else None,
    )


def submission_versions(
    session: Session, user: User | None, form: Form, instance_id: str
) -> list[VersionEntry]:
    """Every version, newest first (as ODK Central lists them), each with its changed answers
    (sensitive ones masked without submission.read_sensitive; shown unmasked, they are audited and
    the caller commits)."""
    submission = visible_submission(session, user, form, instance_id)
    rows = session.execute(
        select(SubmissionVersion, FormVersion.version, FormVersion.field_schema, User.display_name)
        .join(FormVersion, FormVersion.id == SubmissionVersion.form_version_id)
        .outerjoin(User, User.id == SubmissionVersion.submitter_id)
        .where(SubmissionVersion.submission_id == submission.id)
        .order_by(SubmissionVersion.id)
    ).all()
    ids = [r[0].id for r in rows]
    records: dict[int, dict[str, Any]] = dict(
        session.execute(
            select(Record.submission_version_id, Record.values).where(Record.submission_version_id.in_(ids))
        ).all()
    )
    repeats: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for vid, key, values in session.execute(
        select(RepeatRow.submission_version_id, RepeatRow.key, RepeatRow.values)
        .where(RepeatRow.submission_version_id.in_(ids))
        .order_by(RepeatRow.submission_version_id, RepeatRow.ordinal)
    ):
        repeats.setdefault(vid, []).append((key, values))
    reasons = _edit_reasons(session, submission_target(submission.id))
    reveal = permissions.can(session, user, "submission.read_sensitive", form.project_id)
    shown_sensitive: set[str] = set()
    entries: list[VersionEntry] = []
    previous: Answers | None = None
    for version, fv, schema, name in rows:
        processed = version.id in records
        answers = (
            flat_answers(version.instance_id, records.get(version.id), repeats.get(version.id, []))
            if processed
            else None
        )
        changes: list[Change] = []
        if previous is not None and answers is not None:
            identity = _identity_paths(schema or {})
            changes = [c for c in changed_answers(previous, answers) if c.field not in identity]
            paths = sensitive_paths(schema or {})
            if not reveal:
                changes = [_mask_change(c, paths) for c in changes]
            else:
                shown_sensitive |= {c.field for c in changes if c.field in paths}
        entries.append(VersionEntry(version, fv, name, processed, changes, reasons.get(version.id)))
        if answers is not None:
            previous = answers
    entries.reverse()
    if shown_sensitive:
        # Changed sensitive answers shown unmasked are a sensitive read like any other (PDPA trail).
        audit(
            session,
            user,
            "submission.read_sensitive",
            submission,
            {"fields": sorted(shown_sensitive), "via": "versions"},
        )
        session.flush()
    return entries


def _edit_reasons(session: Session, target: str) -> dict[int, str | None]:
    """{version id: reason} of the browser edits of one submission."""
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.target == target, AuditEvent.action == EDIT_ACTION)
    )
    return {
        int(event.details["versionId"]): event.notes
        for event in events
        if isinstance(event.details, dict) and isinstance(event.details.get("versionId"), int)
    }


def submission_audits(session: Session, user: User | None, form: Form, instance_id: str) -> list[AuditEvent]:
    """The submission's audit events, newest first (ODK Central's …/submissions/ID/audits)."""
    submission = visible_submission(session, user, form, instance_id)
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.target == submission_target(submission.id))
            .order_by(AuditEvent.logged_at.desc(), AuditEvent.id.desc())
        )
    )
