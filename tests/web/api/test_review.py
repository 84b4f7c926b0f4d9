"""The review API as a client sees it (ODK Central's shapes): review state with X-Action-Notes,
comments, versions, audits, bulk review, filters and cursors on the list, dashboard JSON, masking,
area limits, and an authorisation matrix over every review route × role × own / other project."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import openpyxl
import pytest
from flask.testing import FlaskClient

from server.core.accounts.projects import create_project
from server.core.ground.services import Services
from server.core.models import Project, User
from server.core.review.masking import MASK
from tests.core.review.support import DUSIT, PHRA_NAKHON, household_xml, make_user, publish, submit
from tests.helpers import bearer_for
from workers.tasks import build_export_job


@dataclass
class Api:
    client: FlaskClient
    services: Services
    project: Project
    other: Project
    headers: dict[str, dict[str, str]]  # role name -> auth headers ("anon": none)

    def base(self, project: Project | None = None) -> str:
        return f"/v1/projects/{(project or self.project).id}/forms/review_household"


@pytest.fixture
def api(client: FlaskClient, services: Services, project: Project) -> Iterator[Api]:
    with services.db.session() as session:
        other = create_project(session, "โครงการอื่น")
    publish(services, project.id)
    publish(services, other.id)
    people: dict[str, User] = {
        "admin": make_user(services, "admin", "admin", None),
        "manager": make_user(services, "manager", "manager", project.id),
        "supervisor": make_user(services, "supervisor", "supervisor", project.id),
        "supervisor_area": make_user(services, "sup1001", "supervisor", project.id, "1001"),
        "collector": make_user(services, "somchai", "collector", project.id),
        "viewer": make_user(services, "viewer", "viewer", project.id),
    }
    c = people["collector"]
    submit(services, project.id, c, household_xml("uuid:pn", place=PHRA_NAKHON, name="นายพระนคร"))
    submit(services, project.id, c, household_xml("uuid:du", place=DUSIT, name="นายดุสิต"))
    outsider = make_user(services, "outsider", "collector", other.id)
    submit(services, other.id, outsider, household_xml("uuid:elsewhere", name="คนโครงการอื่น"))
    headers = {role: bearer_for(services, user) for role, user in people.items()}
    headers["anon"] = {}
    yield Api(client, services, project, other, headers)


def test_patch_review_state_with_action_notes_and_the_comment_rule(api: Api) -> None:
    url = api.base() + "/submissions/uuid:pn"
    sup = api.headers["supervisor"]
    missing = api.client.patch(url, json={"reviewState": "hasIssues"}, headers=sup)
    assert missing.status_code == 400
    assert "ต้องเขียนความเห็น" in missing.get_json()["message"]
    notes = {**sup, "X-Action-Notes": quote("ชื่อผู้ให้ข้อมูลสะกดผิด")}
    resp = api.client.patch(url, json={"reviewState": "hasIssues"}, headers=notes)
    assert resp.status_code == 200 and resp.get_json()["reviewState"] == "hasIssues"
    assert api.client.patch(url, json={"reviewState": "bogus"}, headers=sup).status_code == 400
    thread = api.client.get(url + "/comments", headers=sup).get_json()
    assert [set(c) for c in thread] == [{"body", "actorId", "createdAt"}]
    assert thread[0]["body"] == "ชื่อผู้ให้ข้อมูลสะกดผิด"
    audits = api.client.get(url + "/audits", headers=sup).get_json()
    assert audits[0]["action"] == "submission.update"
    assert audits[0]["details"]["reviewState"] == "hasIssues" and audits[0]["notes"] == "ชื่อผู้ให้ข้อมูลสะกดผิด"
    assert (
        api.client.patch(url, json={"reviewState": "approved"}, headers=api.headers["viewer"]).status_code
        == 403
    )


def test_comments_versions_after_an_edit(api: Api) -> None:
    url = api.base() + "/submissions/uuid:pn"
    sup = api.headers["supervisor"]
    posted = api.client.post(url + "/comments", json={"body": "โทรยืนยันแล้ว"}, headers=sup)
    assert posted.status_code == 200
    assert posted.get_json()["body"] == "โทรยืนยันแล้ว" and posted.get_json()["actorId"] is not None
    assert api.client.post(url + "/comments", json={"body": " "}, headers=sup).status_code == 400
    extended = api.client.get(url + "/comments", headers={**sup, "X-Extended-Metadata": "true"}).get_json()
    assert extended[0]["actor"]["displayName"] == "supervisor"
    with api.services.db.session() as session:
        collector = session.query(User).filter_by(username="somchai").one()
    submit(
        api.services,
        api.project.id,
        collector,
        household_xml("uuid:pn2", place=PHRA_NAKHON, name="นายพระนคร", rooms=5, deprecated_id="uuid:pn"),
    )
    versions = api.client.get(url + "/versions", headers=sup).get_json()
    assert [v["instanceId"] for v in versions] == ["uuid:pn2", "uuid:pn"]
    assert [v["current"] for v in versions] == [True, False]
    assert versions[0]["changes"] == [
        {"path": "/data/rooms", "field": "/data/rooms", "before": 3, "after": 5}
    ]
    assert api.client.get(url, headers=sup).get_json()["reviewState"] == "edited"
    # The edit from the phone is in the submission's audit log, with the surveyor as its actor.
    audits = api.client.get(url + "/audits", headers=sup).get_json()
    edits = [a for a in audits if a["action"] == "submission.update.version"]
    assert len(edits) == 1 and edits[0]["actorId"] == collector.id
    assert edits[0]["details"]["via"] == "openrosa" and edits[0]["details"]["instanceId"] == "uuid:pn"


def test_list_filters_cursor_and_bulk_review(api: Api) -> None:
    sup = api.headers["supervisor"]
    first = api.client.get(api.base() + "/submissions?limit=1", headers=sup)
    assert first.headers["X-Total-Count"] == "2"
    cursor = first.headers["X-Next-Cursor"]
    second = api.client.get(api.base() + f"/submissions?limit=1&cursor={cursor}", headers=sup)
    assert "X-Next-Cursor" not in second.headers
    assert {first.get_json()[0]["instanceId"], second.get_json()[0]["instanceId"]} == {"uuid:pn", "uuid:du"}
    found = api.client.get(api.base() + "/submissions?q=" + quote("ดุสิต"), headers=sup).get_json()
    assert [s["instanceId"] for s in found] == ["uuid:du"]
    assert api.client.get(api.base() + "/submissions?since=yesterday", headers=sup).status_code == 400
    bulk = api.client.post(
        api.base() + "/submissions/bulk-review",
        json={"reviewState": "approved", "filter": {"district": "1002"}},
        headers=sup,
    )
    assert bulk.get_json() == {"changed": 1}
    approved = api.client.get(api.base() + "/submissions?reviewState=approved", headers=sup).get_json()
    assert [s["instanceId"] for s in approved] == ["uuid:du"]
    bad = api.client.post(
        api.base() + "/submissions/bulk-review",
        json={"reviewState": "rejected", "instanceIds": ["uuid:pn"]},
        headers=sup,
    )
    assert bad.status_code == 400


def test_an_area_supervisor_sees_reviews_and_exports_only_his_district(api: Api) -> None:
    area = api.headers["supervisor_area"]
    listed = api.client.get(api.base() + "/submissions", headers=area).get_json()
    assert [s["instanceId"] for s in listed] == ["uuid:pn"]
    assert api.client.get(api.base() + "/submissions/uuid:pn", headers=area).status_code == 200
    for method, suffix, body in (
        ("get", "", None),
        ("patch", "", {"reviewState": "approved"}),
        ("get", "/comments", None),
        ("post", "/comments", {"body": "x"}),
        ("get", "/versions", None),
        ("get", "/audits", None),
        ("get", "/attachments", None),
    ):
        resp = getattr(api.client, method)(
            api.base() + "/submissions/uuid:du" + suffix, json=body, headers=area
        )
        assert resp.status_code == 404, (method, suffix)
    points = api.client.get(api.base() + "/dashboard/points", headers=area).get_json()
    assert [f["properties"]["instanceId"] for f in points["features"]] == ["uuid:pn"]
    started = api.client.post(api.base() + "/exports", json={"format": "csv"}, headers=area)
    assert started.status_code == 202
    build_export_job(api.services, started.get_json()["id"])
    download = api.client.get(f"/v1/exports/{started.get_json()['id']}/download", headers=area)
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        main = archive.read("review_household.csv").decode("utf-8-sig")
    assert "uuid:pn" in main and "uuid:du" not in main
    # Someone else's export may hold other districts: not his to see.
    full = api.client.post(api.base() + "/exports", json={"format": "csv"}, headers=api.headers["manager"])
    build_export_job(api.services, full.get_json()["id"])
    for suffix in ("", "/download"):
        assert api.client.get(f"/v1/exports/{full.get_json()['id']}{suffix}", headers=area).status_code == 404
    # Nor to cancel; an XLSX of his own holds his district only, and is not the manager's file.
    queued = api.client.post(api.base() + "/exports", json={"format": "xlsx"}, headers=api.headers["manager"])
    assert api.client.delete(f"/v1/exports/{queued.get_json()['id']}", headers=area).status_code == 404
    assert api.client.post(f"/v1/exports/{queued.get_json()['id']}/cancel", headers=area).status_code == 404
    build_export_job(api.services, queued.get_json()["id"])
    mine = api.client.post(api.base() + "/exports", json={"format": "xlsx"}, headers=area)
    assert mine.get_json()["state"] == "queued"  # the manager's identical XLSX is not reused for him
    build_export_job(api.services, mine.get_json()["id"])
    sheet = openpyxl.load_workbook(
        io.BytesIO(api.client.get(f"/v1/exports/{mine.get_json()['id']}/download", headers=area).data)
    ).worksheets[0]
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row}
    assert "uuid:pn" in cells and "uuid:du" not in cells
    assert (
        api.client.get(f"/v1/exports/{full.get_json()['id']}", headers=api.headers["viewer"]).status_code
        == 200
    )


def test_sensitive_answers_are_masked_in_the_api_for_supervisors(api: Api) -> None:
    url = api.base() + "/submissions/uuid:pn"
    sup = api.client.get(url, headers=api.headers["supervisor"]).get_json()
    assert sup["masked"] and sup["values"]["/data/religion"] == MASK
    assert "1101700207030" not in json.dumps(sup, ensure_ascii=False)
    manager = api.client.get(url, headers=api.headers["manager"]).get_json()
    assert manager["values"]["/data/religion"] == "พุทธ" and not manager["masked"]
    audits = api.client.get(url + "/audits", headers=api.headers["manager"]).get_json()
    assert [a["action"] for a in audits] == ["submission.read_sensitive"]


def test_dashboard_endpoints(api: Api) -> None:
    h = api.headers["viewer"]
    per_day = api.client.get(api.base() + "/dashboard/per-day", headers=h).get_json()
    assert sum(d["count"] for d in per_day) == 2
    surveyors = api.client.get(api.base() + "/dashboard/surveyors", headers=h).get_json()
    assert [(s["displayName"], s["count"], s["medianInterviewSeconds"]) for s in surveyors] == [
        ("somchai", 2, 1200.0)
    ]
    villages = api.client.get(api.base() + "/dashboard/villages?district=1001", headers=h).get_json()
    assert villages == [{"village": PHRA_NAKHON.village, "subdistrict": PHRA_NAKHON.subdistrict, "count": 1}]
    assert api.client.get(api.base() + "/dashboard/flags", headers=h).get_json() == []
    grid = api.client.get(api.base() + "/dashboard/grid?cell=1", headers=h).get_json()
    assert [f["properties"] for f in grid["features"]] == [{"reviewState": "received", "count": 2}]
    assert api.client.get(api.base() + "/dashboard/grid?cell=abc", headers=h).status_code == 400
    limited = api.client.get(api.base() + "/dashboard/points?limit=1", headers=h).get_json()
    assert len(limited["features"]) == 1
    home = api.client.get(f"/v1/projects/{api.project.id}/dashboard/forms", headers=h).get_json()
    assert [(f["xmlFormId"], f["submissions"]) for f in home] == [("review_household", 2)]
    assert home[0]["lastSubmission"].endswith("Z")


# Expected status per route for: admin, manager, supervisor, supervisor_area, collector, viewer, anon.
READ = (200, 200, 200, 200, 403, 200, 401)
REVIEW = (200, 200, 200, 200, 403, 403, 401)
ROLES = ("admin", "manager", "supervisor", "supervisor_area", "collector", "viewer", "anon")
ROUTES = [
    ("get", "/submissions", None, READ),
    ("get", "/submissions/uuid:pn", None, READ),
    ("patch", "/submissions/uuid:pn", {"reviewState": "approved"}, REVIEW),
    ("post", "/submissions/bulk-review", {"reviewState": "approved", "instanceIds": ["uuid:pn"]}, REVIEW),
    ("get", "/submissions/uuid:pn/comments", None, READ),
    ("post", "/submissions/uuid:pn/comments", {"body": "ตรวจแล้ว"}, REVIEW),
    ("get", "/submissions/uuid:pn/versions", None, READ),
    ("get", "/submissions/uuid:pn/audits", None, READ),
    ("get", "/submissions/uuid:pn/attachments", None, READ),
    ("get", "/dashboard/per-day", None, READ),
    ("get", "/dashboard/surveyors", None, READ),
    ("get", "/dashboard/villages", None, READ),
    ("get", "/dashboard/flags", None, READ),
    ("get", "/dashboard/points", None, READ),
    ("get", "/dashboard/grid", None, READ),
]


def test_authorisation_matrix_over_roles_and_projects(api: Api) -> None:
    for method, path, body, expected in ROUTES:
        for role, status in zip(ROLES, expected, strict=True):
            resp = getattr(api.client, method)(api.base() + path, json=body, headers=api.headers[role])
            assert resp.status_code == status, (method, path, role, resp.get_json())
            text = resp.get_data(as_text=True)
            assert "uuid:elsewhere" not in text and "คนโครงการอื่น" not in text
            if role == "supervisor_area":
                assert "uuid:du" not in text and "นายดุสิต" not in text, (path, text)
            # The same route in a project where only the admin holds a role.
            other_path = path.replace("uuid:pn", "uuid:elsewhere")
            other = getattr(api.client, method)(
                api.base(api.other) + other_path, json=body, headers=api.headers[role]
            )
            want = {"admin": 200, "anon": 401}.get(role, 403)
            assert other.status_code == want, (method, other_path, role, other.get_json())
            if role != "admin":
                assert "uuid:elsewhere" not in other.get_data(as_text=True)


def test_project_dashboard_matrix(api: Api) -> None:
    for role, status in zip(ROLES, READ, strict=True):
        own = api.client.get(f"/v1/projects/{api.project.id}/dashboard/forms", headers=api.headers[role])
        assert own.status_code == status, role
        other = api.client.get(f"/v1/projects/{api.other.id}/dashboard/forms", headers=api.headers[role])
        assert other.status_code == {"admin": 200, "anon": 401}.get(role, 403), role
        if role == "supervisor_area":
            assert own.get_json()[0]["submissions"] == 1
