"""Small helpers shared by tests: credentials for the API and for OpenRosa requests."""

from __future__ import annotations

import base64
from pathlib import Path

from server.core.accounts import users
from server.core.ground.services import Services
from server.core.models import User

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PASSWORD = "correct-horse-battery"


def bearer_for(services: Services, user: User) -> dict[str, str]:
    with services.db.session() as session:
        token = users.start_api_session(session, session.get(User, user.id))  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


def basic_header(username: str, password: str = PASSWORD) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}
