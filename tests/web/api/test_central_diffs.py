"""ODK Central's GET …/submissions/ID/diffs: each edit's changes from the version before, as
{newer instanceID: [{old, new, path}]}, with repeat instances as [name, index] path parts."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.web.api.central import FORMS, publish_form, submission_xml

SUBS = f"{FORMS}/central_form/submissions"
XML = {"Content-Type": "application/xml"}


def test_diffs_between_versions(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    publish_form(client, admin_headers)
    assert client.post(SUBS, data=submission_xml("uuid:v1"), headers={**admin_headers, **XML}).status_code == 200
    assert client.get(f"{SUBS}/uuid:v1/diffs", headers=admin_headers).get_json() == {}
    edit = submission_xml("uuid:v2", name="Somsak", deprecated="uuid:v1").replace(
        b"<members><member>Malee</member></members>",
        b"<members><member>Malee</member></members><members><member>Mana</member></members>",
    )
    assert client.put(f"{SUBS}/uuid:v1", data=edit, headers={**admin_headers, **XML}).status_code == 200
    second = submission_xml("uuid:v3", name="Somsak", deprecated="uuid:v2").replace(b"12/3", b"99")
    assert client.put(f"{SUBS}/uuid:v1", data=second, headers={**admin_headers, **XML}).status_code == 200
    diffs = client.get(f"{SUBS}/uuid:v1/diffs", headers=admin_headers).get_json()
    assert set(diffs) == {"uuid:v2", "uuid:v3"}
    first = sorted(diffs["uuid:v2"], key=str)
    assert {"old": "Somchai", "new": "Somsak", "path": ["name"]} in first
    assert {"new": {"member": "Mana"}, "path": [["members", 1]]} in first
    assert {"old": "uuid:v1", "new": "uuid:v2", "path": ["meta", "instanceID"]} in first
    assert {"new": "uuid:v1", "path": ["meta", "deprecatedID"]} in first
    later = diffs["uuid:v3"]
    assert {"old": "12/3", "new": "99", "path": ["house", "house_no"]} in later
    assert {"old": {"member": "Mana"}, "path": [["members", 1]]} in later
    assert client.get(f"{SUBS}/uuid:none/diffs", headers=admin_headers).status_code == 404
