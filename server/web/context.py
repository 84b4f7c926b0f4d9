"""Per-request access to the services and a database session that closes at the end of the request."""

from __future__ import annotations

import logging

from flask import current_app, g
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from server.core.ground.services import Services

log = logging.getLogger(__name__)


def services() -> Services:
    svc: Services = current_app.extensions["chumchon"]
    return svc


def db() -> Session:
    """The request's session; views commit explicitly, anything uncommitted is rolled back at teardown."""
    if "db_session" not in g:
        g.db_session = services().db.sessions()
    session: Session = g.db_session
    return session


def close_db(_exc: BaseException | None = None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        try:
            session.rollback()
            session.close()
        except SQLAlchemyError as exc:
            # The connection died under us (a database restart): drop it, the pool makes a new one.
            log.warning("discarding a broken database session: %s", exc)
            session.invalidate()
