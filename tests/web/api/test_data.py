"""The data API as a client sees it: submission pages, one submission with values and flags,
attachments, and an export from request to downloaded zip."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable

from flask.testing import FlaskClient

from server.core.ground.services import Services
from server.core.models import Project, User
from server.core.submissions.processing import process_submission_version
from tests.helpers import bearer_for
from tests.workers.factories import household_xml, make_form_version, make_submission
from workers.tasks import build_export_job

BASE = "/v1/projects/{pid}/forms/household_survey"


def seed(services: Services, project: Project, n: int) -> None:
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        for i in range(n):
            v = make_submission(
                session,
                services.blobs,
                fv,
                household_xml(f"uuid:{i}", phone=f"0{i}12345678"),
                f"uuid:{i}",
                attachments={"house.jpg": b"\xff\xd8jpeg", "other.jpg": None},
            )
            process_submission_version(session, services.blobs, v.id)


def test_submissions_are_paged_newest_first_with_a_total(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 5)
    resp = client.get(BASE.format(pid=project.id) + "/submissions?limit=2&offset=1", headers=admin_headers)
    assert resp.status_code == 200
    assert resp.headers["X-Total-Count"] == "5"
    body = resp.get_json()
    assert [s["instanceId"] for s in body] == ["uuid:3", "uuid:2"]
    assert body[0]["currentVersion"]["processingState"] == "processed"
    assert body[0]["deviceId"] == "collect:abc123"
    bad = client.get(BASE.format(pid=project.id) + "/submissions?limit=0", headers=admin_headers)
    assert bad.status_code == 400


def test_one_submission_with_values_flags_and_attachments(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 1)
    url = BASE.format(pid=project.id) + "/submissions/uuid:0"
    body = client.get(url, headers=admin_headers).get_json()
    assert body["values"]["/data/household/house_no"] == "12/3 หมู่ 4"
    assert body["values"]["/data/phone"] == "0012345678"
    assert body["repeats"][0]["key"] == "uuid:0/members[1]"
    assert [f["code"] for f in body["flags"]] == ["thai_citizen_id_invalid"]
    assert body["attachments"] == [
        {"name": "house.jpg", "exists": True},
        {"name": "other.jpg", "exists": False},
    ]
    assert client.get(url + "/attachments", headers=admin_headers).get_json() == body["attachments"]
    photo = client.get(url + "/attachments/house.jpg", headers=admin_headers)
    assert photo.status_code == 200 and photo.data == b"\xff\xd8jpeg"
    assert client.get(url + "/attachments/other.jpg", headers=admin_headers).status_code == 404
    missing = client.get(BASE.format(pid=project.id) + "/submissions/uuid:nope", headers=admin_headers)
    assert missing.status_code == 404 and "not found" in missing.get_json()["message"]


def test_collectors_cannot_read_submissions(
    client: FlaskClient, services: Services, project: Project, collector: User
) -> None:
    seed(services, project, 1)
    headers = bearer_for(services, collector)
    assert client.get(BASE.format(pid=project.id) + "/submissions", headers=headers).status_code == 403
    assert (
        client.post(
            BASE.format(pid=project.id) + "/exports", json={"format": "csv"}, headers=headers
        ).status_code
        == 403
    )


def test_export_from_request_to_download(
    client: FlaskClient, services: Services, project: Project, make_user: Callable[..., User]
) -> None:
    seed(services, project, 3)
    headers = bearer_for(services, make_user("supervisor1", "supervisor"))
    resp = client.post(BASE.format(pid=project.id) + "/exports", json={"format": "csv"}, headers=headers)
    assert resp.status_code == 202
    export = resp.get_json()
    assert export["state"] == "queued" and export["downloadUrl"] is None
    assert services.tasks.sent == [("exports.build", (export["id"],))]  # type: ignore[attr-defined]

    early = client.get(f"/v1/exports/{export['id']}/download", headers=headers)
    assert early.status_code == 409 and "not ready" in early.get_json()["message"]

    assert build_export_job(services, export["id"]) == "done"  # what the worker runs
    status = client.get(f"/v1/exports/{export['id']}", headers=headers).get_json()
    assert status["state"] == "done"
    assert status["progress"]["done"] == status["progress"]["total"] > 0

    download = client.get(status["downloadUrl"], headers=headers)
    assert download.status_code == 200
    assert "filename=household_survey.zip" in download.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        raw = archive.read("household_survey.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["phone"] for r in rows] == ["0012345678", "0112345678", "0212345678"]
    assert rows[0]["household-house_no"] == "12/3 หมู่ 4"


def test_export_requests_are_checked(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 1)
    url = BASE.format(pid=project.id) + "/exports"
    assert client.post(url, json={"format": "spss"}, headers=admin_headers).status_code == 400
    assert client.post(url, data="nope", headers=admin_headers).status_code == 400
    unknown = client.post(f"/v1/projects/{project.id}/forms/nope/exports", json={}, headers=admin_headers)
    assert unknown.status_code == 404
    assert client.get("/v1/exports/999", headers=admin_headers).status_code == 404
