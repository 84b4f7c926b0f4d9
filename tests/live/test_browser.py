"""The web application in a real browser (Debian's chromium via Playwright) against `chumchon serve`
with its worker: sign in and lock-out, publishing with an error then a good form, the onboarding sheet
printed, English. Each test saves a screenshot under tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.helpers import FIXTURES
from tests.live.browser import browser, screenshot  # noqa: F401  # the fixture
from tests.live.harness import LiveServer


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="th-TH")
    page = context.new_page()
    yield page
    context.close()


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
