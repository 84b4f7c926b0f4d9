"""GET /v1/audits as ODK Central: administrators only, newest first, Central's action names and
categories, start (inclusive) / end (exclusive), limit / offset, extended actor."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from server.core.models import AuditEvent
from tests.helpers import bearer_for

AUDIT_KEYS = {"actorId", "action", "acteeId", "details", "loggedAt", "notes"}


def _events(services, admin) -> None:
    old = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    with services.db.session() as session:
        session.add(AuditEvent(actor_id=admin.id, action="auth.login", target="user:admin", logged_at=old))
        session.add(AuditEvent(actor_id=admin.id, action="form.publish", target="form:1/household_survey",
                               logged_at=old + timedelta(days=1)))
        session.add(AuditEvent(actor_id=admin.id, action="submission.update", target="submission:1",
                               details={"reviewState": "approved"}, logged_at=old + timedelta(days=2)))


def test_audits_have_centrals_names_and_filters(client, admin_headers, admin, services) -> None:
    _events(services, admin)
    rows = client.get("/v1/audits", headers=admin_headers).get_json()
    assert [r["action"] for r in rows] == ["submission.update", "form.update.publish", "user.session.create"]
    assert AUDIT_KEYS <= set(rows[0]) and rows[0]["chumchonAction"] == "submission.update"
    assert str(uuid.UUID(rows[1]["acteeId"])) == rows[1]["acteeId"]
    assert rows[0]["loggedAt"] == "2026-01-03T03:00:00.000Z"

    def actions(query: str) -> list[str]:
        resp = client.get(f"/v1/audits?{query}", headers=admin_headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return [r["action"] for r in resp.get_json()]

    assert actions("action=user.session.create") == ["user.session.create"]
    assert actions("action=form.publish") == ["form.update.publish"]  # Chumchon's own name works too
    assert actions("action=form") == ["form.update.publish"]
    assert actions("action=nonverbose") == ["form.update.publish", "user.session.create"]
    assert actions("start=2026-01-02z") == ["submission.update", "form.update.publish"]
    assert actions("end=2026-01-02T03:00:00Z") == ["user.session.create"]
    assert actions("start=2026-01-02T10:00:00%2B07:00&end=2026-01-03") == ["form.update.publish"]
    assert actions("limit=1&offset=1") == ["form.update.publish"]
    wide = client.get("/v1/audits?limit=1", headers={**admin_headers, "X-Extended-Metadata": "true"}).get_json()
    assert wide[0]["actor"]["id"] == admin.id and wide[0]["actor"]["type"] == "user"


def test_audits_are_for_administrators_and_refuse_bad_input(client, admin_headers, services, make_user) -> None:
    manager = bearer_for(services, make_user("boss", "manager"))
    assert client.get("/v1/audits", headers=manager).status_code == 403
    assert client.get("/v1/audits").status_code == 401
    for query in ("start=yesterday", "end=2026-13-01", "limit=0", "limit=x", "offset=-1"):
        resp = client.get(f"/v1/audits?{query}", headers=admin_headers)
        assert resp.status_code == 400 and resp.get_json()["message"], query
