"""Entity lists that require approval, as ODK Central's `approvalRequired`: a registration makes its
entity only once a reviewer approves it (one by one or in bulk); updates are applied when received;
switching approval off needs `convert` when creates wait, and convert=true makes them at once."""

from __future__ import annotations

import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.core.entities import approval
from server.core.entities.lists import find_list
from server.core.ground.services import Services
from server.core.models import Entity, EntitySubmission, EntityVersion, Form, Submission, User
from server.core.review import states
from tests.core.entities.support import (
    FOLLOW_UP,
    REGISTRATION,
    entity_state,
    follow_up_xml,
    list_version,
    process,
    publish_md,
    registration_xml,
    submit,
)


def _require_approval(services: Services, required: bool = True, convert: bool | None = None) -> int:
    with services.db.session() as session:
        found = find_list(session, 1, "beneficiaries")
        assert found is not None
        made = approval.set_approval_required(session, found, required, convert=convert)
        session.commit()
        return made


def _review(services: Services, admin: User, instance: str, state: str, comment: str | None = None) -> None:
    with services.db.session() as session:
        form = session.scalar(select(Form).where(Form.xml_form_id == "reg"))
        assert form is not None
        states.set_review_state(session, session.get(User, admin.id), form, instance, state, comment)
        session.commit()


def _entities(services: Services) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Entity)) or 0)


def _outcomes(services: Services) -> list[str]:
    with services.db.session() as session:
        return list(session.scalars(select(EntitySubmission.outcome).order_by(EntitySubmission.id)))


def _registered(client: FlaskClient, services: Services, collector: User, *names: str) -> list[tuple[str, str]]:
    made = []
    for name in names:
        person, instance = str(uuid.uuid4()), f"uuid:{uuid.uuid4()}"
        submit(client, collector.collect_token, registration_xml(person, name, "บ้านนา", instance=instance))
        made.append((person, instance))
    process(services)
    return made


@pytest.fixture
def registry(services: Services, project) -> None:  # type: ignore[no-untyped-def]
    publish_md(services, REGISTRATION, "reg.md")
    publish_md(services, FOLLOW_UP, "verify.md")
    _require_approval(services)


@pytest.mark.usefixtures("registry")
def test_a_registration_waits_for_approval_and_approving_makes_its_entity(
    client: FlaskClient, services: Services, collector: User, admin: User
) -> None:
    ((person, instance),) = _registered(client, services, collector, "สมศรี")
    assert _entities(services) == 0
    assert _outcomes(services) == ["pending"]
    before = list_version(services)
    _review(services, admin, instance, "hasIssues", "ตรวจบัตรอีกครั้ง")
    assert _entities(services) == 0  # only approval makes it
    _review(services, admin, instance, "approved")
    made = entity_state(services, person)
    assert made["label"] == "สมศรี บ้านนา" and made["version"] == 1
    assert made["data"] == {"first_name": "สมศรี", "village": "บ้านนา"}
    assert _outcomes(services) == ["created"]
    assert list_version(services) > before  # the served CSV changes
    with services.db.session() as session:
        version = session.scalars(select(EntityVersion)).one()
        submission = session.scalars(select(Submission)).one()
        assert version.submission_id == submission.id
        assert version.submission_version_id == submission.current_version_id
    # Approving again, or processing again, makes nothing more.
    _review(services, admin, instance, "approved")
    process(services)
    assert entity_state(services, person)["version"] == 1


@pytest.mark.usefixtures("registry")
def test_bulk_approval_makes_the_entities_and_updates_do_not_wait(
    client: FlaskClient, services: Services, collector: User, admin: User
) -> None:
    (a, _), (b, _), (_, c_instance) = _registered(client, services, collector, "มานี", "มานะ", "ชูใจ")
    with services.db.session() as session:
        form = session.scalar(select(Form).where(Form.xml_form_id == "reg"))
        assert form is not None
        changed = states.bulk_review(
            session, session.get(User, admin.id), form, "approved",
            instance_ids=[i for _, i in _registered_instances(session) if i != c_instance],
        )  # fmt: skip
        session.commit()
    assert changed == 2
    assert entity_state(services, a)["version"] == 1 and entity_state(services, b)["version"] == 1
    assert _entities(services) == 2  # ชูใจ still waits
    # A follow-up visit updates an existing entity at once, approved or not (as in Central).
    submit(client, collector.collect_token, follow_up_xml(a, 1, alive="yes"))
    process(services)
    updated = entity_state(services, a)
    assert updated["version"] == 2 and updated["data"]["alive"] == "yes"


def _registered_instances(session) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [(r[0], r[1]) for r in session.execute(select(Submission.id, Submission.instance_id))]


@pytest.mark.usefixtures("registry")
def test_a_submission_approved_before_processing_makes_its_entity_when_processed(
    client: FlaskClient, services: Services, collector: User, admin: User
) -> None:
    person, instance = str(uuid.uuid4()), f"uuid:{uuid.uuid4()}"
    submit(client, collector.collect_token, registration_xml(person, "บุญมา", "บ้านดอน", instance=instance))
    _review(services, admin, instance, "approved")
    assert _entities(services) == 0
    process(services)
    assert entity_state(services, person)["version"] == 1


@pytest.mark.usefixtures("registry")
def test_switching_approval_off_needs_convert_when_creates_wait(
    client: FlaskClient, services: Services, collector: User, admin: User
) -> None:
    (kept, _), (_, rejected_instance) = _registered(client, services, collector, "สมหมาย", "สมปอง")
    _review(services, admin, rejected_instance, "rejected", "ซ้ำกับรายการเดิม")
    with services.db.session() as session:
        found = find_list(session, 1, "beneficiaries")
        assert found is not None
        assert approval.pending_count(session, found) == 1  # the rejected one is not counted
        with pytest.raises(approval.PendingSubmissions) as refused:
            approval.set_approval_required(session, found, False)
        assert refused.value.code == "400.29" and refused.value.details["count"] == 1
        assert "1" in refused.value.message
    assert _require_approval(services, False, convert=True) == 1
    assert entity_state(services, kept)["version"] == 1
    assert _entities(services) == 1  # not the rejected one
    # From now on registrations make entities as soon as they are processed.
    ((later, _),) = _registered(client, services, collector, "สมใจ")
    assert entity_state(services, later)["version"] == 1


@pytest.mark.usefixtures("registry")
def test_convert_false_leaves_the_waiting_creates_and_approving_later_makes_nothing(
    client: FlaskClient, services: Services, collector: User, admin: User
) -> None:
    ((person, instance),) = _registered(client, services, collector, "ทองดี")
    assert _require_approval(services, False, convert=False) == 0
    _review(services, admin, instance, "approved")
    assert _entities(services) == 0  # Central: approval makes nothing once the list needs none
    # Switching approval back on and approving again makes it.
    _require_approval(services, True)
    _review(services, admin, instance, "approved")
    assert entity_state(services, person)["version"] == 1
