"""An office's existing list (saved from Excel as CSV) made into an entity list: a `label` column, an
optional `name` (or `__id`) column of UUIDs, every other column a property. All rows or none."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from server.core.entities import lists, records
from server.core.ground.errors import BadRequest
from server.core.models.entities import SOURCE_UPLOAD

MAX_ROWS = 100_000
_ID_COLUMNS = ("name", "__id")


def _text(data: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else Thai Windows' code page (Excel's "CSV" on Thai Windows)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp874")
        except UnicodeDecodeError as exc:
            raise BadRequest(
                "ไฟล์ต้องเป็น CSV แบบ UTF-8 / The file must be a UTF-8 (or Thai Windows) CSV."
            ) from exc


def import_csv(
    session: Session,
    project_id: int,
    name: str,
    data: bytes,
    *,
    user_id: int | None,
    source_name: str | None = None,
) -> int:
    """Create the list if it does not exist, add missing property columns, create one entity per row.
    Returns how many entities were created; the caller commits."""
    if b"\x00" in data:
        raise BadRequest("ไฟล์ CSV มีอักขระ NUL / The CSV holds NUL characters.")
    rows = list(csv.reader(io.StringIO(_text(data))))
    if not rows or "label" not in [c.strip() for c in rows[0]]:
        raise BadRequest("แถวแรกต้องมีคอลัมน์ label / The first row must name a 'label' column.")
    if len(rows) - 1 > MAX_ROWS:
        raise BadRequest(f"ได้ไม่เกิน {MAX_ROWS:,} แถว / At most {MAX_ROWS:,} rows per upload.")
    header = [c.strip() for c in rows[0]]
    if len(set(header)) != len(header):
        raise BadRequest("ชื่อคอลัมน์ซ้ำกัน / Two columns have the same name.")
    props = [c for c in header if c != "label" and c not in _ID_COLUMNS]
    for prop in props:
        lists.check_property_name(prop)
    entity_list = lists.find_list(session, project_id, name) or lists.create_list(
        session, project_id, name, user_id=user_id
    )
    existing = set(lists.property_names(session, entity_list))
    for prop in props:
        if prop not in existing:
            lists.add_property(session, entity_list, prop)
    bodies = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise BadRequest(f"แถว {number} มีช่องเกินหัวตาราง / Row {number} has more cells than the header.")
        cells = dict(zip(header, [*row, *[""] * (len(header) - len(row))], strict=True))
        body: dict[str, object] = {"label": cells["label"], "data": {p: cells[p] for p in props}}
        ident = next((cells[c] for c in _ID_COLUMNS if cells.get(c)), None)
        if ident:
            body["uuid"] = ident
        if not cells["label"].strip():
            raise BadRequest(f"แถว {number} ไม่มี label / Row {number} has no label.", row=number)
        bodies.append(body)
    try:
        made = records.create_entities(
            session, entity_list, bodies, user_id=user_id, source=SOURCE_UPLOAD, source_name=source_name
        )
    except BadRequest as problem:
        raise BadRequest(f"{problem.message} (CSV)", **problem.details) from problem
    return len(made)
