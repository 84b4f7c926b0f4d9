"""Test data without the publishing and intake code: a hand-written field schema (the contract in the
common brief), forms, submissions and their raw XML stored as blobs, built directly as rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.ground.storage import BlobStore
from server.core.models import Attachment, Form, FormVersion, Submission, SubmissionVersion, utcnow

TH, EN = "Thai (th)", "English (en)"


def _f(
    path: str,
    type_: str,
    bind: str,
    th: str = "",
    en: str = "",
    *,
    repeat: str | None = None,
    choice_list: str | None = None,
    checks: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "path": path,
        "name": path.rsplit("/", 1)[1],
        "type": type_,
        "bind_type": bind,
        "labels": {TH: th, EN: en} if th else {},
        "choice_list": choice_list,
        "repeat": repeat,
        "sensitive": False,
        "checks": checks or [],
        "calculation": None,
    }


def household_schema(version: str = "2026112301", *, with_phone: bool = True) -> dict[str, Any]:
    """A household survey: groups, a geopoint, a photo, a repeat of members with a nested repeat."""
    m, v = "/data/members", "/data/members/visits"
    fields = [
        _f("/data/intro", "note", "", "แนะนำ", "Intro"),
        _f("/data/household", "group", "", "ครัวเรือน", "Household"),
        _f("/data/household/house_no", "text", "string", "บ้านเลขที่", "House number"),
        _f("/data/household/village", "select_one", "select1", "หมู่บ้าน", "Village", choice_list="village"),
        _f("/data/household/location", "geopoint", "geopoint", "พิกัดบ้าน", "Location"),
        _f("/data/household/house_photo", "image", "binary", "รูปบ้าน", "House photo"),
        _f(m, "repeat", "", "สมาชิก", "Members"),
        _f(f"{m}/full_name", "text", "string", "ชื่อ-นามสกุล", "Full name", repeat=m),
        _f(
            f"{m}/citizen_id",
            "text",
            "string",
            "เลขประจำตัวประชาชน",
            "Citizen ID",
            repeat=m,
            checks=["thai_citizen_id"],
        ),
        _f(f"{m}/age", "integer", "int", "อายุ", "Age", repeat=m),
        _f(v, "repeat", "", "การเยี่ยม", "Visits", repeat=m),
        _f(f"{v}/visit_date", "date", "date", "วันที่เยี่ยม", "Visit date", repeat=v),
        _f(f"{v}/visit_note", "text", "string", "บันทึก", "Note", repeat=v),
        _f("/data/has_well", "select_one", "select1", "มีบ่อน้ำ", "Has a well", choice_list="yes_no"),
        _f("/data/savings", "select_multiple", "select", "การออม", "Savings", choice_list="savings"),
        _f("/data/rooms", "integer", "int", "จำนวนห้อง", "Rooms"),
        _f("/data/income", "decimal", "decimal", "รายได้", "Income"),
        _f("/data/visit_date", "date", "date", "วันที่สำรวจ", "Visit date"),
    ]
    if with_phone:
        fields.append(_f("/data/phone", "text", "string", "โทรศัพท์", "Phone"))
    fields += [
        _f("/data/remarks", "text", "string", "หมายเหตุ", "Remarks"),
        _f("/data/meta", "group", ""),
        _f("/data/meta/instanceID", "meta", "string"),
        _f("/data/meta/instanceName", "meta", "string"),
    ]
    return {
        "form_id": "household_survey",
        "version": version,
        "title": "สำรวจครัวเรือน",
        "root": "data",
        "default_language": TH,
        "languages": [TH, EN],
        "fields": fields,
        "repeats": [
            {"path": m, "name": "members", "parent": None, "labels": {TH: "สมาชิก", EN: "Members"}},
            {"path": v, "name": "visits", "parent": m, "labels": {TH: "การเยี่ยม", EN: "Visits"}},
        ],
        "choices": {
            "yes_no": [
                {"name": "yes", "labels": {TH: "ใช่", EN: "Yes"}},
                {"name": "no", "labels": {TH: "ไม่ใช่", EN: "No"}},
            ],
            "village": [
                {"name": "1", "labels": {TH: "บ้านหนองบัว", EN: "Ban Nong Bua"}},
                {"name": "2", "labels": {TH: "บ้านดอนแก้ว", EN: "Ban Don Kaeo"}},
            ],
            "savings": [
                {"name": "bank", "labels": {TH: "เงินฝากธนาคาร", EN: "Bank"}},
                {"name": "fund", "labels": {TH: "กองทุนหมู่บ้าน", EN: "Village fund"}},
                {"name": "gold", "labels": {TH: "ทองคำ", EN: "Gold"}},
            ],
        },
        "media": [],
    }


VALID_CID = "1101700207030"  # passes the checksum
BAD_CID = "1101700207031"


def household_xml(
    instance_id: str,
    *,
    version: str = "2026112301",
    house_no: str = "12/3 หมู่ 4",
    members: list[dict[str, Any]] | None = None,
    phone: str = "0812345678",
    remarks: str = "บ้านไม้สองชั้น ริมคลอง",
    deprecated_id: str | None = None,
    rooms: str = "3",
    income: str = "150000.50",
    photo: str = "house.jpg",
    extra: str = "",
) -> bytes:
    if members is None:
        members = [
            {
                "name": "สมชาย ใจดี",
                "cid": VALID_CID,
                "age": "45",
                "visits": [("2026-01-10", "เยี่ยมครั้งแรก"), ("2026-02-11", "ติดตาม")],
            },
            {"name": "สมหญิง ใจดี", "cid": BAD_CID, "age": "43", "visits": [("2026-01-12", "")]},
        ]
    member_xml = "".join(
        f"<members><full_name>{mm['name']}</full_name><citizen_id>{mm['cid']}</citizen_id>"
        f"<age>{mm['age']}</age>"
        + "".join(
            f"<visits><visit_date>{d}</visit_date><visit_note>{n}</visit_note></visits>"
            for d, n in mm.get("visits", [])
        )
        + "</members>"
        for mm in members
    )
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    phone_xml = f"<phone>{phone}</phone>" if phone is not None else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'id="household_survey" version="{version}">'
        f"<intro/><household><house_no>{house_no}</house_no><village>2</village>"
        f"<location>13.7563 100.5018 12.5 4.0</location><house_photo>{photo}</house_photo></household>"
        f"{member_xml}<has_well>yes</has_well><savings>bank gold</savings><rooms>{rooms}</rooms>"
        f"<income>{income}</income><visit_date>2026-01-15</visit_date>{phone_xml}"
        f"<remarks>{remarks}</remarks>{extra}"
        f"<orx:meta><orx:instanceID>{instance_id}</orx:instanceID>"
        f"<orx:instanceName>บ้าน {house_no}</orx:instanceName>{deprecated}</orx:meta></data>"
    ).encode()


def make_form_version(
    session: Session, blobs: BlobStore, project_id: int, schema: dict[str, Any] | None = None
) -> FormVersion:
    schema = schema or household_schema()
    form = session.scalar(
        select(Form).where(Form.project_id == project_id, Form.xml_form_id == schema["form_id"])
    )
    if form is None:
        form = Form(project_id=project_id, xml_form_id=schema["form_id"])
        session.add(form)
        session.flush()
    xform = blobs.put_bytes(f"<h:html><!-- {schema['form_id']} {schema['version']} --></h:html>".encode())
    fv = FormVersion(
        form_id=form.id,
        version=schema["version"],
        title=schema["title"],
        xform_sha256=xform.sha256,
        xform_md5=xform.md5,
        field_schema=schema,
    )
    session.add(fv)
    session.flush()
    form.current_version_id = fv.id
    session.flush()
    return fv


def make_submission(
    session: Session,
    blobs: BlobStore,
    form_version: FormVersion,
    xml: bytes,
    instance_id: str,
    *,
    deprecated_id: str | None = None,
    submitter_id: int | None = None,
    attachments: dict[str, bytes | None] | None = None,
    device_id: str = "collect:abc123",
) -> SubmissionVersion:
    """Store a version as intake would (state "received"); an edit names the version it replaces."""
    blob = blobs.put_bytes(xml)
    if deprecated_id:
        old = session.scalar(
            select(SubmissionVersion).where(
                SubmissionVersion.form_id == form_version.form_id,
                SubmissionVersion.instance_id == deprecated_id,
            )
        )
        assert old is not None
        old.current = False
        submission = session.get(Submission, old.submission_id)
        assert submission is not None
        submission.review_state = "edited"
    else:
        submission = Submission(
            form_id=form_version.form_id, instance_id=instance_id, submitter_id=submitter_id
        )
        session.add(submission)
        session.flush()
    version = SubmissionVersion(
        submission_id=submission.id,
        form_id=form_version.form_id,
        form_version_id=form_version.id,
        instance_id=instance_id,
        deprecated_id=deprecated_id,
        instance_name=None,
        current=True,
        xml_sha256=blob.sha256,
        xml_size=blob.size,
        device_id=device_id,
        submitter_id=submitter_id,
    )
    session.add(version)
    session.flush()
    submission.current_version_id = version.id
    submission.updated_at = utcnow()
    for name, content in (attachments or {}).items():
        stored = blobs.put_bytes(content) if content is not None else None
        session.add(
            Attachment(
                submission_version_id=version.id,
                name=name,
                blob_sha256=stored.sha256 if stored else None,
                size=stored.size if stored else None,
                content_type="image/jpeg" if stored else None,
                received_at=utcnow() if stored else None,
            )
        )
    session.flush()
    return version
