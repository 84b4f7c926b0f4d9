"""Entity forms as Markdown XLSForms, Collect-like submissions of them and helpers to send and process."""

from __future__ import annotations

import uuid
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
from flask.testing import FlaskClient
from sqlalchemy import select

from server.core.forms import publishing
from server.core.ground.cache import LookupCache
from server.core.ground.services import Services
from server.core.models import Entity, EntityList, EntityVersion, FormVersion
from server.core.submissions.batches import process_pending
from tests.web.openrosa.test_submission import post

REGISTRATION = """
| survey |
| | type | name | label | save_to |
| | text | first_name | First name | first_name |
| | text | village | Village | village |
| entities |
| | list_name | label |
| | beneficiaries | concat(${first_name}, ' ', ${village}) |
| settings |
| | form_id | version |
| | reg | 1 |
"""

REGISTRATION_V2 = REGISTRATION.replace(
    "| | text | village | Village | village |",
    "| | text | village | Village | village |\n| | text | phone | Phone | phone |",
).replace("| | reg | 1 |", "| | reg | 2 |")

FOLLOW_UP = """
| survey |
| | type | name | label | save_to |
| | select_one_from_file beneficiaries.csv | person | Person | |
| | text | village | Village | village |
| | text | alive | Alive | alive |
| entities |
| | list_name | entity_id |
| | beneficiaries | ${person} |
| settings |
| | form_id | version |
| | verify | 1 |
"""


def registration_xlsx(path: Path) -> Path:
    """tests.core.entities.support.REGISTRATION as the .xlsx a form designer uploads."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    for row in [("type", "name", "label", "save_to"), ("text", "first_name", "First name", "first_name"),
                ("text", "village", "Village", "village")]:
        survey.append(row)
    entities = book.create_sheet("entities")
    entities.append(("list_name", "label"))
    entities.append(("beneficiaries", "concat(${first_name}, ' ', ${village})"))
    settings = book.create_sheet("settings")
    settings.append(("form_id", "version"))
    settings.append(("reg", "1"))
    book.save(path)
    return path


def publish_md(services: Services, source: str, name: str, project_id: int = 1) -> FormVersion:
    with services.db.session() as session:
        return publishing.publish_form(session, services.blobs, project_id, source.encode(), name)


def registration_xml(entity_id: str, first_name: str, village: str, *, instance: str | None = None) -> bytes:
    iid = instance or f"uuid:{uuid.uuid4()}"
    label = f"{first_name} {village}"
    return (
        '<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" id="reg" version="1">'
        f"<first_name>{escape(first_name)}</first_name><village>{escape(village)}</village>"
        f'<meta><entity dataset="beneficiaries" create="1" id="{entity_id}"><label>{escape(label)}</label>'
        f"</entity><instanceID>{iid}</instanceID></meta></data>"
    ).encode()


def follow_up_xml(
    entity_id: str,
    base_version: int | str,
    *,
    village: str | None = None,
    alive: str | None = None,
    trunk: int | str = "",
    branch: str = "",
    update: str = "1",
    instance: str | None = None,
) -> bytes:
    iid = instance or f"uuid:{uuid.uuid4()}"
    fields = f"<person>{entity_id}</person>"
    # An unanswered question is left out here: an empty element would clear the property (as in Central).
    fields += f"<village>{escape(village)}</village>" if village is not None else ""
    fields += f"<alive>{escape(alive)}</alive>" if alive is not None else ""
    return (
        '<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" id="verify" version="1">'
        f'{fields}<meta><entity dataset="beneficiaries" update="{update}" baseVersion="{base_version}"'
        f' trunkVersion="{trunk}" branchId="{branch}" id="{entity_id}"/><instanceID>{iid}</instanceID></meta></data>'
    ).encode()


def submit(client: FlaskClient, collector_token: str, xml: bytes) -> None:
    url = f"/key/{collector_token}/projects/1/submission?deviceID=collect%3Aabc"
    resp = post(client, url, xml)
    assert resp.status_code == 201, resp.get_data(as_text=True)


def process(services: Services) -> dict[str, int]:
    return process_pending(services.db.sessions, LookupCache(), services.blobs)


def entity_state(services: Services, entity_id: str) -> dict[str, object]:
    with services.db.session() as session:
        entity = session.scalar(select(Entity).where(Entity.uuid == entity_id))
        assert entity is not None
        versions = session.scalars(
            select(EntityVersion).where(EntityVersion.entity_id == entity.id).order_by(EntityVersion.version)
        ).all()
        return {
            "label": entity.label,
            "data": entity.data,
            "version": entity.version,
            "conflict": entity.conflict,
            "versions": [(v.version, v.base_version, v.conflict, v.data) for v in versions],
        }


def list_version(services: Services, name: str = "beneficiaries") -> int:
    with services.db.session() as session:
        found = session.scalar(select(EntityList).where(EntityList.name == name))
        assert found is not None
        return found.list_version
