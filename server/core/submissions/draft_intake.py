"""Test submissions to a form's draft (ODK Central's draft testing). They are stored under the form's
hidden test twin (a Form row with draft_of_id set and no versions), so no list, export, feed or
dashboard of the real form ever sees them; server.core.forms.drafts drops them with the draft."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.core.ground.errors import BadRequest, Conflict
from server.core.ground.storage import BlobStore
from server.core.models import Attachment, Form, FormVersion, SubmissionVersion
from server.core.submissions.intake import (
    IncomingFile,
    IntakeResult,
    _missing,
    _new_version,
    _resubmission,
    _store_files,
    _success_message,
    check_attachment_name,
    expected_files,
)
from server.core.submissions.lookups import FormInfo, FormVersionInfo
from server.core.submissions.xmlsafe import parse_submission

# No XForm id can hold a control character, so the twin's name never meets a real form's.
TWIN_PREFIX = "\x01draft:"


def test_twin(session: Session, form: Form, *, create: bool = False) -> Form | None:
    """The form's test twin, made on the first test submission when `create`."""
    twin = session.scalar(select(Form).where(Form.draft_of_id == form.id))
    if twin is None and create:
        twin = Form(project_id=form.project_id, xml_form_id=f"{TWIN_PREFIX}{form.id}", state="open", draft_of_id=form.id)
        session.add(twin)
        session.flush()
    return twin


def _binary_paths(schema: dict[str, Any]) -> frozenset[str]:
    return frozenset(
        str(f["path"])
        for f in schema.get("fields") or []
        if isinstance(f, dict) and f.get("bind_type") == "binary" and f.get("path")
    )


def accept_draft_submission(
    session: Session,
    blobs: BlobStore,
    form: Form,
    draft: FormVersion,
    xml: bytes,
    files: Sequence[IncomingFile] = (),
    *,
    user_id: int | None,
    device_id: str | None = None,
    user_agent: str | None = None,
) -> IntakeResult:
    """Store one test submission of the draft (a retry with identical XML fills in files, other XML
    under the same instanceID is a 409, as for live data). The caller commits, then wakes processing."""
    for name, _type, _content in files:
        check_attachment_name(name)
    parsed = parse_submission(xml)
    if parsed.form_id != form.xml_form_id:
        raise BadRequest(
            f"รหัสแบบฟอร์มในข้อมูล ({parsed.form_id}) ไม่ตรงกับที่อยู่ ({form.xml_form_id}) / Unexpected form id"
            f" value {parsed.form_id}; did not match the form ID in the URL.",
            field="form id",
            value=parsed.form_id,
        )
    if parsed.deprecated_id is not None:
        raise BadRequest(
            "ข้อมูลทดสอบของฉบับร่างแก้ไขไม่ได้ ส่งใหม่แทน / Test submissions to a draft cannot be edited;"
            " send a new one instead.",
            field="deprecatedID",
        )
    twin = test_twin(session, form, create=True)
    assert twin is not None
    existing = session.scalar(
        select(SubmissionVersion).where(
            SubmissionVersion.form_id == twin.id, SubmissionVersion.instance_id == parsed.instance_id
        )
    )
    if existing is not None:
        return _resubmission(session, blobs, existing, parsed, xml, files, is_incomplete=False)
    schema = draft.field_schema or {}
    binary = _binary_paths(schema)
    expected = expected_files(parsed, binary)
    info = FormInfo(twin.id, twin.project_id, form.xml_form_id, "open")
    version_info = FormVersionInfo(draft.id, form.id, draft.draft_version or "", None, binary)
    submission, version = _new_version(
        session, info, version_info, parsed, xml, submission=None, user=None,
        device_id=device_id, user_agent=user_agent,
    )
    submission.submitter_id = version.submitter_id = user_id
    for name in expected:
        version.attachments.append(Attachment(name=name))
    stored = _store_files(session, blobs, version, expected, files)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "มีการส่งข้อมูลนี้พร้อมกันหลายครั้ง กรุณาส่งใหม่ / The same submission arrived several times at once;"
            " please send it again."
        ) from exc
    submission.current_version_id = version.id
    session.flush()
    missing = _missing(version)
    return IntakeResult(
        status=201,
        message=_success_message(created=True, missing=missing, is_incomplete=False),
        submission_id=submission.id,
        version_id=version.id,
        created=True,
        enqueue=True,
        stored_files=stored,
        missing_files=missing,
    )
