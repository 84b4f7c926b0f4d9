"""Who reads what through OData and Central's CSV: an area supervisor only his district, sensitive
answers masked for roles that may not read them, collectors and other projects refused."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from server.core.accounts.projects import create_project
from server.core.ground.services import Services
from server.core.models import Project, User
from server.core.review.masking import MASK
from tests.core.review.support import DUSIT, PHRA_NAKHON, household_xml, make_user, publish, submit
from tests.helpers import bearer_for


@dataclass
class Api:
    client: FlaskClient
    project: Project
    other: Project
    headers: dict[str, dict[str, str]]

    def form(self, project: Project | None = None) -> str:
        return f"/v1/projects/{(project or self.project).id}/forms/review_household"


@pytest.fixture
def api(client: FlaskClient, services: Services, project: Project) -> Iterator[Api]:
    with services.db.session() as session:
        other = create_project(session, "โครงการอื่น")
    publish(services, project.id)
    publish(services, other.id)
    people: dict[str, User] = {
        "manager": make_user(services, "manager", "manager", project.id),
        "supervisor": make_user(services, "supervisor", "supervisor", project.id),
        "supervisor_area": make_user(services, "sup1001", "supervisor", project.id, "1001"),
        "viewer": make_user(services, "viewer", "viewer", project.id),
        "collector": make_user(services, "somchai", "collector", project.id),
    }
    c = people["collector"]
    submit(services, project.id, c, household_xml("uuid:pn", place=PHRA_NAKHON, name="นายพระนคร"))
    submit(services, project.id, c, household_xml("uuid:du", place=DUSIT, name="นายดุสิต"))
    outsider = make_user(services, "outsider", "collector", other.id)
    submit(services, other.id, outsider, household_xml("uuid:elsewhere"))
    headers = {role: bearer_for(services, user) for role, user in people.items()}
    headers["anon"] = {}
    yield Api(client, project, other, headers)


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_an_area_supervisor_reads_only_his_district_and_sensitive_answers_are_masked(api: Api) -> None:
    area = api.headers["supervisor_area"]
    rows = api.client.get(api.form() + ".svc/Submissions?$count=true", headers=area).get_json()
    assert [r["__id"] for r in rows["value"]] == ["uuid:pn"] and rows["@odata.count"] == 1
    members = api.client.get(api.form() + ".svc/Submissions.members?$count=true", headers=area).get_json()
    assert {m["__Submissions-id"] for m in members["value"]} == {"uuid:pn"} and members["@odata.count"] == 2
    assert api.client.get(api.form() + ".svc/Submissions('uuid:du')", headers=area).status_code == 404
    assert api.client.get(api.form() + ".svc/Submissions('uuid:du')/members", headers=area).status_code == 404

    zipped = api.client.get(api.form() + "/submissions.csv.zip", headers=area)
    assert zipped.status_code == 200
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as archive:
        main = _csv(archive.read("review_household.csv"))
        repeat = _csv(archive.read("review_household-members.csv"))
    assert [r["KEY"] for r in main] == ["uuid:pn"]
    assert {r["PARENT_KEY"] for r in repeat} == {"uuid:pn"}
    plain = _csv(api.client.get(api.form() + "/submissions.csv", headers=area).data)
    assert [r["KEY"] for r in plain] == ["uuid:pn"]
    everyone = _csv(api.client.get(api.form() + "/submissions.csv", headers=api.headers["manager"]).data)
    assert sorted(r["KEY"] for r in everyone) == ["uuid:du", "uuid:pn"]

    # Sensitive answers are masked for roles that may not read them.
    url = api.form() + ".svc/Submissions?$expand=*&$filter=" + quote("__id eq 'uuid:pn'")
    shown = api.client.get(url, headers=api.headers["manager"]).get_json()["value"][0]
    assert shown["religion"] == "พุทธ" and shown["members"][0]["nid"]
    for role in ("supervisor", "viewer"):
        hidden = api.client.get(url, headers=api.headers[role]).get_json()["value"][0]
        assert hidden["religion"] == MASK and hidden["respondent_name"] == "นายพระนคร"
        assert {m["nid"] for m in hidden["members"]} == {MASK}
        rows = _csv(api.client.get(api.form() + "/submissions.csv", headers=api.headers[role]).data)
        assert {r["religion"] for r in rows} == {MASK}


PATHS = (".svc", ".svc/$metadata", ".svc/Submissions", ".svc/Submissions.members", "/submissions.csv.zip",
         "/submissions.csv")


def test_collectors_strangers_and_other_projects_are_refused(api: Api) -> None:
    for path in PATHS:  # one fixture for every path: publishing and the accounts are the slow part
        assert api.client.get(api.form() + path, headers=api.headers["manager"]).status_code == 200, path
        assert api.client.get(api.form() + path, headers=api.headers["collector"]).status_code == 403, path
        assert api.client.get(api.form() + path, headers=api.headers["anon"]).status_code == 401, path
        assert api.client.get(api.form(api.other) + path, headers=api.headers["manager"]).status_code == 403, path
        missing = api.form().replace("review_household", "no_such_form") + path
        assert api.client.get(missing, headers=api.headers["manager"]).status_code == 404, path
