"""ODK Web Forms in a real browser (Debian's chromium via Playwright) against `chumchon serve` with its
worker and the shipped community-group form: a surveyor fills it (a repeat, the province → district
→ subdistrict lists from the form's CSV media, a photo, a citizen ID refused by its check digit) and
sends it; an administrator finds it processed, edits it (version 2 with the changed answer); a
supervisor sends it back; the surveyor corrects it; the supervisor sees what changed and approves it.
The browser's instance re-sent through Collect's protocol gives the same processed values. Anyone
submits a small form through a once-only public link, which is then revoked. Web Forms' own buttons
are in Thai. One browser, one context per person; screenshots under tests/artifacts/ (webforms-*.png)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import select

from server.core.accounts import users
from server.core.forms.publishing import publish_form
from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.core.models import Record, SubmissionVersion, User
from tests.live.browser import screenshot
from tests.live.harness import ROOT, LiveServer, start_serve, wait_until
from tests.live.test_browser import PHOTO
from tests.live.test_collect_protocol import post_submission

FORM = "/ui/projects/1/forms/community_group"
# A small form for the public link (anyone may fill it, so it asks little).
FEEDBACK_MD = """
| survey |
|        | type | name    | label::Thai (th)        | label::English (en) | required |
|        | text | name    | ชื่อผู้แจ้ง               | Your name           | yes      |
|        | text | message | เรื่องที่ต้องการแจ้ง      | What to report      | yes      |
| settings |
|          | form_id  | version | form_title             | default_language |
|          | feedback | 1       | แจ้งเรื่องถึงสำนักงาน     | Thai (th)        |
""".encode()
SURVEYOR, SUPERVISOR, PASSWORD = "dang", "somsri", "field-password-1"
BAD_ID, GOOD_ID = "1234567890123", "1101700203450"


@pytest.fixture
def shipped(settings_env: dict[str, str], tmp_path: Path) -> Iterator[LiveServer]:
    """`chumchon serve` publishing the shipped community-group form with the geography lists (7,436
    subdistricts), and a small form for the public link."""
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
            publish_form(s, svc.blobs, 1, FEEDBACK_MD, "feedback.md")
    finally:
        svc.close()
    yield server
    server.stop()


def values_of(live: LiveServer, instance_id: str) -> dict[str, object]:
    """A processed submission's answers (without meta), as the tables and exports read them."""
    svc = build_services(load_settings(live.env))
    try:
        with svc.db.session() as s:
            vid = s.scalar(select(SubmissionVersion.id).where(SubmissionVersion.instance_id == instance_id))
            values = s.scalar(select(Record.values).where(Record.submission_version_id == vid)) or {}
    finally:
        svc.close()
    return {k: v for k, v in values.items() if "/meta/" not in k}


def resend_as_collect(live: LiveServer, instance_id: str) -> str:
    """Send the instance Web Forms made (its XML and files) again as ODK Collect does, under a new
    instanceID, with the surveyor's Collect token (the protocol tests' client)."""
    svc = build_services(load_settings(live.env))
    try:
        with svc.db.session() as s:
            version = s.scalars(select(SubmissionVersion).where(SubmissionVersion.instance_id == instance_id)).one()
            xml = version.xml or svc.blobs.read_bytes(version.xml_sha256)
            files = {a.name: svc.blobs.read_bytes(a.blob_sha256) for a in version.attachments if a.blob_sha256}
            token = s.scalar(select(User.collect_token).where(User.username == SURVEYOR))
    finally:
        svc.close()
    new_id = f"uuid:{uuid.uuid4()}"
    resp = post_submission(f"{live.url}/key/{token}/projects/1/submission", xml.replace(instance_id.encode(),
                           new_id.encode()), files)
    assert resp.status_code == 201, resp.text
    return new_id


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
    panel.get_by_role("button", name="วันนี้").click()  # PrimeVue's "Today", in Thai on a Thai page
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
    # Web Forms' own buttons are in Thai on a Thai page (tools/webforms/thai-strings.json).
    expect(page.locator(".odk-form .footer").get_by_role("button", name="ส่งข้อมูล")).to_be_visible()
    expect(page.get_by_role("combobox", name="เปลี่ยนภาษา")).to_be_visible()
    expect(page.get_by_text("Send", exact=True)).to_have_count(0)
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
    expect(picture).to_contain_text("เลือกรูปภาพ")  # Web Forms' "Choose image", in Thai
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
    # The same instance sent by Collect's protocol is processed to the same values.
    from_collect = resend_as_collect(live, instance_id)
    collect_values = wait_until(lambda: values_of(live, from_collect), 60, "the Collect copy to be processed")
    web_values = values_of(live, instance_id)
    assert web_values == collect_values and "กลุ่มทอผ้าบ้านดอน" in web_values.values()
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

    # 6. Public link: the administrator makes a once-only link on a form's page; someone who never
    # signed in opens it, fills the form and sends it; the browser then may not send again.
    admin.goto(live.url + "/ui/projects/1/forms/feedback")
    links = admin.locator("#public-links")
    links.get_by_label("ชื่อลิงก์").fill("ลิงก์หน้าเว็บ อบต.")
    links.get_by_label("ให้ส่งได้ครั้งเดียวต่อเบราว์เซอร์").check()
    links.get_by_role("button", name="สร้างลิงก์").click()
    expect(links.locator("#public-link-list")).to_contain_text("ลิงก์หน้าเว็บ อบต.")
    url = links.locator("input.link-url").first.input_value()
    assert url.startswith(live.url + "/ui/f/")
    screenshot(admin, "webforms-public-links")
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")  # a phone, no sign-in
    contexts.append(ctx)
    citizen = ctx.new_page()
    public_problems: list[str] = []
    citizen.on("console", lambda msg: public_problems.append(msg.text) if msg.type == "error" else None)
    citizen.on("pageerror", lambda err: public_problems.append(str(err)))
    citizen.goto(url)
    expect(citizen.locator("#webform .odk-form")).to_be_visible(timeout=30_000)
    question(citizen, "ชื่อผู้แจ้ง").locator("input").fill("นายสมหมาย")
    question(citizen, "เรื่องที่ต้องการแจ้ง").locator("input").fill("ไฟถนนหน้าวัดดับ")
    send(citizen)
    expect(citizen.locator("#webform-status")).to_contain_text("ส่งข้อมูลจากเบราว์เซอร์นี้แล้ว", timeout=30_000)
    expect(citizen.locator("#webform")).to_be_hidden()
    screenshot(citizen, "webforms-public-link-sent")
    citizen.reload()
    expect(citizen.locator("#once-done")).to_be_visible()  # the same browser cannot send twice

    def by_link() -> bool:
        admin.goto(live.url + "/ui/projects/1/forms/feedback/submissions")
        return "ไฟถนนหน้าวัดดับ" in admin.locator("table.submissions").inner_text()

    wait_until(by_link, 60, "the public link's submission to be processed", interval=1)
    expect(admin.locator("table.submissions")).to_contain_text("ลิงก์หน้าเว็บ อบต.")  # made by the link
    admin.goto(live.url + "/ui/projects/1/forms/feedback")
    admin.locator("#public-links").get_by_role("button", name="ยกเลิกลิงก์").click()
    expect(admin.locator("#public-links")).to_contain_text("ยกเลิกลิงก์แล้ว")
    seen_before_revoking = list(public_problems)  # the 410 below is logged by the browser, as expected
    gone = citizen.goto(url)
    assert gone is not None and gone.status == 410
    expect(citizen.locator("main")).to_contain_text("ลิงก์นี้ถูกยกเลิกแล้ว")

    for context in contexts:
        context.close()
    # No script error and nothing blocked by the Content-Security-Policy on any page, for anyone.
    problems = surveyor_problems + admin_problems + sup_problems + seen_before_revoking
    assert not problems, problems
