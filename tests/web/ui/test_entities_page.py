"""Entity lists in the web application: a manager finds a beneficiary by name, reads the history the
follow-up visits made, and marks a conflict resolved; a supervisor is refused (lists hold whole
registries across areas)."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient

from server.core.ground.services import Services
from server.core.models import User
from tests.core.entities.support import (
    FOLLOW_UP,
    REGISTRATION,
    entity_state,
    follow_up_xml,
    process,
    publish_md,
    registration_xml,
    submit,
)
from tests.web.ui.conftest import post

LISTS = "/ui/projects/1/entities"


def _registry(client: FlaskClient, services: Services, collector: User) -> tuple[str, str]:
    publish_md(services, REGISTRATION, "reg.md")
    publish_md(services, FOLLOW_UP, "verify.md")
    mani, somsak = str(uuid.uuid4()), str(uuid.uuid4())
    submit(client, collector.collect_token, registration_xml(mani, "มานี", "บ้านใหม่"))
    submit(client, collector.collect_token, registration_xml(somsak, "สมศักดิ์", "ดอนแก้ว"))
    process(services)
    submit(client, collector.collect_token, follow_up_xml(mani, 1, village="บ้านเก่า"))
    process(services)
    # A second phone still had version 1: applied, and marked a conflict to look at.
    submit(client, collector.collect_token, follow_up_xml(mani, 1, village="บ้านไกล"))
    process(services)
    return mani, somsak


def test_a_manager_finds_an_entity_reads_its_history_and_resolves_its_conflict(
    client: FlaskClient, services: Services, collector: User, make_user, signed_in
) -> None:
    mani, somsak = _registry(client, services, collector)
    make_user("office", "manager")
    browser = signed_in("office")

    lists = browser.get(LISTS).get_data(as_text=True)
    assert "ทะเบียน" in lists and "beneficiaries" in lists and ">2<" in lists  # two entries

    table = browser.get(f"{LISTS}/beneficiaries?q=ดอนแก้ว").get_data(as_text=True)
    assert "สมศักดิ์ ดอนแก้ว" in table and "มานี" not in table  # searched in the data, not only labels
    everyone = browser.get(f"{LISTS}/beneficiaries").get_data(as_text=True)
    assert "มานี บ้านใหม่" in everyone and "ขัดแย้ง" in everyone
    assert "เฉพาะที่ขัดแย้ง (1)" in everyone
    to_resolve = browser.get(f"{LISTS}/beneficiaries?conflict=1").get_data(as_text=True)
    assert "มานี บ้านใหม่" in to_resolve and "สมศักดิ์" not in to_resolve

    page = browser.get(f"{LISTS}/beneficiaries/{mani}").get_data(as_text=True)
    assert page.count("<tr><td>") == 3  # versions 3, 2, 1
    assert "village: บ้านไกล" in page and "village: บ้านเก่า" in page and "village: บ้านใหม่" in page
    assert page.count("/ui/projects/1/forms/") >= 3  # the registration and both visits link to their submission
    assert 'id="conflict"' in page

    done = post(browser, f"{LISTS}/beneficiaries/{mani}/resolve", page=f"{LISTS}/beneficiaries/{mani}")
    assert done.status_code == 303
    assert entity_state(services, mani)["conflict"] is None
    after = browser.get(done.headers["Location"]).get_data(as_text=True)
    assert "ยืนยันแล้ว" in after and 'id="conflict"' not in after
    # Resolving what has no conflict is a clear 400, not a 500.
    again = post(browser, f"{LISTS}/beneficiaries/{somsak}/resolve", page=f"{LISTS}/beneficiaries/{somsak}")
    assert again.status_code == 400 and "ไม่มีความขัดแย้ง" in again.get_data(as_text=True)


def test_a_supervisor_cannot_open_the_registries(
    client: FlaskClient, services: Services, collector: User, make_user, signed_in
) -> None:
    mani, _ = _registry(client, services, collector)
    make_user("district", "supervisor")
    browser = signed_in("district")
    assert browser.get(LISTS).status_code == 403
    assert browser.get(f"{LISTS}/beneficiaries/{mani}").status_code == 403
    assert post(browser, f"{LISTS}/beneficiaries/{mani}/resolve").status_code == 403


def test_a_manager_requires_approval_then_switches_it_off_creating_the_waiting_entities(
    client: FlaskClient, services: Services, collector: User, make_user, signed_in
) -> None:
    publish_md(services, REGISTRATION, "reg.md")
    make_user("office", "manager")
    browser = signed_in("office")
    page = f"{LISTS}/beneficiaries"
    assert "สร้างรายการทันที" in browser.get(page).get_data(as_text=True)
    # A form without its CSRF token changes nothing.
    assert browser.post(f"{page}/approval", data={"approval_required": "1"}).status_code == 403
    assert "สร้างรายการทันที" in browser.get(page).get_data(as_text=True)
    on = post(browser, f"{page}/approval", {"approval_required": "1"}, page=page)
    assert on.status_code == 303
    shown = browser.get(on.headers["Location"]).get_data(as_text=True)
    assert "บันทึกการตั้งค่าแล้ว" in shown and "เมื่อผู้ตรวจอนุมัติแล้วเท่านั้น" in shown

    person = str(uuid.uuid4())
    submit(client, collector.collect_token, registration_xml(person, "สายใจ", "บ้านนา"))
    process(services)
    waiting = browser.get(page).get_data(as_text=True)
    assert "ข้อมูลที่ส่ง 1 รายการรอการอนุมัติ" in waiting and "สายใจ" not in waiting
    # Switching off without saying what to do with the waiting one is refused, clearly.
    unclear = post(browser, f"{page}/approval", {"approval_required": "0"}, page=page)
    assert unclear.status_code == 400 and "convert" in unclear.get_data(as_text=True)
    off = post(browser, f"{page}/approval", {"approval_required": "0", "convert": "true"}, page=page)
    assert off.status_code == 303
    after = browser.get(off.headers["Location"]).get_data(as_text=True)
    assert "สร้างรายการที่รออยู่แล้ว 1 รายการ" in after and "สายใจ บ้านนา" in after
    assert entity_state(services, person)["version"] == 1


def test_a_supervisor_cannot_change_the_approval_setting(
    client: FlaskClient, services: Services, make_user, signed_in
) -> None:
    publish_md(services, REGISTRATION, "reg.md")
    make_user("district", "supervisor")
    browser = signed_in("district")
    resp = post(browser, f"{LISTS}/beneficiaries/approval", {"approval_required": "1"})
    assert resp.status_code == 403
