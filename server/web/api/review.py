"""JSON API for review, in ODK Central's shapes where Central has them: review state (PATCH with
`reviewState`, the comment in Central's X-Action-Notes header), comments, versions, audits; plus
Chumchon's bulk review and the dashboard's aggregates. Every route applies project and area limits
through the core (server.core.review)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from flask import Blueprint, Flask, Response, jsonify, request

from server.core.accounts import permissions
from server.core.forms import publishing
from server.core.ground.errors import BadRequest
from server.core.models import AuditEvent, Comment, Form, User
from server.core.review import comments, dashboard, history, listing, states
from server.core.submissions import queries
from server.web.api.common import Field, checked_body, iso
from server.web.api.shapes import submission_json
from server.web.auth import api_user
from server.web.context import db

bp = Blueprint("api_review", __name__, url_prefix="/v1")

_FORM = "/projects/<int:project_id>/forms/<xml_form_id>"
_SUBMISSION = f"{_FORM}/submissions/<instance_id>"


def _form(project_id: int, xml_form_id: str) -> tuple[User, Form]:
    # 403 before 404 for another project's forms; the verb and area are checked by the core call.
    user = api_user()
    permissions.require(db(), user, "form.read", project_id)
    return user, publishing.get_form(db(), project_id, xml_form_id)


def _extended() -> bool:
    return request.headers.get("X-Extended-Metadata", "").lower() == "true"


_REVIEW_FIELDS = {
    "reviewState": Field((str,), required=True, max_length=32),
    "comment": Field((str,), max_length=states.MAX_COMMENT),
}


def _action_notes() -> str | None:
    raw = request.headers.get("X-Action-Notes")
    if not raw:
        return None
    note = unquote(raw)  # Central's clients percent-encode the header
    if "\x00" in note:
        raise BadRequest("X-Action-Notes มีอักขระ NUL / X-Action-Notes contains a NUL character.")
    return note


def _filter() -> listing.SubmissionFilter:
    return listing.filter_from_params(request.args.to_dict(flat=False))


def comment_json(comment: Comment) -> dict[str, Any]:
    body: dict[str, Any] = {
        "body": comment.body,
        "actorId": comment.actor_id,
        "createdAt": iso(comment.created_at),
    }
    if _extended():
        actor = db().get(User, comment.actor_id) if comment.actor_id is not None else None
        body["actor"] = {"id": actor.id, "displayName": actor.display_name} if actor is not None else None
    return body


def audit_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "actorId": event.actor_id,
        "action": event.action,
        "acteeId": event.target,
        "details": event.details,
        "notes": event.notes,
        "loggedAt": iso(event.logged_at),
    }


def version_json(entry: history.VersionEntry) -> dict[str, Any]:
    v = entry.version
    return {
        "instanceId": v.instance_id,
        "instanceName": v.instance_name,
        "submitterId": v.submitter_id,
        "deviceId": v.device_id,
        "userAgent": v.user_agent,
        "createdAt": iso(v.received_at),
        "current": v.current,
        "formVersion": entry.form_version,
        "submitterName": entry.submitter_name,
        "processed": entry.processed,
        "changes": [
            {"path": c.path, "field": c.field, "before": c.before, "after": c.after} for c in entry.changes
        ],
    }


@bp.patch(_SUBMISSION)
def update_review_state(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    body = checked_body(_REVIEW_FIELDS)
    note = _action_notes()
    if note is None and isinstance(body.get("comment"), str):
        note = body["comment"]
    submission = states.set_review_state(db(), user, form, instance_id, body.get("reviewState"), note)
    db().commit()
    return jsonify(submission_json(queries.get_submission(db(), form, submission.instance_id)))


@bp.post(f"{_FORM}/submissions/bulk-review")
def bulk_review(project_id: int, xml_form_id: str) -> Response:
    """{"reviewState", "comment"?, "instanceIds": [...]} or {"reviewState", "comment"?, "filter": {...}}
    (filter keys as the list's query parameters) → {"changed": n}."""
    user, form = _form(project_id, xml_form_id)
    body = checked_body(
        {
            **_REVIEW_FIELDS,
            "instanceIds": Field((list,), max_length=states.MAX_BULK),
            "filter": Field((dict,)),
        }
    )
    ids = body.get("instanceIds")
    raw_filter = body.get("filter")
    if ids is not None and not all(isinstance(i, str) and len(i) <= 255 for i in ids):
        raise BadRequest("instanceIds ต้องเป็นรายการข้อความไม่เกิน 255 ตัวอักษร / instanceIds must be a list of strings of at most 255 characters.")
    if raw_filter is not None and not isinstance(raw_filter, dict):
        raise BadRequest("filter ต้องเป็น JSON object / filter must be a JSON object.")
    filters = listing.filter_from_params(raw_filter) if raw_filter is not None else None
    comment = body.get("comment") if isinstance(body.get("comment"), str) else _action_notes()
    changed = states.bulk_review(
        db(), user, form, body.get("reviewState"), comment, instance_ids=ids, filters=filters
    )
    db().commit()
    return jsonify({"changed": changed})


@bp.get(f"{_SUBMISSION}/comments")
def list_comments(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    return jsonify([comment_json(c) for c in comments.list_comments(db(), user, form, instance_id)])


@bp.post(f"{_SUBMISSION}/comments")
def add_comment(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    comment = comments.add_comment(
        db(), user, form, instance_id, checked_body({"body": Field((str,), required=True)}).get("body")
    )
    db().commit()
    return jsonify(comment_json(comment))


@bp.get(f"{_SUBMISSION}/versions")
def list_versions(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    entries = history.submission_versions(db(), user, form, instance_id)
    db().commit()  # keeps the audit event of changed sensitive answers shown unmasked
    return jsonify([version_json(e) for e in entries])


@bp.get(f"{_SUBMISSION}/audits")
def list_audits(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    return jsonify([audit_json(e) for e in history.submission_audits(db(), user, form, instance_id)])


@bp.get(f"{_FORM}/dashboard/per-day")
def per_day(project_id: int, xml_form_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    rows = dashboard.submissions_per_day(db(), user, form, _filter())
    return jsonify([{"day": r.day.isoformat(), "count": r.count} for r in rows])


@bp.get(f"{_FORM}/dashboard/surveyors")
def per_surveyor(project_id: int, xml_form_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    return jsonify(
        [
            {
                "submitterId": s.submitter_id,
                "displayName": s.name,
                "count": s.count,
                "approved": s.approved,
                "hasIssues": s.has_issues,
                "needsCorrection": s.needs_correction,
                "approvedShare": s.approved_share,
                "hasIssuesShare": s.has_issues_share,
                "medianInterviewSeconds": s.median_interview_seconds,
            }
            for s in dashboard.per_surveyor(db(), user, form, _filter())
        ]
    )


@bp.get(f"{_FORM}/dashboard/villages")
def per_village(project_id: int, xml_form_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    return jsonify(
        [
            {"village": p.village_code, "subdistrict": p.subdistrict_code, "count": p.count}
            for p in dashboard.per_village(db(), user, form, _filter())
        ]
    )


@bp.get(f"{_FORM}/dashboard/flags")
def flags(project_id: int, xml_form_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    return jsonify(
        [{"code": f.code, "count": f.count} for f in dashboard.flags_by_kind(db(), user, form, _filter())]
    )


@bp.get(f"{_FORM}/dashboard/points")
def points(project_id: int, xml_form_id: str) -> Response:
    """GeoJSON FeatureCollection of the submissions' first geopoints with their review state, newest
    first (?limit=, at most 2,000; the map uses …/dashboard/grid beyond that)."""
    user, form = _form(project_id, xml_form_id)
    try:
        limit = min(int(request.args.get("limit", dashboard.MAX_POINTS)), dashboard.MAX_POINTS)
    except ValueError as exc:
        raise BadRequest("limit ต้องเป็นตัวเลข / limit must be a number.", field="limit") from exc
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.longitude, p.latitude]},
            "properties": {"instanceId": p.instance_id, "reviewState": p.review_state},
        }
        for p in dashboard.map_points(db(), user, form, _filter(), limit=max(limit, 1))
    ]
    return jsonify({"type": "FeatureCollection", "features": features})


@bp.get(f"{_FORM}/dashboard/grid")
def grid(project_id: int, xml_form_id: str) -> Response:
    """Submissions per map cell and review state (?cell= degrees, default 0.05), as GeoJSON points."""
    user, form = _form(project_id, xml_form_id)
    try:
        cell = float(request.args.get("cell", "0.05"))
    except ValueError as exc:
        raise BadRequest("cell ต้องเป็นตัวเลข / cell must be a number.", field="cell") from exc
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [c.longitude, c.latitude]},
            "properties": {"reviewState": c.review_state, "count": c.count},
        }
        for c in dashboard.map_grid(db(), user, form, _filter(), cell_degrees=cell)
    ]
    return jsonify({"type": "FeatureCollection", "features": features})


@bp.get("/projects/<int:project_id>/dashboard/forms")
def project_forms(project_id: int) -> Response:
    """Per form: submissions in total, today, this week (Thai days) and the last submission's time."""
    user = api_user()
    return jsonify(
        [
            {
                "xmlFormId": s.xml_form_id,
                "submissions": s.total,
                "today": s.today,
                "thisWeek": s.this_week,
                "lastSubmission": iso(s.last_submission_at),
            }
            for s in dashboard.form_summaries(db(), user, project_id)
        ]
    )


def register(app: Flask) -> None:
    app.register_blueprint(bp)
