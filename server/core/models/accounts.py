"""Web users and field collectors, and the roles they hold per project."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.core.models.base import Base, UTCDateTime, utcnow

ROLES = ("admin", "manager", "supervisor", "viewer", "collector")


class User(Base):
    """An account. Web users log in with a password; collectors use a token URL (QR code)."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # argon2
    # MD5(username:realm:password): a password-equivalent for the Digest realm only, kept apart
    # from the argon2 hash and only for accounts that need Digest (see DESIGN.md).
    digest_ha1: Mapped[str | None] = mapped_column(String(32))
    # Secret path token for ODK Collect (/key/<token>/...); like ODK Central's app-user tokens.
    collect_token: Mapped[str | None] = mapped_column(String(96), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    grants: Mapped[list[RoleGrant]] = relationship(back_populates="user", cascade="all, delete-orphan")


class RoleGrant(Base):
    """A role for a user, site-wide (project_id NULL) or in one project, optionally in one area."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "role", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    # Optional area limit (supervisor, viewer): a DOPA province (2 digits), district (4) or
    # subdistrict (6) code; the grant then covers only submissions whose place lies inside it.
    area_code: Mapped[str | None] = mapped_column(String(6))

    user: Mapped[User] = relationship(back_populates="grants")


class ApiSession(Base):
    """A bearer token for the JSON API (POST /v1/sessions), stored as its SHA-256."""

    __tablename__ = "api_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DigestNonce(Base):
    """The highest Digest nonce count seen for a nonce we issued, so a captured request cannot be
    replayed: Collect reuses a nonce with an increasing nc; the same or a lower nc is refused."""

    __tablename__ = "digest_nonce"

    nonce: Mapped[str] = mapped_column(String(80), primary_key=True)
    last_nc: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class WebSession(Base):
    """A browser sign-in (the web application), stored as the cookie token's SHA-256; it ends after
    inactivity (CHUMCHON_SESSION_IDLE_SECONDS), on sign-out, or when the password changes."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginFailure(Base):
    """One failed web sign-in, counted per username and per address for the lock-out (in the database so
    that every web process sees the same count)."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_username_failed_at", "username", "failed_at"),
        Index("ix_login_failure_address_failed_at", "address", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150))
    address: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FieldKey(Base):
    """An app user (ODK Central's field key) made through the API: a token account bound to one
    project, with no rights until forms are assigned to it. Collectors made in the web application or
    the CLI have a project grant instead and count as app users of that project too."""

    __tablename__ = "field_key"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class FormAssignment(Base):
    """A form assigned to an app user (Central's "app-user" role on a form). A collector with form
    assignments in a project sees and fills only those forms there."""

    __tablename__ = "form_assignment"
    __table_args__ = (UniqueConstraint("user_id", "form_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
