"""ODK Web Forms in a real browser (Debian's chromium via Playwright) against `chumchon serve` with its
worker and the shipped community-group form: a surveyor fills it (a repeat, the province → district
→ subdistrict lists from the form's CSV media, a photo, a citizen ID refused by its check digit) and
sends it; an administrator finds it processed, edits it (version 2 with the changed answer); a
supervisor sends it back; the surveyor corrects it; the supervisor sees what changed and approves it.
One browser, one context per person; screenshots under tests/artifacts/ (webforms-*.png)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from server.core.accounts import users
from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from tests.live.browser import screenshot
from tests.live.harness import ROOT, LiveServer, start_serve, wait_until
from tests.live.test_browser import PHOTO

FORM = "/ui/projects/1/forms/community_group"
SURVEYOR, SUPERVISOR, PASSWORD = "dang", "somsri", "field-password-1"
BAD_ID, GOOD_ID = "1234567890123", "1101700203450"


@pytest.fixture
def shipped(settings_env: dict[str, str], tmp_path: Path) -> Iterator[LiveServer]:
    """`chumchon serve` publishing the shipped community-group form with the geography lists."""
    forms = tmp_path / "forms"
    (forms / "media").mkdir(parents=True)
    shutil.copy(ROOT / "forms" / "community_group.xlsx", forms)
    for csv in (ROOT / "forms" / "media").glob("*.csv"):
        shutil.copy(csv, forms / "media")
    server = start_serve(settings_env, tmp_path, "--forms-dir", str(forms))
    svc = build_services(load_settings(server.env))
    try:
        with svc.db.session() as s:
            users.create_user(s, SURVEYOR, "collector", password=PASSWORD, project_id=1, display_name="นายแดง รักถิ่น")
            users.create_user(s, SUPERVISOR, "supervisor", password=PASSWORD, project_id=1, display_name="นางสมศรี")
    finally:
        svc.close()
    yield server
    server.stop()


def person(browser: Browser, live: LiveServer, username: str, password: str) -> tuple[BrowserContext, Page, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="th-TH")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.goto(live.url + "/ui/login")
    page.get_by_label("ชื่อผู้ใช้").fill(username)
    page.get_by_label("รหัสผ่าน").fill(password)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    expect(page.get_by_role("heading", name="โครงการและแบบฟอร์ม")).to_be_visible()
    return context, page, problems


def question(page: Page, label: str) -> Locator:
    return page.locator(".question-container").filter(has=page.get_by_text(label, exact=True)).last


def choose(page: Page, label: str, option: str) -> None:
    """A select_one: radio buttons, or a dropdown (appearance minimal) whose list opens on click."""
    box = question(page, label)
    dropdown = box.locator(".p-select")
    if dropdown.count():
        dropdown.click()
        page.locator(".p-select-overlay .p-select-option").filter(has_text=option).first.click()
    else:
        box.locator("label.value-option").filter(has_text=option).first.click()


def today(page: Page, label: str) -> None:
    field = question(page, label).locator("input").first
    field.click()
    panel = page.locator(".p-datepicker-panel:visible")
    expect(panel).to_have_count(1)  # the previous picker has closed
    panel.get_by_role("button", name="Today").click()
    expect(field).not_to_have_value("")
    expect(panel).to_have_count(0)


def number(page: Page, label: str, value: str) -> None:
    """Integer and decimal questions are spin buttons that take typed keys, not a pasted value."""
    field = question(page, label).locator("input")
    field.click()
    field.press("Control+a")
    field.press_sequentially(value)
    field.press("Tab")


def send(page: Page) -> None:
    page.locator(".odk-form .footer").get_by_role("button").last.click()


def test_fill_edit_send_back_correct_and_approve_in_the_browser(shipped: LiveServer, browser: Browser) -> None:
    live = shipped
    contexts = []

    # 1. The surveyor fills the shipped form in the browser and sends it.
    ctx, page, surveyor_problems = person(browser, live, SURVEYOR, PASSWORD)
    contexts.append(ctx)
    page.goto(live.url + FORM)
    page.get_by_role("link", name="กรอกข้อมูลใหม่").click()
    expect(page.locator("#webform .odk-form")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="การจัดตั้งกลุ่มองค์กรชุมชน")).to_be_visible()
    choose(page, "ผู้ให้ข้อมูลยินยอมให้เก็บและใช้ข้อมูลตามประกาศข้างต้นหรือไม่", "ใช่/มี")
    question(page, "ชื่อกลุ่ม").locator("input").fill("กลุ่มทอผ้าบ้านดอน")
    choose(page, "ประเภทกลุ่ม", "กลุ่มอาชีพ")
    choose(page, "จังหวัด", "เชียงใหม่")
    choose(page, "อำเภอ/เขต", "เมืองเชียงใหม่")
    choose(page, "ตำบล/แขวง", "ศรีภูมิ")
    number(page, "หมู่ที่", "3")
    question(page, "ชื่อหมู่บ้าน/ชุมชน").locator("input").fill("บ้านดอน")
    today(page, "วันที่จัดตั้งกลุ่ม")
    question(page, "ขั้นตอนการจัดตั้งที่ดำเนินการแล้ว").locator("label").filter(has_text="3) จัดตั้งกลุ่ม").click()
    today(page, "วันที่ดำเนินการ 3) จัดตั้งกลุ่ม")
    choose(page, "คำนำหน้า", "นาง")
    question(page, "ชื่อ").locator("input").fill("บัวผัน")
    question(page, "นามสกุล").locator("input").fill("ทองดี")
    nid = question(page, "เลขประจำตัวประชาชนสมาชิก").locator("input")
    nid.fill(BAD_ID)
    question(page, "ยืนยันเลขประจำตัวประชาชน (พิมพ์อีกครั้ง)").locator("input").fill(BAD_ID)
    choose(page, "ตำแหน่งในกลุ่ม", "ประธาน")
    choose(page, "คณะกรรมการครบและมีประธาน 1 คน", "ใช่/มี")
    choose(page, "สมาชิกเห็นชอบระเบียบข้อตกลงแล้ว", "ใช่/มี")
    photo = live.data_dir.parent / "regulations.jpg"
    photo.write_bytes(PHOTO)
    picture = question(page, "ภาพระเบียบข้อตกลงที่ลงนามแล้ว")
    picture.locator("input[type=file]").last.set_input_files(str(photo))
    expect(picture.locator("img")).to_be_visible()  # resized in the browser (max-pixels) and previewed
    number(page, "เงินทุนที่ระดมได้ (บาท)", "1500")
    choose(page, "เปิดบัญชีธนาคารของกลุ่มแล้ว", "ไม่ใช่/ไม่มี")
    question(page, "เจ้าหน้าที่ผู้บันทึก").locator("input").fill("นายแดง รักถิ่น")
    send(page)
    # The citizen ID with a wrong check digit is refused in the browser: nothing is sent.
    expect(page.get_by_text("เลขประจำตัวประชาชนไม่ถูกต้อง (ต้องเป็นตัวเลข 13 หลักและเลขตรวจสอบถูกต้อง)")).to_be_visible()
    screenshot(page, "webforms-invalid-citizen-id")
    assert page.locator("#webform").get_attribute("data-sent") is None
    nid.fill(GOOD_ID)
    question(page, "ยืนยันเลขประจำตัวประชาชน (พิมพ์อีกครั้ง)").locator("input").fill(GOOD_ID)
    send(page)
    expect(page.locator("#webform")).to_have_attribute("data-sent", "1", timeout=30_000)
    expect(page.locator("#webform-status")).to_contain_text("ส่งข้อมูลเรียบร้อยแล้ว")
    instance_id = page.locator("#webform").get_attribute("data-last-instance") or ""
    assert instance_id.startswith("uuid:")

    # 2. An administrator finds it processed in the table and edits it: version 2 with the diff.
    ctx, admin, admin_problems = person(browser, live, "admin", live.admin_password)
    contexts.append(ctx)
    table = live.url + FORM + "/submissions"

    def processed() -> bool:
        admin.goto(table)
        return "กลุ่มทอผ้าบ้านดอน" in admin.locator("table.submissions").inner_text()

    wait_until(processed, 60, "the Web Forms submission to be processed and listed", interval=1)
    screenshot(admin, "webforms-table")
    admin.goto(f"{live.url}{FORM}/submissions/{instance_id}")
    expect(admin.locator("img.thumb")).to_be_visible()
    admin.get_by_role("link", name="แก้ไข", exact=True).click()
    expect(admin.locator("#webform .odk-form")).to_be_visible(timeout=30_000)
    name = question(admin, "ชื่อกลุ่ม").locator("input")
    expect(name).to_have_value("กลุ่มทอผ้าบ้านดอน")  # the current version was loaded
    name.fill("กลุ่มทอผ้าไหมบ้านดอน")
    admin.locator("#edit-reason").fill("ชื่อกลุ่มตามใบสมัคร")
    send(admin)
    admin.wait_for_url(f"**/submissions/{instance_id}", timeout=30_000)

    def diff_shown() -> bool:
        admin.reload()
        return "กลุ่มทอผ้าไหมบ้านดอน" in admin.locator("#versions").inner_text()

    wait_until(diff_shown, 60, "version 2 to be processed with its changed answer", interval=1)
    expect(admin.locator("#versions")).to_contain_text("เหตุผล: ชื่อกลุ่มตามใบสมัคร")
    expect(admin.locator("#review-state")).to_have_text("แก้ไขแล้ว")
    screenshot(admin, "webforms-edited")

    # 3. A supervisor sends it back to the surveyor with a comment.
    ctx, sup, sup_problems = person(browser, live, SUPERVISOR, PASSWORD)
    contexts.append(ctx)
    sup.goto(f"{live.url}{FORM}/submissions/{instance_id}")
    sup.locator("#review select[name=state]").select_option("needsCorrection")
    sup.locator("#review textarea[name=comment]").fill("ค่าเงินทุนไม่ตรงกับบัญชี กรุณาแก้เป็น 2500 บาท")
    sup.get_by_role("button", name="บันทึกผลการตรวจ").click()
    expect(sup.locator("#review-state")).to_have_text("ส่งกลับให้แก้ไข")

    # 4. The surveyor sees it returned to him, corrects it and sends it.
    page.goto(live.url + "/ui/")
    returned = page.locator("#returned")
    expect(returned).to_contain_text("ค่าเงินทุนไม่ตรงกับบัญชี")
    screenshot(page, "webforms-returned")
    returned.get_by_role("link", name="แก้ไขและส่งอีกครั้ง").click()
    expect(page.locator("#webform .odk-form")).to_be_visible(timeout=30_000)
    expect(question(page, "เงินทุนที่ระดมได้ (บาท)").locator("input")).to_have_value("1500")
    number(page, "เงินทุนที่ระดมได้ (บาท)", "2500")
    page.locator("#edit-reason").fill("แก้เงินทุนเป็น 2500 บาท")
    screenshot(page, "webforms-correcting")
    send(page)
    page.wait_for_url("**/ui/?sent=*", timeout=30_000)
    expect(page.locator("#returned")).to_have_count(0)

    # 5. The supervisor sees the correction as a new version in "edited" and approves it.
    def corrected() -> bool:
        sup.reload()
        return "2500" in sup.locator("#versions").inner_text()

    wait_until(corrected, 60, "the correction to be processed", interval=1)
    expect(sup.locator("#review-state")).to_have_text("แก้ไขแล้ว")
    expect(sup.locator("#comments")).to_contain_text("ค่าเงินทุนไม่ตรงกับบัญชี")
    expect(sup.locator("#versions")).to_contain_text("เหตุผล: แก้เงินทุนเป็น 2500 บาท")
    screenshot(sup, "webforms-corrected")
    sup.locator("#review select[name=state]").select_option("approved")
    sup.get_by_role("button", name="บันทึกผลการตรวจ").click()
    expect(sup.locator("#review-state")).to_have_text("อนุมัติ")

    for context in contexts:
        context.close()
    # No script error and nothing blocked by the Content-Security-Policy on any page, for anyone.
    problems = surveyor_problems + admin_problems + sup_problems
    assert not problems, problems
