"""The shipped registration forms fill entity lists that the shipped follow-up forms read and update:
welfare_registration → beneficiaries ← welfare_verification, household_survey → households ←
household_followup. Filled with realistic Thai data and sent like Collect, list downloaded as form media."""

from __future__ import annotations

import csv
import io
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import select

from server.core.forms.shipped import publish_with_media
from server.core.ground.services import Services
from server.core.models import Entity, EntityVersion, User
from tests.forms.conftest import FORMS_DIR, MEDIA_DIR
from tests.forms.fill import FilledSubmission, fill_submission
from tests.forms.test_forms_end_to_end import post_like_collect, process_sent
from tests.web.openrosa.test_forms import MANIFEST_NS, key_url, local

PAIRS = [
    ("welfare_registration", "welfare_verification", "beneficiaries", "beneficiary", ["alive", "checked_year"]),
    ("household_survey", "household_followup", "households", "household", ["n_members", "inc_total"]),
]


def _with_entity(filled: FilledSubmission, **attributes: str) -> FilledSubmission:
    """What Collect adds that the test filler leaves out: the entity id's setvalue, the version lookups."""
    entity = filled.root.find("meta/entity")
    assert entity is not None
    for key, value in attributes.items():
        entity.set(key, value)
    xml = etree.tostring(filled.root, xml_declaration=True, encoding="UTF-8")
    return FilledSubmission(filled.form_id, filled.instance_id, xml, filled.root, filled.attachments)


def _without_list_lookups(xform: bytes) -> bytes:
    """The test filler's XPath has no instance(): drop the calculates that read last year's values
    from the downloaded list (they only show on screen or carry a value over unchanged)."""
    root = etree.fromstring(xform)
    for bind in root.iter("{http://www.w3.org/2002/xforms}bind"):
        if "instance(" in (bind.get("calculate") or "") and not bind.get("nodeset", "").startswith("/data/meta"):
            del bind.attrib["calculate"]
    return etree.tostring(root)


def _download_list(client: FlaskClient, collector: User, form_id: str, list_name: str) -> tuple[str, bytes]:
    resp = client.get(key_url(collector, f"/forms/{form_id}/manifest"))
    files = {
        f.findtext("m:filename", namespaces=MANIFEST_NS): f for f in etree.fromstring(resp.data).findall("m:mediaFile", MANIFEST_NS)
    }
    entry = files[f"{list_name}.csv"]
    body = client.get(local(entry.findtext("m:downloadUrl", namespaces=MANIFEST_NS) or ""))
    assert body.status_code == 200
    return entry.findtext("m:hash", namespaces=MANIFEST_NS) or "", body.get_data()


@pytest.mark.parametrize("registration,follow_up,list_name,question,updated", PAIRS)
def test_a_follow_up_selects_the_registered_entity_and_updates_it(
    registration: str,
    follow_up: str,
    list_name: str,
    question: str,
    updated: list[str],
    services: Services,
    client: FlaskClient,
    collector: User,
    project: Any,
    tmp_path: Path,
) -> None:
    with services.db.session() as session:
        reg_xform = services.blobs.read_bytes(
            publish_with_media(session, services.blobs, project.id, FORMS_DIR / f"{registration}.xlsx").xform_sha256
        )
        follow_xform = services.blobs.read_bytes(
            publish_with_media(session, services.blobs, project.id, FORMS_DIR / f"{follow_up}.xlsx").xform_sha256
        )
    entity_id = str(uuid.uuid4())
    registered = _with_entity(fill_submission(reg_xform, seed=11), id=entity_id)
    assert post_like_collect(client, collector.collect_token or "", registered).status_code == 201
    process_sent(services)

    hash_before, listed = _download_list(client, collector, follow_up, list_name)
    rows = list(csv.reader(io.StringIO(listed.decode("utf-8"))))
    assert rows[0][:3] == ["name", "label", "__version"]
    assert rows[1][:3] == [entity_id, registered.root.findtext("meta/entity/label"), "1"]
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in rows[1][1]), "the Thai label reaches the phone"

    media = tmp_path / "media"
    shutil.copytree(MEDIA_DIR, media)
    (media / f"{list_name}.csv").write_bytes(listed)
    visit = fill_submission(_without_list_lookups(follow_xform), seed=5, media_dir=media)
    assert visit.root.findtext(f"main/{question}") == entity_id  # the filler chose the one entity
    visit = _with_entity(visit, id=entity_id, baseVersion="1", update="1")
    assert post_like_collect(client, collector.collect_token or "", visit).status_code == 201
    process_sent(services)

    with services.db.session() as session:
        entity = session.scalar(select(Entity).where(Entity.uuid == entity_id))
        assert entity is not None and entity.version == 2 and entity.conflict is None
        for prop in updated:
            assert entity.data[prop] == visit.root.findtext(f"main/{prop}")
        versions = session.scalars(select(EntityVersion.version).where(EntityVersion.entity_id == entity.id)).all()
        assert sorted(versions) == [1, 2]
    hash_after, listed_after = _download_list(client, collector, follow_up, list_name)
    assert hash_after != hash_before
    assert list(csv.reader(io.StringIO(listed_after.decode("utf-8"))))[1][2] == "2"
