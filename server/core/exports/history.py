"""The earlier exports of a form, as the export page lists them (newest first, with who made them)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.exports.jobs import get_export
from server.core.ground.errors import Forbidden, NotFound
from server.core.models import Export, Form, User

LISTED = 50


@dataclass(frozen=True)
class ExportEntry:
    export: Export
    creator_name: str | None


def earlier_exports(session: Session, user: User, form: Form, limit: int = LISTED) -> list[ExportEntry]:
    """Exports of the form the user may see: all of them with unlimited export.read in the project; only
    his own for an area-limited user (another person's export may hold other areas' rows)."""
    permissions.require(session, user, "export.read", form.project_id)
    query = (
        select(Export, User.display_name)
        .outerjoin(User, User.id == Export.created_by_id)
        .where(Export.form_id == form.id)
        .order_by(Export.id.desc())
        .limit(limit)
    )
    if not permissions.area_for(session, user, "export.read", form.project_id).unlimited:
        query = query.where(Export.created_by_id == user.id)
    return [ExportEntry(export, name) for export, name in session.execute(query)]


def readable_export(session: Session, user: User, export_id: int) -> tuple[Export, Form]:
    """An export the user may watch or download (same rule as the list). Someone who could not read it
    gets Forbidden whether it exists or not, so export ids cannot be probed."""
    try:
        export, form = get_export(session, export_id)
    except NotFound:
        permissions.require(session, user, "export.read", None)
        raise
    permissions.require(session, user, "export.read", form.project_id)
    if not permissions.area_for(session, user, "export.read", form.project_id).unlimited and (
        export.created_by_id != user.id
    ):
        raise Forbidden("งานส่งออกนี้เป็นของผู้อื่น / This export belongs to someone else.", export_id=export_id)
    return export, form
