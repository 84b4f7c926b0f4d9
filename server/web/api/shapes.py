"""ODK Central's JSON shapes for actors, projects, forms (published and drafts), fields, form media and
submissions, with X-Extended-Metadata where Central has it. Chumchon's extras are extra keys only."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from flask import request

from server.core.accounts import permissions
from server.core.forms import drafts, form_media, publishing
from server.core.models import Form, FormMedia, FormVersion, Project, User
from server.core.review import summaries
from server.core.submissions import queries
from server.web.api.common import iso
from server.web.context import db, services

_ODATA_UNSAFE = re.compile(r"[^\w]", re.UNICODE)
# Every verb a role can hold, so an admin's "*" can be spelled out the way Central lists verbs.
ALL_VERBS = sorted(
    {v for verbs in permissions.ROLE_VERBS.values() for v in verbs}
    | {"project.update", "project.delete", "project.create", "form.delete", "user.create"}
)


def extended() -> bool:
    return request.headers.get("X-Extended-Metadata", "").strip().lower() == "true"


def actor_json(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "id": user.id,
        "type": "field_key" if user.collect_token and not user.password_hash else "user",
        "displayName": user.display_name,
        "createdAt": iso(user.created_at),
        "updatedAt": None,
        "deletedAt": None if user.active else iso(user.created_at),
    }


def verbs_of(user: User, project_id: int | None) -> list[str]:
    verbs = permissions.verbs_for(db(), user, project_id)
    return ALL_VERBS if "*" in verbs else sorted(verbs)


def project_json(project: Project, user: User | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "archived": bool(project.archived),
        "keyId": None,
        "createdAt": iso(project.created_at),
        "updatedAt": iso(project.updated_at),
        "deletedAt": iso(project.deleted_at),
    }
    if extended() and user is not None:
        summary = summaries.project_summary(db(), user, project.id, drafts.list_all_forms(db(), project.id))
        body.update(
            forms=summary.forms,
            appUsers=summary.app_users,
            lastSubmission=iso(summary.last_submission),
            datasets=0,
            verbs=verbs_of(user, project.id),
        )
    return body


def _sha1(version: FormVersion) -> str | None:
    try:
        return hashlib.sha1(services().blobs.read_bytes(version.xform_sha256), usedforsecurity=False).hexdigest()
    except OSError:
        return None


def form_json(form: Form, version: FormVersion, user: User | None = None) -> dict[str, Any]:
    """A form as Central shows it with one of its definitions: the published one, a draft or an older
    version (`version`)."""
    draft = version.draft_token is not None
    body: dict[str, Any] = {
        "projectId": form.project_id,
        "xmlFormId": form.xml_form_id,
        "state": form.state,
        "enketoId": None,
        "enketoOnceId": None,
        "createdAt": iso(form.created_at),
        "updatedAt": iso(form.updated_at),
        "webformsEnabled": False,
        "keyId": None,
        "version": (version.draft_version or "") if draft else version.version,
        "hash": version.xform_md5,
        "sha": _sha1(version),
        "sha256": version.xform_sha256,
        "draftToken": version.draft_token if draft else None,
        "publishedAt": None if draft else iso(version.published_at),
        "name": version.title or None,
        # Chumchon's own keys:
        "warnings": list(version.warnings),
        "attachments": {
            "expected": len(version.media),
            "present": len(form_media.media_with_content(version)),
        },
    }
    if extended() and user is not None:
        summary = summaries.form_summary(db(), user, form)
        first = publishing.published_versions(form)[:1] or [version]
        creator = db().get(User, first[0].published_by_id) if first[0].published_by_id else None
        body.update(
            submissions=summary.submissions,
            reviewStates={k: summary.review_states.get(k, 0) for k in ("received", "hasIssues", "edited")},
            lastSubmission=iso(summary.last_submission),
            excelContentType=_excel_type(version),
            entityRelated=False,
            publicLinks=0,
            createdBy=actor_json(creator),
        )
    return body


def _excel_type(version: FormVersion) -> str | None:
    name = (version.source_filename or "").lower()
    if name.endswith(".xlsx"):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if name.endswith(".xls"):
        return "application/vnd.ms-excel"
    return None


def version_json(form: Form, version: FormVersion) -> dict[str, Any]:
    """One entry of …/forms/ID/versions: Central's form shape for that version, plus Chumchon's keys."""
    body = form_json(form, version)
    body.update(
        sourceFilename=version.source_filename,
        publishedBy=actor_json(db().get(User, version.published_by_id)) if version.published_by_id else None,
    )
    return body


def _odata_name(name: str) -> str:
    return _ODATA_UNSAFE.sub("_", name)


def fields_json(schema: dict[str, Any], *, odata: bool = False) -> list[dict[str, Any]]:
    """Central's …/fields: paths below the instance root (`/group/q`), bind types (`string`, `int`,
    `binary` …, `structure` for groups, `repeat`), binary and selectMultiple true or null. Chumchon's
    own description of each field stays beside it (xlsformType, labels, sensitive)."""
    prefix = f"/{schema.get('root') or ''}"
    out = []
    for field in schema.get("fields", []):
        path = str(field["path"])
        path = path[len(prefix) :] if path.startswith(prefix + "/") else path
        if odata:
            path = "/".join(_odata_name(part) for part in path.split("/"))
        kind = field["type"]
        central_type = {"group": "structure", "repeat": "repeat"}.get(kind) or field.get("bind_type") or "string"
        out.append(
            {
                "path": path,
                "name": _odata_name(field["name"]) if odata else field["name"],
                "type": central_type,
                "binary": True if field.get("bind_type") == "binary" else None,
                "selectMultiple": True if kind == "select_multiple" else None,
                "xlsformType": kind,
                "labels": field.get("labels", {}),
                "sensitive": bool(field.get("sensitive")),
            }
        )
    return out


def form_attachment_json(media: FormMedia) -> dict[str, Any]:
    present = media.blob_sha256 is not None
    return {
        "name": media.name,
        "type": media.media_type,
        "hash": media.md5,
        "exists": present,
        "blobExists": present,
        "datasetExists": False,
        "updatedAt": iso(media.updated_at) if present else None,
    }


def submission_json(item: queries.SubmissionItem) -> dict[str, Any]:
    sub, ver = item.submission, item.version
    body: dict[str, Any] = {
        "instanceId": sub.instance_id,
        "submitterId": sub.submitter_id,
        "deviceId": ver.device_id,
        "userAgent": ver.user_agent,
        "reviewState": sub.review_state,
        "createdAt": iso(sub.created_at),
        "updatedAt": iso(sub.updated_at),
        "deletedAt": iso(sub.deleted_at),
        "currentVersion": {
            "instanceId": ver.instance_id,
            "instanceName": ver.instance_name,
            "submitterId": ver.submitter_id,
            "deviceId": ver.device_id,
            "userAgent": ver.user_agent,
            "createdAt": iso(ver.received_at),
            "current": ver.current,
            "formVersion": item.form_version,
            "processingState": ver.processing_state,
            "processingError": ver.processing_error,
            "processedAt": iso(ver.processed_at),
        },
    }
    if extended():
        submitter = actor_json(db().get(User, sub.submitter_id)) if sub.submitter_id is not None else None
        body["submitter"] = submitter
        body["formVersion"] = item.form_version
        body["currentVersion"]["submitter"] = (
            submitter
            if ver.submitter_id == sub.submitter_id
            else actor_json(db().get(User, ver.submitter_id)) if ver.submitter_id is not None else None
        )
    return body
