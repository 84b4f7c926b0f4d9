"""Counts for the home page: per form, submissions today / in the last 7 days / in total and the last
submission time, for many projects in one grouped query (no query per form)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from server.core.models import Form, FormVersion, Project, Submission, utcnow

# "Today" means the day in Thailand (UTC+7, no daylight saving), where the users are.
THAI_TIME = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class FormOverview:
    form_id: int
    xml_form_id: str
    title: str
    version: str
    state: str
    today: int
    week: int
    total: int
    last_at: datetime | None


@dataclass(frozen=True)
class ProjectOverview:
    project_id: int
    name: str
    forms: list[FormOverview]


def _scoped(project_ids: list[int], scopes: Mapping[int, ColumnElement[bool]] | None) -> ColumnElement[bool]:
    if not scopes:
        return true()
    return or_(*[and_(Form.project_id == pid, scopes.get(pid, true())) for pid in project_ids])


def day_starts(now: datetime) -> tuple[datetime, datetime]:
    """(start of today, start of the 7-day window that ends today), as UTC datetimes."""
    local = now.astimezone(THAI_TIME)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return today.astimezone(now.tzinfo), (today - timedelta(days=6)).astimezone(now.tzinfo)


def projects_overview(
    session: Session,
    project_ids: list[int],
    now: datetime | None = None,
    *,
    scopes: Mapping[int, ColumnElement[bool]] | None = None,
) -> list[ProjectOverview]:
    """Forms and counts of the projects. `scopes` limits the counted submissions per project (e.g. a
    supervisor's area, from permissions.area_condition); a project missing from it is counted whole."""
    if not project_ids:
        return []
    now = now or utcnow()
    today, week = day_starts(now)
    projects = session.execute(
        select(Project.id, Project.name).where(Project.id.in_(project_ids)).order_by(Project.id)
    ).all()
    forms = session.execute(
        select(Form.id, Form.project_id, Form.xml_form_id, Form.state, FormVersion.title, FormVersion.version)
        .join(FormVersion, FormVersion.id == Form.current_version_id)
        .where(Form.project_id.in_(project_ids))
        .order_by(Form.project_id, FormVersion.title, Form.xml_form_id)
    ).all()
    counts = {
        row.form_id: row
        for row in session.execute(
            select(
                Submission.form_id,
                func.count().label("total"),
                func.sum(case((Submission.created_at >= today, 1), else_=0)).label("today"),
                func.sum(case((Submission.created_at >= week, 1), else_=0)).label("week"),
                func.max(Submission.created_at).label("last_at"),
            )
            .join(Form, Form.id == Submission.form_id)
            .where(Form.project_id.in_(project_ids), Submission.deleted_at.is_(None), _scoped(project_ids, scopes))
            .group_by(Submission.form_id)
        )
    }
    by_project: dict[int, list[FormOverview]] = {pid: [] for pid, _ in projects}
    for form in forms:
        c = counts.get(form.id)
        last_at = c.last_at if c is not None else None
        if isinstance(last_at, datetime) and last_at.tzinfo is None:
            last_at = last_at.replace(tzinfo=UTC)  # aggregates bypass the column type on SQLite
        elif isinstance(last_at, str):
            last_at = datetime.fromisoformat(last_at).replace(tzinfo=UTC)
        by_project[form.project_id].append(
            FormOverview(
                form_id=form.id,
                xml_form_id=form.xml_form_id,
                title=form.title,
                version=form.version,
                state=form.state,
                today=int(c.today or 0) if c else 0,
                week=int(c.week or 0) if c else 0,
                total=int(c.total) if c else 0,
                last_at=last_at,
            )
        )
    return [ProjectOverview(project_id=pid, name=name, forms=by_project[pid]) for pid, name in projects]
