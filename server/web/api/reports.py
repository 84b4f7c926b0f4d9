"""JSON API for reports: `GET /v1/projects/ID/reports` lists them, `GET /v1/projects/ID/reports/NAME
?area=&period=&level=&format=json|xlsx|pdf` gives one, computed for the caller's part of the project
(submission.read, and his area if his grant has one)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, jsonify, request

from server.core.accounts import permissions
from server.core.models import Project
from server.core.reports import basic_needs, catalogue, render
from server.core.review.places import place_labels
from server.web.auth import api_user
from server.web.context import db, services

bp = Blueprint("api_reports", __name__, url_prefix="/v1")


@bp.get("/projects/<int:project_id>/reports")
def list_reports(project_id: int) -> Response:
    permissions.require(db(), api_user(), "submission.read", project_id)
    return jsonify(
        [
            {"name": name, "title": rules.title, "titleEn": rules.title_en, "formId": rules.form_id}
            for name, rules in sorted(catalogue.available().items())
        ]
    )


@bp.get("/projects/<int:project_id>/reports/<name>")
def get_report(project_id: int, name: str) -> Response:
    user = api_user()
    fmt = render.check_format(request.args.get("format"))
    area = basic_needs.check_area(request.args.get("area"))  # bad parameters: a 400 before any work
    period = basic_needs.check_period(request.args.get("period"))
    level = basic_needs.check_level(request.args.get("level"))
    form, rules = catalogue.open_report(db(), user, project_id, name)
    db().commit()  # the results brought up to date stay, whatever happens next
    report = catalogue.build(
        db(),
        user,
        form,
        rules,
        area=area,
        period=period,
        level=level,
        labels=place_labels(db(), services().blobs, form),
    )
    project = db().get(Project, project_id)
    office = request.args.get("office") or (project.name if project is not None else "")
    body = render.render(report, fmt, office[:200], datetime.now(UTC))
    response = Response(body, content_type=render.FORMATS[fmt] + ("; charset=utf-8" if fmt == "json" else ""))
    if fmt != "json":
        response.headers["Content-Disposition"] = f'attachment; filename="{render.file_name(report, fmt)}"'
    return response


def register(app: Flask) -> None:
    app.register_blueprint(bp)
