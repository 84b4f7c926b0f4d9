"""Submissions in the web application: the table (labels, columns, filters, search, keyset paging),
one submission's page (answers in form order, repeats, photo, map, flags, versions, comments, review),
bulk review, the dashboard and the export page — with real intake, processing and export code."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from io import BytesIO

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from server.core.ground.broker import BUILD_EXPORT, PROCESS_PENDING
from server.core.ground.services import Services
from server.core.models import AuditEvent, Export, Submission, User
from tests.helpers import FIXTURES
from tests.live.submissions import kitchen_sink_xml
from tests.web.openrosa.test_submission import multipart
from tests.web.ui.conftest import post
from workers.tasks import build_export_job, process_pending_job

KITCHEN = (FIXTURES / "kitchen_sink.md").read_bytes()
TABLE = "/ui/projects/1/forms/kitchen_sink/submissions"
JPEG = b"\xff\xd8\xff\xe0fake-jpeg"


@pytest.fixture
def admin_ui(signed_in: Callable[..., FlaskClient], admin: User) -> FlaskClient:
    client = signed_in("admin")
    resp = post(client, "/ui/projects/1/publish", {"file": (BytesIO(KITCHEN), "kitchen_sink.md")},
                content_type="multipart/form-data")
    assert resp.status_code == 302
    return client


def process_all(services: Services) -> None:
    """What the worker does on the wake-ups intake sent: claim and process everything waiting."""
    if any(sent[0] == PROCESS_PENDING for sent in services.tasks.sent):  # type: ignore[attr-defined]
        process_pending_job(services)
    services.tasks.sent.clear()  # type: ignore[attr-defined]


def submit(client: FlaskClient, services: Services, token: str, *, house_no: str = "99/1", remarks: str = "บ้านไม้",
           photo: str = "house.jpg", files: list[tuple[str, bytes]] | None = None,
           deprecated_id: str | None = None) -> str:
    iid, xml = kitchen_sink_xml(house_no=house_no, remarks=remarks, photo=photo, deprecated_id=deprecated_id)
    body, ctype = multipart(xml, files if files is not None else [(photo, JPEG)])
    resp = client.post(f"/key/{token}/projects/1/submission", data=body, content_type=ctype,
                       headers={"X-OpenRosa-Version": "1.0"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    process_all(services)
    return iid


def sub_url(iid: str) -> str:
    return f"{TABLE}/{iid}"


def test_table_shows_labelled_columns_and_finds_a_submission_by_search(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services
) -> None:
    token = collector.collect_token or ""
    submit(client, services, token, house_no="11/1", remarks="บ้านนายสมชาย")
    second = submit(client, services, token, house_no="22/2", remarks="บ้านป้าแดง")
    body = admin_ui.get(TABLE).get_data(as_text=True)
    assert "บ้านเลขที่" in body and "11/1" in body and "22/2" in body and "2 รายการ" in body
    assert "บ้านดอนแก้ว" in body or "หมู่บ้าน" in body  # choice labels in Thai
    found = admin_ui.get(TABLE + "?q=ป้าแดง").get_data(as_text=True)
    assert "22/2" in found and "11/1" not in found and second in found
    english = admin_ui.get(TABLE + "?labels=en").get_data(as_text=True)
    assert "House number" in english
    raw = admin_ui.get(TABLE + "?labels=raw&col=/data/remarks").get_data(as_text=True)
    assert "<th>remarks</th>" in raw and "<th>house_no</th>" not in raw


def test_keyset_paging_walks_every_submission_once(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services
) -> None:
    for n in range(53):
        submit(client, services, collector.collect_token or "", house_no=f"{n}/9", files=[])
    seen: list[str] = []
    url: str | None = TABLE
    pages = 0
    while url:
        body = admin_ui.get(url).get_data(as_text=True)
        seen += re.findall(r"<td>(\d+/9)</td>", body)
        nxt = re.search(r'<a href="([^"]+)" id="next-page">', body)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
        pages += 1
    assert pages == 2 and len(seen) == 53 and len(set(seen)) == 53


def test_submission_page_answers_repeats_photo_map_flags_and_review(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services
) -> None:
    iid = submit(client, services, collector.collect_token or "")
    page = admin_ui.get(sub_url(iid))
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ข้อมูลครัวเรือน" in body and "บ้านเลขที่" in body and "99/1" in body  # group section, label, answer
    assert "สมาชิกในครัวเรือน (2)" in body and "นายสมชาย ใจดี" in body and "นางสมหญิง ใจดี" in body  # repeat table
    assert 'class="thumb"' in body and "/attachments/house.jpg" in body
    assert 'class="map" data-lat="18.7883" data-lon="98.9853"' in body
    assert "เลขประจำตัวประชาชนไม่ถูกต้อง" in body  # the second member's citizen ID fails its checksum
    assert "เลขประจำตัวประชาชน #2" in body  # the flag names the repeat instance
    photo = admin_ui.get(sub_url(iid) + "/attachments/house.jpg")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and photo.data == JPEG
    assert photo.headers["Content-Disposition"].startswith("inline")

    no_comment = post(admin_ui, sub_url(iid) + "/review", {"state": "hasIssues", "comment": ""}, page=sub_url(iid))
    assert no_comment.status_code == 400 and "ต้องเขียนความเห็น" in no_comment.get_data(as_text=True)
    ok = post(admin_ui, sub_url(iid) + "/review", {"state": "hasIssues", "comment": "รูปบ้านไม่ชัด ถ่ายใหม่"},
              page=sub_url(iid))
    assert ok.status_code == 302
    after = admin_ui.get(ok.headers["Location"]).get_data(as_text=True)
    assert "มีปัญหา" in after and "รูปบ้านไม่ชัด ถ่ายใหม่" in after
    post(admin_ui, sub_url(iid) + "/comments", {"body": "โทรหาผู้เก็บข้อมูลแล้ว"}, page=sub_url(iid))
    assert "โทรหาผู้เก็บข้อมูลแล้ว" in admin_ui.get(sub_url(iid)).get_data(as_text=True)
    with services.db.session() as s:
        assert s.scalar(select(Submission.review_state)) == "hasIssues"
        assert s.scalar(select(AuditEvent.notes).where(AuditEvent.action == "submission.update")) == (
            "รูปบ้านไม่ชัด ถ่ายใหม่")


def test_an_edit_shows_in_the_version_history_with_the_changed_answer(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services
) -> None:
    iid = submit(client, services, collector.collect_token or "", remarks="ก่อนแก้")
    submit(client, services, collector.collect_token or "", remarks="หลังแก้", deprecated_id=iid)
    body = admin_ui.get(sub_url(iid)).get_data(as_text=True)
    assert "ประวัติการแก้ไข" in body and "ฉบับแก้ไข" in body
    assert '<td class="before">ก่อนแก้</td><td class="after">หลังแก้</td>' in body


def test_bulk_review_of_selected_rows_and_of_a_whole_filter(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services
) -> None:
    token = collector.collect_token or ""
    ids = [submit(client, services, token, house_no=f"{n}/5", remarks="ตรวจแล้ว" if n < 2 else "ยังไม่ตรวจ", files=[])
           for n in range(4)]
    one = post(admin_ui, f"{TABLE}/review", {"instance_id": [ids[3]], "scope": "selected", "state": "approved"},
               page=TABLE)
    assert one.status_code == 302
    need = post(admin_ui, f"{TABLE}/review", {"scope": "filter", "q": "ตรวจแล้ว", "state": "rejected"}, page=TABLE)
    assert need.status_code == 400 and "ต้องเขียนความเห็น" in need.get_data(as_text=True)
    many = post(admin_ui, f"{TABLE}/review", {"scope": "filter", "q": "ตรวจแล้ว", "state": "rejected",
                                                "comment": "ซ้ำกับรายการเดิม"}, page=TABLE)
    assert many.status_code == 302
    with services.db.session() as s:
        by_id = dict(s.execute(select(Submission.instance_id, Submission.review_state)).all())
    assert by_id[ids[3]] == "approved" and by_id[ids[0]] == by_id[ids[1]] == "rejected" and by_id[ids[2]] is None
    rejected = admin_ui.get(TABLE + "?reviewState=rejected").get_data(as_text=True)
    assert "0/5" in rejected and "1/5" in rejected and "2/5" not in rejected


def test_dashboard_counts_per_surveyor_and_flags(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services
) -> None:
    for n in range(3):
        submit(client, services, collector.collect_token or "", house_no=f"{n}/7", files=[])
    body = admin_ui.get("/ui/projects/1/forms/kitchen_sink/dashboard").get_data(as_text=True)
    assert "รายผู้เก็บข้อมูล" in body and "somchai" in body
    assert re.search(r'id="flags-by-kind">.*เลขประจำตัวประชาชนไม่ถูกต้อง</td><td class="num">3<', body, re.S)
    data = admin_ui.get("/ui/projects/1/forms/kitchen_sink/dashboard/per-day.json").get_json()
    assert sum(data["counts"]) == 3 and len(data["days"]) == 1
    points = admin_ui.get("/ui/projects/1/forms/kitchen_sink/dashboard/points.json").get_json()
    assert points["points"] == [[18.7883, 98.9853, "received", 1]] * 3 and points["grid"] is False and points["labels"]["received"] == "ได้รับแล้ว"


def test_export_page_starts_shows_progress_and_downloads_the_zip(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services
) -> None:
    submit(client, services, collector.collect_token or "", house_no="=1+1", files=[])
    page = "/ui/projects/1/forms/kitchen_sink/exports"
    assert "ยังไม่เคยส่งออก" in admin_ui.get(page).get_data(as_text=True)
    started = post(admin_ui, page, {"format": "csv", "labels": "th"}, page=page)
    assert started.status_code == 302
    queued = admin_ui.get(started.headers["Location"]).get_data(as_text=True)
    export_id = int(re.search(r"started=(\d+)", started.headers["Location"]).group(1))  # type: ignore[union-attr]
    assert f'hx-get="/ui/exports/{export_id}/progress"' in queued and "รอคิว" in queued
    (_task, args), = [t for t in services.tasks.sent if t[0] == BUILD_EXPORT]  # type: ignore[attr-defined]
    build_export_job(services, int(args[0]))
    fragment = admin_ui.get(f"/ui/exports/{export_id}/progress").get_data(as_text=True)
    assert "hx-get" not in fragment and "ดาวน์โหลด" in fragment  # done: polling stops
    download = admin_ui.get(f"/ui/exports/{export_id}/download")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(download.data)) as zf:
        main = zf.read(sorted(n for n in zf.namelist() if "-" not in n.split("/")[-1])[0]).decode("utf-8-sig")
    assert "'=1+1" in main and "บ้านเลขที่" in main  # formula-safe cell, Thai headers
    listing = admin_ui.get(page).get_data(as_text=True)
    assert "admin" in listing and f"/ui/exports/{export_id}/download" in listing


def test_export_page_offers_every_format_and_builds_an_xlsx_with_its_options(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services
) -> None:
    submit(client, services, collector.collect_token or "", house_no="12/3", files=[])
    page = "/ui/projects/1/forms/kitchen_sink/exports"
    form = admin_ui.get(page).get_data(as_text=True)
    for fmt in ("csv", "xlsx", "sav", "dta", "geojson", "kml", "media"):
        assert f'<option value="{fmt}">' in form
    assert 'value="split"' in form and 'name="review_state"' in form and 'name="submitted_from"' in form
    assert 'value="pseudonymise"' in form and 'value="include"' in form  # an admin may read sensitive fields
    bad = post(admin_ui, page, {"format": "xlsx", "submitted_from": "2026-13-45"}, page=page)
    assert bad.status_code == 400 and "submitted_from" in bad.get_data(as_text=True)
    assert not [t for t in services.tasks.sent if t[0] == BUILD_EXPORT]  # type: ignore[attr-defined]
    started = post(admin_ui, page, {"format": "xlsx", "labels": "en", "multiple": "split",
                                    "review_state": ["received", "approved"], "submitted_from": "2020-01-01"},
                   page=page)
    assert started.status_code == 302
    (_task, args), = [t for t in services.tasks.sent if t[0] == BUILD_EXPORT]  # type: ignore[attr-defined]
    build_export_job(services, int(args[0]))
    download = admin_ui.get(f"/ui/exports/{int(args[0])}/download")
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    book = openpyxl.load_workbook(io.BytesIO(download.data), read_only=True)
    cells = {str(c) for row in book.worksheets[0].iter_rows(values_only=True) for c in row}
    assert "12/3" in cells and "House number" in cells  # English labels, the answer as text
    with services.db.session() as session:
        export = session.get(Export, int(args[0]))
        assert export is not None and export.format == "xlsx"
        assert export.options["multiple"] == "split" and export.options["review_states"] == ["received", "approved"]


def test_an_export_can_be_cancelled_from_the_page(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services
) -> None:
    submit(client, services, collector.collect_token or "", files=[])
    page = "/ui/projects/1/forms/kitchen_sink/exports"
    started = post(admin_ui, page, {"format": "geojson"}, page=page)
    export_id = int(re.search(r"started=(\d+)", started.headers["Location"]).group(1))  # type: ignore[union-attr]
    fragment = admin_ui.get(f"/ui/exports/{export_id}/progress").get_data(as_text=True)
    assert f'action="/ui/exports/{export_id}/cancel"' in fragment
    cancelled = post(admin_ui, f"/ui/exports/{export_id}/cancel", page=page)
    assert cancelled.status_code == 302
    build_export_job(services, export_id)  # the worker leaves a cancelled export alone
    fragment = admin_ui.get(f"/ui/exports/{export_id}/progress").get_data(as_text=True)
    assert "ยกเลิกแล้ว" in fragment and "hx-get" not in fragment and "ดาวน์โหลด" not in fragment
    assert admin_ui.get(f"/ui/exports/{export_id}/download").status_code == 409


def test_a_viewer_is_not_offered_sensitive_answers_in_exports(
    admin_ui: FlaskClient, make_user: Callable[..., User], signed_in: Callable[..., FlaskClient]
) -> None:
    make_user("viewer", "viewer")
    form = signed_in("viewer").get("/ui/projects/1/forms/kitchen_sink/exports").get_data(as_text=True)
    assert 'value="mask"' in form and 'value="omit"' in form
    assert 'value="include"' not in form and 'value="pseudonymise"' not in form


def test_answers_and_attachment_names_render_as_text(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services
) -> None:
    evil_name = "<img src=x onerror=alert(1)>.jpg"
    iid = submit(client, services, collector.collect_token or "",
                 remarks="&lt;script&gt;alert(1)&lt;/script&gt;", photo="&lt;img src=x onerror=alert(1)&gt;.jpg",
                 files=[(evil_name, JPEG)])
    pages = admin_ui.get(sub_url(iid)).get_data(as_text=True) + admin_ui.get(
        TABLE + "?col=/data/remarks&col=/data/household/house_photo").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in pages and "&lt;script&gt;alert(1)&lt;/script&gt;" in pages
    assert "<img src=x onerror" not in pages and "&lt;img src=x onerror=alert(1)&gt;.jpg" in pages
    photo = admin_ui.get(sub_url(iid) + "/attachments/" + evil_name)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"


def test_a_non_image_attachment_is_a_download_never_html(
    admin_ui: FlaskClient, client: FlaskClient, collector: User, services: Services
) -> None:
    iid, xml = kitchen_sink_xml(photo="page.html")
    body, ctype = multipart(xml, [("page.html", b"<script>alert(1)</script>")])
    body = body.replace(b'filename="page.html"\r\nContent-Type: image/jpeg', b'filename="page.html"\r\nContent-Type: text/html')
    assert client.post(f"/key/{collector.collect_token}/projects/1/submission", data=body, content_type=ctype,
                       headers={"X-OpenRosa-Version": "1.0"}).status_code == 201
    process_all(services)
    resp = admin_ui.get(sub_url(iid) + "/attachments/page.html")
    assert resp.status_code == 200 and resp.mimetype == "application/octet-stream"
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
