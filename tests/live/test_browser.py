"""The web application in a real browser (Debian's chromium via Playwright) against `chumchon serve`
with its worker: sign in and lock-out, publishing with an error then a good form, the onboarding sheet
printed, English; a submission sent like Collect found by search, reviewed, bulk-approved, and exported
with the progress bar. Each test saves a screenshot under tests/artifacts/."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.core.models import User
from tests.helpers import FIXTURES
from tests.live.browser import screenshot
from tests.live.harness import LiveServer, wait_until
from tests.live.submissions import kitchen_sink_xml
from tests.web.openrosa.test_submission import multipart

PHOTO = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f"
    "1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000"
    "010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d010203000411"
    "05122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445"
    "464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9"
    "aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100"
    "003f00fbd3ffd9"
)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="th-TH")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    yield page
    context.close()
    # No script error and nothing blocked by the Content-Security-Policy on any page the test visited
    # (failed sign-ins log their 401/429 responses, which are expected).
    unexpected = [p for p in problems if "status of 401" not in p and "status of 429" not in p
                  and "status of 400" not in p]
    assert not unexpected, unexpected


def sign_in(page: Page, live: LiveServer, username: str = "admin", password: str | None = None) -> None:
    page.goto(live.url + "/")
    page.get_by_label("ชื่อผู้ใช้").fill(username)
    page.get_by_label("รหัสผ่าน").fill(password or live.admin_password)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()


def test_sign_in_publish_with_an_error_then_a_good_form_and_switch_to_english(
    live: LiveServer, page: Page, tmp_path: Path
) -> None:
    sign_in(page, live)
    expect(page.get_by_role("heading", name="โครงการและแบบฟอร์ม")).to_be_visible()
    page.get_by_role("link", name="เผยแพร่แบบฟอร์มใหม่").first.click()

    page.set_input_files("input[type=file]", str(FIXTURES / "broken_missing_calculation.md"))
    page.get_by_role("button", name="เผยแพร่", exact=True).click()
    error = page.locator("#publish-error")
    expect(error).to_contain_text("ไม่ได้เผยแพร่")
    expect(error).to_contain_text("แถวที่ 3")
    expect(error).to_contain_text("Missing calculation")
    screenshot(page, "publish-error")

    page.set_input_files("input[type=file]", str(FIXTURES / "kitchen_sink.md"))
    page.get_by_role("button", name="เผยแพร่", exact=True).click()
    expect(page.get_by_text("เผยแพร่แล้ว")).to_be_visible()
    expect(page.get_by_role("heading", name="แบบทดสอบครบทุกชนิดคำถาม")).to_be_visible()
    expect(page.locator("table").first).to_contain_text("2026112301")
    expect(page.get_by_text("logo.png")).to_be_visible()
    screenshot(page, "form-page")

    page.get_by_role("button", name="ปิดรับข้อมูล").click()
    expect(page.locator("#form-state")).to_have_text("ปิดรับข้อมูล")
    page.get_by_role("button", name="เปิดรับข้อมูล").click()
    expect(page.locator("#form-state")).to_have_text("เปิดรับข้อมูล")

    page.get_by_role("link", name="หน้าหลัก").first.click()
    expect(page.get_by_role("link", name="แบบทดสอบครบทุกชนิดคำถาม")).to_be_visible()
    screenshot(page, "home")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Projects and forms")).to_be_visible()
    expect(page.get_by_role("button", name="ภาษาไทย")).to_be_visible()
    screenshot(page, "home-english")
    # No page asks the internet for anything: every asset came from this server.
    assert page.evaluate("() => performance.getEntriesByType('resource').every(e => e.name.startsWith(location.origin))")
    fonts = page.evaluate("() => document.fonts.check('16px Sarabun', 'ชุมชน')")
    assert fonts


def test_print_a_collectors_onboarding_sheet(live: LiveServer, page: Page, tmp_path: Path) -> None:
    sign_in(page, live)
    page.get_by_role("link", name="ผู้ใช้").click()
    expect(page.get_by_role("heading", name="ผู้ใช้และสิทธิ์")).to_be_visible()
    page.get_by_label("ชื่อผู้ใช้ (ภาษาอังกฤษ)").fill("dang")
    page.get_by_label("ชื่อที่แสดง").fill("นายแดง รักถิ่น")
    page.get_by_role("button", name="เพิ่มผู้ใช้").last.click()
    expect(page.get_by_text("บันทึกแล้ว")).to_be_visible()
    screenshot(page, "users")

    page.locator("#user-3").get_by_role("link", name="ใบเริ่มงาน").click()
    expect(page.get_by_role("heading", name="ใบเริ่มงานเก็บข้อมูลด้วย ODK Collect")).to_be_visible()
    expect(page.locator(".sheet-name")).to_contain_text("นายแดง รักถิ่น")
    box = page.locator(".qr svg").bounding_box()
    assert box is not None and box["width"] > 200 and abs(box["width"] - box["height"]) < 2
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="พิมพ์")).to_be_hidden()  # print CSS hides the controls
    screenshot(page, "onboarding-sheet-print")
    pdf = page.pdf(format="A4", path=str(tmp_path / "sheet.pdf"))
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type/Page") >= 1

    page.emulate_media(media="screen")
    page.goto(live.url + "/ui/users/sheets")
    expect(page.locator("article.sheet")).to_have_count(2)  # surveyor1 and dang, one page each


def test_ten_wrong_passwords_lock_the_account_with_a_thai_message(live: LiveServer, page: Page) -> None:
    for n in range(9):
        sign_in(page, live, password=f"wrong-{n}")
        expect(page.get_by_role("alert")).to_contain_text("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง")
    sign_in(page, live, password="wrong-9")
    expect(page.get_by_role("alert")).to_contain_text("15 นาที")
    sign_in(page, live)  # the right password no longer helps
    expect(page.get_by_role("alert")).to_contain_text("ระงับการเข้าสู่ระบบไว้ 15 นาที")
    screenshot(page, "locked-out")


def _collector_token(live: LiveServer) -> str:
    svc = build_services(load_settings(live.env))
    try:
        with svc.db.session() as s:
            token = s.scalar(select(User.collect_token).where(User.username == "surveyor1"))
    finally:
        svc.close()
    assert token
    return str(token)


def _send_like_collect(live: LiveServer, token: str, remarks: str, house_no: str) -> str:
    iid, xml = kitchen_sink_xml(house_no=house_no, remarks=remarks, photo="house.jpg")
    body, ctype = multipart(xml, [("house.jpg", PHOTO)])
    url = f"{live.url}/key/{token}/projects/1/submission"
    headers = {"X-OpenRosa-Version": "1.0", "Content-Type": ctype}
    assert requests.head(url, headers={"X-OpenRosa-Version": "1.0"}, timeout=10).status_code == 204
    resp = requests.post(url, data=body, headers=headers, timeout=30)
    assert resp.status_code == 201, resp.text
    return iid


def test_review_a_submission_sent_like_collect_then_export_csv(live: LiveServer, page: Page) -> None:
    sign_in(page, live)
    page.goto(live.url + "/ui/projects/1/publish")
    page.set_input_files("input[type=file]", str(FIXTURES / "kitchen_sink.md"))
    page.get_by_role("button", name="เผยแพร่", exact=True).click()
    expect(page.get_by_text("เผยแพร่แล้ว")).to_be_visible()
    token = _collector_token(live)
    _send_like_collect(live, token, "บ้านนายมานพ", "5/1")
    target = _send_like_collect(live, token, "บ้านป้าบุญมี ริมคลอง", "77/3")

    page.get_by_role("link", name="ข้อมูลที่ส่งเข้ามา").click()
    search = page.get_by_label("ค้นหา")

    def found() -> bool:  # the worker fills the search text when it processes the submission
        search.fill("ป้าบุญมี")
        page.get_by_role("button", name="กรอง").click()
        return page.locator("table.submissions tbody tr").count() == 1 and "77/3" in page.locator(
            "table.submissions").inner_text()

    wait_until(found, 60, "the submission to be processed and found by search", interval=1)
    screenshot(page, "submissions-table")
    page.locator("table.submissions tbody tr").first.get_by_role("link").first.click()

    expect(page.get_by_role("heading", name="ข้อมูลครัวเรือน")).to_be_visible()
    expect(page.locator("img.thumb")).to_be_visible()
    assert page.locator("img.thumb").evaluate("img => img.naturalWidth") > 0  # the photo really loads
    expect(page.locator(".map.drawn")).to_be_visible()
    expect(page.locator("table.repeat")).to_contain_text("นางสมหญิง ใจดี")
    expect(page.locator("#flags")).to_contain_text("เลขประจำตัวประชาชนไม่ถูกต้อง")

    page.get_by_label("เขียนความเห็น").fill("ตรวจสอบแล้ว ข้อมูลครบ")
    page.get_by_role("button", name="ส่งความเห็น").click()
    expect(page.locator("#comments")).to_contain_text("ตรวจสอบแล้ว ข้อมูลครบ")
    page.locator("#review select[name=state]").select_option("hasIssues")
    page.get_by_role("button", name="บันทึกผลการตรวจ").click()
    expect(page.get_by_role("alert")).to_contain_text("ต้องเขียนความเห็น")  # a comment is required
    page.locator("#review select[name=state]").select_option("hasIssues")
    page.locator("#review textarea[name=comment]").fill("เลขประจำตัวประชาชนของสมาชิกคนที่ 2 ผิด")
    page.get_by_role("button", name="บันทึกผลการตรวจ").click()
    expect(page.locator("#review-state")).to_have_text("มีปัญหา")
    screenshot(page, "submission-page")
    assert target in page.content()

    # Bulk-approve everything matching a filter (the other submission), from the table.
    page.goto(live.url + "/ui/projects/1/forms/kitchen_sink/submissions?q=มานพ")
    page.locator("#bulk-review select[name=scope]").select_option("filter")
    page.locator("#bulk-review select[name=state]").select_option("approved")
    page.get_by_role("button", name="บันทึกสถานะ").click()
    expect(page.locator("table.submissions")).to_contain_text("อนุมัติ")

    page.goto(live.url + "/ui/projects/1/forms/kitchen_sink/dashboard")
    expect(page.locator("#per-day.drawn canvas").first).to_be_visible()
    expect(page.locator("#per-surveyor")).to_contain_text("พัฒนากร 1")
    expect(page.locator("#points-map.drawn")).to_have_attribute("data-points", "2")
    screenshot(page, "dashboard")

    page.goto(live.url + "/ui/projects/1/forms/kitchen_sink/exports")
    page.locator("#start-export select[name=labels]").select_option("th")
    page.get_by_role("button", name="เริ่มส่งออก").click()
    expect(page.locator(".export-progress progress").first).to_be_attached()
    download_link = page.locator("a.download").first
    expect(download_link).to_be_visible(timeout=60_000)  # htmx polled the progress until done
    screenshot(page, "exports")
    with page.expect_download() as info:
        download_link.click()
    path = info.value.path()
    with zipfile.ZipFile(path) as zf:
        main = next(n for n in zf.namelist() if n.endswith(".csv") and "-" not in n)
        text = zf.read(main).decode("utf-8-sig")
    assert "บ้านเลขที่" in text and "77/3" in text and "บ้านป้าบุญมี ริมคลอง" in text
