"""How the audit log names what happens to a submission (shared by intake and review)."""

from __future__ import annotations

EDIT_ACTION = "submission.update.version"  # Central's action for a new version of a submission


def submission_target(submission_id: int) -> str:
    """AuditEvent.target of everything that happens to one submission."""
    return f"submission:{submission_id}"
