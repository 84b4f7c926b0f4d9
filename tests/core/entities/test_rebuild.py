"""`chumchon reprocess --rebuild-entities`: the project's entity lists deleted and replayed give the same
entities, versions, conflicts and submission outcomes as the first processing — entities made through
the API survive with their versions — and a damaged list comes back as it should be."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from server.cli import main
from server.core.entities import records
from server.core.entities.lists import find_list
from server.core.ground.services import Services
from server.core.models import Entity, EntitySubmission, EntityVersion, User
from server.core.submissions.entity_rebuild import rebuild_entities
from tests.core.entities.support import (
    FOLLOW_UP,
    REGISTRATION,
    follow_up_xml,
    process,
    publish_md,
    registration_xml,
    submit,
)

_VERSION_FIELDS = (
    "version", "base_version", "conflict", "conflicting_properties", "label", "data", "data_received", "source",
    "source_name", "submission_version_id", "submission_id", "branch_id", "trunk_version", "branch_base_version",
    "creator_id", "user_agent",
)  # fmt: skip


def snapshot(services: Services, *, times: bool = True) -> dict[str, Any]:
    """Everything a person could see of the lists: entities, every version, what each block did."""
    with services.db.session() as session:
        entities: dict[str, Any] = {}
        by_id: dict[int, tuple[str, int]] = {}
        for entity in session.scalars(select(Entity)):
            versions = session.scalars(
                select(EntityVersion).where(EntityVersion.entity_id == entity.id).order_by(EntityVersion.version)
            ).all()
            for v in versions:
                by_id[v.id] = (entity.uuid, v.version)
            entities[entity.uuid] = {
                "label": entity.label,
                "data": entity.data,
                "version": entity.version,
                "conflict": entity.conflict,
                "deleted": entity.deleted_at is not None,
                "creator": entity.creator_id,
                "created_at": entity.created_at if times else None,
                "versions": [
                    (*(getattr(v, f) for f in _VERSION_FIELDS), v.created_at if times else None) for v in versions
                ],
            }
        outcomes = sorted(
            (r.submission_version_id, r.ordinal, r.outcome, r.entity_uuid, r.message,
             by_id.get(r.entity_version_id) if r.entity_version_id else None)
            for r in session.scalars(select(EntitySubmission))
        )
        return {"entities": entities, "outcomes": outcomes}


def _history(client: FlaskClient, services: Services, collector: User, admin: User) -> dict[str, str]:
    """A year of a registry: registrations, visits (one stale), an offline chain out of order, an
    office list made through the API and visited, an API edit, a resolved conflict, a deletion, a bad block."""
    publish_md(services, REGISTRATION, "reg.md")
    publish_md(services, FOLLOW_UP, "verify.md")
    people = {name: str(uuid.uuid4()) for name in ("mani", "somsak", "gone", "office", "missing")}
    with services.db.session() as session:
        beneficiaries = find_list(session, 1, "beneficiaries")
        assert beneficiaries is not None
        body = {"uuid": people["office"], "label": "นายทอง บ้านนอก", "data": {"first_name": "ทอง", "village": "บ้านนอก"}}
        records.create_entities(session, beneficiaries, [body], user_id=admin.id, source_name="office.csv")
        session.commit()
    for key, name in (("mani", "มานี"), ("somsak", "สมศักดิ์"), ("gone", "สมปอง")):
        submit(client, collector.collect_token, registration_xml(people[key], name, "บ้านนา"))
    process(services)
    token = collector.collect_token
    submit(client, token, follow_up_xml(people["mani"], 1, village="บ้านเก่า"))
    submit(client, token, follow_up_xml(people["office"], 1, alive="yes"))
    submit(client, token, follow_up_xml(people["missing"], 1, alive="yes"))  # no such entity: an error
    process(services)
    submit(client, token, follow_up_xml(people["mani"], 1, village="บ้านไกล"))  # stale: a hard conflict
    process(services)
    branch = str(uuid.uuid4())
    submit(client, token, follow_up_xml(people["somsak"], 2, trunk=1, branch=branch, alive="no"))  # held
    process(services)
    submit(client, token, follow_up_xml(people["somsak"], 1, trunk=1, branch=branch, village="บ้านไร่"))
    process(services)
    with services.db.session() as session:
        beneficiaries = find_list(session, 1, "beneficiaries")
        assert beneficiaries is not None
        records.update_entity(session, beneficiaries, people["somsak"], {"data": {"alive": "yes"}},
                              base_version=None, force=True, user_id=admin.id)  # fmt: skip
        records.update_entity(session, beneficiaries, people["mani"], {}, base_version=None, resolve=True,
                              user_id=admin.id)  # fmt: skip
        records.delete_entity(session, beneficiaries, people["gone"], user_id=admin.id)
        session.commit()
    submit(client, token, follow_up_xml(people["somsak"], 4, alive="yes-again"))
    process(services)
    return people


def test_a_rebuild_gives_the_same_entities_versions_and_conflicts(
    client: FlaskClient, services: Services, collector: User, admin: User
) -> None:
    people = _history(client, services, collector, admin)
    first = snapshot(services)
    # The history is what the test says it is.
    assert first["entities"][people["mani"]]["conflict"] is None  # resolved
    assert first["entities"][people["mani"]]["versions"][-1][2] == "hard"
    assert first["entities"][people["somsak"]]["version"] == 5
    assert first["entities"][people["office"]]["versions"][0][7] == "api"
    assert first["entities"][people["gone"]]["deleted"] is True
    assert people["missing"] not in first["entities"]
    assert [o[2] for o in first["outcomes"]].count("error") == 1

    with services.db.session() as session:
        counts = rebuild_entities(session, services.blobs, 1)
        session.commit()
    assert (counts.entities_before, counts.entities_after) == (4, 4)
    assert counts.versions_before == counts.versions_after == 11
    assert counts.failed == 0
    assert snapshot(services) == first


def test_a_damaged_list_is_rebuilt_from_the_submissions_by_the_cli(
    client: FlaskClient,
    services: Services,
    collector: User,
    admin: User,
    settings_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people = _history(client, services, collector, admin)
    first = snapshot(services, times=False)
    with services.db.session() as session:  # a bug lost Mani's visits and garbled Somsak
        mani = session.scalar(select(Entity).where(Entity.uuid == people["mani"]))
        assert mani is not None
        session.execute(delete(EntitySubmission).where(EntitySubmission.entity_uuid == people["mani"]))
        session.execute(delete(EntityVersion).where(EntityVersion.entity_id == mani.id, EntityVersion.version > 1))
        mani.version, mani.data = 1, {}
        somsak = session.scalar(select(Entity).where(Entity.uuid == people["somsak"]))
        assert somsak is not None
        somsak.data = {"village": "?"}
        session.commit()
    assert snapshot(services, times=False) != first
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, ["reprocess", "--rebuild-entities"])
    assert result.exit_code == 0, result.output
    assert "entities" in result.output
    assert snapshot(services, times=False) == first  # the resolved conflict stays resolved
