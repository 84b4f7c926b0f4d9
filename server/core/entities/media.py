"""Entity lists served to Collect as form media: `LIST.csv` with `name,label,__version` and the list's
properties, streamed in keyset pages (constant memory at any size), hashed by the list's version."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

import orjson
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from server.core.entities.lists import find_list, property_names
from server.core.models import Entity, EntityList

PAGE = 2000


def list_behind(session: Session, project_id: int, file_name: str) -> EntityList | None:
    """The project's entity list a form media name stands for (`beneficiaries.csv` → beneficiaries)."""
    if not file_name.endswith(".csv") or len(file_name) <= 4:
        return None
    return find_list(session, project_id, file_name[:-4])


def stream_list_csv(sessions: Callable[[], Session], entity_list_id: int, *, page: int = PAGE) -> Iterator[bytes]:
    """UTF-8 CSV of the list's live entities, oldest first; opens its own session, so it can outlive
    the request that started it."""
    with sessions() as session:
        entity_list = session.get(EntityList, entity_list_id)
        if entity_list is None:
            return
        props = property_names(session, entity_list)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["name", "label", "__version", *props])
        last = 0
        while True:
            # The data read as text and decoded with orjson (as the exports do): the driver's
            # json.loads was most of the time at 100,000 entities.
            rows = session.execute(
                select(Entity.id, Entity.uuid, Entity.label, Entity.version, cast(Entity.data, Text))
                .where(
                    Entity.entity_list_id == entity_list_id,
                    Entity.deleted_at.is_(None),
                    Entity.id > last,
                )
                .order_by(Entity.id)
                .limit(page)
            ).all()
            for _id, uuid, label, version, raw in rows:
                data = orjson.loads(raw) if raw else {}
                writer.writerow([uuid, label, version, *(data.get(p, "") for p in props)])
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            if len(rows) < page:
                return
            last = rows[-1][0]
