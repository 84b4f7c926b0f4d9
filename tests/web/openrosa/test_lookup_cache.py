"""The per-process lookup cache, across two app instances sharing one database (as two web server
processes or two machines do): a form closed, a version published or a collector deactivated through
one instance is honoured by the other on its very next request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from server.core.forms import publishing
from server.core.ground.broker import RecordingSender
from server.core.ground.services import Services, build_services
from server.core.ground.settings import Settings
from server.core.models import Form, SubmissionVersion, User
from server.web.app import create_app
from tests.core.submissions.test_intake import add_form
from tests.helpers import PASSWORD
from tests.web.openrosa.test_auth import digest_authorization
from tests.web.openrosa.test_submission import multipart, post, submission_xml


@pytest.fixture
def other_app(settings: Settings, project) -> Iterator[Flask]:
    svc = build_services(settings, tasks=RecordingSender())
    app = create_app(svc)
    app.testing = True
    yield app
    svc.close()


def _close_form(services: Services) -> None:
    with services.db.session() as session:
        form = session.scalars(select(Form)).one()
        publishing.set_form_state(session, form, "closed")


def test_a_form_closed_elsewhere_is_refused_at_once(app, other_app, services, collector) -> None:
    with services.db.session() as session:
        add_form(session, 1)
    url = f"/key/{collector.collect_token}/projects/1/submission"
    b = other_app.test_client()
    assert post(b, url, submission_xml("uuid:1", photo=None)).status_code == 201  # b's cache is warm
    _close_form(services)  # through the first instance's services
    refused = post(b, url, submission_xml("uuid:2", photo=None))
    assert refused.status_code in (403, 404, 409, 410, 422), refused.data
    assert "ปิดรับข้อมูล" in refused.get_data(as_text=True)


def test_a_collector_deactivated_elsewhere_is_refused_at_once(app, other_app, services, collector) -> None:
    with services.db.session() as session:
        add_form(session, 1)
    url = f"/key/{collector.collect_token}/projects/1/submission"
    b = other_app.test_client()
    assert post(b, url, submission_xml("uuid:1", photo=None)).status_code == 201
    with services.db.session() as session:
        user = session.get(User, collector.id)
        assert user is not None
        user.active = False
    refused = post(b, url, submission_xml("uuid:2", photo=None))
    assert refused.status_code == 403
    assert "ใช้ไม่ได้แล้ว" in refused.get_data(as_text=True)
    with services.db.session() as session:  # the refused request left nothing behind
        assert session.scalars(select(SubmissionVersion.instance_id)).all() == ["uuid:1"]


def test_a_version_published_elsewhere_is_accepted_at_once(app, other_app, services, collector) -> None:
    with services.db.session() as session:
        add_form(session, 1)
    url = f"/key/{collector.collect_token}/projects/1/submission"
    b = other_app.test_client()
    assert post(b, url, submission_xml("uuid:1", photo=None)).status_code == 201
    assert post(b, url, submission_xml("uuid:2", photo=None, version="2")).status_code == 404  # not yet
    with services.db.session() as session:
        add_form(session, 1, version="2")
    assert post(b, url, submission_xml("uuid:3", photo=None, version="2")).status_code == 201


def test_a_digest_submission_whose_lookups_went_stale_is_still_accepted(app, other_app, services, collector) -> None:
    # On PostgreSQL the insert finds the epoch moved, and the request runs again with fresh lookups;
    # its Digest nonce count was used once only, so the second run is not taken for a replay.
    with services.db.session() as session:
        add_form(session, 1)
    url = "/projects/1/submission"
    b = other_app.test_client()
    challenge = b.head(url).headers["WWW-Authenticate"]

    def send(instance: str, nc: int):
        body, content_type = multipart(submission_xml(instance, photo=None), [])
        auth = digest_authorization(challenge, "POST", url, "somchai", PASSWORD, nc)
        return b.post(url, data=body, content_type=content_type, headers={"Authorization": auth})

    assert send("uuid:1", 1).status_code == 201  # b's cache is warm
    with services.db.session() as session:
        add_form(session, 1, version="2")  # any watched change moves the epoch
    assert send("uuid:2", 2).status_code == 201
    with services.db.session() as session:
        assert sorted(session.scalars(select(SubmissionVersion.instance_id))) == ["uuid:1", "uuid:2"]
