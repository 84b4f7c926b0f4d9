"""Intake's round trips: the SQL statements one accepted submission costs, as an upper bound (not a timing)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask.testing import FlaskClient
from sqlalchemy import event

from server.core.ground.services import Services
from tests.web.openrosa.test_auth import digest_authorization
from tests.web.openrosa.test_submission import form, multipart, post, submission_xml, url

__all__ = ["form", "url"]  # fixtures

# A new submission without attachments, its collector, form and version cached: the cache-epoch check,
# the submission and version inserts and the current-version update (then the commit). Before the
# lookup cache and the XML-in-the-row change this was 11 (token URL) and 12 (Digest) plus three fsyncs.
# On PostgreSQL the three rows and the epoch check are one statement (server.core.submissions.new_rows).
MAX_STATEMENTS = {"sqlite": 4, "postgresql": 1}
# Digest also records the nonce count it used (one upsert), so a captured request cannot be replayed.
DIGEST_EXTRA = 1


@contextmanager
def counted(services: Services) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        statements.append(statement.split()[0].upper() + " " + statement[:70].replace("\n", " "))

    event.listen(services.db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(services.db.engine, "before_cursor_execute", count)


def test_a_token_submission_costs_few_statements(client: FlaskClient, services: Services, form, url) -> None:
    assert post(client, url, submission_xml("uuid:warm-up", photo=None)).status_code == 201
    with counted(services) as statements:
        resp = post(client, url, submission_xml("uuid:counted", photo=None))
    assert resp.status_code == 201
    print(f"\n{len(statements)} statements per token submission:\n  " + "\n  ".join(statements))
    assert len(statements) <= MAX_STATEMENTS[services.db.engine.dialect.name]


def test_a_digest_submission_costs_few_statements(client: FlaskClient, services: Services, form, admin) -> None:
    uri = "/submission"
    challenge = client.head(uri).headers["WWW-Authenticate"]

    def send(instance_id: str, nc: int):
        auth = digest_authorization(challenge, "POST", uri, "admin", "correct-horse-battery", nc=nc)
        body = submission_xml(instance_id, photo=None)
        data, ctype = multipart(body)
        return client.post(uri, data=data, content_type=ctype, headers={"Authorization": auth})

    assert send("uuid:warm-up", 1).status_code == 201
    with counted(services) as statements:
        resp = send("uuid:counted", 2)
    assert resp.status_code == 201, resp.data
    print(f"\n{len(statements)} statements per Digest submission:\n  " + "\n  ".join(statements))
    assert len(statements) <= MAX_STATEMENTS[services.db.engine.dialect.name] + DIGEST_EXTRA
    assert any("digest_nonce" in s for s in statements)
