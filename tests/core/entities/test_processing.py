"""Entities from submissions as ODK Central makes them: a registration creates, a follow-up updates
against its base version, stale updates are conflicts, offline chains follow their branch, and
processing again changes nothing."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.core.ground.services import Services
from server.core.models import (
    EntityList,
    EntityListForm,
    EntityProperty,
    EntitySubmission,
    EntityVersion,
    SubmissionVersion,
    User,
)
from server.core.submissions.processing import process_submission_version, reprocess_all
from tests.core.entities.support import (
    FOLLOW_UP,
    REGISTRATION,
    REGISTRATION_V2,
    entity_state,
    follow_up_xml,
    list_version,
    process,
    publish_md,
    registration_xml,
    submit,
)


def test_publishing_makes_the_list_and_a_new_version_adds_its_properties(services: Services, project) -> None:
    publish_md(services, REGISTRATION, "reg.md")
    publish_md(services, REGISTRATION_V2, "reg.md")
    publish_md(services, FOLLOW_UP, "verify.md")
    with services.db.session() as session:
        (found,) = session.scalars(select(EntityList)).all()
        assert found.name == "beneficiaries"
        props = session.execute(
            select(EntityProperty.name, EntityProperty.form_version_id).order_by(EntityProperty.id)
        ).all()
        assert [p.name for p in props] == ["first_name", "village", "phone", "alive"]
        # phone came with the second version of the registration, not the first
        assert props[2].form_version_id != props[0].form_version_id
        actions = sorted(tuple(a) for a in session.scalars(select(EntityListForm.actions)))
        assert actions == [("create",), ("create",), ("update",)]


def test_registration_creates_and_follow_up_updates_with_history(
    client: FlaskClient, services: Services, collector: User
) -> None:
    publish_md(services, REGISTRATION, "reg.md")
    publish_md(services, FOLLOW_UP, "verify.md")
    somsri = str(uuid.uuid4())
    submit(client, collector.collect_token, registration_xml(somsri, "สมศรี", "บ้านหนองบัว"))
    assert process(services)["processed"] == 1
    created = entity_state(services, somsri)
    assert created["label"] == "สมศรี บ้านหนองบัว"
    assert created["data"] == {"first_name": "สมศรี", "village": "บ้านหนองบัว"}
    assert created["version"] == 1
    before = list_version(services)

    submit(client, collector.collect_token, follow_up_xml(somsri, 1, village="บ้านโนนสูง", alive="yes"))
    process(services)
    updated = entity_state(services, somsri)
    assert updated["version"] == 2
    assert updated["label"] == "สมศรี บ้านหนองบัว"  # a follow-up without a label keeps it
    assert updated["data"] == {"first_name": "สมศรี", "village": "บ้านโนนสูง", "alive": "yes"}
    assert updated["conflict"] is None
    assert [v[:2] for v in updated["versions"]] == [(1, None), (2, 1)]
    assert list_version(services) > before
    with services.db.session() as session:
        made_by = session.scalars(select(EntityVersion.submission_version_id).order_by(EntityVersion.id)).all()
        assert made_by == session.scalars(select(SubmissionVersion.id).order_by(SubmissionVersion.id)).all()


def test_processing_again_and_reprocess_change_nothing(
    client: FlaskClient, services: Services, collector: User
) -> None:
    publish_md(services, REGISTRATION, "reg.md")
    publish_md(services, FOLLOW_UP, "verify.md")
    person = str(uuid.uuid4())
    submit(client, collector.collect_token, registration_xml(person, "บุญมี", "บ้านดง"))
    submit(client, collector.collect_token, follow_up_xml(person, 1, alive="no"))
    process(services)
    first = entity_state(services, person)
    with services.db.session() as session:
        ids = session.scalars(select(SubmissionVersion.id).order_by(SubmissionVersion.id)).all()
    for vid in ids:  # the per-version path, as a redelivered task runs it
        with services.db.session() as session:
            assert process_submission_version(session, services.blobs, vid) == "processed"
    reprocess_all(services.db.sessions, services.blobs)
    assert entity_state(services, person) == first
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(EntityVersion)) == 2
        assert session.scalar(select(func.count()).select_from(EntitySubmission)) == 2


def test_stale_updates_are_applied_and_marked_soft_or_hard_conflicts(
    client: FlaskClient, services: Services, collector: User
) -> None:
    publish_md(services, REGISTRATION, "reg.md")
    publish_md(services, FOLLOW_UP, "verify.md")
    person = str(uuid.uuid4())
    submit(client, collector.collect_token, registration_xml(person, "มานี", "บ้านใหม่"))
    process(services)
    submit(client, collector.collect_token, follow_up_xml(person, 1, village="บ้านเก่า"))
    process(services)
    # Another phone still had version 1 and changed something else: soft.
    submit(client, collector.collect_token, follow_up_xml(person, 1, alive="yes", village="บ้านเก่า"))
    process(services)
    soft = entity_state(services, person)
    assert soft["conflict"] == "soft"
    assert soft["versions"][-1][:3] == (3, 1, "soft")
    assert soft["data"]["alive"] == "yes"
    # A third phone on version 1 changed the village to something else again: hard.
    submit(client, collector.collect_token, follow_up_xml(person, 1, village="บ้านไกล"))
    process(services)
    hard = entity_state(services, person)
    assert hard["conflict"] == "hard"
    assert hard["data"]["village"] == "บ้านไกล"  # applied all the same, as Central does
    with services.db.session() as session:
        last = session.scalars(select(EntityVersion).order_by(EntityVersion.id.desc())).first()
        assert last is not None and last.conflicting_properties == ["village"]


def test_an_offline_chain_follows_its_branch_even_out_of_order(
    client: FlaskClient, services: Services, collector: User
) -> None:
    publish_md(services, REGISTRATION, "reg.md")
    publish_md(services, FOLLOW_UP, "verify.md")
    person = str(uuid.uuid4())
    branch = str(uuid.uuid4())
    submit(client, collector.collect_token, registration_xml(person, "สมชาย", "บ้านนา"))
    process(services)
    # Two updates made offline on one phone from version 1; the second arrives first.
    submit(client, collector.collect_token, follow_up_xml(person, 2, trunk=1, branch=branch, alive="yes"))
    process(services)
    assert entity_state(services, person)["version"] == 1
    with services.db.session() as session:
        assert session.scalars(select(EntitySubmission.outcome).order_by(EntitySubmission.id)).all() == [
            "created",
            "held",
        ]
    submit(client, collector.collect_token, follow_up_xml(person, 1, trunk=1, branch=branch, village="บ้านไร่"))
    process(services)
    chain = entity_state(services, person)
    assert chain["version"] == 3
    assert chain["conflict"] is None  # contiguous with its trunk: no conflict
    assert chain["data"] == {"first_name": "สมชาย", "village": "บ้านไร่", "alive": "yes"}
    assert [v[:3] for v in chain["versions"]] == [(1, None, None), (2, 1, None), (3, 2, None)]


def test_an_update_between_offline_updates_makes_the_branch_a_soft_conflict(
    client: FlaskClient, services: Services, collector: User
) -> None:
    publish_md(services, REGISTRATION, "reg.md")
    publish_md(services, FOLLOW_UP, "verify.md")
    person, branch = str(uuid.uuid4()), str(uuid.uuid4())
    submit(client, collector.collect_token, registration_xml(person, "สมหญิง", "บ้านนา"))
    process(services)
    submit(client, collector.collect_token, follow_up_xml(person, 1, trunk=1, branch=branch, alive="yes"))
    submit(client, collector.collect_token, follow_up_xml(person, 2, village="บ้านอื่น"))  # online, on v2
    submit(client, collector.collect_token, follow_up_xml(person, 2, trunk=1, branch=branch, alive="no"))
    process(services)
    state = entity_state(services, person)
    assert state["version"] == 4
    assert state["conflict"] == "soft"
    assert state["data"]["alive"] == "no" and state["data"]["village"] == "บ้านอื่น"


def test_bad_blocks_are_recorded_not_fatal(client: FlaskClient, services: Services, collector: User) -> None:
    publish_md(services, REGISTRATION, "reg.md")
    publish_md(services, FOLLOW_UP, "verify.md")
    missing = str(uuid.uuid4())
    submit(client, collector.collect_token, follow_up_xml(missing, 1, alive="yes"))
    submit(client, collector.collect_token, registration_xml("not-a-uuid", "ก", "ข"))
    assert process(services) == {"processed": 2, "failed": 0, "lost": 0}
    with services.db.session() as session:
        rows = session.execute(
            select(EntitySubmission.outcome, EntitySubmission.message).order_by(EntitySubmission.id)
        ).all()
        assert [r.outcome for r in rows] == ["error", "error"]
        assert "not found" in rows[0].message and "UUID" in rows[1].message
        assert session.scalar(select(func.count()).select_from(EntityVersion)) == 0


CENSUS = """
| survey |
| | type | name | label | save_to |
| | text | house_no | House number | households#house_no |
| | begin repeat | members | Members | |
| | text | member_name | Name | people#member_name |
| | end repeat | members | | |
| entities |
| | list_name | label | repeat |
| | households | concat('บ้าน ', ${house_no}) | |
| | people | ${member_name} | ${members} |
| settings |
| | form_id | version |
| | census | 1 |
"""


def _census_xml(house: str, members: list[tuple[str, str]]) -> bytes:
    repeats = "".join(
        f'<members><member_name>{name}</member_name><meta><entity dataset="people" create="1" id="{eid}">'
        f"<label>{name}</label></entity></meta></members>"
        for eid, name in members
    )
    return (
        '<data xmlns:jr="http://openrosa.org/javarosa" id="census" version="1">'
        f"<house_no>{house[1]}</house_no>{repeats}"
        f'<meta><entity dataset="households" create="1" id="{house[0]}"><label>บ้าน {house[1]}</label></entity>'
        f"<instanceID>uuid:{uuid.uuid4()}</instanceID></meta></data>"
    ).encode()


def test_spec_2025_several_lists_and_a_list_in_a_repeat(
    client: FlaskClient, services: Services, collector: User
) -> None:
    """pyxform's 2025.1.0 entities: one household at the top, one person per member in the repeat."""
    version = publish_md(services, CENSUS, "census.md")
    assert version.field_schema["entities"]["spec"] == "2025.1.0"
    house = (str(uuid.uuid4()), "12/3")
    people = [(str(uuid.uuid4()), "สมชาย"), (str(uuid.uuid4()), "สมหญิง")]
    submit(client, collector.collect_token, _census_xml(house, people))
    assert process(services)["processed"] == 1
    assert entity_state(services, house[0])["data"] == {"house_no": "12/3"}
    assert entity_state(services, house[0])["label"] == "บ้าน 12/3"
    for eid, name in people:
        assert entity_state(services, eid)["data"] == {"member_name": name}
    with services.db.session() as session:
        names = sorted(session.scalars(select(EntityList.name)))
        assert names == ["households", "people"]
        assert session.scalar(select(func.count()).select_from(EntityVersion)) == 3
        assert sorted(session.scalars(select(EntitySubmission.outcome))) == ["created"] * 3
