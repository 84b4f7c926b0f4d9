"""Audit log page (administrators): filter by user, action and date; download as CSV."""

from __future__ import annotations

from flask import Response, request
from sqlalchemy import select

from server.core.accounts import audit_log
from server.core.models import User
from server.web.context import db
from server.web.guards import id_or_none
from server.web.ui.blueprint import bp
from server.web.ui.session import render, require_admin


def _filter() -> audit_log.AuditFilter:
    args = request.args
    user_id = id_or_none(args.get("user"), "ผู้ใช้ไม่ถูกต้อง / Unknown user.")
    return audit_log.AuditFilter(
        user_id=user_id,
        action=args.get("action") or None,
        day_from=audit_log.parse_day(args.get("from")),
        day_to=audit_log.parse_day(args.get("to")),
    )


@bp.get("/audit")
def audit_page() -> Response:
    require_admin()
    flt = _filter()
    before = id_or_none(request.args.get("before"), "before ต้องเป็นตัวเลข / before must be a number.")
    rows = audit_log.page(db(), flt, before)
    older = dict(request.args)
    if len(rows) == audit_log.PAGE_SIZE:
        older["before"] = str(rows[-1][0].id)
    return render(
        "ui/audit.html",
        rows=rows,
        address_of=audit_log.address_of,
        users=db().scalars(select(User).order_by(User.username)).all(),
        actions=audit_log.actions(db()),
        args=request.args,
        older=older if len(rows) == audit_log.PAGE_SIZE else None,
    )


@bp.get("/audit.csv")
def audit_csv() -> Response:
    require_admin()
    flt = _filter()
    chunks = list(audit_log.csv_chunks(db(), flt))  # read while the request's session is open
    resp = Response(chunks, mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'attachment; filename="chumchon-audit.csv"'
    return resp
