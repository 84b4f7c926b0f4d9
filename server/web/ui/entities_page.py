"""Entity lists in the web application (Thai first): each list as a table with search, an entity's
page with its version history and the submissions that touched it, and a conflict to mark resolved.
Lists hold whole registries (names, addresses) across areas, so the pages need `entity.read` (managers
and administrators), as the API does."""

from __future__ import annotations

from flask import Response, redirect, request, url_for
from sqlalchemy import select

from server.core.accounts import permissions
from server.core.entities import approval, lists, records
from server.core.ground.errors import BadRequest
from server.core.models import Form, Project, Submission, SubmissionVersion
from server.web.context import db
from server.web.ui.blueprint import bp
from server.web.ui.i18n import CATALOGUE
from server.web.ui.session import current_user, render

SHOWN = 500  # rows of a list page; search narrows the rest

CATALOGUE.update(
    {
        "ent.title": ("ทะเบียน (รายการเอนทิตี)", "Registries (entity lists)"),
        "ent.list": ("รายการ", "List"),
        "ent.count": ("จำนวน", "Entries"),
        "ent.properties": ("ข้อมูลที่เก็บ", "Properties"),
        "ent.forms": ("แบบฟอร์มที่สร้าง/แก้ไข", "Forms that create/update"),
        "ent.none": ("ยังไม่มีทะเบียนในโครงการนี้", "No entity lists in this project yet"),
        "ent.search": ("ค้นหา (ชื่อหรือข้อมูล)", "Search (label or data)"),
        "ent.find": ("ค้นหา", "Search"),
        "ent.label": ("ชื่อ", "Label"),
        "ent.version": ("ฉบับที่", "Version"),
        "ent.updated": ("แก้ไขล่าสุด", "Last change"),
        "ent.conflict": ("ขัดแย้ง", "Conflict"),
        "ent.conflict_soft": ("อาจขัดแย้ง", "Possible conflict"),
        "ent.conflict_hard": ("ขัดแย้ง", "Conflict"),
        "ent.shown": ("แสดง {shown} จาก {total} รายการ", "Showing {shown} of {total}"),
        "ent.empty": ("ไม่พบรายการ", "Nothing found"),
        "ent.history": ("ประวัติการแก้ไข", "Version history"),
        "ent.source": ("ที่มา", "Source"),
        "ent.data": ("ข้อมูล", "Data"),
        "ent.base": ("แก้จากฉบับ", "Based on version"),
        "ent.submissions": ("ข้อมูลที่ส่งซึ่งเกี่ยวข้อง", "Submissions that touched it"),
        "ent.outcome": ("ผล", "Outcome"),
        "ent.resolve": ("ตรวจแล้ว ยืนยันว่าถูกต้อง", "Checked: mark the conflict resolved"),
        "ent.resolve_help": (
            "มีการแก้ไขจากฉบับเก่า (เช่น ส่งจากโทรศัพท์สองเครื่อง) ตรวจข้อมูลในประวัติด้านล่างก่อนยืนยัน",
            "An update was made from an older version (for example from two phones); check the history below first.",
        ),
        "ent.resolved": ("ยืนยันแล้ว ไม่มีความขัดแย้ง", "Marked resolved"),
        "ent.only_conflicts": ("เฉพาะที่ขัดแย้ง ({n})", "Only conflicts ({n})"),
        "ent.all": ("ทั้งหมด", "All"),
        "ent.approval": ("การอนุมัติ", "Approval"),
        "ent.approval_on": (
            "สร้างรายการจากข้อมูลที่ส่งเมื่อผู้ตรวจอนุมัติแล้วเท่านั้น (การแก้ไขรายการเดิมมีผลทันที)",
            "Entities are created only from approved submissions (updates apply at once)",
        ),
        "ent.approval_off": (
            "สร้างรายการทันทีที่ประมวลผลข้อมูลที่ส่ง", "Entities are created as soon as submissions are processed"
        ),
        "ent.pending": (
            "ข้อมูลที่ส่ง {n} รายการรอการอนุมัติเพื่อสร้างรายการ", "{n} submissions wait for approval to create entities"
        ),
        "ent.approval_enable": ("ต้องอนุมัติก่อนสร้างรายการ", "Require approval before creating entities"),
        "ent.approval_disable": ("ไม่ต้องอนุมัติ", "Stop requiring approval"),
        "ent.approval_convert": (
            "ไม่ต้องอนุมัติ และสร้างรายการที่รออยู่ทันที", "Stop requiring approval and create the waiting entities now"
        ),
        "ent.approval_leave": (
            "ไม่ต้องอนุมัติ และไม่สร้างรายการที่รออยู่", "Stop requiring approval, do not create the waiting ones"
        ),
        "ent.approval_saved": ("บันทึกการตั้งค่าแล้ว", "Setting saved"),
        "ent.converted": ("สร้างรายการที่รออยู่แล้ว {n} รายการ", "{n} waiting entities created"),
    }
)

_LIST = "/projects/<int:project_id>/entities"


def _require(project_id: int) -> None:
    permissions.require(db(), current_user(), "entity.read", project_id)


@bp.get(_LIST)
def entity_lists(project_id: int) -> Response:
    _require(project_id)
    summaries = [lists.summarise(db(), entity_list) for entity_list in lists.list_lists(db(), project_id)]
    return render("ui/entities.html", project=db().get(Project, project_id), summaries=summaries)


def _matches(entity: object, needle: str) -> bool:
    label = str(getattr(entity, "label", "")).lower()
    data = getattr(entity, "data", {}) or {}
    return needle in label or any(needle in str(v).lower() for v in data.values())


@bp.get(f"{_LIST}/<name>")
def entity_list_page(project_id: int, name: str) -> Response:
    _require(project_id)
    entity_list = lists.get_list(db(), project_id, name)
    needle = request.args.get("q", "").strip().lower()
    everything = records.list_entities(db(), entity_list)
    found = [e for e in everything if _matches(e, needle)] if needle else everything
    only_conflicts = request.args.get("conflict") == "1"
    if only_conflicts:  # the entities a person still has to look at
        found = [e for e in found if e.conflict is not None]
    converted = request.args.get("converted", "")
    return render(
        "ui/entity_list.html",
        project=db().get(Project, project_id),
        entity_list=entity_list,
        properties=lists.property_names(db(), entity_list),
        entities=found[:SHOWN],
        total=len(found),
        q=request.args.get("q", ""),
        only_conflicts=only_conflicts,
        conflicts=sum(1 for e in everything if e.conflict is not None),
        pending=approval.pending_count(db(), entity_list),
        may_update=permissions.can(db(), current_user(), "dataset.update", project_id),
        saved=request.args.get("saved") == "1",
        converted=int(converted) if converted.isdigit() else 0,
    )


@bp.post(f"{_LIST}/<name>/approval")
def entity_list_approval(project_id: int, name: str) -> Response:
    """Switch approvalRequired (as Central's PATCH …/datasets/NAME, convert included)."""
    user = current_user()
    permissions.require(db(), user, "dataset.update", project_id)
    entity_list = lists.get_list(db(), project_id, name)
    wanted = request.form.get("approval_required", "")
    convert = request.form.get("convert", "")
    if wanted not in ("0", "1") or convert not in ("", "true", "false"):
        raise BadRequest("ค่าที่ส่งมาไม่ถูกต้อง / approval_required must be 0 or 1, convert true or false.")
    made = approval.set_approval_required(
        db(), entity_list, wanted == "1", convert=None if not convert else convert == "true", user_id=user.id
    )
    db().commit()
    target = url_for("ui.entity_list_page", project_id=project_id, name=name, saved=1, converted=made or None)
    return redirect(target, code=303)  # type: ignore[return-value]


@bp.get(f"{_LIST}/<name>/<entity_uuid>")
def entity_page(project_id: int, name: str, entity_uuid: str) -> Response:
    _require(project_id)
    entity_list = lists.get_list(db(), project_id, name)
    entity = records.get_entity(db(), entity_list, entity_uuid)
    touched = records.touching_submissions(db(), entity)
    ids = {t.submission_id for t in touched}
    where = {
        sid: (xml_form_id, instance_id)
        for sid, xml_form_id, instance_id in db().execute(
            select(Submission.id, Form.xml_form_id, SubmissionVersion.instance_id)
            .join(Form, Form.id == Submission.form_id)
            .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id)
            .where(Submission.id.in_(ids))
        )
    } if ids else {}
    return render(
        "ui/entity.html",
        project=db().get(Project, project_id),
        entity_list=entity_list,
        entity=entity,
        versions=list(reversed(records.versions_of(db(), entity))),
        touched=[(t, where.get(t.submission_id)) for t in touched],
        resolved=request.args.get("resolved") == "1",
    )


@bp.post(f"{_LIST}/<name>/<entity_uuid>/resolve")
def resolve_entity(project_id: int, name: str, entity_uuid: str) -> Response:
    user = current_user()
    permissions.require(db(), user, "entity.update", project_id)
    entity_list = lists.get_list(db(), project_id, name)
    records.update_entity(
        db(), entity_list, entity_uuid, {}, base_version=None, resolve=True,
        user_id=user.id, user_agent=request.headers.get("User-Agent"),
    )  # fmt: skip
    db().commit()
    target = url_for("ui.entity_page", project_id=project_id, name=name, entity_uuid=entity_uuid, resolved=1)
    return redirect(target, code=303)  # type: ignore[return-value]
