"""Deleting and restoring forms, as ODK Central: a deleted form is kept (with its versions and data)
but answers 404 everywhere and leaves every list, until it is restored by its numeric id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.ground.errors import AlreadyExists, NotFound
from server.core.models import AuditEvent, Form, utcnow


def _target(form: Form) -> str:
    return f"form:{form.project_id}/{form.xml_form_id}"


def delete_form(session: Session, form: Form, *, user_id: int | None) -> None:
    """Move the form to the trash. The caller commits."""
    form.deleted_at = utcnow()
    session.add(
        AuditEvent(
            actor_id=user_id,
            action="form.delete",
            target=_target(form),
            details={"form_id": form.id, "xml_form_id": form.xml_form_id},
        )
    )
    session.flush()


def deleted_forms(session: Session, project_id: int) -> list[Form]:
    """The project's forms in the trash (Central's GET …/forms?deleted=true), newest deletion first."""
    return list(
        session.scalars(
            select(Form)
            .where(Form.project_id == project_id, Form.deleted_at.is_not(None), Form.draft_of_id.is_(None))
            .order_by(Form.deleted_at.desc(), Form.id)
        )
    )


def restore_form(session: Session, project_id: int, form_id: int, *, user_id: int | None) -> Form:
    """Take a deleted form (named by its numeric id, as Central) out of the trash. The caller commits."""
    form = session.get(Form, form_id)
    if form is None or form.project_id != project_id or form.deleted_at is None or form.draft_of_id is not None:
        raise NotFound("ไม่พบแบบฟอร์มที่ถูกลบนี้ / Could not find the resource you were looking for.")
    form.deleted_at = None
    session.add(
        AuditEvent(
            actor_id=user_id,
            action="form.restore",
            target=_target(form),
            details={"form_id": form.id, "xml_form_id": form.xml_form_id},
        )
    )
    session.flush()
    return form


def refuse_deleted_id(session: Session, project_id: int, xml_form_id: str) -> None:
    """A new form may not take the ID of one in the trash (Chumchon keeps form IDs unique per project)."""
    found = session.scalar(
        select(Form.id).where(
            Form.project_id == project_id, Form.xml_form_id == xml_form_id, Form.deleted_at.is_not(None)
        )
    )
    if found is not None:
        raise AlreadyExists(
            f"มีแบบฟอร์ม {xml_form_id} ที่ถูกลบอยู่ในถังขยะ กู้คืนได้ด้วย POST …/forms/{found}/restore / A deleted"
            f" form with the ID {xml_form_id!r} is in the trash; restore it (POST …/forms/{found}/restore)"
            " instead of creating a new one.",
            fields=["xmlFormId"],
            values=[xml_form_id],
        )
