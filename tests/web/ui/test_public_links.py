"""Public links: a manager makes a link (API or the form page), anyone opens it without signing in and
submits through ODK Web Forms; the submission goes through Collect's intake, is processed the same way
and is made by the link's actor; `once` links take one submission per browser; a rate limit per link
and per client address refuses with 429; a revoked link answers 410 at once. The browser half is in
tests/live/test_webforms.py."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.core.forms.publishing import publish_form
from server.core.ground.services import Services
from server.core.models import AuditEvent, PublicLink, Submission, User
from server.web.ui.session import content_security_policy
from tests.helpers import bearer_for
from tests.live.submissions import kitchen_sink_xml
from tests.web.ui.conftest import csrf_of, post
from tests.web.ui.test_submissions import JPEG, process_all, submit
from tests.web.ui.test_webforms import FORM, admin_ui, values_without_meta, web_post  # noqa: F401

API = "/v1/projects/1/forms/kitchen_sink/public-links"
OTHER_MD = b"""
| survey |
|        | type | name | label |
|        | text | note | Note  |
| settings |
|          | form_id | version |
|          | other   | 1       |
"""
UNKNOWN_FORM = b'<data id="no_such_form"><meta><instanceID>uuid:0d1e2f30-0000-4000-8000-000000000001</instanceID></meta></data>'


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    """Small limits, so that the rate limit is reached in a test: 2 an hour from one address, 4 in all."""
    return {**settings_env, "CHUMCHON_PUBLIC_LINK_HOURLY_PER_ADDRESS": "2", "CHUMCHON_PUBLIC_LINK_HOURLY": "4"}


@pytest.fixture
def manager_headers(make_user: Callable[..., User], services: Services) -> dict[str, str]:
    return bearer_for(services, make_user("boss", "manager"))


def make_link(client: FlaskClient, headers: dict[str, str], name: str = "ลิงก์ประชาชน", once: bool = False) -> dict:  # type: ignore[type-arg]
    resp = client.post(API, json={"displayName": name, "once": once}, headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()  # type: ignore[no-any-return]


def link_path(link: dict) -> str:  # type: ignore[type-arg]
    return f"/ui/f/{link['token']}"


def public_post(app: Flask, link: dict, *, address: str = "127.0.0.1", client: FlaskClient | None = None,  # type: ignore[type-arg]
                remarks: str = "จากลิงก์"):  # type: ignore[no-untyped-def]
    """What the page posts from a browser nobody signed in on: the page's CSRF token (bound to its
    anonymous cookie), the instance and its photo."""
    browser = client or app.test_client()
    _iid, xml = kitchen_sink_xml(remarks=remarks, photo="house.jpg")
    data = {"xml_submission_file": (BytesIO(xml), "xml_submission_file", "text/xml"),
            "house.jpg": (BytesIO(JPEG), "house.jpg", "image/jpeg")}
    return browser.post(link_path(link), data=data, content_type="multipart/form-data",
                        headers={"X-CSRF-Token": csrf_of(browser, link_path(link)), "Accept": "application/json"},
                        environ_base={"REMOTE_ADDR": address})


def test_managers_create_list_and_revoke_links_through_the_api(
    admin_ui: FlaskClient, client: FlaskClient, manager_headers: dict[str, str],  # noqa: F811
    make_user: Callable[..., User], services: Services,
) -> None:
    assert client.get(API, headers=manager_headers).get_json() == []  # off by default: no link
    link = make_link(client, manager_headers, once=True)
    assert link["type"] == "public_link" and link["displayName"] == "ลิงก์ประชาชน" and link["once"] is True
    assert link["token"] and link["url"].endswith(link_path(link)) and link["deletedAt"] is None
    listed = client.get(API, headers={**manager_headers, "X-Extended-Metadata": "true"}).get_json()
    assert [x["id"] for x in listed] == [link["id"]] and listed[0]["createdBy"]["displayName"] == "boss"
    # Only managers: a supervisor and a collector of the project may not see or make links.
    for role in ("supervisor", "collector"):
        other = bearer_for(services, make_user(f"p_{role}", role))
        assert client.get(API, headers=other).status_code == 403
        assert client.post(API, json={"displayName": "x"}, headers=other).status_code == 403
        assert client.delete(f"{API}/{link['id']}", headers=other).status_code == 403
    assert client.post(API, json={"displayName": "x"}).status_code == 401
    for bad in ({}, {"displayName": ""}, {"displayName": "x" * 256}, {"displayName": "x", "once": "yes"}):
        resp = client.post(API, json=bad, headers=manager_headers)
        assert resp.status_code == 400, bad
    assert client.get(link_path(link)).status_code == 200
    assert client.delete(f"{API}/{link['id']}", headers=manager_headers).get_json() == {"success": True}
    assert client.get(API, headers=manager_headers).get_json() == []
    assert client.delete(f"{API}/{link['id']}", headers=manager_headers).status_code == 404
    gone = client.get(link_path(link))
    assert gone.status_code == 410 and "ลิงก์นี้ถูกยกเลิกแล้ว" in gone.get_data(as_text=True)
    unknown = client.get("/ui/f/not-a-link")
    assert unknown.status_code == 404 and "ไม่พบลิงก์นี้" in unknown.get_data(as_text=True)
    with services.db.session() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("public_link.%"))))
    assert actions == ["public_link.create", "public_link.delete"]


def test_the_form_page_makes_copies_and_revokes_links_for_managers_only(
    admin_ui: FlaskClient, signed_in: Callable[..., FlaskClient], make_user: Callable[..., User],  # noqa: F811
) -> None:
    page = admin_ui.get(FORM).get_data(as_text=True)
    assert 'id="public-links"' in page and "ยังไม่มีลิงก์สาธารณะ" in page
    refused = admin_ui.post(f"{FORM}/public-links", data={"display_name": "no token"})
    assert refused.status_code == 403  # no CSRF token
    made = post(admin_ui, f"{FORM}/public-links", {"display_name": "ลิงก์ อบต.", "once": "1"}, page=FORM)
    assert made.status_code == 302 and made.headers["Location"].endswith("#public-links")
    page = admin_ui.get(made.headers["Location"]).get_data(as_text=True)
    assert "ลิงก์ อบต." in page and "ครั้งเดียวต่อเครื่อง" in page and "สร้างลิงก์แล้ว" in page
    assert 'value="http://localhost/ui/f/' in page and 'data-copy="link-url-' in page
    make_user("sup1", "supervisor")
    supervisor = signed_in("sup1")
    assert 'id="public-links"' not in supervisor.get(FORM).get_data(as_text=True)
    assert post(supervisor, f"{FORM}/public-links", {"display_name": "x"}, page=FORM).status_code == 403
    assert post(admin_ui, f"{FORM}/public-links", {"display_name": "  "}, page=FORM).status_code == 400
    link_id = page.split('data-link-id="')[1].split('"')[0]
    assert post(supervisor, f"{FORM}/public-links/{link_id}/revoke", page=FORM).status_code == 403
    revoked = post(admin_ui, f"{FORM}/public-links/{link_id}/revoke", page=FORM)
    assert revoked.status_code == 302
    page = admin_ui.get(revoked.headers["Location"]).get_data(as_text=True)
    assert "ลิงก์ อบต." not in page and "ยกเลิกลิงก์แล้ว" in page


def test_anyone_submits_through_a_link_and_it_is_processed_as_from_collect(
    admin_ui: FlaskClient, app: Flask, client: FlaskClient, collector: User,  # noqa: F811
    manager_headers: dict[str, str], services: Services,
) -> None:
    link = make_link(client, manager_headers)
    anonymous = app.test_client()
    page = anonymous.get(link_path(link))
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and '<script type="module" src="/ui/static/webforms/webforms.js">' in body
    assert page.headers["Content-Security-Policy"] == content_security_policy("", webforms=True)
    assert f'data-form-url="{link_path(link)}/form.xml"' in body and 'data-once' not in body
    xform = anonymous.get(f"{link_path(link)}/form.xml")
    assert xform.status_code == 200 and b"kitchen_sink" in xform.data
    assert anonymous.get(f"{link_path(link)}/media/nothing.csv").status_code == 404
    no_csrf = anonymous.post(link_path(link), data={"xml_submission_file": (BytesIO(b"<x/>"), "x.xml")},
                             content_type="multipart/form-data")
    assert no_csrf.status_code == 403
    with services.db.session() as s:
        publish_form(s, services.blobs, 1, OTHER_MD, "other.md")
    junk = make_link(client, manager_headers, name="ทดสอบ")  # bad posts, each from its own address
    headers = {"X-CSRF-Token": csrf_of(anonymous, link_path(junk)), "Accept": "application/json"}
    for n, (bad, status) in enumerate((
        ({}, 400),
        ({"xml_submission_file": (BytesIO(b"<not xml"), "x.xml", "text/xml")}, 400),
        ({"xml_submission_file": (BytesIO(UNKNOWN_FORM), "x.xml", "text/xml")}, 404),
        # Another form of the project: the link's actor may fill only the link's form.
        ({"xml_submission_file": (BytesIO(UNKNOWN_FORM.replace(b'"no_such_form"', b'"other" version="1"')), "x.xml", "text/xml")},
         403),
    )):
        refused = anonymous.post(link_path(junk), data=bad, content_type="multipart/form-data", headers=headers,
                                 environ_base={"REMOTE_ADDR": f"10.9.9.{n}"})
        assert refused.status_code == status and refused.get_json()["message"], (bad, refused.get_json())
    resp = public_post(app, link, client=anonymous, remarks="บ้านริมน้ำ")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["once"] is False and "ขอบคุณ" in resp.get_json()["message"]
    process_all(services)
    from_collect = submit(client, services, collector.collect_token or "", remarks="บ้านริมน้ำ")
    with services.db.session() as s:
        made = s.scalars(select(Submission).order_by(Submission.id)).all()
        actor = s.scalar(select(PublicLink.actor_id).where(PublicLink.token == link["token"]))
        by_link = next(m for m in made if m.instance_id != from_collect)
        assert by_link.submitter_id == actor == link["id"]
        link_iid = by_link.instance_id
    assert values_without_meta(services, link_iid) == values_without_meta(services, from_collect)
    listed = admin_ui.get(f"{FORM}/submissions").get_data(as_text=True)
    assert "ลิงก์ประชาชน" in listed  # shown as made by the link
    # The link's actor is no account to manage: not on the users page, no password can be set on it.
    assert "ลิงก์ประชาชน" not in admin_ui.get("/ui/users").get_data(as_text=True)
    assert post(admin_ui, f"/ui/users/{actor}/password", {"password": "a-long-password-1"}).status_code == 404


def test_a_once_link_takes_one_submission_per_browser(
    app: Flask, client: FlaskClient, manager_headers: dict[str, str], admin_ui: FlaskClient,  # noqa: F811
) -> None:
    link = make_link(client, manager_headers, once=True)
    browser = app.test_client()
    assert 'data-once="chumchon-sent:' in browser.get(link_path(link)).get_data(as_text=True)
    first = public_post(app, link, client=browser)
    assert first.status_code == 200 and first.get_json()["once"] is True
    assert f"Path={link_path(link)}" in first.headers["Set-Cookie"]
    again = public_post(app, link, client=browser)
    assert again.status_code == 409 and "ส่งได้ครั้งเดียว" in again.get_json()["message"]
    page = browser.get(link_path(link)).get_data(as_text=True)
    assert 'id="once-done"' in page and 'id="webform"' not in page
    assert public_post(app, link).status_code == 200  # another browser may still send once


def test_the_rate_limit_counts_per_address_and_per_link_and_answers_429(
    app: Flask, client: FlaskClient, manager_headers: dict[str, str], admin_ui: FlaskClient,  # noqa: F811
) -> None:
    link = make_link(client, manager_headers)
    assert public_post(app, link, address="10.0.0.1").status_code == 200
    assert public_post(app, link, address="10.0.0.1").status_code == 200
    refused = public_post(app, link, address="10.0.0.1")  # 2 an hour from one address
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
    assert "ส่งข้อมูลผ่านลิงก์นี้บ่อยเกินไป" in refused.get_json()["message"]
    assert public_post(app, link, address="10.0.0.2").status_code == 200
    assert public_post(app, link, address="10.0.0.3").status_code == 200
    assert public_post(app, link, address="10.0.0.4").status_code == 429  # 4 an hour through the link
    other = make_link(client, manager_headers, name="อีกลิงก์")
    assert public_post(app, other, address="10.0.0.1").status_code == 200  # each link counts its own


def test_a_revoked_link_stops_at_once_even_on_an_open_page(
    app: Flask, client: FlaskClient, manager_headers: dict[str, str], admin_ui: FlaskClient,  # noqa: F811
) -> None:
    link = make_link(client, manager_headers)
    browser = app.test_client()
    token = csrf_of(browser, link_path(link))  # the page is open in someone's browser
    assert client.delete(f"{API}/{link['id']}", headers=manager_headers).status_code == 200
    _iid, xml = kitchen_sink_xml()
    resp = browser.post(link_path(link), data={"xml_submission_file": (BytesIO(xml), "x.xml", "text/xml")},
                        content_type="multipart/form-data", headers={"X-CSRF-Token": token})
    assert resp.status_code == 410 and "ถูกยกเลิกแล้ว" in resp.get_json()["message"]
    assert browser.get(f"{link_path(link)}/form.xml").status_code == 410
