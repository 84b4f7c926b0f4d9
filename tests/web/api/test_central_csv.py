"""ODK Central's `…/submissions.csv.zip` and `…/submissions.csv`: Central's columns, repeat files
linked by PARENT_KEY / KEY, Central's options and $filter, attachments in the zip, streamed."""

from __future__ import annotations

import csv
import io
import zipfile
from urllib.parse import quote

from flask.testing import FlaskClient

from server.core.ground.services import Services
from server.core.models import Project
from tests.web.api.test_data import BASE, seed

CENTRAL_TAIL = [
    "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
    "ReviewState", "DeviceID", "Edits", "FormVersion",
]


def table(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def download(client: FlaskClient, project: Project, headers: dict[str, str], query: str = "") -> zipfile.ZipFile:
    resp = client.get(BASE.format(pid=project.id) + "/submissions.csv.zip" + query, headers=headers)
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == "application/zip" and resp.is_streamed
    assert "household_survey.zip" in resp.headers["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(resp.data))


def test_csv_zip_in_centrals_layout(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 2)
    archive = download(client, project, admin_headers)
    assert archive.namelist() == [
        "household_survey.csv",
        "household_survey-members.csv",
        "household_survey-visits.csv",
        "media/house.jpg",
    ]
    assert archive.read("media/house.jpg") == b"\xff\xd8jpeg"
    main = table(archive.read("household_survey.csv"))
    header = main[0]
    assert header[0] == "SubmissionDate" and header[-len(CENTRAL_TAIL) :] == CENTRAL_TAIL
    assert header[1:5] == ["household-house_no", "household-village", "household-location-Latitude",
                           "household-location-Longitude"]
    assert "meta-instanceID" in header and "savings" in header
    row = dict(zip(header, main[1], strict=True))
    assert row["KEY"] == "uuid:0" and row["household-house_no"] == "12/3 หมู่ 4"
    assert row["AttachmentsPresent"] == "1" and row["AttachmentsExpected"] == "2"
    assert row["Status"] == "" and row["Edits"] == "0" and row["FormVersion"] == "2026112301"
    members = table(archive.read("household_survey-members.csv"))
    assert members[0][-2:] == ["PARENT_KEY", "KEY"]
    assert [r[-2:] for r in members[1:3]] == [["uuid:0", "uuid:0/members[1]"], ["uuid:0", "uuid:0/members[2]"]]
    visits = table(archive.read("household_survey-visits.csv"))
    assert visits[1][-2:] == ["uuid:0/members[1]", "uuid:0/members[1]/visits[1]"]


def test_centrals_options_and_filter(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 3)
    query = "?attachments=false&groupPaths=false&splitSelectMultiples=true&$filter=" + quote("__id ne 'uuid:1'")
    archive = download(client, project, admin_headers, query)
    assert "media/house.jpg" not in archive.namelist()
    main = table(archive.read("household_survey.csv"))
    header = main[0]
    assert "house_no" in header and "household-house_no" not in header
    assert ["savings", "savings/bank", "savings/fund", "savings/gold"] == [h for h in header if h.startswith("savings")]
    rows = [dict(zip(header, r, strict=True)) for r in main[1:]]
    assert [r["KEY"] for r in rows] == ["uuid:0", "uuid:2"]
    assert [rows[0]["savings/bank"], rows[0]["savings/fund"], rows[0]["savings/gold"]] == ["1", "0", "1"]
    members = table(archive.read("household_survey-members.csv"))
    assert {r[-2] for r in members[1:]} == {"uuid:0", "uuid:2"}

    plain = client.get(BASE.format(pid=project.id) + "/submissions.csv?$filter=" + quote("__id eq 'uuid:2'"),
                       headers=admin_headers)
    assert plain.status_code == 200 and plain.mimetype == "text/csv"
    assert plain.data.startswith(b"\xef\xbb\xbf")  # Excel reads the Thai as UTF-8
    rows_plain = table(plain.data)
    assert rows_plain[0][-len(CENTRAL_TAIL) :] == CENTRAL_TAIL and [r[rows_plain[0].index("KEY")] for r in rows_plain[1:]] == ["uuid:2"]


def test_bad_csv_options_are_400(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 1)
    for query in ("?groupPaths=maybe", "?attachments=1", "?$filter=" + quote("__id eq"), "?$filter=nothing%20eq%201"):
        resp = client.get(BASE.format(pid=project.id) + "/submissions.csv.zip" + query, headers=admin_headers)
        assert resp.status_code == 400, query
        assert str(resp.get_json()["code"]) in ("400.8", "400.18", "400.23")  # JSON numbers, as Central
