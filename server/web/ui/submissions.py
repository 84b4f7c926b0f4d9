"""Submissions of a form: the table (columns from the field schema, column chooser, filters, search,
keyset paging), bulk review, and one submission's page (answers in form order, attachments, map,
flags, versions, comments, review state). Project and area limits are applied by server.core.review."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, redirect, request, url_for
from sqlalchemy import select

from server.core.accounts import permissions
from server.core.forms import publishing
from server.core.ground.errors import ChumchonError
from server.core.models import Comment, Form, FormVersion, RoleGrant, User
from server.core.review import comments, corrections, history, listing, reading, states
from server.core.submissions.facts import place_fields
from server.web.context import db, services
from server.web.ui import answers
from server.web.ui.blueprint import bp
from server.web.ui.place_filters import place_options
from server.web.ui.session import current_user, lang, pick, render

_FORM = "/projects/<int:project_id>/forms/<xml_form_id>"
_SUBMISSION = f"{_FORM}/submissions/<instance_id>"
PAGE_SIZE = 50
DEFAULT_COLUMNS = 6
FILTER_KEYS = ("since", "until", "submitterId", "reviewState", "flag", "province", "district", "subdistrict",
               "village", "q")
FLAG_CODES = ("thai_citizen_id_invalid",)
INLINE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "audio/", "video/")


def _form(project_id: int, xml_form_id: str) -> tuple[User, Form]:
    user = current_user()
    permissions.require(db(), user, "submission.read", project_id)
    return user, publishing.get_form(db(), project_id, xml_form_id)


def label_mode() -> str:
    mode = request.args.get("labels") or lang()
    return mode if mode in answers.LABEL_MODES else lang()


def _filter_args() -> dict[str, str]:
    return {k: v for k in FILTER_KEYS if (v := (request.values.get(k) or "").strip())}


def _surveyors(project_id: int) -> list[tuple[int, str]]:
    rows = db().execute(
        select(User.id, User.display_name)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == "collector", (RoleGrant.project_id == project_id) | RoleGrant.project_id.is_(None))
        .distinct()
        .order_by(User.display_name)
    ).all()
    return [(uid, name) for uid, name in rows]


@bp.get(f"{_FORM}/submissions")
def submissions_table(project_id: int, xml_form_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    version = publishing.current_version(form)
    schema = version.field_schema
    filt = _filter_args()
    filters = listing.filter_from_params(filt)
    page = listing.list_page(db(), user, form, filters, cursor=request.args.get("cursor") or None, limit=PAGE_SIZE)
    mode = label_mode()
    key = answers.language_key(schema, mode)
    every = answers.data_columns(schema)
    chosen = request.args.getlist("col")
    shown = [c for c in every if c["path"] in chosen] if chosen else every[:DEFAULT_COLUMNS]
    rows = [
        {
            "row": r,
            "state": states.shown_state(r.submission.review_state),
            "cells": [answers.shown_value(schema, c, (r.values or {}).get(c["path"]), key) for c in shown],
        }
        for r in page.rows
    ]
    next_args = {**filt, "labels": mode, "col": [c["path"] for c in shown] if chosen else [],
                 "cursor": page.next_cursor}
    return render(
        "ui/submissions.html",
        form=form,
        version=version,
        columns=[(c["path"], answers.label_of(c, key)) for c in shown],
        every_column=[(c["path"], answers.label_of(c, key), c in shown) for c in every],
        rows=rows,
        total=_total(user, form, filters),
        next_url=url_for("ui.submissions_table", project_id=project_id, xml_form_id=xml_form_id, **next_args)
        if page.next_cursor else None,
        first_page=not request.args.get("cursor"),
        filt=filt,
        mode=mode,
        chosen=[c["path"] for c in shown] if chosen else [],
        surveyors=_surveyors(project_id),
        review_states=states.REVIEW_STATES,
        settable=states.SETTABLE_STATES,
        flag_codes=FLAG_CODES,
        places=place_fields(schema),
        place_options=place_options(form, filt),
        may_review=permissions.can(db(), user, "submission.update", project_id),
        notice=request.args.get("done"),
        state_label=state_label,
    )


SEARCH_COUNT_UP_TO = 1_000  # a search's total is counted up to this, then shown as "1,000+"


def _total(user: User, form: Form, filters: listing.SubmissionFilter) -> str:
    n = listing.count_submissions(db(), user, form, filters, at_most=SEARCH_COUNT_UP_TO)
    return f"{SEARCH_COUNT_UP_TO:,}+" if n > SEARCH_COUNT_UP_TO else str(n)


def state_label(state: str) -> str:
    names = {
        "received": ("ได้รับแล้ว", "Received"),
        "hasIssues": ("มีปัญหา", "Has issues"),
        "needsCorrection": ("ส่งกลับให้แก้ไข", "Returned for correction"),
        "edited": ("แก้ไขแล้ว", "Edited"),
        "approved": ("อนุมัติ", "Approved"),
        "rejected": ("ไม่อนุมัติ", "Rejected"),
    }
    th, en = names.get(state, (state, state))
    return en if lang() == "en" else th


def saved_text(state: str) -> str:
    return ("บันทึกผลการตรวจแล้ว: " if lang() == "th" else "Review saved: ") + state_label(state)


@bp.post(f"{_FORM}/submissions/review")
def bulk_review(project_id: int, xml_form_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    filt = _filter_args()
    everything = request.form.get("scope") == "filter"
    ids = request.form.getlist("instance_id")
    back = url_for("ui.submissions_table", project_id=project_id, xml_form_id=xml_form_id, **filt)
    try:
        count = states.bulk_review(
            db(), user, form, request.form.get("state", ""), request.form.get("comment"),
            instance_ids=None if everything else ids,
            filters=listing.filter_from_params(filt) if everything else None,
        )
    except ChumchonError as err:
        db().rollback()
        return render("ui/error.html", status=err.status, message=pick(err.message), status_code=err.status,
                      back=back)
    db().commit()
    done = f"{count} รายการ" if lang() == "th" else f"{count} submissions updated"
    return redirect(url_for("ui.submissions_table", project_id=project_id, xml_form_id=xml_form_id,  # type: ignore[return-value]
                            done=done, **filt))


def attachment_url(form: Form, instance_id: str, name: str) -> str:
    return url_for("ui.submission_attachment", project_id=form.project_id, xml_form_id=form.xml_form_id,
                   instance_id=instance_id, name=name)


def _submission_page(user: User, form: Form, instance_id: str, status: int = 200, **extra: Any) -> Response:
    view = reading.read_submission(db(), user, form, instance_id)
    db().commit()  # keeps the audit event of an unmasked sensitive read
    detail = view.detail
    submission = detail.item.submission
    version = publishing.current_version(form)
    schema = _schema_of(detail.item.version.form_version_id) or version.field_schema
    key = answers.language_key(schema, label_mode())
    files = {a["name"]: a["exists"] for a in detail.attachments}
    names = dict(db().execute(select(User.id, User.display_name)).all())
    thread = comments.list_comments(db(), user, form, instance_id)
    labels = {f["path"]: answers.label_of(f, key) for f in schema.get("fields") or []}
    return render(
        "ui/submission.html",
        status=status,
        form=form,
        title=version.title,
        submission=submission,
        current=detail.item.version,
        sections=answers.layout(schema, detail.values, detail.repeats, key),
        processed=detail.values is not None,
        flags=detail.flags,
        files=files,
        attachment_url=lambda name: attachment_url(form, submission.instance_id, name),
        versions=history.submission_versions(db(), user, form, instance_id),
        comments=thread,
        names=names,
        state=states.shown_state(submission.review_state),
        state_label=state_label,
        settable=states.SETTABLE_STATES,
        may_review=permissions.can(db(), user, "submission.update", form.project_id),
        may_edit=_may_edit(user, form, instance_id),
        masked=view.masked,
        field_labels=labels,
        flag_label=lambda path: answers.flag_label(path, labels),
        **extra,
    )


def _may_edit(user: User, form: Form, instance_id: str) -> bool:
    try:
        corrections.editable_submission(db(), user, form, instance_id)
    except ChumchonError:
        return False
    return True


def _schema_of(form_version_id: int) -> dict[str, Any]:
    fv = db().get(FormVersion, form_version_id)
    return dict(fv.field_schema) if fv is not None else {}


@bp.get(_SUBMISSION)
def submission_page(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    return _submission_page(user, form, instance_id, notice=request.args.get("done"))


@bp.post(f"{_SUBMISSION}/review")
def submission_review(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    try:
        states.set_review_state(db(), user, form, instance_id, request.form.get("state", ""),
                                request.form.get("comment"))
    except ChumchonError as err:
        db().rollback()
        if err.status in (401, 403, 404):
            raise
        return _submission_page(user, form, instance_id, status=err.status, error=pick(err.message),
                                comment_draft=request.form.get("comment", ""))
    db().commit()
    return redirect(url_for("ui.submission_page", project_id=project_id, xml_form_id=xml_form_id,  # type: ignore[return-value]
                            instance_id=instance_id, done=saved_text(request.form.get("state", ""))))


@bp.post(f"{_SUBMISSION}/comments")
def submission_comment(project_id: int, xml_form_id: str, instance_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    try:
        comments.add_comment(db(), user, form, instance_id, request.form.get("body", ""))
    except ChumchonError as err:
        db().rollback()
        if err.status in (401, 403, 404):
            raise
        return _submission_page(user, form, instance_id, status=err.status, error=pick(err.message))
    db().commit()
    return redirect(url_for("ui.submission_page", project_id=project_id, xml_form_id=xml_form_id,  # type: ignore[return-value]
                            instance_id=instance_id) + "#comments")


@bp.get(f"{_SUBMISSION}/attachments/<path:name>")
def submission_attachment(project_id: int, xml_form_id: str, instance_id: str, name: str) -> Response:
    """A photo or recording inline (its stored type), anything else as a download; never as HTML."""
    user, form = _form(project_id, xml_form_id)
    attachment = reading.readable_attachment(db(), user, form, instance_id, name)
    db().commit()
    ctype = (attachment.content_type or "application/octet-stream").split(";")[0].strip().lower()
    inline = ctype.startswith(INLINE_TYPES) and ctype != "image/svg+xml"
    if not inline:
        ctype = "application/octet-stream"
    resp = Response(services().blobs.iter_chunks(attachment.blob_sha256 or ""), mimetype=ctype)
    ascii_name = attachment.name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = "inline" if inline else "attachment"
    resp.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(attachment.name)}"
    )
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


def comment_author(comment: Comment, names: dict[int, str]) -> str:
    return names.get(comment.actor_id or 0, "-")
