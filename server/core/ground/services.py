"""The process-wide services (settings, database, blob store, task sender), built once and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.core.ground.broker import CeleryTaskSender, TaskSender
from server.core.ground.cache import LookupCache
from server.core.ground.db import Database
from server.core.ground.settings import Settings
from server.core.ground.storage import BlobStore, open_blob_store


@dataclass
class Services:
    settings: Settings
    db: Database
    blobs: BlobStore
    tasks: TaskSender
    cache: LookupCache = field(default_factory=LookupCache)

    def close(self) -> None:
        self.db.dispose()


def build_services(settings: Settings, tasks: TaskSender | None = None) -> Services:
    return Services(
        settings=settings,
        db=Database(settings),
        blobs=open_blob_store(settings),
        tasks=tasks if tasks is not None else CeleryTaskSender(settings),
    )
