"""The place filters of the submissions table and the dashboard (province → district → subdistrict →
village), from the form's attached place lists. Without JavaScript each level is narrowed to the
chosen coarser level when the filter is sent; with it, static/ui/places.js fills the next level from
`places/<kind>.json` as soon as a level is chosen (DOPA codes nest: a district's code starts with its
province's code)."""

from __future__ import annotations

from flask import Response, jsonify, request

from server.core.accounts import permissions
from server.core.forms import publishing
from server.core.ground.errors import NotFound
from server.core.models import Form
from server.core.review import places
from server.web.context import db, services
from server.web.ui.blueprint import bp
from server.web.ui.session import current_user

LEVELS = ("province", "district", "subdistrict", "village")
PARENT = {"district": "province", "subdistrict": "district", "village": "subdistrict"}


def _narrowed(names: dict[str, str], prefix: str) -> list[tuple[str, str]]:
    return sorted(((c, n) for c, n in names.items() if c.startswith(prefix)), key=lambda item: item[1])


def place_options(form: Form, filt: dict[str, str]) -> dict[str, list[tuple[str, str]] | None]:
    """Per level: None when the form has no list for it (a code is typed instead), else the choices
    within the chosen coarser level (empty until that level is chosen: lists of thousands help nobody)."""
    names = places.place_labels(db(), services().blobs, form)
    options: dict[str, list[tuple[str, str]] | None] = {}
    for kind in LEVELS:
        if not names.get(kind):
            options[kind] = None
            continue
        prefix = filt.get(PARENT.get(kind, ""), "")
        options[kind] = [] if kind != "province" and not prefix else _narrowed(names[kind], prefix)
    return options


@bp.get("/projects/<int:project_id>/forms/<xml_form_id>/places/<kind>.json")
def place_choices(project_id: int, xml_form_id: str, kind: str) -> Response:
    """The choices of one level within `parent` (a code of the coarser level), for places.js."""
    user = current_user()
    permissions.require(db(), user, "submission.read", project_id)  # before the form: names cannot be probed
    form = publishing.get_form(db(), project_id, xml_form_id)
    if kind not in LEVELS:
        raise NotFound("ไม่มีระดับพื้นที่นี้ / No such place level.")
    parent = (request.args.get("parent") or "").strip()
    names = places.place_labels(db(), services().blobs, form).get(kind, {})
    choices = _narrowed(names, parent) if parent or kind == "province" else []
    return jsonify({"kind": kind, "parent": parent, "options": [[code, name] for code, name in choices]})
