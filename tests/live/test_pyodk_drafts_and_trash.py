"""pyodk's raw client (pinned pyodk has no calls of its own for these) against a live Chumchon: a
draft's test submissions by REST and by its /v1/test/TOKEN URL, the draft's feed, and Central's
delete/restore of submissions and forms, and an edit's diffs."""

from __future__ import annotations

from pathlib import Path

from pyodk.client import Client

from tests.live.harness import LiveServer, wait_until
from tests.live.test_pyodk import _villages, odk, xlsform  # noqa: F401 (odk is a fixture)
from tests.web.api.central import submission_xml

FORM = "projects/1/forms/central_form"
XML = {"Content-Type": "application/xml"}


def test_pyodk_draft_test_submissions_and_the_draft_feed(odk: Client, live: LiveServer, tmp_path: Path) -> None:  # noqa: F811
    odk.forms.create(xlsform(tmp_path / "central_form.xlsx", "1"), attachments=[_villages(tmp_path, "name\n1\n")])
    assert odk.post(f"{FORM}/draft").json() == {"success": True}
    token = odk.get(f"{FORM}/draft").json()["draftToken"]
    made = odk.post(f"{FORM}/draft/submissions", data=submission_xml("uuid:test"), headers=XML)
    assert made.status_code == 200 and made.json()["instanceId"] == "uuid:test"
    by_token = odk.session.post(
        f"{live.url}/v1/test/{token}/projects/1/forms/central_form/draft/submissions",
        data=submission_xml("uuid:test-2"),
        headers=XML,
    )
    assert by_token.status_code == 200, by_token.text
    listed = odk.get(f"{FORM}/draft/submissions").json()
    assert sorted(s["instanceId"] for s in listed) == ["uuid:test", "uuid:test-2"]
    assert odk.submissions.list(form_id="central_form") == []  # the published form has none of them
    rows: list[str] = []

    def in_feed() -> bool:
        rows[:] = sorted(r["__id"] for r in odk.get(f"{FORM}/draft.svc/Submissions").json()["value"])
        return len(rows) == 2

    wait_until(in_feed, 60, "the test submissions in the draft's feed")
    assert odk.post(f"{FORM}/draft/publish?version=2").json() == {"success": True}
    assert odk.get(f"{FORM}/draft/submissions").status_code == 404


def test_pyodk_delete_restore_and_diffs(odk: Client, tmp_path: Path) -> None:  # noqa: F811
    odk.forms.create(xlsform(tmp_path / "central_form.xlsx", "1"), attachments=[_villages(tmp_path, "name\n1\n")])
    odk.submissions.create(submission_xml("uuid:a").decode(), form_id="central_form")
    odk.submissions.create(submission_xml("uuid:b").decode(), form_id="central_form")
    edit = submission_xml("uuid:a2", name="Somsak", deprecated="uuid:a").decode()
    odk.submissions.edit("uuid:a", edit, form_id="central_form")
    diffs = odk.get(f"{FORM}/submissions/uuid:a/diffs").json()
    assert {"old": "Somchai", "new": "Somsak", "path": ["name"]} in diffs["uuid:a2"]

    assert odk.session.delete(f"{FORM}/submissions/uuid:b").json() == {"success": True}
    assert [s.instanceId for s in odk.submissions.list(form_id="central_form")] == ["uuid:a"]
    assert odk.post(f"{FORM}/submissions/uuid:b/restore").json() == {"success": True}
    assert len(odk.submissions.list(form_id="central_form")) == 2

    assert odk.session.delete(FORM).json() == {"success": True}
    assert odk.forms.list() == []
    trash = odk.get("projects/1/forms?deleted=true").json()
    assert odk.post(f"projects/1/forms/{trash[0]['id']}/restore").json() == {"success": True}
    assert [f.xmlFormId for f in odk.forms.list()] == ["central_form"]
