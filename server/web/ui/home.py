"""Home: the submissions returned to the signed-in surveyor for correction, and the projects he may
see with each form's submission counts."""

from __future__ import annotations

from flask import Response, redirect, request, url_for
from sqlalchemy import select

from server.core.accounts import permissions
from server.core.models import Project
from server.core.review import corrections
from server.core.submissions import overview
from server.web.context import db
from server.web.ui.blueprint import bp
from server.web.ui.session import _, can, current_user, render


@bp.get("/")
def home() -> Response:
    user = current_user()
    ids = [pid for pid in db().scalars(select(Project.id).where(Project.archived.is_(False)).order_by(Project.id))
           if can("project.read", pid)]
    # Counts only over the submissions the user may read (his area; none for a collector).
    scopes = {pid: permissions.area_condition(permissions.area_for(db(), user, "submission.read", pid))
              for pid in ids}
    projects = overview.projects_overview(db(), ids, scopes=scopes)
    publishable = {pid for pid in ids if can("form.create", pid)}
    readable = {pid for pid in ids if can("submission.read", pid)}
    returned = corrections.returned_to(db(), user)
    notice = _("wf.sent_again") if request.args.get("sent") else None
    return render("ui/home.html", projects=projects, publishable=publishable, readable=readable,
                  returned=returned, notice=notice)


def root() -> Response:
    """The bare site address: a browser lands on the web application."""
    return redirect(url_for("ui.home"))  # type: ignore[return-value]
