"""Task bodies called directly (as the worker calls them), and the Celery app's delivery settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from server.core.ground.services import Services
from server.core.ground.settings import Settings, SettingsError, load_settings
from server.core.models import Project, SubmissionVersion
from tests.workers.factories import household_xml, make_form_version, make_submission
from workers.app import make_celery
from workers.tasks import process_submission_job, sweep_job


def test_process_job_commits_and_tolerates_a_vanished_row(services: Services, project: Project) -> None:
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        vid = make_submission(session, services.blobs, fv, household_xml("uuid:1"), "uuid:1").id
    assert process_submission_job(services, vid) == "processed"
    assert process_submission_job(services, vid) == "processed"  # a redelivered message is harmless
    assert process_submission_job(services, 999_999) == "missing"
    with services.db.session() as session:
        version = session.get(SubmissionVersion, vid)
        assert version is not None and version.processing_state == "processed"
        assert version.processing_attempts == 2


def test_sweep_resends_waiting_versions_after_the_grace_period(services: Services, project: Project) -> None:
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        waiting = make_submission(session, services.blobs, fv, household_xml("uuid:1"), "uuid:1")
        waiting.received_at -= timedelta(minutes=5)
        vid = waiting.id
        make_submission(session, services.blobs, fv, household_xml("uuid:2"), "uuid:2")  # just arrived
    sent: list[tuple[Any, ...]] = []
    result = sweep_job(services, lambda *a: sent.append(a), grace_seconds=30)
    # One wake-up, however many wait: the woken worker claims them all in batches.
    assert sent == [("submissions.process_pending",)]
    assert result == {"submissions": 1, "exports": 0, "webhooks": 0}
    assert vid


def test_celery_app_is_configured_for_at_least_once_delivery(settings: Settings) -> None:
    embedded = replace(settings, broker_url=f"sqla+sqlite:///{settings.data_dir / 'broker.sqlite3'}")
    app = make_celery(replace(embedded, sweep_seconds=5, sweep_grace_seconds=2, visibility_timeout=120))
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    # The embedded SQLAlchemy transport passes options to create_engine(), so it gets none;
    # Redis gets the visibility timeout that decides when an unacknowledged task is redelivered.
    assert app.conf.broker_transport_options == {}
    redis_app = make_celery(replace(settings, broker_url="redis://127.0.0.1:6379/0", visibility_timeout=120))
    assert redis_app.conf.broker_transport_options == {"visibility_timeout": 120}
    assert app.conf.beat_schedule["sweep"] == {"task": "submissions.sweep", "schedule": 5}
    assert {"submissions.process", "submissions.process_pending", "submissions.sweep", "exports.build"} <= set(app.tasks)


def test_worker_timings_come_from_the_environment_and_bad_values_are_refused() -> None:
    settings = load_settings(
        {"CHUMCHON_SWEEP_SECONDS": "2", "CHUMCHON_VISIBILITY_TIMEOUT": "60", "CHUMCHON_SECRET_KEY": "k"}
    )
    assert (settings.sweep_seconds, settings.sweep_grace_seconds, settings.visibility_timeout) == (2, 5, 60)
    with pytest.raises(SettingsError, match="CHUMCHON_SWEEP_SECONDS"):
        load_settings({"CHUMCHON_SWEEP_SECONDS": "soon", "CHUMCHON_SECRET_KEY": "k"})
