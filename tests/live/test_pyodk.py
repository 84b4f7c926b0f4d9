"""pyodk itself (the official ODK Central client, pinned in the test extras) against a live Chumchon:
projects, forms with drafts and attachments, submissions (all of 105, create, edit, review, comments)
and the raw client calls; every answer must pass pyodk's own models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from pyodk.client import Client

from tests.live.harness import LiveServer, wait_until
from tests.web.api.central import XFORM, submission_xml

SURVEY = [
    ("type", "name", "label", "parameters"),
    ("text", "name", "Name"),
    ("integer", "age", "Age"),
    ("select_multiple colours", "colours", "Colours"),
    ("select_one_from_file villages.csv", "village", "Village"),
    ("image", "photo", "Photo", "max-pixels=1024"),
    ("begin group", "house", "House"),
    ("text", "house_no", "House number"),
    ("end group", "", ""),
    ("begin repeat", "members", "Members"),
    ("text", "member", "Member"),
    ("end repeat", "", ""),
]
CHOICES = [("list_name", "name", "label"), ("colours", "red", "Red"), ("colours", "blue", "Blue")]


def xlsform(path: Path, version: str, extra: tuple[str, ...] | None = None) -> Path:
    """central_form (the contract tests' form) as the .xlsx a form designer would upload."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    for row in [*SURVEY, *([extra] if extra else [])]:
        survey.append(row)
    choices = book.create_sheet("choices")
    for row in CHOICES:
        choices.append(row)
    settings = book.create_sheet("settings")
    settings.append(("form_id", "version", "form_title"))
    settings.append(("central_form", version, "Central form"))
    book.save(path)
    return path


@pytest.fixture
def odk(live: LiveServer, tmp_path: Path) -> Iterator[Client]:
    config = tmp_path / "pyodk_config.toml"
    config.write_text(
        f'[central]\nbase_url = "{live.url}"\nusername = "admin"\npassword = "{live.admin_password}"\n'
        "default_project_id = 1\n",
        encoding="utf-8",
    )
    with Client(config_path=config, cache_path=tmp_path / "pyodk_cache.toml") as client:
        yield client


def _villages(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "villages.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_pyodk_projects_and_forms_with_drafts_and_attachments(odk: Client, tmp_path: Path) -> None:
    projects = odk.projects.list()
    assert [p.id for p in projects] == [1]
    assert odk.projects.get(1).name == projects[0].name

    created = odk.forms.create(
        xlsform(tmp_path / "central_form.xlsx", "1"), attachments=[_villages(tmp_path, "name,label\n1,Ban Nong\n")]
    )
    assert created.xmlFormId == "central_form" and created.publishedAt is None  # POST made the draft
    form = odk.forms.get("central_form")
    assert form.version == "1" and form.publishedAt is not None and form.state == "open"
    assert "central_form" in odk.forms.get_xml("central_form")

    # New media only: a draft copied from the published version, published under a new version.
    odk.forms.update("central_form", attachments=[_villages(tmp_path, "name,label\n2,Ban Klang\n")])
    media_only = odk.forms.get("central_form")
    assert media_only.version != "1" and media_only.hash != form.hash  # the XForm names its new version
    served = odk.get("projects/1/forms/central_form/attachments/villages.csv")
    assert served.status_code == 200 and b"Ban Klang" in served.content

    # A new definition with its own version, and a version chosen by a callback.
    odk.forms.update("central_form", definition=xlsform(tmp_path / "v3.xlsx", "3", ("text", "note_x", "Remark")))
    assert odk.forms.get("central_form").version == "3"
    odk.forms.update("central_form", attachments=[_villages(tmp_path, "name\n3\n")], version_updater=lambda v: v + ".1")
    assert odk.forms.get("central_form").version == "3.1"
    versions = odk.get("projects/1/forms/central_form/versions").json()
    assert [v["version"] for v in versions][:2] == ["3.1", "3"]

    # An XForm given as a string is uploaded as XML.
    xml_form = odk.forms.create(XFORM.decode())
    assert xml_form.xmlFormId == "simple_xml"
    assert sorted(f.xmlFormId for f in odk.forms.list()) == ["central_form", "simple_xml"]

    # The raw calls: PATCH a form's state, read it back.
    closed = odk.patch("projects/1/forms/simple_xml", json={"state": "closed"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"


def test_pyodk_submissions_create_list_edit_review_and_comment(odk: Client, tmp_path: Path) -> None:
    odk.forms.create(xlsform(tmp_path / "central_form.xlsx", "1"), attachments=[_villages(tmp_path, "name\n1\n")])
    photo = tmp_path / "house.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 a small jpeg")
    first = odk.submissions.create(
        submission_xml("uuid:first", photo="house.jpg").decode(),
        form_id="central_form",
        device_id="pyodk-live",
        attachments=[photo],
    )
    assert first.instanceId == "uuid:first" and first.deviceId == "pyodk-live"
    assert [(a.name, a.exists) for a in first.attachments or []] == [("house.jpg", True)]
    for i in range(104):  # the raw client: POST the XML as Central takes it
        resp = odk.post(
            "projects/1/forms/central_form/submissions",
            data=submission_xml(f"uuid:{i:03d}"),
            headers={"Content-Type": "application/xml"},
        )
        assert resp.status_code == 200, resp.text
    listed = odk.submissions.list(form_id="central_form")
    assert len(listed) == 105 and len({s.instanceId for s in listed}) == 105

    got = odk.submissions.get("uuid:first", form_id="central_form")
    assert got.submitterId == first.submitterId and got.reviewState is None

    edited_xml = submission_xml("uuid:first-2", name="Somchai J.", photo="house.jpg", deprecated="uuid:first")
    odk.submissions.edit("uuid:first", edited_xml.decode(), form_id="central_form", comment="แก้ชื่อ")
    after = odk.submissions.get("uuid:first", form_id="central_form")
    assert after.reviewState == "edited"
    odk.submissions.review("uuid:first", "approved", form_id="central_form", comment="ถูกต้อง")
    assert odk.submissions.get("uuid:first", form_id="central_form").reviewState == "approved"
    comments = list(odk.submissions.list_comments("uuid:first", form_id="central_form"))
    assert [c.body for c in comments] == ["แก้ชื่อ", "ถูกต้อง"]
    extra = odk.submissions.add_comment("uuid:001", "ดูอีกครั้ง", form_id="central_form")
    assert extra.body == "ดูอีกครั้ง" and extra.actorId == first.submitterId

    versions = odk.get("projects/1/forms/central_form/submissions/uuid:first/versions").json()
    assert [v["instanceId"] for v in versions] == ["uuid:first-2", "uuid:first"]
    xml = odk.get("projects/1/forms/central_form/submissions/uuid:first.xml")
    assert xml.content == edited_xml
    photo_back = odk.get("projects/1/forms/central_form/submissions/uuid:first/attachments/house.jpg")
    assert photo_back.content == photo.read_bytes()


def test_pyodk_get_table(odk: Client, live: LiveServer, tmp_path: Path) -> None:
    odk.forms.create(xlsform(tmp_path / "central_form.xlsx", "1"), attachments=[_villages(tmp_path, "name\n1\n")])
    odk.submissions.create(submission_xml("uuid:t1").decode(), form_id="central_form")
    # The feed holds processed submissions (as the exports): the live worker gets to it in a moment.
    found: list[object] = []

    def listed() -> bool:
        found[:] = [row["__id"] for row in odk.submissions.get_table(form_id="central_form")["value"]]
        return bool(found)

    wait_until(listed, 60, "the submission in the OData feed")
    assert found == ["uuid:t1"]
