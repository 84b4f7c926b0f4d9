"""ODK Central's delete and restore: a deleted form (DELETE …/forms/XML) answers 404 and leaves every
list, Collect's form list included, until POST …/forms/NUMERIC_ID/restore; a deleted submission leaves
lists, exports and OData (which shows it to a $filter on __system/deletedAt) until …/restore."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from flask.testing import FlaskClient

from server.core.ground.cache import LookupCache
from server.core.ground.services import Services
from server.core.models import User
from server.core.submissions.batches import process_pending
from tests.helpers import bearer_for
from tests.web.api.central import FORMS, PROBLEM_KEYS, create_draft, publish_form, submission_xml

CENTRAL = f"{FORMS}/central_form"
SUBS = f"{CENTRAL}/submissions"
XML = {"Content-Type": "application/xml"}


def send(client: FlaskClient, headers: dict[str, str], *instance_ids: str) -> None:
    for iid in instance_ids:
        assert client.post(SUBS, data=submission_xml(iid), headers={**headers, **XML}).status_code == 200


def ids(client: FlaskClient, url: str, headers: dict[str, str]) -> list[str]:
    return sorted(s["instanceId"] for s in client.get(url, headers=headers).get_json())


def feed_ids(client: FlaskClient, headers: dict[str, str], query: str = "") -> list[str]:
    body = client.get(f"{FORMS}/central_form.svc/Submissions{query}", headers=headers).get_json()
    return sorted(r["__id"] for r in body["value"])


def actions(client: FlaskClient, headers: dict[str, str]) -> list[str]:
    return [a["action"] for a in client.get("/v1/audits", headers=headers).get_json()]


def test_delete_and_restore_a_form(client: FlaskClient, admin_headers: dict[str, str], services: Services) -> None:
    publish_form(client, admin_headers)
    send(client, admin_headers, "uuid:a")
    assert client.delete(CENTRAL, headers=admin_headers).get_json() == {"success": True}
    gone = client.get(CENTRAL, headers=admin_headers)
    assert gone.status_code == 404 and PROBLEM_KEYS <= set(gone.get_json())
    assert client.get(FORMS, headers=admin_headers).get_json() == []
    assert client.get(SUBS, headers=admin_headers).status_code == 404
    assert b"central_form" not in client.get("/v1/projects/1/formList", headers=admin_headers).data
    refused = client.post(SUBS, data=submission_xml("uuid:b"), headers={**admin_headers, **XML})
    assert refused.status_code == 404
    trash = client.get(f"{FORMS}?deleted=true", headers=admin_headers).get_json()
    assert [(f["xmlFormId"], f["deletedAt"] is not None) for f in trash] == [("central_form", True)]
    numeric = trash[0]["id"]
    assert client.post(f"{FORMS}/{numeric + 99}/restore", headers=admin_headers).status_code == 404
    assert client.post(f"{FORMS}/{numeric}/restore", headers=admin_headers).get_json() == {"success": True}
    assert client.get(CENTRAL, headers=admin_headers).status_code == 200
    assert ids(client, SUBS, admin_headers) == ["uuid:a"]
    assert client.get(f"{FORMS}?deleted=true", headers=admin_headers).get_json() == []
    assert client.post(f"{FORMS}/{numeric}/restore", headers=admin_headers).status_code == 404
    assert {"form.delete", "form.restore"} <= set(actions(client, admin_headers))


def test_a_deleted_forms_id_cannot_be_taken(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    publish_form(client, admin_headers)
    client.delete(CENTRAL, headers=admin_headers)
    taken = create_draft(client, admin_headers)
    assert taken.status_code == 409 and taken.get_json()["code"] == 409.3
    live = create_draft(client, admin_headers, query="publish=true")
    assert live.status_code == 409


def test_delete_and_restore_a_submission(
    client: FlaskClient, admin_headers: dict[str, str], services: Services
) -> None:
    publish_form(client, admin_headers)
    send(client, admin_headers, "uuid:a", "uuid:b")
    process_pending(services.db.sessions, LookupCache(), services.blobs)
    assert client.delete(f"{SUBS}/uuid:a", headers=admin_headers).get_json() == {"success": True}
    assert client.get(f"{SUBS}/uuid:a", headers=admin_headers).status_code == 404
    assert client.delete(f"{SUBS}/uuid:a", headers=admin_headers).status_code == 404
    assert ids(client, SUBS, admin_headers) == ["uuid:b"]
    assert ids(client, f"{SUBS}?deleted=true", admin_headers) == ["uuid:a"]
    assert feed_ids(client, admin_headers) == ["uuid:b"]
    deleted_filter = "?$filter=" + quote("__system/deletedAt ne null")
    assert feed_ids(client, admin_headers, deleted_filter) == ["uuid:a"]
    everything = "?$filter=" + quote("__system/deletedAt eq null or __system/deletedAt ne null")
    assert feed_ids(client, admin_headers, everything) == ["uuid:a", "uuid:b"]
    csv = client.get(f"{CENTRAL}/submissions.csv", headers=admin_headers).data
    assert b"uuid:b" in csv and b"uuid:a" not in csv
    # Collect may not send a deleted submission again.
    resent = client.post(SUBS, data=submission_xml("uuid:a"), headers={**admin_headers, **XML})
    assert resent.status_code == 409
    assert client.post(f"{SUBS}/uuid:b/restore", headers=admin_headers).status_code == 404
    assert client.post(f"{SUBS}/uuid:a/restore", headers=admin_headers).get_json() == {"success": True}
    assert ids(client, SUBS, admin_headers) == ["uuid:a", "uuid:b"]
    assert feed_ids(client, admin_headers) == ["uuid:a", "uuid:b"]
    assert {"submission.delete", "submission.restore"} <= set(actions(client, admin_headers))


def test_only_managers_delete_and_restore(
    client: FlaskClient, admin_headers: dict[str, str], services: Services, make_user: Callable[..., User]
) -> None:
    publish_form(client, admin_headers)
    send(client, admin_headers, "uuid:a")
    supervisor: User = make_user("supervisor1", "supervisor")
    headers = bearer_for(services, supervisor)
    assert client.delete(f"{SUBS}/uuid:a", headers=headers).status_code == 403
    assert client.delete(CENTRAL, headers=headers).status_code == 403
    manager: User = make_user("manager1", "manager")
    manager_headers = bearer_for(services, manager)
    assert client.delete(f"{SUBS}/uuid:a", headers=manager_headers).status_code == 200
    assert client.post(f"{SUBS}/uuid:a/restore", headers=headers).status_code == 403
    assert client.post(f"{SUBS}/uuid:a/restore", headers=manager_headers).status_code == 200
