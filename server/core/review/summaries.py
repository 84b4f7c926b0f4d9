"""Counts that ODK Central's X-Extended-Metadata answers carry: per form (submissions, review states,
last submission) and per project (forms, collectors, last submission), within the reader's area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.models import Form, RoleGrant, Submission, User
from server.core.review.listing import SubmissionFilter, visible_conditions
from server.core.review.states import review_counts


@dataclass(frozen=True)
class FormSummary:
    submissions: int
    review_states: dict[str, int]  # received, hasIssues, edited, approved, rejected
    last_submission: datetime | None


@dataclass(frozen=True)
class ProjectSummary:
    forms: int
    app_users: int
    last_submission: datetime | None


def form_summary(session: Session, user: User | None, form: Form) -> FormSummary:
    """What the user may count of a form's submissions; all zero without submission.read."""
    if not permissions.can(session, user, "submission.read", form.project_id):
        return FormSummary(0, {}, None)
    counts = review_counts(session, user, form)
    last = session.scalar(
        select(func.max(Submission.created_at)).where(*visible_conditions(session, user, form, SubmissionFilter()))
    )
    return FormSummary(sum(counts.values()), counts, last)


def project_summary(session: Session, user: User | None, project_id: int, forms: list[Form]) -> ProjectSummary:
    """Forms (published or drafts), collectors granted the project, and its latest submission."""
    collectors = session.scalar(
        select(func.count(func.distinct(RoleGrant.user_id)))
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.project_id == project_id, RoleGrant.role == "collector", User.active.is_(True))
    )
    last: datetime | None = None
    if forms and permissions.can(session, user, "submission.read", project_id):
        scope = permissions.submission_scope(session, user, project_id, "submission.read")
        last = session.scalar(
            select(func.max(Submission.created_at)).where(
                Submission.form_id.in_([f.id for f in forms]), Submission.deleted_at.is_(None), scope
            )
        )
    return ProjectSummary(len(forms), int(collectors or 0), last)
