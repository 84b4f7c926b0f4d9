"""ODK Web Forms in the web application, without a browser: the pages and their security policy, the
form media it loads, a submission posted as Web Forms posts it (session cookie + CSRF token, same
intake and processing as Collect's), an edit with its reason in the history, and sending a
submission back to its surveyor, who corrects it. The browser half is tests/live/test_webforms.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from io import BytesIO

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.core.forms import form_media, publishing
from server.core.ground.services import Services
from server.core.models import AuditEvent, Record, Submission, SubmissionVersion, User
from server.web.ui.session import content_security_policy
from tests.live.submissions import kitchen_sink_xml
from tests.web.ui.conftest import csrf_of, post
from tests.web.ui.test_submissions import JPEG, KITCHEN, process_all, submit

# The tests run without map tiles (tests/conftest.py), so the policies name no tile server.
CSP = content_security_policy("")
WEBFORMS_CSP = content_security_policy("", webforms=True)

FORM = "/ui/projects/1/forms/kitchen_sink"


@pytest.fixture
def admin_ui(signed_in: Callable[..., FlaskClient], admin: User) -> FlaskClient:
    client = signed_in("admin")
    resp = post(client, "/ui/projects/1/publish", {"file": (BytesIO(KITCHEN), "kitchen_sink.md")},
                content_type="multipart/form-data")
    assert resp.status_code == 302
    return client


def web_post(client: FlaskClient, path: str, xml: bytes, files: list[tuple[str, bytes]] = (), *,
             page: str = "/ui/", **fields: str):  # type: ignore[no-untyped-def]
    """What the Web Forms bundle sends: the payload's FormData (xml_submission_file + files) with the
    page's CSRF token in X-CSRF-Token."""
    data: dict[str, object] = {"xml_submission_file": (BytesIO(xml), "xml_submission_file", "text/xml"), **fields}
    for name, content in files:
        data[name] = (BytesIO(content), name, "image/jpeg")
    return client.post(path, data=data, content_type="multipart/form-data",
                       headers={"X-CSRF-Token": csrf_of(client, page), "Accept": "application/json"})


def values_without_meta(services: Services, instance_id: str) -> dict[str, object]:
    with services.db.session() as s:
        vid = s.scalar(select(SubmissionVersion.id).where(SubmissionVersion.instance_id == instance_id))
        values = dict(s.scalar(select(Record.values).where(Record.submission_version_id == vid)) or {})
    return {k: v for k, v in values.items() if "/meta/" not in k}


def test_the_new_submission_page_mounts_web_forms_under_its_own_policy(admin_ui: FlaskClient) -> None:
    form_page = admin_ui.get(FORM).get_data(as_text=True)
    assert f'href="{FORM}/new"' in form_page and "กรอกข้อมูลใหม่" in form_page
    resp = admin_ui.get(f"{FORM}/new")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<script type="module" src="/ui/static/webforms/webforms.js">' in body
    assert f'data-form-url="{FORM}/xform"' in body and f'data-media-url="{FORM}/media/"' in body
    assert f'data-submit-url="{FORM}/new"' in body
    # Scripts only from this server, no JavaScript eval: only WebAssembly compilation and inline styles.
    policy = resp.headers["Content-Security-Policy"]
    assert policy == WEBFORMS_CSP and "script-src 'self' 'wasm-unsafe-eval';" in policy
    assert "unsafe-eval'" not in policy.replace("'wasm-unsafe-eval'", "")
    assert admin_ui.get(FORM).headers["Content-Security-Policy"] == CSP  # every other page keeps the strict one
    bundle = admin_ui.get("/ui/static/webforms/webforms.js")
    assert bundle.status_code == 200 and bundle.mimetype == "text/javascript"
    assert admin_ui.get("/ui/static/webforms/LICENSES.txt").status_code == 200


def test_form_media_are_served_by_name_for_web_forms(admin_ui: FlaskClient, services: Services) -> None:
    assert admin_ui.get(f"{FORM}/media/logo.png").status_code == 404  # expected, not uploaded yet
    with services.db.session() as s:
        version = publishing.current_version(publishing.get_form(s, 1, "kitchen_sink"))
        form_media.attach_media(s, services.blobs, version, "logo.png", b"\x89PNG-logo")
    resp = admin_ui.get(f"{FORM}/media/logo.png")
    assert resp.status_code == 200 and resp.data == b"\x89PNG-logo" and resp.mimetype == "image/png"
    assert admin_ui.get(f"{FORM}/media/other.png").status_code == 404


def test_a_web_forms_submission_is_processed_exactly_like_the_same_one_from_collect(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services
) -> None:
    from_collect = submit(client, services, collector.collect_token or "", remarks="บ้านริมน้ำ")
    web_id, xml = kitchen_sink_xml(remarks="บ้านริมน้ำ", photo="house.jpg")
    resp = web_post(admin_ui, f"{FORM}/new", xml, [("house.jpg", JPEG)], page=f"{FORM}/new")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    answer = resp.get_json()
    assert answer["instanceId"] == web_id and "ส่งข้อมูลเรียบร้อยแล้ว" in answer["message"]
    assert answer["next"] is None  # the page clears the form for the next one
    process_all(services)
    web_values = values_without_meta(services, web_id)
    assert web_values and web_values == values_without_meta(services, from_collect)
    assert web_values["/data/remarks"] == "บ้านริมน้ำ"
    page = admin_ui.get(f"{FORM}/submissions/{web_id}").get_data(as_text=True)
    assert "house.jpg" in page and 'class="thumb"' in page  # the photo came along
    with services.db.session() as s:
        submitter = s.scalar(select(Submission.submitter_id).where(Submission.instance_id == web_id))
        admin_id = s.scalar(select(User.id).where(User.username == "admin"))
    assert submitter == admin_id


def test_web_forms_posts_need_the_csrf_token_and_the_right_to_submit(
    admin_ui: FlaskClient, signed_in: Callable[..., FlaskClient], make_user: Callable[..., User],
    services: Services,
) -> None:
    _iid, xml = kitchen_sink_xml()
    no_token = admin_ui.post(f"{FORM}/new", data={"xml_submission_file": (BytesIO(xml), "x.xml")},
                             content_type="multipart/form-data")
    assert no_token.status_code == 403
    make_user("viewer1", "viewer")
    viewer = signed_in("viewer1")
    assert viewer.get(f"{FORM}/new").status_code == 403
    assert web_post(viewer, f"{FORM}/new", xml).status_code == 403
    bad = web_post(admin_ui, f"{FORM}/new", b"<data id='kitchen_sink'><oops")
    assert bad.status_code == 400 and bad.get_json()["message"]  # a Thai message for the page, no traceback
    with services.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 0


def _edit_xml(old_id: str, **answers: str) -> tuple[str, bytes]:
    return kitchen_sink_xml(deprecated_id=old_id, photo="house.jpg", **answers)


def test_an_edit_in_the_browser_is_a_new_version_with_the_editor_and_his_reason(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services
) -> None:
    iid = submit(client, services, collector.collect_token or "", remarks="ก่อนแก้")
    page = admin_ui.get(f"{FORM}/submissions/{iid}").get_data(as_text=True)
    edit_url = f"{FORM}/submissions/{iid}/edit"
    assert f'href="{edit_url}"' in page
    editor = admin_ui.get(edit_url)
    assert editor.status_code == 200 and 'id="edit-reason"' in editor.get_data(as_text=True)
    assert editor.headers["Content-Security-Policy"] == WEBFORMS_CSP
    assert 'data-attachments="[&#34;house.jpg&#34;]"' in editor.get_data(as_text=True)
    instance = admin_ui.get(f"{edit_url}/instance.xml")
    assert instance.status_code == 200 and b"<remarks>\xe0\xb8\x81" in instance.data  # the current XML
    assert admin_ui.get(f"{edit_url}/attachments/house.jpg").data == JPEG

    new_id, xml = _edit_xml(iid, remarks="หลังแก้")
    missing_reason = web_post(admin_ui, edit_url, xml, page=edit_url)
    assert missing_reason.status_code == 400 and "เหตุผล" in missing_reason.get_json()["message"]
    stale_id, stale = _edit_xml("uuid:not-the-current-one", remarks="x")
    assert web_post(admin_ui, edit_url, stale, page=edit_url, reason="พิมพ์ผิด").status_code == 409
    resp = web_post(admin_ui, edit_url, xml, page=edit_url, reason="แก้หมายเหตุตามใบกระดาษ")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["next"] == f"{FORM}/submissions/{iid}"
    process_all(services)

    body = admin_ui.get(f"{FORM}/submissions/{iid}").get_data(as_text=True)
    assert '<td class="before">ก่อนแก้</td><td class="after">หลังแก้</td>' in body
    assert "เหตุผล: แก้หมายเหตุตามใบกระดาษ" in body and "แก้ไขแล้ว" in body
    with services.db.session() as s:
        sub = s.scalar(select(Submission).where(Submission.instance_id == iid))
        assert sub is not None and sub.review_state == "edited"
        versions = s.scalars(select(SubmissionVersion).where(SubmissionVersion.submission_id == sub.id)
                             .order_by(SubmissionVersion.id)).all()
        assert [v.instance_id for v in versions] == [iid, new_id] and versions[1].deprecated_id == iid
        assert s.scalar(select(func.count()).select_from(SubmissionVersion)
                        .where(SubmissionVersion.instance_id == stale_id)) == 0
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "submission.update.version"))
        assert event is not None and event.notes == "แก้หมายเหตุตามใบกระดาษ"
        assert event.details["versionId"] == versions[1].id and event.actor_id == versions[1].submitter_id
        # the photo was carried forward from the first version
        assert [a.name for a in versions[1].attachments if a.blob_sha256] == ["house.jpg"]


def test_a_supervisor_cannot_edit_a_form_with_sensitive_answers_he_may_not_read(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services,
    signed_in: Callable[..., FlaskClient], make_user: Callable[..., User],
) -> None:
    iid = submit(client, services, collector.collect_token or "")
    make_user("sup", "supervisor")
    supervisor = signed_in("sup")
    assert 'id="edit-submission"' not in supervisor.get(f"{FORM}/submissions/{iid}").get_data(as_text=True)
    assert supervisor.get(f"{FORM}/submissions/{iid}/edit").status_code == 403
    assert supervisor.get(f"{FORM}/submissions/{iid}/edit/instance.xml").status_code == 403


def test_sent_back_the_surveyor_corrects_it_in_the_browser_and_it_comes_back_edited(
    admin_ui: FlaskClient, client: FlaskClient, services: Services,
    signed_in: Callable[..., FlaskClient], make_user: Callable[..., User],
) -> None:
    surveyor = make_user("dang", "collector")  # a collector with a password signs in to the web application
    other = make_user("noi", "collector")
    iid = submit(client, services, surveyor.collect_token or "", remarks="เลขบัตรผิด")
    make_user("sup", "supervisor")
    supervisor = signed_in("sup")
    url = f"{FORM}/submissions/{iid}"
    no_comment = post(supervisor, f"{url}/review", {"state": "needsCorrection"}, page=url)
    assert no_comment.status_code == 400  # the surveyor must know what to fix
    sent = post(supervisor, f"{url}/review", {"state": "needsCorrection", "comment": "เลขบัตรคนที่ 2 ผิด"}, page=url)
    assert sent.status_code == 302
    assert 'id="review-state">ส่งกลับให้แก้ไข<' in supervisor.get(url).get_data(as_text=True)
    table = supervisor.get(f"{FORM}/submissions?reviewState=needsCorrection").get_data(as_text=True)
    assert iid in table and "state-needsCorrection" in table
    dash = supervisor.get(f"{FORM}/dashboard").get_data(as_text=True)
    assert re.search(r'<td class="num">1</td><td class="num">-</td></tr>', dash)  # one returned, per surveyor

    dang = signed_in("dang")
    home = dang.get("/ui/").get_data(as_text=True)
    assert "ส่งกลับให้แก้ไข" in home and "เลขบัตรคนที่ 2 ผิด" in home and f'href="{url}/edit"' in home
    assert 'href="/ui/projects/1/forms/kitchen_sink/new"' not in home  # the list links to the correction
    assert signed_in("noi").get(f"{url}/edit").status_code == 404  # not his submission
    assert other.id != surveyor.id
    editor = dang.get(f"{url}/edit").get_data(as_text=True)
    assert "สิ่งที่ผู้ตรวจขอให้แก้" in editor and "เลขบัตรคนที่ 2 ผิด" in editor
    assert dang.get(f"{url}/edit/instance.xml").status_code == 200
    assert dang.get(url).status_code == 403  # he still cannot browse submissions

    _new_id, xml = _edit_xml(iid, remarks="แก้เลขบัตรแล้ว")
    resp = web_post(dang, f"{url}/edit", xml, page=f"{url}/edit", reason="แก้เลขบัตรคนที่ 2")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["next"].startswith("/ui/?sent=")
    process_all(services)
    assert "ส่งกลับให้แก้ไข (" not in dang.get("/ui/").get_data(as_text=True)  # nothing left to correct
    assert dang.get(f"{url}/edit").status_code == 404  # once corrected, it is the reviewer's again

    body = supervisor.get(url).get_data(as_text=True)
    assert 'id="review-state">แก้ไขแล้ว<' in body
    assert '<td class="before">เลขบัตรผิด</td><td class="after">แก้เลขบัตรแล้ว</td>' in body
    assert "เหตุผล: แก้เลขบัตรคนที่ 2" in body and "เลขบัตรคนที่ 2 ผิด" in body  # the thread is intact
    approved = post(supervisor, f"{url}/review", {"state": "approved"}, page=url)
    assert approved.status_code == 302
    with services.db.session() as s:
        assert s.scalar(select(Submission.review_state).where(Submission.instance_id == iid)) == "approved"


def test_the_committed_bundle_carries_the_thai_ui_strings() -> None:
    """tools/webforms/thai-strings.json was applied to the committed build (re-run build.sh after changing
    it): every Thai string is in the bundle, with the look-up that picks it on a Thai page."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    table = json.loads((root / "tools/webforms/thai-strings.json").read_text(encoding="utf-8"))
    bundle = "".join(p.read_text(encoding="utf-8") for p in (root / "server/web/static/webforms").rglob("*.js"))
    missing = [th for th in table["strings"].values() if json.dumps(th, ensure_ascii=False)[1:-1] not in bundle]
    assert not missing, missing
    assert 'toLowerCase().startsWith("th")' in bundle and "วันนี้" in bundle  # the page-language test, PrimeVue's Today
