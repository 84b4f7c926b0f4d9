"""The web application's pages as a browser uses them: home counts, the form page (versions, state,
media, downloads, publishing with errors), users and roles, onboarding sheets, the audit log."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from io import BytesIO

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.core.accounts import collect_qr
from server.core.ground.services import Services
from server.core.models import AuditEvent, Form, FormVersion, RoleGrant, User
from tests.helpers import FIXTURES, PASSWORD
from tests.web.openrosa.test_submission import multipart
from tests.web.ui.conftest import post, sign_in

KITCHEN = (FIXTURES / "kitchen_sink.md").read_bytes()
FORM_PAGE = "/ui/projects/1/forms/kitchen_sink"


def publish(client: FlaskClient, source: bytes = KITCHEN, filename: str = "kitchen_sink.md",
            path: str = "/ui/projects/1/publish"):  # type: ignore[no-untyped-def]
    return post(client, path, {"file": (BytesIO(source), filename)}, content_type="multipart/form-data")


@pytest.fixture
def admin_ui(signed_in: Callable[..., FlaskClient], admin: User) -> FlaskClient:
    return signed_in("admin")


@pytest.fixture
def published(admin_ui: FlaskClient) -> FlaskClient:
    resp = publish(admin_ui)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return admin_ui


def submit(client: FlaskClient, token: str, house_no: str = "99/1", files=()) -> None:  # type: ignore[no-untyped-def]
    from tests.live.submissions import kitchen_sink_xml

    _, xml = kitchen_sink_xml(house_no=house_no)
    body, ctype = multipart(xml, list(files))
    resp = client.post(f"/key/{token}/projects/1/submission", data=body, content_type=ctype,
                       headers={"X-OpenRosa-Version": "1.0"})
    assert resp.status_code == 201, resp.get_data(as_text=True)


def test_home_lists_forms_with_today_week_total_and_last_time(
    published: FlaskClient, collector: User, client: FlaskClient
) -> None:
    for n in range(3):
        submit(client, collector.collect_token or "", house_no=f"{n}/1")
    body = published.get("/ui/").get_data(as_text=True)
    assert "แบบทดสอบครบทุกชนิดคำถาม" in body and "เปิดรับข้อมูล" in body
    row = re.search(r"kitchen_sink</div></td>(.*?)</tr>", body, re.S)
    assert row is not None
    numbers = re.findall(r'<td class="num">(?:<a [^>]*>)?(\d+)', row.group(1))
    assert numbers == ["3", "3", "3"]
    assert "/25" in row.group(1)  # Buddhist-era year of the last submission (25xx)


def test_form_page_shows_versions_media_and_downloads(published: FlaskClient, services: Services) -> None:
    resp = published.get(FORM_PAGE)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "รุ่นของแบบฟอร์ม" in body and "2026112301" in body
    assert re.search(r"2026112301.*?</td>\s*<td>[^<]+</td>\s*<td>admin</td>", body, re.S)  # who published
    assert "logo.png" in body and "ยังไม่มี" in body  # the media file the note expects, not uploaded yet
    xls = published.get(f"{FORM_PAGE}/xlsform")
    assert xls.status_code == 200 and xls.data == KITCHEN and "attachment" in xls.headers["Content-Disposition"]
    xform = published.get(f"{FORM_PAGE}/xform")
    assert xform.status_code == 200 and b"<h:html" in xform.data and xform.mimetype == "text/xml"


def test_upload_a_missing_media_file(published: FlaskClient) -> None:
    resp = post(published, f"{FORM_PAGE}/media", {"name": "logo.png", "file": (BytesIO(b"\x89PNG fake"), "logo.png")},
                page=FORM_PAGE, content_type="multipart/form-data")
    assert resp.status_code == 302
    body = published.get(resp.headers["Location"]).get_data(as_text=True)
    assert "บันทึกไฟล์แล้ว" in body and "มีแล้ว" in body
    wrong = post(published, f"{FORM_PAGE}/media", {"name": "other.png", "file": (BytesIO(b"x"), "other.png")},
                 page=FORM_PAGE, content_type="multipart/form-data")
    assert wrong.status_code == 404 and "ไม่ได้ใช้ไฟล์ชื่อ other.png" in wrong.get_data(as_text=True)


def test_close_and_reopen_a_form(published: FlaskClient, services: Services) -> None:
    assert post(published, f"{FORM_PAGE}/state", {"state": "closed"}, page=FORM_PAGE).status_code == 302
    assert "ปิดรับข้อมูล" in published.get(FORM_PAGE).get_data(as_text=True)
    with services.db.session() as s:
        assert s.scalar(select(Form.state)) == "closed"
    post(published, f"{FORM_PAGE}/state", {"state": "open"}, page=FORM_PAGE)
    with services.db.session() as s:
        assert s.scalar(select(Form.state)) == "open"


def test_publish_errors_name_the_sheet_and_row_and_publish_nothing(admin_ui: FlaskClient, services: Services) -> None:
    broken = (FIXTURES / "broken_missing_calculation.md").read_bytes()
    resp = publish(admin_ui, broken, "broken_missing_calculation.md")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "ไม่ได้เผยแพร่" in body and "ชีต <b>survey</b> แถวที่ <b>3</b>" in body and "Missing calculation" in body
    unknown = publish(admin_ui, (FIXTURES / "broken_unknown_type.md").read_bytes(), "broken_unknown_type.md")
    text = unknown.get_data(as_text=True)
    assert unknown.status_code == 400 and "nonsense_type" in text and "แถวที่ <b>3</b>" in text
    unlabelled = publish(admin_ui, WARNED.format(version="1").replace("บ้านเลขที่", "").replace("| x |", "|   |").encode(),
                         "warned.md")
    assert unlabelled.status_code == 400 and "แถวที่ <b>2</b>" in unlabelled.get_data(as_text=True)
    with services.db.session() as s:
        assert s.scalar(select(func.count()).select_from(FormVersion)) == 0


WARNED = """
| survey |
| | type | name | label | hint::English (en) |
| | text | house_no | บ้านเลขที่ | x |
| | select_one yn | well | มีบ่อน้ำ | |
| choices |
| | list_name | name | label |
| | yn | 1 | |
| settings |
| | form_id | version |
| | warned | {version} |
"""


def test_publish_a_new_version_on_the_form_page_shows_its_warnings(admin_ui: FlaskClient) -> None:
    assert publish(admin_ui, WARNED.format(version="1").encode(), "warned.md").status_code == 302
    page = "/ui/projects/1/forms/warned"
    resp = publish(admin_ui, WARNED.format(version="2").encode(), "warned.md", path=f"{page}/publish")
    assert resp.status_code == 302
    body = admin_ui.get(resp.headers["Location"]).get_data(as_text=True)
    assert "เผยแพร่แล้ว" in body and "<td>2 <span" in body and "<td>1</td>" in body
    assert "Choices should have a label" in body and "missing the survey label column" in body
    other = publish(admin_ui, (FIXTURES / "broken_unknown_type.md").read_bytes().replace(b"nonsense_type", b"text"),
                    "broken.md", path=f"{page}/publish")
    assert other.status_code == 400 and "ไม่ใช่ warned" in other.get_data(as_text=True)


def test_users_page_creates_accounts_grants_deactivates_and_resets(
    admin_ui: FlaskClient, app, services: Services  # type: ignore[no-untyped-def]
) -> None:
    page = admin_ui.get("/ui/users")
    assert page.status_code == 200 and "ผู้ใช้และสิทธิ์" in page.get_data(as_text=True)
    made = post(admin_ui, "/ui/users", {"username": "malee", "display_name": "มาลี", "role": "supervisor",
                                        "project_id": "1", "password": "malee-password"}, page="/ui/users")
    assert made.status_code == 302
    post(admin_ui, "/ui/users", {"username": "dang", "display_name": "แดง", "role": "collector", "project_id": "1"},
         page="/ui/users")
    dup = post(admin_ui, "/ui/users", {"username": "dang", "role": "collector", "project_id": "1"}, page="/ui/users")
    assert dup.status_code == 409 and "มีอยู่แล้ว" in dup.get_data(as_text=True)
    with services.db.session() as s:
        malee = s.scalar(select(User).where(User.username == "malee"))
        assert malee is not None and malee.collect_token is None
        mid = malee.id
    assert post(admin_ui, f"/ui/users/{mid}/grant", {"role": "manager", "project_id": "1"},
                page="/ui/users").status_code == 302
    with services.db.session() as s:
        assert set(s.scalars(select(RoleGrant.role).where(RoleGrant.user_id == mid))) == {"supervisor", "manager"}
    assert sign_in(app.test_client(), "malee", "malee-password").status_code == 302
    post(admin_ui, f"/ui/users/{mid}/password", {"password": "another-pass-1"}, page="/ui/users")
    assert sign_in(app.test_client(), "malee", "malee-password").status_code == 401
    assert sign_in(app.test_client(), "malee", "another-pass-1").status_code == 302
    post(admin_ui, f"/ui/users/{mid}/active", {"active": "0"}, page="/ui/users")
    assert sign_in(app.test_client(), "malee", "another-pass-1").status_code == 401
    assert "ระงับแล้ว" in admin_ui.get("/ui/users").get_data(as_text=True)
    with services.db.session() as s:
        actions = set(s.scalars(select(AuditEvent.action).where(AuditEvent.target == "user:malee")))
    assert {"user.create", "user.grant", "user.password.reset", "user.deactivate"} <= actions


def test_onboarding_sheet_has_the_collectors_qr_and_three_steps(
    admin_ui: FlaskClient, collector: User, make_user: Callable[..., User]
) -> None:
    make_user("noi", "collector", password=None)
    users_page = admin_ui.get("/ui/users").get_data(as_text=True)
    link = re.search(rf'href="(/ui/users/{collector.id}/sheet/1)"', users_page)
    assert link is not None
    sheet = admin_ui.get(link.group(1)).get_data(as_text=True)
    assert "ใบเริ่มงานเก็บข้อมูลด้วย ODK Collect" in sheet and "somchai" in sheet
    assert sheet.count("<li>") >= 3 and "ODK Collect จาก Google Play" in sheet and "<svg" in sheet
    assert "window.print" not in sheet and "print-button" in sheet  # printing is wired in app.js, not inline
    every = admin_ui.get("/ui/users/sheets").get_data(as_text=True)
    assert every.count('<article class="sheet">') == 2 and "noi" in every


def test_the_qr_code_carries_the_collectors_token_url(collector: User) -> None:
    payload = collect_qr.encode_settings(collect_qr.collect_settings("http://h", collector.collect_token or "", 1, "p"))
    assert collect_qr.qr_svg(payload).startswith("<svg")


def test_audit_log_filters_and_downloads_formula_safe_csv(
    admin_ui: FlaskClient, app, services: Services, admin: User,  # type: ignore[no-untyped-def]
    make_user: Callable[..., User],
) -> None:
    make_user("@SUM(A1)", "supervisor")
    sign_in(app.test_client(), "@SUM(A1)", "guess")
    page = admin_ui.get("/ui/audit")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "auth.login.failed" in body and "auth.login" in body
    only_failed = admin_ui.get("/ui/audit?action=auth.login.failed").get_data(as_text=True)
    assert "auth.login.failed" in only_failed and "<code>auth.login</code>" not in only_failed
    by_user = admin_ui.get(f"/ui/audit?user={admin.id}").get_data(as_text=True)
    assert "<code>auth.login</code>" in by_user and "auth.login.failed</code>" not in by_user
    assert "ไม่พบรายการ" in admin_ui.get("/ui/audit?from=2001-01-01&to=2001-01-02").get_data(as_text=True)
    assert admin_ui.get("/ui/audit?from=yesterday").status_code == 400
    resp = admin_ui.get("/ui/audit.csv?action=auth.login.failed")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["logged_at_utc", "username", "action"]
    assert rows[1][2] == "auth.login.failed" and rows[1][1] == "'@SUM(A1)"
    assert rows[1][4] == "127.0.0.1"


def test_user_provided_text_is_escaped(
    admin_ui: FlaskClient, make_user: Callable[..., User], services: Services
) -> None:
    evil = "<script>alert(1)</script>"
    with services.db.session() as s:
        from server.core.accounts import users

        users.create_user(s, "evil", "collector", project_id=1, display_name=evil)
    body = admin_ui.get("/ui/users").get_data(as_text=True) + admin_ui.get("/ui/users/sheets").get_data(as_text=True)
    assert evil not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    titled = KITCHEN.replace("แบบทดสอบครบทุกชนิดคำถาม".encode(), b"<img src=x onerror=alert(1)>")
    assert publish(admin_ui, titled).status_code == 302
    home = admin_ui.get("/ui/").get_data(as_text=True) + admin_ui.get(FORM_PAGE).get_data(as_text=True)
    assert "<img src=x" not in home and "&lt;img src=x onerror=alert(1)&gt;" in home


def test_a_signed_out_browser_is_sent_to_sign_in_and_back(client: FlaskClient, admin: User) -> None:
    resp = client.get(FORM_PAGE)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/ui/login?next=")
    assert client.post("/ui/users", data={}).status_code == 403  # no CSRF token: refused before anything else
    assert sign_in(client, "admin", PASSWORD).status_code == 302
