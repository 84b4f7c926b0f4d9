"""The OData feed as pyodk, Excel and Power BI read it (ODK Central's shapes): service document,
$metadata, Submissions with groups, typed values, geopoints and repeat links, repeat tables, one
submission, and every query option; bad options are 400 with Central's problem codes."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from flask.testing import FlaskClient
from lxml import etree

from server.core.ground.services import Services
from server.core.models import Project
from tests.web.api.test_data import seed

SVC = "/v1/projects/{pid}/forms/household_survey.svc"
EDM = {"edmx": "http://docs.oasis-open.org/odata/ns/edmx", "edm": "http://docs.oasis-open.org/odata/ns/edm"}


def svc(project: Project, path: str = "") -> str:
    return SVC.format(pid=project.id) + path


def get(client: FlaskClient, url: str, headers: dict[str, str], status: int = 200) -> Any:
    resp = client.get(url, headers=headers)
    assert resp.status_code == status, resp.data[:500]
    return resp.get_json()


def follow(client: FlaskClient, page: dict[str, Any], headers: dict[str, str]) -> list[str]:
    """Every __id of a feed, following its nextLinks as a client does."""
    seen = [r["__id"] for r in page["value"]]
    while "@odata.nextLink" in page:
        link = urlsplit(page["@odata.nextLink"])
        page = get(client, link.path + "?" + link.query, headers)
        seen += [r["__id"] for r in page["value"]]
    return seen


def test_service_document_and_metadata(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 1)
    resp = client.get(svc(project), headers=admin_headers)
    assert resp.status_code == 200
    assert resp.headers["OData-Version"] == "4.0"
    assert resp.headers["Content-Type"] == "application/json; odata.metadata=minimal"
    body = resp.get_json()
    assert body["@odata.context"] == f"http://localhost{svc(project)}/$metadata"
    assert body["value"] == [
        {"name": "Submissions", "kind": "EntitySet", "url": "Submissions"},
        {"name": "Submissions.members", "kind": "EntitySet", "url": "Submissions.members"},
        {"name": "Submissions.members.visits", "kind": "EntitySet", "url": "Submissions.members.visits"},
    ]

    meta = client.get(svc(project, "/$metadata"), headers=admin_headers)
    assert meta.status_code == 200 and meta.mimetype == "application/xml"
    root = etree.fromstring(meta.data)
    schema = root.find("edmx:DataServices/edm:Schema[@Namespace='org.opendatakit.user.household_survey']", EDM)
    assert schema is not None
    types = {e.get("Name"): e for e in schema.findall("edm:EntityType", EDM)}
    assert list(types) == ["Submissions", "Submissions.members", "Submissions.members.visits"]
    props = {p.get("Name"): p.get("Type") for p in types["Submissions"].findall("edm:Property", EDM)}
    assert props["__id"] == "Edm.String"
    assert props["__system"] == "org.opendatakit.submission.metadata"
    assert props["rooms"] == "Edm.Int64" and props["income"] == "Edm.Decimal"
    assert props["visit_date"] == "Edm.Date" and props["savings"] == "Edm.String"
    assert props["household"] == "org.opendatakit.user.household_survey.household"
    nav = types["Submissions"].find("edm:NavigationProperty", EDM)
    assert nav is not None and nav.get("Name") == "members"
    assert nav.get("Type") == "Collection(org.opendatakit.user.household_survey.Submissions.members)"
    members = {p.get("Name"): p.get("Type") for p in types["Submissions.members"].findall("edm:Property", EDM)}
    assert members["__Submissions-id"] == "Edm.String" and members["age"] == "Edm.Int64"
    visits = {p.get("Name") for p in types["Submissions.members.visits"].findall("edm:Property", EDM)}
    assert "__Submissions-members-id" in visits
    group = schema.find("edm:ComplexType[@Name='household']", EDM)
    assert group is not None
    location = group.find("edm:Property[@Name='location']", EDM)
    assert location is not None and location.get("Type") == "Edm.GeographyPoint"
    sets = schema.findall("edm:EntityContainer/edm:EntitySet", EDM)
    assert [s.get("Name") for s in sets] == list(types)


def test_submissions_in_centrals_shape(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 2)
    resp = client.get(svc(project, "/Submissions"), headers=admin_headers)
    assert resp.headers["OData-Version"] == "4.0" and resp.is_streamed
    body = resp.get_json()
    assert body["@odata.context"] == f"http://localhost{svc(project)}/$metadata#Submissions"
    assert "@odata.count" not in body and "@odata.nextLink" not in body
    assert [row["__id"] for row in body["value"]] == ["uuid:1", "uuid:0"]  # newest first
    row = body["value"][1]
    assert row["household"]["house_no"] == "12/3 หมู่ 4"
    assert row["household"]["location"] == {
        "type": "Point",
        "coordinates": [100.5018, 13.7563, 12.5],
        "properties": {"accuracy": 4.0},
    }
    assert row["rooms"] == 3 and row["income"] == 150000.5
    assert row["savings"] == "bank gold" and row["has_well"] == "yes"
    assert row["phone"] == "0012345678" and row["visit_date"] == "2026-01-15"
    assert row["meta"]["instanceID"] == "uuid:0"
    assert "intro" not in row  # notes carry no answer
    assert row["members@odata.navigationLink"] == "Submissions('uuid%3A0')/members"
    assert "members" not in row
    system = row["__system"]
    assert set(system) == {
        "submissionDate", "updatedAt", "deletedAt", "submitterId", "submitterName", "attachmentsPresent",
        "attachmentsExpected", "status", "reviewState", "deviceId", "edits", "formVersion",
    }
    assert system["submissionDate"].endswith("Z")
    assert system["attachmentsPresent"] == 1 and system["attachmentsExpected"] == 2
    assert system["deviceId"] == "collect:abc123" and system["edits"] == 0
    assert system["formVersion"] == "2026112301" and system["reviewState"] is None


def test_repeat_tables_single_submissions_and_expand(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 2)
    members = get(client, svc(project, "/Submissions.members"), admin_headers)
    assert members["@odata.context"].endswith("/$metadata#Submissions.members")
    assert [(m["full_name"], m["__Submissions-id"]) for m in members["value"]] == [
    ("สมชาย ใจดี", "uuid:1"), ("สมหญิง ใจดี", "uuid:1"), ("สมชาย ใจดี", "uuid:0"), ("สมหญิง ใจดี", "uuid:0"),
    ]
    first = members["value"][2]
    assert len(first["__id"]) == 40 and first["age"] == 45
    assert first["visits@odata.navigationLink"] == f"Submissions('uuid%3A0')/members('{first['__id']}')/visits"

    visits = get(client, svc(project, "/Submissions.members.visits"), admin_headers)["value"]
    assert len(visits) == 6
    assert {v["__Submissions-members-id"] for v in visits} == {m["__id"] for m in members["value"]}

    one = get(client, svc(project, "/Submissions('uuid:0')"), admin_headers)
    assert one["@odata.context"].endswith("#Submissions") and [r["__id"] for r in one["value"]] == ["uuid:0"]
    encoded = get(client, svc(project, "/Submissions(%27uuid%3A0%27)/members"), admin_headers)["value"]
    assert [m["__id"] for m in encoded] == [m["__id"] for m in members["value"][2:]]
    nested = get(client, svc(project, f"/Submissions('uuid:0')/members('{first['__id']}')/visits"), admin_headers)
    assert [v["visit_date"] for v in nested["value"]] == ["2026-01-10", "2026-02-11"]
    get(client, svc(project, "/Submissions('uuid:nope')"), admin_headers, 404)
    get(client, svc(project, "/Submissions.nothing"), admin_headers, 404)

    expanded = get(client, svc(project, "/Submissions?$expand=*"), admin_headers)["value"][0]
    assert [m["full_name"] for m in expanded["members"]] == ["สมชาย ใจดี", "สมหญิง ใจดี"]
    assert [v["visit_note"] for v in expanded["members"][0]["visits"]] == ["เยี่ยมครั้งแรก", "ติดตาม"]
    assert expanded["members@odata.navigationLink"] == "Submissions('uuid%3A1')/members"


def test_paging_with_top_skip_count_and_a_skiptoken(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 5)
    page = get(client, svc(project, "/Submissions?$top=2&$count=true"), admin_headers)
    assert page["@odata.count"] == 5 and [r["__id"] for r in page["value"]] == ["uuid:4", "uuid:3"]
    link = urlsplit(page["@odata.nextLink"])
    query = parse_qs(link.query)
    assert query["$top"] == ["2"] and query["$count"] == ["true"]
    token = query["$skiptoken"][0]
    assert token.startswith("01") and json.loads(base64.b64decode(token[2:])) == {"instanceId": "uuid:3"}
    assert follow(client, page, admin_headers) == ["uuid:4", "uuid:3", "uuid:2", "uuid:1", "uuid:0"]

    skipped = get(client, svc(project, "/Submissions?$skip=3"), admin_headers)
    assert [r["__id"] for r in skipped["value"]] == ["uuid:1", "uuid:0"]
    repeat_page = get(client, svc(project, "/Submissions.members?$top=3&$count=true"), admin_headers)
    assert repeat_page["@odata.count"] == 10 and len(repeat_page["value"]) == 3
    all_rows = get(client, svc(project, "/Submissions.members"), admin_headers)["value"]
    assert follow(client, repeat_page, admin_headers) == [r["__id"] for r in all_rows]
    empty = get(client, svc(project, "/Submissions?$top=0"), admin_headers)
    assert empty["value"] == []


def test_select_wkt_and_orderby(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 3)
    url = svc(project, "/Submissions?$select=__id,rooms,household/location,__system/submitterId")
    rows = get(client, url + "&$wkt=true", admin_headers)["value"]
    assert rows[0] == {
        "__id": "uuid:2",
        "rooms": 3,
        "household": {"location": "POINT (100.5018 13.7563 12.5)"},
        "__system": {"submitterId": None},
    }
    group = get(client, svc(project, "/Submissions?$select=household"), admin_headers)["value"][0]
    assert set(group) == {"__id", "household"} and set(group["household"]) >= {"house_no", "village"}
    oldest = get(client, svc(project, "/Submissions?$orderby=__system/submissionDate asc"), admin_headers)
    assert [r["__id"] for r in oldest["value"]] == ["uuid:0", "uuid:1", "uuid:2"]
    by_id = get(client, svc(project, "/Submissions?$orderby=__id desc&$top=1"), admin_headers)
    assert by_id["value"][0]["__id"] == "uuid:2"
    assert "%24skiptoken=01" in by_id["@odata.nextLink"]  # encoded as Central encodes it
    members = get(client, svc(project, "/Submissions.members?$select=age"), admin_headers)["value"]
    assert set(members[0]) == {"__id", "age"}


FILTERS = [
    ("__id eq 'uuid:1'", ["uuid:1"]),
    ("__id ne 'uuid:1' and not (__id eq 'uuid:0')", ["uuid:2"]),
    ("(__id eq 'uuid:0' or __id eq 'uuid:2') and __system/reviewState eq null", ["uuid:2", "uuid:0"]),
    ("__system/submissionDate lt 2000-01-01T00:00:00Z", []),
    ("__system/submissionDate gt 2000-01-01", ["uuid:2", "uuid:1", "uuid:0"]),
    ("year(__system/submissionDate) ge 2024 and month(__system/submissionDate) le 12", ["uuid:2", "uuid:1", "uuid:0"]),
    ("date(__system/submissionDate) lt 2001-01-01", []),
    ("__system/updatedAt le now()", ["uuid:2", "uuid:1", "uuid:0"]),
    ("__system/submitterId eq null", ["uuid:2", "uuid:1", "uuid:0"]),
    ("__system/deletedAt eq null", ["uuid:2", "uuid:1", "uuid:0"]),
    ("__system/submitterId ne 7", []),  # SQL's null: no submitter is not "not 7", as in Central
    ("phone eq '0112345678'", ["uuid:1"]),
    ("household/house_no eq '12/3 หมู่ 4' and rooms ge 3 and income lt 150000.6", ["uuid:2", "uuid:1", "uuid:0"]),
    ("rooms gt 3", []),
    ("remarks ne null", ["uuid:2", "uuid:1", "uuid:0"]),
]


def test_filters(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 3)
    for flt, expected in FILTERS:  # one seeded form for every case: the suite stays quick
        rows = get(client, svc(project, "/Submissions?$count=true&$filter=" + quote(flt)), admin_headers)
        assert [r["__id"] for r in rows["value"]] == expected, flt
        assert rows["@odata.count"] == len(expected), flt


BAD_OPTIONS = [
    ("$top=-1", "400.8"),
    ("$top=abc", "400.8"),
    ("$skip=abc", "400.8"),
    ("$count=maybe", "400.8"),
    ("$expand=members", "400.8"),
    ("$skiptoken=nonsense", "400.8"),
    ("$skiptoken=01" + base64.b64encode(b'{"instanceId": "uuid:gone"}').decode(), "400.8"),
    ("$select=nothing", "400.23"),
    ("$filter=" + quote("nothing eq 1"), "400.23"),
    ("$filter=" + quote("__id eq"), "400.18"),
    ("$filter=" + quote("__id eq 'a' and"), "400.18"),
    ("$filter=" + quote("(__id eq 'a'"), "400.18"),
    ("$filter=" + quote("__id lt null"), "400.18"),
    ("$filter=" + quote("__system/submitterId eq 'somchai'"), "400.18"),
    ("$filter=" + quote("__system/submissionDate gt 'yesterday'"), "400.18"),
    ("$filter=" + quote("length(__id) eq 3"), "400.18"),
    ("$filter=" + quote("__id eq 'a' ; drop table submission"), "400.18"),
    ("$orderby=" + quote("rooms desc"), "400.18"),
    ("$orderby=" + quote("__id sideways"), "400.18"),
]


def test_bad_options_are_400_with_centrals_codes(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 1)
    for query, code in BAD_OPTIONS:
        body = get(client, svc(project, "/Submissions?" + query), admin_headers, 400)
        assert str(body["code"]) == code, query  # a JSON number, as Central sends it
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in body["message"]), query
