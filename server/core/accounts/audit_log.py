"""Reading the audit trail: filter by user, action and date, page newest first by id (keyset), and
write it as CSV cells that a spreadsheet will not run as formulas."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from exports.cells import safe_text
from server.core.ground.errors import BadRequest
from server.core.models import AuditEvent, User

PAGE_SIZE = 100
THAI_TIME = timezone(timedelta(hours=7))
CSV_HEADER = ("logged_at_utc", "username", "action", "target", "address", "details")


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    action: str | None = None  # exact action, or a prefix ending in "." (e.g. "auth.")
    day_from: date | None = None  # Thai calendar days, inclusive
    day_to: date | None = None


def parse_day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest(f"วันที่ไม่ถูกต้อง / Not a date (YYYY-MM-DD): {text!r}.") from exc


def _query(flt: AuditFilter) -> Select[AuditEvent, str]:
    query = select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.actor_id)
    if flt.user_id is not None:
        query = query.where(AuditEvent.actor_id == flt.user_id)
    if flt.action:
        if flt.action.endswith("."):
            query = query.where(AuditEvent.action.startswith(flt.action, autoescape=True))
        else:
            query = query.where(AuditEvent.action == flt.action)
    if flt.day_from is not None:
        start = datetime.combine(flt.day_from, datetime.min.time(), THAI_TIME)
        query = query.where(AuditEvent.logged_at >= start)
    if flt.day_to is not None:
        end = datetime.combine(flt.day_to + timedelta(days=1), datetime.min.time(), THAI_TIME)
        query = query.where(AuditEvent.logged_at < end)
    return query


def page(session: Session, flt: AuditFilter, before_id: int | None = None) -> list[tuple[AuditEvent, str | None]]:
    """One page, newest first; pass the last id shown as before_id for the next page."""
    query = _query(flt)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    result = session.execute(query.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE))
    return [(row[0], row[1]) for row in result]


def actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def address_of(event: AuditEvent) -> str:
    value = (event.details or {}).get("address")
    return str(value) if value else ""


def csv_chunks(session: Session, flt: AuditFilter, batch: int = 1000) -> Iterator[bytes]:
    """The filtered log as UTF-8 CSV with a BOM (Excel shows Thai), streamed in batches."""
    yield "\ufeff".encode()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    last_id: int | None = None
    while True:
        query = _query(flt)
        if last_id is not None:
            query = query.where(AuditEvent.id < last_id)
        rows = session.execute(query.order_by(AuditEvent.id.desc()).limit(batch)).all()
        for row in rows:
            event, username = row[0], row[1]
            details = {k: v for k, v in (event.details or {}).items() if k != "address"}
            writer.writerow(
                [
                    event.logged_at.isoformat(timespec="seconds"),
                    safe_text(username or ""),
                    safe_text(event.action),
                    safe_text(event.target or ""),
                    safe_text(address_of(event)),
                    safe_text(json.dumps(details, ensure_ascii=False, sort_keys=True) if details else ""),
                ]
            )
        yield out.getvalue().encode("utf-8")
        out.seek(0)
        out.truncate()
        if len(rows) < batch:
            return
        last_id = rows[-1][0].id
