"""Small helpers shared by tests: credentials for the API and for OpenRosa requests."""

from __future__ import annotations

import base64

from server.core import accounts
from server.core.models import User
from server.core.services import Services

PASSWORD = "correct-horse-battery"


def bearer_for(services: Services, user: User) -> dict[str, str]:
    with services.db.session() as session:
        token = accounts.start_api_session(session, session.get(User, user.id))  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


def basic_header(username: str, password: str = PASSWORD) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}
