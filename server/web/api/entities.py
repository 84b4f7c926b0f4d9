"""JSON API for entity lists and entities, shaped after ODK Central's /v1/projects/ID/datasets so that
pyodk's `entity_lists` and `entities` calls work unchanged; plus a CSV upload of a whole list."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, jsonify, request

from server.core.accounts import permissions, projects
from server.core.entities import approval, conflicts, lists, odata, records
from server.core.entities.upload import import_csv
from server.core.ground.errors import BadRequest
from server.core.models import Entity, EntityList, EntityVersion, User
from server.web.api.common import Field, checked_body, iso
from server.web.auth import api_user
from server.web.context import db

bp = Blueprint("api_entities", __name__, url_prefix="/v1/projects/<int:project_id>/datasets")

MAX_BULK = 50_000


def list_json(entity_list: EntityList) -> dict[str, Any]:
    return {
        "name": entity_list.name,
        "projectId": entity_list.project_id,
        "createdAt": iso(entity_list.created_at),
        "approvalRequired": entity_list.approval_required,
        "ownerOnly": False,
    }


def list_details_json(summary: lists.ListSummary) -> dict[str, Any]:
    return {
        **list_json(summary.entity_list),
        "entities": summary.entities,
        "lastEntity": iso(summary.entity_list.updated_at),
        "properties": [
            {
                "name": p.name,
                "odataName": p.name.replace("-", "_"),
                "publishedAt": iso(p.created_at),
                "forms": [],
            }
            for p in summary.properties
        ],
        "sourceForms": [{"xmlFormId": f["xmlFormId"], "name": f["xmlFormId"]} for f in summary.forms],
        "linkedForms": [],
    }


def version_json(version: EntityVersion, *, with_data: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "label": version.label,
        "current": None,
        "createdAt": iso(version.created_at),
        "creatorId": version.creator_id or 0,
        "userAgent": version.user_agent or "",
        "version": version.version,
        "baseVersion": version.base_version,
        "conflictingProperties": version.conflicting_properties,
        "branchId": version.branch_id,
        "trunkVersion": version.trunk_version,
        "source": {"type": version.source, "name": version.source_name},
    }
    if with_data:
        body["data"] = version.data
        body["dataReceived"] = version.data_received
    return body


def entity_json(entity: Entity, current: EntityVersion, *, with_data: bool = True) -> dict[str, Any]:
    return {
        "uuid": entity.uuid,
        "creatorId": entity.creator_id or 0,
        "conflict": entity.conflict,
        "createdAt": iso(entity.created_at),
        "updatedAt": iso(entity.updated_at),
        "deletedAt": iso(entity.deleted_at),
        "currentVersion": {**version_json(current, with_data=with_data), "current": True},
    }


def _allowed(verb: str, project_id: int) -> User:
    user = api_user()
    permissions.require(db(), user, verb, project_id)
    return user


def _bool_arg(name: str) -> bool:
    value = request.args.get(name, "").strip().lower()
    if value in ("", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise BadRequest(f"{name} ต้องเป็น true หรือ false / {name} must be true or false.", field=name)


@bp.get("")
def list_all(project_id: int) -> Response:
    _allowed("entity.read", project_id)
    projects.get_project(db(), project_id)
    return jsonify([list_json(e) for e in lists.list_lists(db(), project_id)])


@bp.post("")
def create(project_id: int) -> Response:
    user = _allowed("dataset.create", project_id)
    body = checked_body({"name": Field((str,), required=True, max_length=255), "approvalRequired": Field((bool,))})
    made = lists.create_list(
        db(), project_id, body["name"], user_id=user.id, approval_required=bool(body.get("approvalRequired"))
    )
    db().commit()
    return jsonify(list_json(made))


@bp.get("/<name>")
def get(project_id: int, name: str) -> Response:
    _allowed("entity.read", project_id)
    return jsonify(list_details_json(lists.summarise(db(), lists.get_list(db(), project_id, name))))


@bp.patch("/<name>")
def patch(project_id: int, name: str) -> Response:
    user = _allowed("dataset.update", project_id)
    body = checked_body({"approvalRequired": Field((bool,))})
    raw_convert = request.args.get("convert")
    if raw_convert not in (None, "true", "false"):
        raise BadRequest("convert ต้องเป็น true หรือ false / convert must be true or false.", field="convert")
    found = lists.get_list(db(), project_id, name)
    if body.get("approvalRequired") is not None:
        convert = None if raw_convert is None else raw_convert == "true"
        approval.set_approval_required(db(), found, body["approvalRequired"], convert=convert, user_id=user.id)
        db().commit()
    return jsonify(list_details_json(lists.summarise(db(), found)))


@bp.post("/<name>/properties")
def add_property(project_id: int, name: str) -> Response:
    _allowed("dataset.update", project_id)
    body = checked_body({"name": Field((str,), required=True, max_length=255)})
    lists.add_property(db(), lists.get_list(db(), project_id, name), body["name"])
    db().commit()
    return jsonify({"success": True})


@bp.get("/<name>/entities")
def list_entities(project_id: int, name: str) -> Response:
    _allowed("entity.read", project_id)
    found = lists.get_list(db(), project_id, name)
    entities = records.list_entities(db(), found, deleted=_bool_arg("deleted"))
    versions = records.current_versions(db(), entities)
    return jsonify([entity_json(e, versions[e.id], with_data=False) for e in entities])


@bp.post("/<name>/entities")
def create_entities(project_id: int, name: str) -> Response:
    user = _allowed("entity.create", project_id)
    found = lists.get_list(db(), project_id, name)
    body = checked_body({"entities": Field((list,)), "source": Field((dict,))})
    agent = request.headers.get("User-Agent")
    if "entities" in body:
        source = body.get("source")
        if not isinstance(source, dict) or not isinstance(source.get("name"), str) or not source["name"]:
            raise BadRequest("ต้องระบุ source.name / Bulk creation needs source: {name, size}.", field="source")
        if not body["entities"] or len(body["entities"]) > MAX_BULK:
            raise BadRequest(f"ส่งได้ 1–{MAX_BULK} รายการ / Send 1 to {MAX_BULK} entities.", field="entities")
        records.create_entities(
            db(), found, body["entities"], user_id=user.id, user_agent=agent, source_name=source["name"][:255]
        )
        db().commit()
        return jsonify({"success": True})
    (made,) = records.create_entities(db(), found, [body], user_id=user.id, user_agent=agent)
    db().commit()
    return jsonify(entity_json(made, records.current_version(db(), made)))


@bp.post("/<name>/entities.csv")
def upload_csv(project_id: int, name: str) -> Response:
    user = _allowed("entity.create", project_id)
    _allowed("dataset.create", project_id)
    upload = request.files.get("file") if request.mimetype == "multipart/form-data" else None
    data = upload.read() if upload is not None else request.get_data()
    file_name = (upload.filename if upload is not None else request.args.get("filename")) or f"{name}.csv"
    count = import_csv(db(), project_id, name, data, user_id=user.id, source_name=file_name)
    db().commit()
    return jsonify({"success": True, "count": count})


@bp.get("/<name>/entities/<entity_uuid>")
def get_entity(project_id: int, name: str, entity_uuid: str) -> Response:
    _allowed("entity.read", project_id)
    entity = records.get_entity(db(), lists.get_list(db(), project_id, name), entity_uuid)
    return jsonify(entity_json(entity, records.current_version(db(), entity)))


@bp.patch("/<name>/entities/<entity_uuid>")
def update_entity(project_id: int, name: str, entity_uuid: str) -> Response:
    user = _allowed("entity.update", project_id)
    found = lists.get_list(db(), project_id, name)
    raw_base = request.args.get("baseVersion")
    if raw_base is not None and not raw_base.strip().isdigit():
        raise BadRequest("baseVersion ต้องเป็นจำนวนเต็ม / baseVersion must be a whole number.", field="baseVersion")
    body = request.get_json(silent=True) if request.get_data() else {}
    entity = records.update_entity(
        db(),
        found,
        entity_uuid,
        body,
        base_version=int(raw_base) if raw_base is not None else None,
        force=_bool_arg("force"),
        resolve=_bool_arg("resolve"),
        user_id=user.id,
        user_agent=request.headers.get("User-Agent"),
    )
    db().commit()
    return jsonify(entity_json(entity, records.current_version(db(), entity)))


@bp.delete("/<name>/entities/<entity_uuid>")
def delete_entity(project_id: int, name: str, entity_uuid: str) -> Response:
    user = _allowed("entity.delete", project_id)
    records.delete_entity(db(), lists.get_list(db(), project_id, name), entity_uuid, user_id=user.id)
    db().commit()
    return jsonify({"success": True})


@bp.get("/<name>/entities/<entity_uuid>/versions")
def entity_versions(project_id: int, name: str, entity_uuid: str) -> Response:
    _allowed("entity.read", project_id)
    entity = records.get_entity(db(), lists.get_list(db(), project_id, name), entity_uuid, deleted=True)
    versions = records.versions_of(db(), entity)
    shown = [
        {
            **version_json(v),
            "current": v.version == entity.version,
            "conflict": c.conflict,
            "resolved": c.resolved,
            "baseDiff": c.base_diff,
            "serverDiff": c.server_diff,
            "lastGoodVersion": c.last_good_version,
            "relevantToConflict": c.relevant_to_conflict,
        }
        for v, c in zip(versions, conflicts.conflict_details(db(), entity, versions), strict=True)
        if c.relevant_to_conflict or not _bool_arg("relevantToConflict")
    ]
    return jsonify(shown)


def _svc_base(project_id: int, name: str) -> str:
    return f"{request.host_url.rstrip('/')}/v1/projects/{project_id}/datasets/{quote(name, safe='')}.svc"


@bp.get("/<name>.svc")
def odata_service(project_id: int, name: str) -> Response:
    _allowed("entity.read", project_id)
    lists.get_list(db(), project_id, name)
    return jsonify(odata.service_document(_svc_base(project_id, name)))


@bp.get("/<name>.svc/$metadata")
def odata_metadata(project_id: int, name: str) -> Response:
    _allowed("entity.read", project_id)
    found = lists.get_list(db(), project_id, name)
    return Response(odata.metadata_xml(db(), found), content_type="application/xml; charset=utf-8")


@bp.get("/<name>.svc/Entities")
def odata_entities(project_id: int, name: str) -> Response:
    _allowed("entity.read", project_id)
    found = lists.get_list(db(), project_id, name)
    args = {k: v for k, v in request.args.items() if k.startswith("$")}
    return jsonify(odata.entities_page(db(), found, args, _svc_base(project_id, name)))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
