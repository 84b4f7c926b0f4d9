"""Form drafts, as ODK Central has them: a form's next version, uploaded (or copied from the published
one) and given its media before it is published under a version no published one has. A draft is a
form_version row with a draft token; nothing serves it to Collect or accepts submissions for it."""

from __future__ import annotations

import secrets

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import projects
from server.core.entities import lists as entity_lists
from server.core.forms import form_media
from server.core.forms.publishing import (
    OPEN,
    find_form,
    new_version_row,
    published_versions,
)
from server.core.forms.schema import ITEMSETS_CSV, XFORMS_NS, XHTML_NS
from server.core.forms.xlsform import ConvertedForm
from server.core.ground.errors import (
    AlreadyExists,
    BadRequest,
    NoPublishedVersion,
    NotFound,
    VersionExists,
)
from server.core.ground.storage import BlobStore
from server.core.models import AuditEvent, Form, FormMedia, FormVersion, utcnow

MAX_VERSION_LENGTH = 255


def _target(form: Form) -> str:
    return f"form:{form.project_id}/{form.xml_form_id}"


def find_draft(session: Session, form: Form) -> FormVersion | None:
    return session.scalar(
        select(FormVersion).where(FormVersion.form_id == form.id, FormVersion.draft_token.is_not(None))
    )


def draft_of(session: Session, form: Form) -> FormVersion:
    draft = find_draft(session, form)
    if draft is None:
        raise NotFound(
            f"แบบฟอร์ม {form.xml_form_id} ไม่มีฉบับร่าง / Form {form.xml_form_id!r} has no draft.",
            xml_form_id=form.xml_form_id,
        )
    return draft


def any_form(session: Session, project_id: int, xml_form_id: str) -> Form:
    """A form, published or only a draft so far (Central's "any version")."""
    form = find_form(session, project_id, xml_form_id)
    if (
        form is None
        or form.project.deleted_at is not None
        or (form.current_version_id is None and find_draft(session, form) is None)
    ):
        raise NotFound(
            f"ไม่พบแบบฟอร์ม {xml_form_id} / Form {xml_form_id!r} not found in project {project_id}.",
            xml_form_id=xml_form_id,
            project_id=project_id,
        )
    return form


def list_all_forms(session: Session, project_id: int) -> list[Form]:
    """Every form of a project with a published version or a draft, by form ID."""
    drafted = select(FormVersion.form_id).where(FormVersion.draft_token.is_not(None))
    rows = session.scalars(
        select(Form)
        .where(Form.project_id == project_id)
        .where(Form.current_version_id.is_not(None) | Form.id.in_(drafted))
        .order_by(Form.xml_form_id)
    )
    return list(rows)


def create_form_as_draft(
    session: Session,
    blobs: BlobStore,
    project_id: int,
    converted: ConvertedForm,
    source: bytes,
    filename: str,
    *,
    user_id: int | None,
) -> FormVersion:
    """A new form that exists only as a draft (Central's POST /forms?publish=false). The form ID must
    be new in the project. The caller commits."""
    projects.get_project(session, project_id)
    if find_form(session, project_id, converted.form_id) is not None:
        raise AlreadyExists(
            f"มีแบบฟอร์ม {converted.form_id} อยู่แล้ว / A form with the ID {converted.form_id!r} already exists"
            " in this project; upload a new draft to it instead.",
            fields=["xmlFormId"],
            values=[converted.form_id],
        )
    form = Form(project_id=project_id, xml_form_id=converted.form_id, state=OPEN)
    session.add(form)
    session.flush()
    return new_draft(session, blobs, form, converted, source, filename, user_id=user_id)


def new_draft(
    session: Session,
    blobs: BlobStore,
    form: Form,
    converted: ConvertedForm | None,
    source: bytes,
    filename: str,
    *,
    user_id: int | None,
) -> FormVersion:
    """Replace the form's draft with `converted`, or with a copy of the published version when None.
    Its media start from the published version's files by name. The caller commits."""
    published = form.current_version
    if converted is not None and converted.form_id != form.xml_form_id:
        raise BadRequest(
            f"รหัสแบบฟอร์มในไฟล์ ({converted.form_id}) ไม่ตรงกับ {form.xml_form_id} / The form ID in the upload"
            f" ({converted.form_id!r}) does not match this form ({form.xml_form_id!r}).",
            field="xmlFormId",
            value=converted.form_id,
        )
    if converted is None and published is None:
        raise BadRequest("ต้องส่งไฟล์แบบฟอร์ม / Send a form definition: this form has no published version.")
    discard_draft(session, form, audit=False)
    token = secrets.token_urlsafe(48)
    placeholder = f"(draft {token[:40]})"
    if converted is not None:
        draft = new_version_row(
            session, blobs, form, converted, source, filename, user_id=user_id, version_label=placeholder
        )
        draft.draft_version, draft.draft_token = converted.version, token
        session.flush()
        if converted.itemsets is not None:
            form_media.attach_media(session, blobs, draft, ITEMSETS_CSV, converted.itemsets, "text/csv")
    else:
        assert published is not None
        draft = FormVersion(
            form=form,
            version=placeholder,
            title=published.title,
            source_filename=published.source_filename,
            source_sha256=published.source_sha256,
            xform_sha256=published.xform_sha256,
            xform_md5=published.xform_md5,
            field_schema=dict(published.field_schema),
            warnings=list(published.warnings),
            published_at=utcnow(),
            published_by_id=user_id,
            draft_version=published.version,
            draft_token=token,
        )
        session.add(draft)
        for media in published.media:
            draft.media.append(FormMedia(name=media.name, media_type=media.media_type, expected=media.expected))
        session.flush()
    if published is not None:
        form_media.copy_media_forward(published, draft, skip={ITEMSETS_CSV} if converted else set())
    session.add(
        AuditEvent(
            actor_id=user_id,
            action="form.update.draft.set",
            target=_target(form),
            details={"version": draft.draft_version, "xform_md5": draft.xform_md5},
        )
    )
    session.flush()
    return draft


def discard_draft(session: Session, form: Form, *, audit: bool = True, user_id: int | None = None) -> bool:
    """Delete the form's draft and its media rows (the blobs stay: others may share them)."""
    draft = find_draft(session, form)
    if draft is None:
        return False
    for media in list(draft.media):
        session.delete(media)
    session.flush()
    session.delete(draft)
    if audit:
        session.add(
            AuditEvent(actor_id=user_id, action="form.update.draft.delete", target=_target(form), details={})
        )
    session.flush()
    session.expire(form, ["versions"])
    return True


def delete_draft(session: Session, form: Form, *, user_id: int | None) -> None:
    """Central's DELETE …/draft: only for a form that has been published (else delete the form)."""
    if form.current_version_id is None:
        raise NoPublishedVersion(
            "ลบฉบับร่างไม่ได้เพราะแบบฟอร์มยังไม่เคยเผยแพร่ / Could not delete the draft, because the form has"
            " not been published. Either delete the whole form, or replace the draft."
        )
    if not discard_draft(session, form, user_id=user_id):
        draft_of(session, form)  # raises NotFound


def _with_version(xform: bytes, version: str) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(xform, parser=parser)
    instance = root.find(f"{{{XHTML_NS}}}head/{{{XFORMS_NS}}}model/{{{XFORMS_NS}}}instance")
    if instance is None or not len(instance):
        raise BadRequest("XForm ของฉบับร่างไม่มี instance / The draft's XForm has no primary instance.")
    instance[0].set("version", version)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def publish_draft(
    session: Session, blobs: BlobStore, form: Form, *, version: str | None = None, user_id: int | None
) -> FormVersion:
    """Publish the draft as the form's current version, under `version` when given (the XForm's version
    attribute is rewritten). A version the form has already published is a 409. The caller commits."""
    draft = draft_of(session, form)
    label = draft.draft_version or "" if version is None else version
    if len(label) > MAX_VERSION_LENGTH or any(ord(ch) < 32 for ch in label):
        raise BadRequest(
            f"version ต้องยาวไม่เกิน {MAX_VERSION_LENGTH} ตัวอักษรและไม่มีอักขระควบคุม / The version may have at"
            f" most {MAX_VERSION_LENGTH} characters and no control characters.",
            field="version",
        )
    if any(v.version == label for v in published_versions(form)):
        raise VersionExists(
            f"แบบฟอร์ม {form.xml_form_id} มีรุ่น {label!r} แล้ว กรุณาใช้เลขรุ่นใหม่ / You tried to publish the form"
            f" {form.xml_form_id!r} with version {label!r}, but a published form has already existed in"
            " this project with those identifiers.",
            xmlFormId=form.xml_form_id,
            version=label,
        )
    if version is not None and version != draft.draft_version:
        stored = blobs.put_bytes(_with_version(blobs.read_bytes(draft.xform_sha256), version))
        draft.xform_sha256, draft.xform_md5 = stored.sha256, stored.md5
        draft.field_schema = {**draft.field_schema, "version": version}
    previous = form.current_version
    # As publish_form: the entity lists the version declares (and their new properties) exist from now.
    entity_lists.declare_lists(session, form.project_id, draft, draft.field_schema.get("entities"))
    draft.version, draft.draft_version, draft.draft_token = label, None, None
    draft.published_at, draft.published_by_id = utcnow(), user_id
    form.current_version = draft
    form.updated_at = utcnow()
    session.add(
        AuditEvent(
            actor_id=user_id,
            action="form.publish",
            target=_target(form),
            details={
                "project_id": form.project_id,
                "xml_form_id": form.xml_form_id,
                "version": label,
                "xform_md5": draft.xform_md5,
                "warnings": len(draft.warnings),
                "previous": previous.version if previous is not None else None,
            },
        )
    )
    session.flush()
    session.expire(form, ["versions"])
    return draft
