"""Public links (ODK Central's public access links): a secret URL that lets anyone fill one form in
the browser, and the submission attempts counted per link and address for its rate limit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.core.models.accounts import User
from server.core.models.base import Base, UTCDateTime, utcnow
from server.core.models.forms import Form


class PublicLink(Base):
    """A link to one form. Its submissions are made by its own actor (an account with no password and
    no Collect token, assigned to the form only); revoking the link deactivates that actor."""

    __tablename__ = "public_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # the secret part of the URL
    display_name: Mapped[str] = mapped_column(String(255))
    once: Mapped[bool] = mapped_column(Boolean, default=False)  # one submission per browser
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    form: Mapped[Form] = relationship()
    actor: Mapped[User] = relationship(foreign_keys=[actor_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class PublicLinkHit(Base):
    """One submission attempt through a public link (in the database, so that every web process counts
    the same attempts); rows older than the rate-limit window are deleted as new ones come."""

    __tablename__ = "public_link_hit"
    __table_args__ = (
        Index("ix_public_link_hit_link_id_at", "link_id", "at"),
        Index("ix_public_link_hit_link_id_address_at", "link_id", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("public_link.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
