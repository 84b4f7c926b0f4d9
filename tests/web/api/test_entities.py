"""Central's datasets and entities API (/v1/projects/ID/datasets…): lists, properties, entities made,
changed against a base version, resolved and deleted, their versions, OData and a CSV upload."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient
from lxml import etree

from server.core.ground.services import Services
from server.core.models import User
from tests.core.entities.support import (
    FOLLOW_UP,
    REGISTRATION,
    follow_up_xml,
    process,
    publish_md,
    registration_xlsx,
    registration_xml,
    submit,
)
from tests.helpers import bearer_for

BASE = "/v1/projects/1/datasets"


def make_list(client: FlaskClient, headers: dict[str, str], name: str = "villages") -> None:
    assert client.post(BASE, json={"name": name}, headers=headers).status_code == 200
    for prop in ("district", "head"):
        resp = client.post(f"{BASE}/{name}/properties", json={"name": prop}, headers=headers)
        assert resp.get_json() == {"success": True}


def test_lists_properties_and_entities_round_trip(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    make_list(client, admin_headers)
    listed = client.get(BASE, headers=admin_headers).get_json()
    assert [(d["name"], d["approvalRequired"]) for d in listed] == [("villages", False)]
    one = client.get(f"{BASE}/villages", headers=admin_headers).get_json()
    assert [p["name"] for p in one["properties"]] == ["district", "head"]

    made = client.post(
        f"{BASE}/villages/entities",
        json={"label": "บ้านหนองบัว", "data": {"district": "จัตุรัส", "head": "นายสมบัติ"}},
        headers=admin_headers,
    )
    assert made.status_code == 200, made.get_json()
    entity = made.get_json()
    assert entity["currentVersion"]["version"] == 1
    assert entity["currentVersion"]["data"] == {"district": "จัตุรัส", "head": "นายสมบัติ"}
    path = f"{BASE}/villages/entities/{entity['uuid']}"

    bulk = client.post(
        f"{BASE}/villages/entities",
        json={"entities": [{"label": "บ้านโนน", "data": {"district": "เมือง"}}, {"label": "บ้านดง"}],
              "source": {"name": "villages.csv", "size": 100}},
        headers=admin_headers,
    )
    assert bulk.get_json() == {"success": True}
    assert len(client.get(f"{BASE}/villages/entities", headers=admin_headers).get_json()) == 3

    changed = client.patch(f"{path}?baseVersion=1", json={"data": {"head": "นางสมร"}}, headers=admin_headers)
    assert changed.status_code == 200
    assert changed.get_json()["currentVersion"]["data"] == {"district": "จัตุรัส", "head": "นางสมร"}
    stale = client.patch(f"{path}?baseVersion=1", json={"data": {"head": "x"}}, headers=admin_headers)
    assert stale.status_code == 409
    assert client.patch(path, json={"data": {"head": "x"}}, headers=admin_headers).status_code == 400
    forced = client.patch(f"{path}?force=true", json={"label": "บ้านหนองบัวใหม่"}, headers=admin_headers)
    assert forced.get_json()["currentVersion"]["version"] == 3
    versions = client.get(f"{path}/versions", headers=admin_headers).get_json()
    assert [(v["version"], v["baseVersion"], v["label"]) for v in versions] == [
        (1, None, "บ้านหนองบัว"),
        (2, 1, "บ้านหนองบัว"),
        (3, 2, "บ้านหนองบัวใหม่"),
    ]
    assert client.delete(path, headers=admin_headers).get_json() == {"success": True}
    assert client.get(path, headers=admin_headers).status_code == 404
    assert len(client.get(f"{BASE}/villages/entities", headers=admin_headers).get_json()) == 2


def test_bad_input_gets_clear_400s_and_writes_nothing(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    make_list(client, admin_headers)
    cases = [
        (BASE, {"name": "has.period"}),
        (BASE, {"name": 5}),
        (f"{BASE}/villages/properties", {"name": "label"}),
        (f"{BASE}/villages/entities", {"label": "x", "data": {"unknown": "1"}}),
        (f"{BASE}/villages/entities", {"label": "x", "data": {"district": 5}}),
        (f"{BASE}/villages/entities", {"label": "   "}),
        (f"{BASE}/villages/entities", {"label": "x", "uuid": "not-a-uuid"}),
        (f"{BASE}/villages/entities", {"label": "x", "extra": 1}),
        (f"{BASE}/villages/entities", {"entities": [{"label": "ok"}, {"label": 3}], "source": {"name": "f"}}),
        (f"{BASE}/villages/entities", {"entities": [{"label": "ok"}]}),
    ]
    for url, body in cases:
        resp = client.post(url, json=body, headers=admin_headers)
        assert resp.status_code == 400, (body, resp.get_json())
        assert " / " in resp.get_json()["message"]  # Thai / English
    assert client.get(f"{BASE}/villages/entities", headers=admin_headers).get_json() == []
    assert client.get(f"{BASE}/nothing/entities", headers=admin_headers).status_code == 404
    assert client.post(BASE, json={"name": "villages"}, headers=admin_headers).status_code == 409


def test_collectors_and_other_projects_are_refused(
    client: FlaskClient, services: Services, admin_headers: dict[str, str], make_user: Callable[..., User]
) -> None:
    make_list(client, admin_headers)
    for role in ("collector", "viewer", "supervisor"):
        headers = bearer_for(services, make_user(f"u_{role}", role))
        assert client.get(f"{BASE}/villages/entities", headers=headers).status_code == 403
        assert client.post(f"{BASE}/villages/entities", json={"label": "x"}, headers=headers).status_code == 403
    manager = bearer_for(services, make_user("manager", "manager"))
    assert client.get(f"{BASE}/villages/entities", headers=manager).status_code == 200


def test_conflicts_from_submissions_are_shown_and_resolved(
    client: FlaskClient, services: Services, collector: User, admin_headers: dict[str, str]
) -> None:
    publish_md(services, REGISTRATION, "reg.md")
    publish_md(services, FOLLOW_UP, "verify.md")
    person = str(uuid.uuid4())
    submit(client, collector.collect_token, registration_xml(person, "มานี", "บ้านใหม่"))
    process(services)
    submit(client, collector.collect_token, follow_up_xml(person, 1, village="บ้านเก่า"))
    submit(client, collector.collect_token, follow_up_xml(person, 1, village="บ้านไกล"))
    process(services)
    path = f"{BASE}/beneficiaries/entities/{person}"
    entity = client.get(path, headers=admin_headers).get_json()
    assert entity["conflict"] == "hard"
    assert entity["currentVersion"]["conflictingProperties"] == ["village"]
    # Central's conflict details on the versions, as the person resolving reads them.
    relevant = client.get(f"{path}/versions?relevantToConflict=true", headers=admin_headers).get_json()
    assert [(v["version"], v["conflict"], v["lastGoodVersion"], v["resolved"]) for v in relevant] == [
        (1, None, False, False),
        (2, None, True, False),
        (3, "hard", False, False),
    ]
    assert relevant[2]["baseDiff"] == ["village"] and relevant[2]["serverDiff"] == ["village"]
    assert client.patch(f"{path}?resolve=true&baseVersion=2", headers=admin_headers).status_code == 409
    resolved = client.patch(f"{path}?resolve=true&baseVersion=3", headers=admin_headers)
    assert resolved.status_code == 200 and resolved.get_json()["conflict"] is None
    after = client.get(f"{path}/versions", headers=admin_headers).get_json()
    assert after[2]["resolved"] is True and after[2]["lastGoodVersion"] is True
    assert client.get(f"{path}/versions?relevantToConflict=true", headers=admin_headers).get_json() == []
    assert client.patch(f"{path}?resolve=true&baseVersion=3", headers=admin_headers).status_code == 400


def test_odata_service_metadata_and_entities_with_query_options(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    make_list(client, admin_headers)
    bodies = [{"label": f"บ้าน {i}", "data": {"district": "เมือง" if i % 2 else "จัตุรัส"}} for i in range(5)]
    client.post(f"{BASE}/villages/entities", json={"entities": bodies, "source": {"name": "x"}}, headers=admin_headers)
    svc = client.get(f"{BASE}/villages.svc", headers=admin_headers).get_json()
    assert svc["value"] == [{"name": "Entities", "kind": "EntitySet", "url": "Entities"}]
    meta = client.get(f"{BASE}/villages.svc/$metadata", headers=admin_headers)
    names = etree.fromstring(meta.data).xpath("//*[local-name()='EntityType']/*[local-name()='Property']/@Name")
    assert names == ["__id", "label", "__system", "district", "head"]
    page = client.get(
        f"{BASE}/villages.svc/Entities?$top=2&$skip=1&$count=true&$select=__id,label,district",
        headers=admin_headers,
    ).get_json()
    assert page["@odata.count"] == 5
    assert [row["label"] for row in page["value"]] == ["บ้าน 1", "บ้าน 2"]
    assert set(page["value"][0]) == {"__id", "label", "district"}
    assert "$skip=3" in page["@odata.nextLink"]
    none = client.get(
        f"{BASE}/villages.svc/Entities?$filter=__system/createdAt lt 2000-01-01T00:00:00Z", headers=admin_headers
    ).get_json()
    assert none["value"] == []
    some = client.get(
        f"{BASE}/villages.svc/Entities?$filter=__system/conflict eq null and __system/createdAt gt 2000-01-01",
        headers=admin_headers,
    ).get_json()
    assert len(some["value"]) == 5
    for bad in ("label eq 'x'", "__system/createdAt eq 'soon'", "__id eq", "(__id eq 'a'"):
        resp = client.get(f"{BASE}/villages.svc/Entities?$filter={bad}", headers=admin_headers)
        assert resp.status_code == 400, bad


def test_a_csv_from_excel_makes_and_fills_a_list(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    utf8 = "\ufefflabel,district,bank\nนางสมศรี ใจดี,จัตุรัส,กรุงไทย\nนายบุญมี มีสุข,เมือง,ออมสิน\n".encode()
    resp = client.post(
        f"{BASE}/recipients/entities.csv?filename=recipients.csv", data=utf8, headers=admin_headers,
        content_type="text/csv",
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["count"] == 2
    rows = client.get(f"{BASE}/recipients.svc/Entities", headers=admin_headers).get_json()["value"]
    assert [(r["label"], r["bank"]) for r in rows] == [("นางสมศรี ใจดี", "กรุงไทย"), ("นายบุญมี มีสุข", "ออมสิน")]
    thai_windows = "label,district\nนายทอง,เมือง\n".encode("cp874")
    resp = client.post(f"{BASE}/recipients/entities.csv", data=thai_windows, headers=admin_headers)
    assert resp.get_json()["count"] == 1
    for bad in (b"name,district\nx,y\n", b"label,label\nx,y\n", b"label,bad.name\nx,y\n"):
        resp = client.post(f"{BASE}/recipients/entities.csv", data=bad, headers=admin_headers)
        assert resp.status_code == 400, bad
    assert len(client.get(f"{BASE}/recipients/entities", headers=admin_headers).get_json()) == 3


def test_approval_required_through_the_api_as_central(
    client: FlaskClient, services: Services, collector: User, admin_headers: dict[str, str]
) -> None:
    publish_md(services, REGISTRATION, "reg.md")
    url = f"{BASE}/beneficiaries"
    on = client.patch(url, json={"approvalRequired": True}, headers=admin_headers)
    assert on.status_code == 200 and on.get_json()["approvalRequired"] is True
    assert client.get(BASE, headers=admin_headers).get_json()[0]["approvalRequired"] is True
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    submit(client, collector.collect_token, registration_xml(first, "สมศรี", "บ้านนา", instance="uuid:a1"))
    submit(client, collector.collect_token, registration_xml(second, "สมพร", "บ้านไร่", instance="uuid:a2"))
    process(services)
    assert client.get(f"{url}/entities", headers=admin_headers).get_json() == []
    approved = client.patch(
        "/v1/projects/1/forms/reg/submissions/uuid:a1", json={"reviewState": "approved"}, headers=admin_headers
    )
    assert approved.status_code == 200
    (made,) = client.get(f"{url}/entities", headers=admin_headers).get_json()
    assert made["uuid"] == first and made["currentVersion"]["label"] == "สมศรี บ้านนา"
    assert made["currentVersion"]["source"]["type"] == "submission"

    # Switching approval off while a create waits: Central's 400.29, then convert=true makes it.
    refused = client.patch(url, json={"approvalRequired": False}, headers=admin_headers)
    assert refused.status_code == 400 and refused.get_json()["code"] == 400.29
    assert "1" in refused.get_json()["message"]
    bad = client.patch(f"{url}?convert=maybe", json={"approvalRequired": False}, headers=admin_headers)
    assert bad.status_code == 400
    off = client.patch(f"{url}?convert=true", json={"approvalRequired": False}, headers=admin_headers)
    assert off.status_code == 200 and off.get_json()["approvalRequired"] is False
    assert off.get_json()["entities"] == 2
    assert client.get(f"{url}/entities/{second}", headers=admin_headers).status_code == 200
    # A new list can be made requiring approval (it was refused before).
    made_list = client.post(BASE, json={"name": "elders", "approvalRequired": True}, headers=admin_headers)
    assert made_list.status_code == 200 and made_list.get_json()["approvalRequired"] is True


def test_publishing_a_draft_makes_its_entity_list(
    client: FlaskClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    """Central's draft flow (pyodk's forms.create): the list exists once the draft is published."""
    xlsx = registration_xlsx(tmp_path / "reg.xlsx").read_bytes()
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    draft = client.post(
        "/v1/projects/1/forms?publish=false", data=xlsx, headers={**admin_headers, "Content-Type": kind}
    )
    assert draft.status_code == 200, draft.get_json()
    assert client.get(f"{BASE}/beneficiaries", headers=admin_headers).status_code == 404
    published = client.post("/v1/projects/1/forms/reg/draft/publish", headers=admin_headers)
    assert published.status_code == 200, published.get_json()
    got = client.get(f"{BASE}/beneficiaries", headers=admin_headers).get_json()
    assert [p["name"] for p in got["properties"]] == ["first_name", "village"]
    assert got["sourceForms"] == [{"xmlFormId": "reg", "name": "reg"}]
