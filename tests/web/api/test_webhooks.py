"""Webhooks end to end with a real HTTP receiver on 127.0.0.1: events written with the change (received,
processed, review state), the HMAC-SHA256 signature, the retry after a 500, the delivery log, the test
button, the sweeper's wake-up, and refused URLs."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from server.core.ground.broker import DELIVER_WEBHOOKS
from server.core.models import utcnow
from server.core.webhooks.delivery import deliver_due
from tests.core.submissions.test_intake import add_form, submission_xml
from tests.web.openrosa.test_submission import post
from workers.tasks import process_pending_job, sweep_job


class Receiver:
    """Answers with the next queued status (200 when none is left) and keeps what it was sent."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append((dict(self.headers.items()), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def form(services, project):
    with services.db.session() as session:
        return add_form(session, project.id)


def _hook(client, headers, url: str, **extra) -> dict:
    resp = client.post("/v1/projects/1/webhooks", json={"url": url, **extra}, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def test_submission_events_are_signed_retried_and_logged(client, admin_headers, collector, form, services,
                                                         receiver) -> None:
    hook = _hook(client, admin_headers, receiver.url)
    assert hook["events"] == ["submission.received", "submission.processed", "submission.reviewed"]
    assert "secret" in hook and "secret" not in client.get("/v1/projects/1/webhooks", headers=admin_headers).get_json()[0]
    url = f"/key/{collector.collect_token}/projects/1/submission"
    assert post(client, url, submission_xml()).status_code == 201
    receiver.statuses = [500]
    assert deliver_due(services.db.sessions) == {"delivered": 0, "retrying": 1, "failed": 0}
    # Not due again until its backoff has passed; then it goes through.
    assert deliver_due(services.db.sessions) == {"delivered": 0, "retrying": 0, "failed": 0}
    later = utcnow() + timedelta(hours=1)
    assert deliver_due(services.db.sessions, now=later) == {"delivered": 1, "retrying": 0, "failed": 0}
    (h1, b1), (h2, b2) = receiver.requests
    assert b1 == b2 and h1["X-Chumchon-Delivery"] == h2["X-Chumchon-Delivery"]
    expected = "sha256=" + hmac.new(hook["secret"].encode(), b2, hashlib.sha256).hexdigest()
    assert h2["X-Chumchon-Signature"] == expected and h2["X-Chumchon-Event"] == "submission.received"
    sent = json.loads(b2)
    assert sent["event"] == "submission.received" and sent["data"]["instanceId"] == "uuid:aaa"
    assert sent["data"]["xmlFormId"] == "household_survey" and sent["data"]["submitterId"] == collector.id

    log = client.get(f"/v1/projects/1/webhooks/{hook['id']}/deliveries", headers=admin_headers).get_json()
    assert [(d["event"], d["state"], d["attempts"]) for d in log] == [("submission.received", "delivered", 2)]
    assert [a["statusCode"] for a in log[0]["log"]] == [500, 200]

    assert process_pending_job(services)["processed"] == 1
    review = client.patch("/v1/projects/1/forms/household_survey/submissions/uuid:aaa",
                          json={"reviewState": "approved"}, headers=admin_headers)
    assert review.status_code == 200
    assert deliver_due(services.db.sessions)["delivered"] == 2
    events = [json.loads(b)["event"] for _h, b in receiver.requests[2:]]
    assert events == ["submission.processed", "submission.reviewed"]
    assert json.loads(receiver.requests[-1][1])["data"]["reviewState"] == "approved"


def test_only_chosen_events_and_the_test_button(client, admin_headers, collector, form, services, receiver) -> None:
    hook = _hook(client, admin_headers, receiver.url, events=["submission.reviewed"], secret="s" * 20)
    assert post(client, f"/key/{collector.collect_token}/projects/1/submission", submission_xml()).status_code == 201
    assert deliver_due(services.db.sessions)["delivered"] == 0  # not subscribed to "received"
    test = client.post(f"/v1/projects/1/webhooks/{hook['id']}/test", headers=admin_headers)
    assert test.status_code == 200 and test.get_json()["event"] == "webhook.test"
    assert (DELIVER_WEBHOOKS, ()) in services.tasks.sent  # a worker is woken at once
    sent: list[tuple[str, tuple]] = []
    assert sweep_job(services, lambda *a: sent.append(a), grace_seconds=3600)["webhooks"] == 1
    assert (DELIVER_WEBHOOKS,) in sent  # and the sweeper would send it too, broker or not
    assert deliver_due(services.db.sessions)["delivered"] == 1
    headers, body = receiver.requests[0]
    assert headers["X-Chumchon-Signature"] == "sha256=" + hmac.new(b"s" * 20, body, hashlib.sha256).hexdigest()
    assert client.delete(f"/v1/projects/1/webhooks/{hook['id']}", headers=admin_headers).status_code == 200
    assert client.get("/v1/projects/1/webhooks", headers=admin_headers).get_json() == []


def test_a_receiver_that_is_down_is_logged_and_retried(client, admin_headers, services) -> None:
    hook = _hook(client, admin_headers, "http://127.0.0.1:9/nothing-listens-here")
    client.post(f"/v1/projects/1/webhooks/{hook['id']}/test", headers=admin_headers)
    assert deliver_due(services.db.sessions)["retrying"] == 1
    log = client.get(f"/v1/projects/1/webhooks/{hook['id']}/deliveries", headers=admin_headers).get_json()
    assert log[0]["state"] == "pending" and log[0]["lastStatus"] is None and log[0]["lastError"]


BAD_BODIES = [
    {"url": "ftp://example.org/x"},
    {"url": "javascript:alert(1)"},
    {"url": "file:///etc/passwd"},
    {"url": "http://"},
    {"url": "http://[::1/unclosed"},
    {"url": "127.0.0.1/no-scheme"},
    {"url": "https://example.org/x", "events": ["everything"]},
    {"url": "https://example.org/x", "events": []},
    {"url": "https://example.org/x", "secret": "short"},
    {"url": 5},
]


def test_bad_webhooks_are_refused(client, admin_headers) -> None:
    for body in BAD_BODIES:
        resp = client.post("/v1/projects/1/webhooks", json=body, headers=admin_headers)
        assert resp.status_code == 400 and resp.get_json()["message"], body
    assert client.get("/v1/projects/1/webhooks", headers=admin_headers).get_json() == []
