"""Publishing XLSForms as immutable form versions, opening and closing forms, and looking them up."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.core.accounts import projects
from server.core.entities import lists as entity_lists
from server.core.forms import form_media, trash
from server.core.forms.schema import ITEMSETS_CSV, build_field_schema, expected_media
from server.core.forms.xlsform import ConvertedForm, convert_xlsform
from server.core.ground.errors import BadRequest, Conflict, NotFound
from server.core.ground.storage import BlobStore
from server.core.models import (
    Attachment,
    AuditEvent,
    Form,
    FormMedia,
    FormVersion,
    SubmissionVersion,
    utcnow,
)

OPEN, CLOSED = "open", "closed"
# ODK Central's "closing" (no new downloads, still accepting) is treated as closed: one less state to explain.
_STATE_ALIASES = {"open": OPEN, "closed": CLOSED, "closing": CLOSED}


def publish_form(
    session: Session,
    blobs: BlobStore,
    project_id: int,
    source: bytes,
    filename: str,
    *,
    user_id: int | None = None,
    media: dict[str, bytes] | None = None,
    form_id_fallback: str | None = None,
    converted: ConvertedForm | None = None,
) -> FormVersion:
    """Convert an XLSForm (or take `converted`, e.g. an uploaded XForm) and publish it as the form's
    current version.

    Same form id + version with byte-identical XForm: a no-op returning the existing version (media in
    `media` are still attached). Same version with different content: Conflict. Otherwise a new version,
    whose media start from the previous version's files by name."""
    projects.get_project(session, project_id)
    if converted is None:
        converted = convert_xlsform(source, filename, form_id_fallback=form_id_fallback)
    supplied = dict(media or {})
    for name in supplied:
        form_media.check_media_name(name)

    form = find_form(session, project_id, converted.form_id)
    if form is None:
        trash.refuse_deleted_id(session, project_id, converted.form_id)
    if form is not None:
        same = _version_named(session, form, converted.version)
        if same is not None:
            if same.xform_md5 != _md5_of(converted.xform):
                raise Conflict(
                    f"แบบฟอร์ม {converted.form_id} รุ่น {converted.version!r} มีอยู่แล้วแต่เนื้อหาต่างกัน"
                    " กรุณาเปลี่ยนเลข version / Form "
                    f"{converted.form_id!r} version {converted.version!r} is already published with"
                    " different content: bump the version in the settings sheet.",
                    xml_form_id=converted.form_id,
                    version=converted.version,
                )
            _attach_all(session, blobs, same, supplied, user_id)
            return same

    if form is None:
        form = Form(project_id=project_id, xml_form_id=converted.form_id, state=OPEN)
        session.add(form)
        _flush_or_conflict(session, converted.form_id)
    previous = form.current_version
    expected = expected_media(converted.xform, converted.itemsets is not None)
    unknown = [name for name in supplied if name not in expected]
    if unknown:  # refused before any blob is written
        raise BadRequest(
            f"แบบฟอร์มนี้ไม่ได้ใช้ไฟล์ {', '.join(unknown)} / The form does not use these files: {', '.join(unknown)}.",
            unexpected=unknown,
        )

    version = new_version_row(session, blobs, form, converted, source, filename, user_id=user_id)
    _flush_or_conflict(session, converted.form_id)
    entity_lists.declare_lists(session, project_id, version, version.field_schema.get("entities"))
    if converted.itemsets is not None:
        form_media.attach_media(session, blobs, version, ITEMSETS_CSV, converted.itemsets, "text/csv")
    _attach_all(session, blobs, version, supplied, user_id)
    if previous is not None:
        form_media.copy_media_forward(previous, version, skip=set(supplied) | {ITEMSETS_CSV})
    form.current_version = version
    form.updated_at = utcnow()
    session.add(
        AuditEvent(
            actor_id=user_id,
            action="form.publish",
            target=_target(form),
            details={
                "project_id": project_id,
                "xml_form_id": form.xml_form_id,
                "version": version.version,
                "xform_md5": version.xform_md5,
                "warnings": len(version.warnings),
            },
        )
    )
    session.flush()
    return version


def new_version_row(
    session: Session,
    blobs: BlobStore,
    form: Form,
    converted: ConvertedForm,
    source: bytes,
    filename: str,
    *,
    user_id: int | None,
    version_label: str | None = None,
) -> FormVersion:
    """A form version row with its XForm and source stored and its media expected (not flushed)."""
    expected = expected_media(converted.xform, converted.itemsets is not None)
    source_blob = blobs.put_bytes(source)
    xform_blob = blobs.put_bytes(converted.xform)
    version = FormVersion(
        form=form,
        version=converted.version if version_label is None else version_label,
        title=converted.title,
        source_filename=filename[:255],
        source_sha256=source_blob.sha256,
        xform_sha256=xform_blob.sha256,
        xform_md5=xform_blob.md5,
        field_schema=build_field_schema(
            converted.definition, converted.xform, has_itemsets=converted.itemsets is not None
        ),
        warnings=converted.warnings,
        published_at=utcnow(),
        published_by_id=user_id,
    )
    session.add(version)
    form_media.expect_media(version, expected)
    return version


def published_versions(form: Form) -> list[FormVersion]:
    """The form's published versions, oldest first (its draft, if any, is not one of them)."""
    return [v for v in form.versions if v.draft_token is None]


def _md5_of(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _attach_all(
    session: Session, blobs: BlobStore, version: FormVersion, supplied: dict[str, bytes], user_id: int | None
) -> None:
    for name, data in supplied.items():
        form_media.attach_media(session, blobs, version, name, data, user_id=user_id)


def _flush_or_conflict(session: Session, xml_form_id: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        # Two publishes of the same form at once: the loser is told to retry instead of seeing a 500.
        raise Conflict(
            f"มีการเผยแพร่แบบฟอร์ม {xml_form_id} พร้อมกัน กรุณาลองใหม่ / Form {xml_form_id!r} was being"
            " published at the same time; please try again.",
            xml_form_id=xml_form_id,
        ) from exc


def _version_named(session: Session, form: Form, version: str) -> FormVersion | None:
    return session.scalar(
        select(FormVersion).where(
            FormVersion.form_id == form.id, FormVersion.version == version, FormVersion.draft_token.is_(None)
        )
    )


def _target(form: Form) -> str:
    return f"form:{form.project_id}/{form.xml_form_id}"


def find_form(session: Session, project_id: int, xml_form_id: str) -> Form | None:
    """The form of that ID, unless it is in the trash (server.core.forms.trash)."""
    return session.scalar(
        select(Form).where(
            Form.project_id == project_id, Form.xml_form_id == xml_form_id, Form.deleted_at.is_(None)
        )
    )


def get_form(session: Session, project_id: int, xml_form_id: str) -> Form:
    form = find_form(session, project_id, xml_form_id)
    if form is None or form.current_version is None or form.project.deleted_at is not None:
        raise NotFound(
            f"ไม่พบแบบฟอร์ม {xml_form_id} / Form {xml_form_id!r} not found in project {project_id}.",
            xml_form_id=xml_form_id,
            project_id=project_id,
        )
    return form


def current_version(form: Form) -> FormVersion:
    if form.current_version is None:
        raise NotFound(
            f"แบบฟอร์ม {form.xml_form_id} ยังไม่ได้เผยแพร่ / Form {form.xml_form_id!r} is not published."
        )
    return form.current_version


def list_forms(session: Session, project_id: int) -> list[Form]:
    """Every published form of a project, open or closed, by form id."""
    rows = session.scalars(
        select(Form)
        .where(Form.project_id == project_id, Form.current_version_id.is_not(None), Form.deleted_at.is_(None))
        .order_by(Form.xml_form_id)
    )
    return list(rows)


def downloadable_forms(session: Session, project_id: int, xml_form_id: str | None = None) -> list[Form]:
    """What Collect's form list shows: open forms with a published version (optionally one form id)."""
    query = select(Form).where(
        Form.project_id == project_id, Form.state == OPEN, Form.current_version_id.is_not(None), Form.deleted_at.is_(None)
    )
    if xml_form_id is not None:
        query = query.where(Form.xml_form_id == xml_form_id)
    return list(session.scalars(query.order_by(Form.xml_form_id)))


def set_form_state(session: Session, form: Form, state: str, *, user_id: int | None = None) -> Form:
    """Open or close a form. Closed forms leave Collect's form list and refuse new submissions."""
    new_state = _STATE_ALIASES.get(str(state).strip().lower())
    if new_state is None:
        raise BadRequest(
            f"สถานะต้องเป็น open หรือ closed / State must be 'open' or 'closed', not {state!r}.", state=state
        )
    if form.state != new_state:
        old_state, form.state = form.state, new_state
        form.updated_at = utcnow()
        session.add(
            AuditEvent(
                actor_id=user_id,
                action="form.update.state",
                target=_target(form),
                details={"from": old_state, "to": new_state},
            )
        )
        session.flush()
    return form


def discard_unreferenced_blobs(session: Session, blobs: BlobStore, hashes: list[str]) -> int:
    """After a failed publish: remove the blobs it newly wrote that no committed row references."""
    if not hashes:
        return 0
    wanted = set(hashes)
    referenced: set[str] = set()
    for column in (
        FormVersion.source_sha256,
        FormVersion.xform_sha256,
        FormMedia.blob_sha256,
        Attachment.blob_sha256,
        SubmissionVersion.xml_sha256,
    ):
        referenced |= {h for h in session.scalars(select(column).where(column.in_(wanted))) if h}
    orphans = wanted - referenced
    for sha in orphans:
        blobs.discard(sha)
    return len(orphans)
