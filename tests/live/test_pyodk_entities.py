"""pyodk's entity_lists and entities calls, unchanged, against a live `chumchon serve`."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.core.entities.support import registration_xlsx, registration_xml
from tests.live.harness import LiveServer, wait_until

pyodk_client = pytest.importorskip("pyodk.client")


def test_pyodk_entity_lists_and_entities(live: LiveServer, tmp_path: Path) -> None:
    config = tmp_path / "pyodk_config.toml"
    config.write_text(
        f'[central]\nbase_url = "{live.url}"\nusername = "admin"\npassword = "{live.admin_password}"\n'
        "default_project_id = 1\n",
        encoding="utf-8",
    )
    client = pyodk_client.Client(config_path=str(config), cache_path=str(tmp_path / "pyodk_cache.toml"))
    made = client.entity_lists.create(entity_list_name="recipients")
    assert made.name == "recipients" and made.approvalRequired is False
    assert client.entity_lists.add_property(name="district", entity_list_name="recipients") is True
    assert client.entity_lists.add_property(name="bank", entity_list_name="recipients") is True
    assert [e.name for e in client.entity_lists.list()] == ["recipients"]
    got = client.entity_lists.get(entity_list_name="recipients")
    assert [p.name for p in got.properties or []] == ["district", "bank"]

    one = client.entities.create(label="นางสมศรี ใจดี", data={"district": "จัตุรัส"}, entity_list_name="recipients")
    assert one.currentVersion.version == 1 and one.currentVersion.data == {"district": "จัตุรัส"}
    assert client.entities.create_many(
        data=[{"label": "นายบุญมี มีสุข", "district": "เมือง"}, {"label": "นางมาลี ทองดี", "district": "เมือง"}],
        entity_list_name="recipients",
        create_source="recipients.xlsx",
    )
    listed = client.entities.list(entity_list_name="recipients")
    assert sorted(e.currentVersion.label for e in listed) == ["นางมาลี ทองดี", "นางสมศรี ใจดี", "นายบุญมี มีสุข"]
    changed = client.entities.update(
        one.uuid, entity_list_name="recipients", data={"bank": "กรุงไทย"}, base_version=1
    )
    assert changed.currentVersion.version == 2
    assert changed.currentVersion.data == {"district": "จัตุรัส", "bank": "กรุงไทย"}
    table = client.entities.get_table(entity_list_name="recipients", count=True, select="__id,label,bank")
    assert table["@odata.count"] == 3
    assert {row["label"]: row["bank"] for row in table["value"]}["นางสมศรี ใจดี"] == "กรุงไทย"
    assert client.entities.delete(one.uuid, entity_list_name="recipients") is True
    merged = client.entities.merge(
        data=[{"label": "นายบุญมี มีสุข", "district": "จัตุรัส"}, {"label": "นายทอง ศรีสุข", "district": "เมือง"}],
        entity_list_name="recipients",
        delete_not_matched=True,
    )
    assert len(merged.to_insert) == 1 and len(merged.to_update) == 1 and len(merged.to_delete) == 1
    after = client.entities.get_table(entity_list_name="recipients")["value"]
    assert sorted((r["label"], r["district"]) for r in after) == [("นายทอง ศรีสุข", "เมือง"), ("นายบุญมี มีสุข", "จัตุรัส")]


def test_pyodk_approval_required_entity_list(live: LiveServer, tmp_path: Path) -> None:
    config = tmp_path / "pyodk_config.toml"
    config.write_text(
        f'[central]\nbase_url = "{live.url}"\nusername = "admin"\npassword = "{live.admin_password}"\n'
        "default_project_id = 1\n",
        encoding="utf-8",
    )
    client = pyodk_client.Client(config_path=str(config), cache_path=str(tmp_path / "pyodk_cache.toml"))
    made = client.entity_lists.create(entity_list_name="elders", approval_required=True)
    assert made.approvalRequired is True
    client.forms.create(registration_xlsx(tmp_path / "reg.xlsx"))
    # pyodk 1.3 has no entity_lists.update: the raw client, as Central's PATCH …/datasets/NAME.
    on = client.patch("projects/1/datasets/beneficiaries", json={"approvalRequired": True})
    assert on.status_code == 200 and on.json()["approvalRequired"] is True
    person = str(uuid.uuid4())
    client.submissions.create(registration_xml(person, "สมศรี", "บ้านนา", instance="uuid:live-1").decode(), form_id="reg")

    def processed() -> bool:
        current = client.get("projects/1/forms/reg/submissions/uuid:live-1").json()["currentVersion"]
        return bool(current.get("processingState") == "processed")

    wait_until(processed, 120, "the live worker to process the registration")
    assert client.entities.list(entity_list_name="beneficiaries") == []
    waiting = client.patch("projects/1/datasets/beneficiaries", json={"approvalRequired": False})
    assert waiting.status_code == 400 and waiting.json()["code"] == 400.29  # Central: pending submissions
    client.submissions.review("uuid:live-1", "approved", form_id="reg")
    (entity,) = client.entities.list(entity_list_name="beneficiaries")
    assert entity.uuid == person and entity.currentVersion.label == "สมศรี บ้านนา"
    off = client.patch("projects/1/datasets/beneficiaries", json={"approvalRequired": False})
    assert off.status_code == 200 and off.json()["approvalRequired"] is False
