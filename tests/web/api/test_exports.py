"""Exports over the API: options checked with a 400 (never a 500), an XLSX downloaded as XLSX, the
same request answered at once with the finished file, and cancelling with DELETE or POST …/cancel."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from flask.testing import FlaskClient

from server.core.ground.services import Services
from server.core.models import Project
from tests.web.api.test_data import BASE, seed
from workers.tasks import build_export_job


@pytest.mark.parametrize(
    "body",
    [
        {"format": "csv", "options": "abc"},
        {"format": "csv", "options": ["labels"]},
        {"format": "csv", "options": 5},
        {"format": "csv", "options": {"colour": "red"}},
        {"format": "csv", "options": {"labels": {"th": 1}}},
        {"format": "csv", "options": {"fields": "house_no"}},
        {"format": "csv", "options": {"submitted_to": 20260101}},
        {"format": ["csv"]},
        {"format": "pdf"},
    ],
)
def test_bad_export_requests_are_400_with_a_thai_message(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str], body: Any
) -> None:
    seed(services, project, 1)
    resp = client.post(BASE.format(pid=project.id) + "/exports", json=body, headers=admin_headers)
    assert resp.status_code == 400
    message = resp.get_json()["message"]
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in message) and "/" in message
    assert services.tasks.sent == []  # type: ignore[attr-defined]


def test_xlsx_export_over_the_api_and_the_same_request_again(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str]
) -> None:
    seed(services, project, 2)
    url = BASE.format(pid=project.id) + "/exports"
    body = {"format": "xlsx", "options": {"labels": "th", "header_rows": 1}}
    first = client.post(url, json=body, headers=admin_headers).get_json()
    assert build_export_job(services, first["id"]) == "done"
    status = client.get(f"/v1/exports/{first['id']}", headers=admin_headers).get_json()
    assert status["progress"]["percent"] == 100.0
    download = client.get(status["downloadUrl"], headers=admin_headers)
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "household_survey.xlsx" in download.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(download.data))["household_survey"]
    header = [c.value for c in sheet[1]]
    phone = header.index("โทรศัพท์") + 1
    assert [sheet.cell(r, phone).value for r in (2, 3)] == ["0012345678", "0112345678"]

    services.tasks.sent.clear()  # type: ignore[attr-defined]
    again = client.post(url, json=body, headers=admin_headers)
    assert again.status_code == 202 and again.get_json()["state"] == "done"
    assert again.get_json()["downloadUrl"] and services.tasks.sent == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("how", ["delete", "post"])
def test_cancel_an_export(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str], how: str
) -> None:
    seed(services, project, 1)
    export = client.post(BASE.format(pid=project.id) + "/exports", json={"format": "kml"}, headers=admin_headers)
    export_id = export.get_json()["id"]
    if how == "delete":
        resp = client.delete(f"/v1/exports/{export_id}", headers=admin_headers)
    else:
        resp = client.post(f"/v1/exports/{export_id}/cancel", headers=admin_headers)
    assert resp.status_code == 200 and resp.get_json()["state"] == "cancelled"
    assert build_export_job(services, export_id) == "cancelled"  # the worker leaves it alone
    assert client.get(f"/v1/exports/{export_id}/download", headers=admin_headers).status_code == 409
    done = client.post(BASE.format(pid=project.id) + "/exports", json={"format": "csv"}, headers=admin_headers)
    build_export_job(services, done.get_json()["id"])
    late = client.delete(f"/v1/exports/{done.get_json()['id']}", headers=admin_headers)
    assert late.status_code == 409 and "already finished" in late.get_json()["message"]
