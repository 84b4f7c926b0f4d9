"""Submission intake: store what Collect sends (raw XML, attachments, rows) idempotently, so that a
retry, a split upload or an edit each end in exactly one correct set of rows."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, BinaryIO, cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.accounts.permissions import Principal
from server.core.ground.cache import LookupCache
from server.core.ground.errors import (
    BadRequest,
    Conflict,
    FormClosed,
    FormVersionNotFound,
    InvalidXml,
    NotFound,
)
from server.core.ground.filenames import is_safe_file_name
from server.core.ground.storage import BlobStore
from server.core.models import Attachment, AuditEvent, Submission, SubmissionVersion, User, utcnow
from server.core.models.submissions import RECEIVED
from server.core.submissions import new_rows
from server.core.submissions.audits import EDIT_ACTION, submission_target
from server.core.submissions.lookups import FormInfo, FormVersionInfo, find_form, find_form_version
from server.core.submissions.xmlsafe import SubmissionXml, parse_submission, values_at_paths
from server.core.webhooks import outbox
from server.core.webhooks.subscriptions import RECEIVED as WEBHOOK_RECEIVED

# (file name, content type, bytes or a readable stream) — a multipart part as the web layer hands it over.
IncomingFile = tuple[str, str | None, bytes | IO[bytes]]


@dataclass(frozen=True)
class IntakeResult:
    status: int
    message: str
    submission_id: int
    version_id: int
    created: bool  # a new SubmissionVersion was made (new submission or edit)
    enqueue: bool  # send "submissions.process" with version_id after commit
    stored_files: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)


def check_attachment_name(name: str) -> None:
    """Refuse names that could escape a directory or hide a file; Thai and other Unicode stay as sent."""
    if not is_safe_file_name(name):
        shown = name if len(name) <= 80 else name[:60] + f"… ({len(name)} characters)"
        raise BadRequest(
            f"ชื่อไฟล์แนบไม่ถูกต้อง: {shown!r} / Attachment file name not allowed: {shown!r} (a plain file "
            "name of at most 255 characters, without folders).",
            name=shown,
        )


def expected_files(parsed: SubmissionXml, binary_paths: frozenset[str] | set[str]) -> list[str]:
    """File names the submission references: values of binary fields, the audit log, encrypted parts.

    Every name must pass the same rule as an uploaded part's name: a name that could never be a file
    (a path, '..', over 255 characters) refuses the whole submission before anything is written."""
    names = _referenced_files(parsed, binary_paths)
    for name in names:
        check_attachment_name(name)
    return names


def _referenced_files(parsed: SubmissionXml, binary_paths: frozenset[str] | set[str]) -> list[str]:
    if parsed.encrypted:
        return list(dict.fromkeys(parsed.encrypted_files))
    names = values_at_paths(parsed.root, set(binary_paths)) if parsed.root is not None and binary_paths else []
    if parsed.audit_file and parsed.audit_file not in names:
        names.append(parsed.audit_file)
    return names


def _find_form(
    session: Session, cache: LookupCache, project_id: int, parsed: SubmissionXml
) -> tuple[FormInfo, FormVersionInfo]:
    form = find_form(session, cache, project_id, parsed.form_id)
    if form is None:
        raise NotFound(
            f"ไม่พบแบบฟอร์ม {parsed.form_id} ในโครงการนี้ / Form {parsed.form_id} not found in this project.",
            form_id=parsed.form_id,
        )
    version = parsed.version or ""
    form_version = find_form_version(session, cache, form.id, version)
    if form_version is None:
        raise FormVersionNotFound(
            f"ไม่พบแบบฟอร์ม {parsed.form_id} รุ่น '{version}' กรุณาดาวน์โหลดแบบฟอร์มใหม่ / "
            f"The form version specified in this submission '{version}' does not exist.",
            form_id=parsed.form_id,
            version=version,
        )
    expected_root = form_version.root
    if not parsed.encrypted and expected_root and parsed.root_name != expected_root:
        raise InvalidXml(
            f"ข้อมูลขึ้นต้นด้วย <{parsed.root_name}> แต่แบบฟอร์มนี้ใช้ <{expected_root}> / "
            f"The submission's root element <{parsed.root_name}> does not match the form's <{expected_root}>."
        )
    if form.state == "closed":
        raise FormClosed(
            f"แบบฟอร์ม {parsed.form_id} ปิดรับข้อมูลแล้ว / Form {parsed.form_id} is closed and does not "
            "accept submissions.",
            form_id=parsed.form_id,
        )
    return form, form_version


def _store_files(
    session: Session,
    blobs: BlobStore,
    version: SubmissionVersion,
    expected: Sequence[str],
    files: Sequence[IncomingFile],
) -> list[str]:
    """Write received expected files to the blob store and their rows; ignore files nobody references."""
    by_name = {a.name: a for a in version.attachments}
    stored: list[str] = []
    for name, content_type, content in files:
        if name not in expected:
            continue  # as ODK Central: parts no field references are not kept
        blob = (
            blobs.put_bytes(content)
            if isinstance(content, bytes)
            else blobs.put_stream(cast(BinaryIO, content))
        )
        row = by_name.get(name)
        if row is None:
            row = Attachment(name=name)
            version.attachments.append(row)
            by_name[name] = row
        if row.blob_sha256 != blob.sha256:
            row.blob_sha256, row.size = blob.sha256, blob.size
            row.content_type = (content_type or "application/octet-stream")[:127]
            row.received_at = utcnow()
        stored.append(name)
    return stored


def _missing(version: SubmissionVersion) -> list[str]:
    return [a.name for a in version.attachments if a.blob_sha256 is None]


def _new_version(
    session: Session,
    form: FormInfo,
    form_version: FormVersionInfo,
    parsed: SubmissionXml,
    xml: bytes,
    *,
    submission: Submission | None,
    user: User | Principal | None,
    device_id: str | None,
    user_agent: str | None,
) -> tuple[Submission, SubmissionVersion]:
    if submission is None:
        submission = Submission(
            form_id=form.id, instance_id=parsed.instance_id, submitter_id=user.id if user else None
        )
        session.add(submission)
        session.flush()
    version = SubmissionVersion(
        submission=submission,
        form_id=form.id,
        form_version_id=form_version.id,
        instance_id=parsed.instance_id,
        deprecated_id=parsed.deprecated_id,
        instance_name=parsed.instance_name,
        current=True,
        # The raw XML is committed in the row itself: one durable write (the database's own commit)
        # instead of a file, its fsync and its directory's fsync per submission.
        xml=xml,
        xml_sha256=hashlib.sha256(xml).hexdigest(),
        xml_size=len(xml),
        device_id=(device_id or None) and device_id[:255],
        user_agent=(user_agent or None) and user_agent[:255],
        submitter_id=user.id if user else None,
        processing_state=RECEIVED,
        attachments=[],
    )
    session.add(version)
    return submission, version


def _accept_once(
    session: Session,
    blobs: BlobStore,
    cache: LookupCache,
    project_id: int,
    xml: bytes,
    files: Sequence[IncomingFile],
    parsed: SubmissionXml,
    *,
    user: User | Principal | None,
    device_id: str | None,
    user_agent: str | None,
    is_incomplete: bool,
    optimistic: bool,
) -> IntakeResult:
    form, form_version = _find_form(session, cache, project_id, parsed)
    # A collector limited to assigned forms (Central's app users) may fill only those.
    permissions.require_form(session, user, "submission.create", project_id, form.id)
    if not optimistic or parsed.deprecated_id is not None:
        # A first attempt at a new submission skips this lookup: the unique constraints on
        # (form_id, instance_id) catch a retry at insert time, and the second attempt comes here.
        existing = session.scalar(
            select(SubmissionVersion).where(
                SubmissionVersion.form_id == form.id, SubmissionVersion.instance_id == parsed.instance_id
            )
        )
        if existing is not None:
            return _resubmission(session, blobs, existing, parsed, xml, files, is_incomplete)
    if parsed.deprecated_id is None:
        return _accept_new(
            session, blobs, cache, form, form_version, parsed, xml, files,
            user=user, device_id=device_id, user_agent=user_agent, is_incomplete=is_incomplete,
        )

    submission: Submission | None = None
    previous: SubmissionVersion | None = None
    if parsed.deprecated_id is not None:
        previous = session.scalar(
            select(SubmissionVersion).where(
                SubmissionVersion.form_id == form.id, SubmissionVersion.instance_id == parsed.deprecated_id
            )
        )
        if previous is None:
            raise NotFound(
                f"ไม่พบข้อมูลเดิม {parsed.deprecated_id} ที่ต้องการแก้ไข / The submission being edited "
                f"({parsed.deprecated_id}) was not found.",
                deprecated_id=parsed.deprecated_id,
            )
        submission = previous.submission
        _refuse_deleted(submission)
        if not previous.current:
            raise Conflict(
                "ข้อมูลนี้ถูกแก้ไขไปแล้ว กรุณาแก้จากฉบับล่าสุด / You are trying to edit a version of this "
                "submission that has since been edited; edit the latest version.",
                deprecated_id=parsed.deprecated_id,
            )
    expected = expected_files(parsed, form_version.binary_paths)  # refuses bad names, writes nothing
    submission, version = _new_version(
        session,
        form,
        form_version,
        parsed,
        xml,
        submission=submission,
        user=user,
        device_id=device_id,
        user_agent=user_agent,
    )
    for name in expected:
        version.attachments.append(Attachment(name=name))
    stored = _store_files(session, blobs, version, expected, files)
    if previous is not None:
        # Collect re-sends the instance folder with an edit, but carry files forward in case it did not.
        kept = {a.name: a for a in previous.attachments if a.blob_sha256 is not None}
        for row in version.attachments:
            old = kept.get(row.name)
            if row.blob_sha256 is None and old is not None:
                row.blob_sha256, row.size, row.content_type = old.blob_sha256, old.size, old.content_type
                row.received_at = old.received_at
        previous.current = False
        submission.review_state = "edited"
    # Unique constraints on (form_id, instance_id) turn a concurrent duplicate into an IntegrityError here.
    session.flush()
    submission.current_version_id = version.id
    session.flush()
    missing = _missing(version)
    return IntakeResult(
        status=201,
        message=_success_message(created=True, missing=missing, is_incomplete=is_incomplete),
        submission_id=version.submission_id,
        version_id=version.id,
        created=True,
        enqueue=True,
        stored_files=stored,
        missing_files=missing,
    )


def _accept_new(
    session: Session,
    blobs: BlobStore,
    cache: LookupCache,
    form: FormInfo,
    form_version: FormVersionInfo,
    parsed: SubmissionXml,
    xml: bytes,
    files: Sequence[IncomingFile],
    *,
    user: User | Principal | None,
    device_id: str | None,
    user_agent: str | None,
    is_incomplete: bool,
) -> IntakeResult:
    """The common case, a new submission, on the fast path (server.core.submissions.new_rows). A
    duplicate instanceID fails there on the unique constraints, and the caller retries carefully."""
    rows = new_rows.insert_new_submission(
        session.connection(),
        blobs,
        form_id=form.id,
        form_version_id=form_version.id,
        parsed=parsed,
        xml=xml,
        expected=expected_files(parsed, form_version.binary_paths),
        files=files,
        submitter_id=user.id if user else None,
        device_id=device_id,
        user_agent=user_agent,
    )
    if rows.epoch is not None:
        cache.confirm(session, rows.epoch)  # a deferred lookup check, answered by the insert itself
    return IntakeResult(
        status=201,
        message=_success_message(created=True, missing=rows.missing, is_incomplete=is_incomplete),
        submission_id=rows.submission_id,
        version_id=rows.version_id,
        created=True,
        enqueue=True,
        stored_files=rows.stored,
        missing_files=rows.missing,
    )


def _refuse_deleted(submission: Submission) -> None:
    if submission.deleted_at is not None:
        raise Conflict(
            "ข้อมูลนี้ถูกลบไปแล้ว ส่งซ้ำไม่ได้ / This submission has been deleted. You may not resubmit it.",
            instance_id=submission.instance_id,
        )


def _resubmission(
    session: Session,
    blobs: BlobStore,
    existing: SubmissionVersion,
    parsed: SubmissionXml,
    xml: bytes,
    files: Sequence[IncomingFile],
    is_incomplete: bool,
) -> IntakeResult:
    """Same instanceID again: identical XML is a retry or the next part of a split upload."""
    _refuse_deleted(existing.submission)
    if hashlib.sha256(xml).hexdigest() != existing.xml_sha256:
        raise Conflict(
            "มีข้อมูลรหัสนี้อยู่แล้วแต่เนื้อหาไม่ตรงกัน / A submission already exists with this ID, but with "
            "different XML. Resubmissions to attach additional multimedia must resubmit an identical "
            "xml_submission_file.",
            instance_id=parsed.instance_id,
        )
    # The attachments a version expects were fixed when it was first stored; only fill them in.
    expected = [a.name for a in existing.attachments]
    stored = _store_files(session, blobs, existing, expected, files)
    session.flush()
    missing = _missing(existing)
    return IntakeResult(
        status=201,
        message=_success_message(created=False, missing=missing, is_incomplete=is_incomplete),
        submission_id=existing.submission_id,
        version_id=existing.id,
        created=False,
        enqueue=False,  # processing reads the XML only, which has not changed
        stored_files=stored,
        missing_files=missing,
    )


def _success_message(*, created: bool, missing: list[str], is_incomplete: bool) -> str:
    if missing and is_incomplete:
        return (
            f"ได้รับข้อมูลแล้ว รอไฟล์แนบอีก {len(missing)} ไฟล์ / Submission received; "
            f"{len(missing)} attachment(s) still to come."
        )
    if missing:
        # Collect has finished sending, yet the XML names files that never came: say which.
        names = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        return (
            f"ได้รับข้อมูลแล้ว แต่ยังไม่ได้รับไฟล์แนบ: {names} / Submission received, but these attachments "
            f"were not sent: {names}."
        )
    if created:
        return "ส่งข้อมูลเรียบร้อยแล้ว / Submission received successfully."
    return "ได้รับข้อมูลนี้ครบแล้ว / This submission was already received; nothing is missing."


def accept_submission(
    session: Session,
    blobs: BlobStore,
    project_id: int,
    xml: bytes,
    files: Sequence[IncomingFile],
    *,
    user: User | Principal | None,
    device_id: str | None = None,
    user_agent: str | None = None,
    is_incomplete: bool = False,
    max_xml_bytes: int | None = None,
    cache: LookupCache | None = None,
    edit_via: str | None = "openrosa",
) -> IntakeResult:
    """Store one POST of a submission. The caller commits, then enqueues processing if result.enqueue.

    The raw XML goes into the row; attachment blobs are written (and fsynced) before the commit: they
    are content-addressed, so an orphan is harmless. `cache` is the process's lookup cache (a private
    one when not given: correct, just not shared). If the caller deferred the cache's check
    (LookupCache.defer), StaleLookups means nothing was written and the request is to be run again.
    An edit (meta/deprecatedID) is recorded in the audit log as arriving `edit_via` (None: the caller
    records it itself, with its own details)."""
    cache = cache if cache is not None else LookupCache()
    permissions.require_some_form(session, user, "submission.create", project_id)
    for name, _type, _content in files:
        check_attachment_name(name)
    parsed = (
        parse_submission(xml) if max_xml_bytes is None else parse_submission(xml, max_bytes=max_xml_bytes)
    )
    for attempt in (1, 2):
        try:
            result = _accept_once(
                session,
                blobs,
                cache,
                project_id,
                xml,
                files,
                parsed,
                user=user,
                device_id=device_id,
                user_agent=user_agent,
                is_incomplete=is_incomplete,
                optimistic=attempt == 1,
            )
            cache.confirm(session)  # a deferred check that the path taken did not answer (no-op otherwise)
            if result.created:
                _record_received(session, cache, project_id, parsed, result, user)
                if parsed.deprecated_id is not None and edit_via is not None:
                    _record_edit(session, result, user, edit_via)
            return result
        except IntegrityError as exc:
            if attempt == 2:
                raise Conflict(
                    "มีการส่งข้อมูลนี้พร้อมกันหลายครั้ง กรุณาส่งใหม่ / The same submission arrived several times "
                    "at once; please send it again."
                ) from exc
            # Another request stored the same instanceID between our lookup and insert: now it is a retry.
            session.rollback()
            files = [(n, t, c) for n, t, c in files if isinstance(c, bytes) or _rewind(c)]
            continue
    raise AssertionError("unreachable")


def _record_received(
    session: Session,
    cache: LookupCache,
    project_id: int,
    parsed: SubmissionXml,
    result: IntakeResult,
    user: User | Principal | None,
) -> None:
    """The webhook event, in the intake's own transaction (no query when the project has none)."""
    payload = {
        "projectId": project_id,
        "xmlFormId": parsed.form_id,
        "instanceId": parsed.instance_id,
        "submissionId": result.submission_id,
        "versionId": result.version_id,
        "submitterId": user.id if user is not None else None,
        "edit": parsed.deprecated_id is not None,
    }
    outbox.record(session, project_id, WEBHOOK_RECEIVED, [payload], cache)


def _record_edit(session: Session, result: IntakeResult, user: User | Principal | None, via: str) -> None:
    """The audit event of an edit, as the web application's edits and Central's audit log name it."""
    submission = session.get(Submission, result.submission_id)
    assert submission is not None  # just written in this transaction
    session.add(AuditEvent(
        actor_id=user.id if user is not None else None,
        action=EDIT_ACTION,
        target=submission_target(submission.id),
        details={"instanceId": submission.instance_id, "formId": submission.form_id,
                 "versionId": result.version_id, "via": via},
    ))


def _rewind(stream: IO[bytes]) -> bool:
    """Streams already read into the blob store must start again for the second attempt."""
    try:
        stream.seek(0)
    except (AttributeError, OSError):
        return False
    return True
