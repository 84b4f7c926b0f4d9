"""The cache epoch: one counter, raised in the same transaction as any change to what web processes cache."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from server.core.models.base import Base

CACHE_EPOCH_ID = 1


class CacheEpoch(Base):
    """A single row; a process whose cached lookups were read under another value drops them."""

    __tablename__ = "cache_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
