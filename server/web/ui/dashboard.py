"""Dashboard of a form: submissions per day (a chart drawn by uPlot from JSON), per surveyor, per
village, quality flags by kind — over the submissions the user may read and the table's filters."""

from __future__ import annotations

from flask import Response, jsonify, request

from server.core.accounts import permissions
from server.core.forms import publishing
from server.core.review import dashboard as aggregates
from server.core.review import listing, places
from server.core.submissions.facts import place_fields
from server.web.context import db, services
from server.web.ui.blueprint import bp
from server.web.ui.place_filters import place_options
from server.web.ui.session import current_user, render
from server.web.ui.submissions import FILTER_KEYS, state_label

_FORM = "/projects/<int:project_id>/forms/<xml_form_id>"


def _filters() -> tuple[dict[str, str], listing.SubmissionFilter]:
    args = {k: v for k in FILTER_KEYS if (v := (request.args.get(k) or "").strip())}
    return args, listing.filter_from_params(args)


@bp.get(f"{_FORM}/dashboard")
def dashboard(project_id: int, xml_form_id: str) -> Response:
    user = current_user()
    permissions.require(db(), user, "submission.read", project_id)
    form = publishing.get_form(db(), project_id, xml_form_id)
    args, filters = _filters()
    return render(
        "ui/dashboard.html",
        form=form,
        version=publishing.current_version(form),
        args=args,
        filt=args,
        places=place_fields(publishing.current_version(form).field_schema),
        place_options=place_options(form, args),
        surveyors=aggregates.per_surveyor(db(), user, form, filters),
        villages=aggregates.per_village(db(), user, form, filters)[:50],
        place_names=places.place_labels(db(), services().blobs, form),
        flags=aggregates.flags_by_kind(db(), user, form, filters),
        state_label=state_label,
    )


@bp.get(f"{_FORM}/dashboard/per-day.json")
def dashboard_per_day(project_id: int, xml_form_id: str) -> Response:
    user = current_user()
    permissions.require(db(), user, "submission.read", project_id)  # before the form: names cannot be probed
    form = publishing.get_form(db(), project_id, xml_form_id)
    _, filters = _filters()
    days = aggregates.submissions_per_day(db(), user, form, filters)
    return jsonify({"days": [d.day.isoformat() for d in days], "counts": [d.count for d in days]})


MAP_LIMIT = aggregates.MAX_POINTS  # beyond this the map draws grid cells (counted by the database)


@bp.get(f"{_FORM}/dashboard/points.json")
def dashboard_points(project_id: int, xml_form_id: str) -> Response:
    user = current_user()
    permissions.require(db(), user, "submission.read", project_id)  # before the form: names cannot be probed
    form = publishing.get_form(db(), project_id, xml_form_id)
    _, filters = _filters()
    labels = {s: state_label(s) for s in ("received", "hasIssues", "needsCorrection", "edited", "approved", "rejected")}
    # The count is the tally's (cheap): past MAP_LIMIT no point is read, the grid is drawn at once.
    many = listing.count_submissions(db(), user, form, filters) > MAP_LIMIT
    points = [] if many else aggregates.map_points(db(), user, form, filters, limit=MAP_LIMIT + 1)
    if not many and len(points) <= MAP_LIMIT:
        return jsonify({"points": [[p.latitude, p.longitude, p.review_state, 1] for p in points], "labels": labels,
                        "grid": False})
    cells = aggregates.map_grid(db(), user, form, filters)
    return jsonify({"points": [[c.latitude, c.longitude, c.review_state, c.count] for c in cells],
                    "labels": labels, "grid": True})
