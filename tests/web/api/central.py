"""Shared pieces of the Central contract tests: small forms (XLSForm as Markdown, XForm XML), submission
XML for them, and the key sets ODK Central's documented answers carry."""

from __future__ import annotations

from flask.testing import FlaskClient

FORMS = "/v1/projects/1/forms"

# Keys of Central's answers (central-backend lib/model/frames/*.js, readable fields).
FORM_KEYS = {
    "projectId", "xmlFormId", "state", "enketoId", "enketoOnceId", "createdAt", "updatedAt", "webformsEnabled",
    "keyId", "version", "hash", "sha", "sha256", "draftToken", "publishedAt", "name",
}  # fmt: skip
FORM_EXTENDED_KEYS = {"submissions", "reviewStates", "lastSubmission", "excelContentType", "createdBy"}
FIELD_KEYS = {"path", "name", "type", "binary", "selectMultiple"}
FORM_ATTACHMENT_KEYS = {"name", "type", "hash", "exists", "blobExists", "datasetExists", "updatedAt"}
SUBMISSION_KEYS = {
    "instanceId", "submitterId", "deviceId", "userAgent", "reviewState", "createdAt", "updatedAt", "deletedAt",
    "currentVersion",
}  # fmt: skip
SUBMISSION_VERSION_KEYS = {"instanceId", "instanceName", "submitterId", "deviceId", "userAgent", "createdAt", "current"}
PROJECT_KEYS = {"id", "name", "description", "archived", "keyId", "createdAt", "updatedAt", "deletedAt"}
ACTOR_KEYS = {"id", "type", "displayName", "createdAt", "updatedAt", "deletedAt"}
PROBLEM_KEYS = {"message", "code", "details"}

XLSFORM = b"""
| survey |
| | type | name | label | parameters |
| | text | name | Name | |
| | integer | age | Age | |
| | select_multiple colours | colours | Colours |
| | select_one_from_file villages.csv | village | Village |
| | image | photo | Photo | max-pixels=1024 |
| | begin group | house | House |
| | text | house_no | House number |
| | end group | | |
| | begin repeat | members | Members |
| | text | member | Member |
| | end repeat | | |
| choices |
| | list_name | name | label |
| | colours | red | Red |
| | colours | blue | Blue |
| settings |
| | form_id | version | form_title |
| | central_form | 1 | Central form |
"""

XFORM = b"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
        xmlns:jr="http://openrosa.org/javarosa">
  <h:head>
    <h:title>Simple XForm</h:title>
    <model>
      <instance>
        <data id="simple_xml" version="2">
          <name/><age/><photo/><colour/>
          <meta><instanceID/></meta>
        </data>
      </instance>
      <bind nodeset="/data/name" type="string"/>
      <bind nodeset="/data/age" type="int"/>
      <bind nodeset="/data/photo" type="binary"/>
      <bind nodeset="/data/colour" type="string"/>
      <bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
    </model>
  </h:head>
  <h:body>
    <input ref="/data/name"><label>Name</label></input>
    <input ref="/data/age"><label>Age</label></input>
    <upload ref="/data/photo" mediatype="image/*"><label>Photo</label></upload>
    <select1 ref="/data/colour"><label>Colour</label>
      <item><label>Red</label><value>red</value></item>
      <item><label>Blue</label><value>blue</value></item>
    </select1>
  </h:body>
</h:html>
"""


def submission_xml(instance_id: str, *, name: str = "Somchai", photo: str = "", deprecated: str | None = None) -> bytes:
    """A submission to central_form version 1."""
    dep = f"<deprecatedID>{deprecated}</deprecatedID>" if deprecated else ""
    return (
        f'<data id="central_form" version="1"><name>{name}</name><age>41</age><colours>red blue</colours>'
        f"<village/><photo>{photo}</photo><house><house_no>12/3</house_no></house>"
        f"<members><member>Malee</member></members>"
        f"<meta><instanceID>{instance_id}</instanceID>{dep}</meta></data>"
    ).encode()


def create_draft(client: FlaskClient, headers: dict[str, str], source: bytes = XLSFORM, query: str = "publish=false"):  # type: ignore[no-untyped-def]
    return client.post(
        f"{FORMS}?{query}", data=source, headers={**headers, "Content-Type": "text/markdown"}
    )


def publish_form(client: FlaskClient, headers: dict[str, str]) -> None:
    """central_form published with villages.csv attached, the way pyodk's forms.create does it."""
    assert create_draft(client, headers).status_code == 200
    resp = client.post(
        f"{FORMS}/central_form/draft/attachments/villages.csv",
        data=b"name,label\n1001,Ban Nong\n",
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert resp.status_code == 200, resp.get_json()
    assert client.post(f"{FORMS}/central_form/draft/publish", headers=headers).get_json() == {"success": True}
