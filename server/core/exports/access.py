"""Who sees what of exports: the exports a user may watch, download or list (an area-limited user only
his own), and the view an export's creator has of the data (his area, masked sensitive answers)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.exports import rows
from server.core.forms import masking
from server.core.ground.errors import NotFound
from server.core.models import Export, Form, User


def get_export(session: Session, export_id: int) -> tuple[Export, Form]:
    export = session.get(Export, export_id)
    form = session.get(Form, export.form_id) if export is not None else None
    if export is None or form is None:
        raise NotFound(f"ไม่พบงานส่งออก {export_id} / Export {export_id} not found.")
    return export, form


@dataclass(frozen=True)
class CreatorView:
    """What the export's creator may see: his area (a SQL condition, None when unlimited) and
    whether sensitive answers must be masked for him. `key` is its stable part for the cache key, so a
    file built for one view is never handed to a request with another."""

    scope: rows.Scope
    masked: bool
    key: list[Any]


def creator_view(session: Session, creator_id: int | None, form: Form) -> CreatorView:
    """Read when the export is requested (cache key) and again when it is built (so a narrowed grant
    applies to exports still queued). Operator exports from the CLI (no creator) see everything."""
    if creator_id is None:
        return CreatorView(None, False, [None, False])
    creator = session.get(User, creator_id)
    area = permissions.area_for(session, creator, "export.create", form.project_id)
    masked = not permissions.can(session, creator, "submission.read_sensitive", form.project_id)
    codes = None if area.codes is None else sorted(area.codes)
    return CreatorView(None if area.unlimited else permissions.area_condition(area), masked, [codes, masked])


def masked(source: Iterable[Any], paths: frozenset[str]) -> Iterator[Any]:
    """Rows with every answered sensitive value replaced by the on-screen mask (role-based masking:
    nothing of the value is left, unlike the `sensitive: mask` option which keeps an ID's last digits)."""
    for row in source:
        yield {**row, "values": masking.mask_values(row["values"], paths)} if paths else row


def readable_export(session: Session, user: User | None, export_id: int) -> tuple[Export, Form]:
    """An export the user may see: export.read in its project, and for an area-limited user only
    the exports he made himself (another's export may hold other areas' rows). Someone who could not
    read it gets Forbidden whether it exists or not, so export ids cannot be probed; only users who may
    read every project's exports learn that an id does not exist."""
    try:
        export, form = get_export(session, export_id)
    except NotFound:
        permissions.require(session, user, "export.read", None)
        raise
    permissions.require(session, user, "export.read", form.project_id)
    area = permissions.area_for(session, user, "export.read", form.project_id)
    if not area.unlimited and (user is None or export.created_by_id != user.id):
        raise NotFound(f"ไม่พบงานส่งออก {export_id} / Export {export_id} not found.")
    return export, form


def list_exports(session: Session, user: User | None, form: Form, limit: int | None = None) -> list[Export]:
    """The form's exports the user may see (same rule as readable_export), newest first."""
    permissions.require(session, user, "export.read", form.project_id)
    query = select(Export).where(Export.form_id == form.id)
    if not permissions.area_for(session, user, "export.read", form.project_id).unlimited:
        query = query.where(Export.created_by_id == (user.id if user is not None else -1))
    query = query.order_by(Export.created_at.desc(), Export.id.desc())
    return list(session.scalars(query if limit is None else query.limit(limit)))


def creator_names(session: Session, exports: Iterable[Export]) -> dict[int, str]:
    """Display names of the people who made these exports (for the export page's list)."""
    ids = {e.created_by_id for e in exports if e.created_by_id is not None}
    if not ids:
        return {}
    return {uid: name for uid, name in session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))}
