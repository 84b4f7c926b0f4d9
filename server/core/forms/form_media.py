"""Form media files (images, CSV lists, itemsets.csv): expected names per form version, uploads, lookup."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.core.entities import lists as entity_lists
from server.core.entities.media import list_behind
from server.core.ground.errors import BadRequest, NotFound
from server.core.ground.filenames import is_safe_file_name
from server.core.ground.storage import BlobStore
from server.core.models import AuditEvent, EntityList, FormMedia, FormVersion


def check_media_name(name: str) -> str:
    """Refuse names that could escape a media folder or hide files; Collect keeps base names only."""
    if not is_safe_file_name(name) or name != name.strip():
        raise BadRequest(
            f"ชื่อไฟล์ไม่ถูกต้อง / Invalid media file name {name!r}: use a plain file name without folders,"
            " '..' or a leading dot.",
            name=name,
        )
    return name


def content_type_for(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    if name.lower().endswith(".csv"):
        return "text/csv"
    return guessed or "application/octet-stream"


def expect_media(form_version: FormVersion, expected: dict[str, str]) -> None:
    """One FormMedia row per file the form references (blob empty until someone uploads it)."""
    existing = {m.name for m in form_version.media}
    for name, media_type in expected.items():
        if name not in existing:
            form_version.media.append(FormMedia(name=name, media_type=media_type, expected=True))


def find_media(form_version: FormVersion, name: str) -> FormMedia | None:
    return next((m for m in form_version.media if m.name == name), None)


def attach_media(
    session: Session,
    blobs: BlobStore,
    form_version: FormVersion,
    name: str,
    data: bytes,
    content_type: str | None = None,
    *,
    user_id: int | None = None,
) -> FormMedia:
    """Store `data` as the form version's media file `name`; only names the form references are taken."""
    check_media_name(name)
    media = find_media(form_version, name)
    if media is None:
        expected = ", ".join(m.name for m in form_version.media) or "-"
        raise NotFound(
            f"แบบฟอร์มนี้ไม่ได้ใช้ไฟล์ชื่อ {name} / This form does not use a file named {name!r}."
            f" Expected: {expected}.",
            name=name,
            expected=[m.name for m in form_version.media],
        )
    stored = blobs.put_bytes(data)
    if media.blob_sha256 == stored.sha256:
        return media  # same bytes again: nothing changes, devices keep their copy
    media.blob_sha256 = stored.sha256
    media.md5 = stored.md5
    media.size = stored.size
    media.content_type = content_type or content_type_for(name)
    session.add(
        AuditEvent(
            actor_id=user_id,
            action="form.attachment.update",
            target=f"form_version:{form_version.id}",
            details={"name": name, "md5": stored.md5, "size": stored.size},
        )
    )
    return media


def clear_media(session: Session, form_version: FormVersion, name: str, *, user_id: int | None = None) -> None:
    """Remove an uploaded file from a form version (the name stays expected); 404 if none is there."""
    media = get_media_file(form_version, name)
    media.blob_sha256 = media.md5 = media.content_type = None
    media.size = None
    session.add(
        AuditEvent(
            actor_id=user_id,
            action="form.attachment.update",
            target=f"form_version:{form_version.id}",
            details={"name": name, "cleared": True},
        )
    )
    session.flush()


def copy_media_forward(previous: FormVersion, current: FormVersion, skip: set[str]) -> None:
    """A new version keeps the previous version's files by name unless new ones were supplied."""
    for old in previous.media:
        new = find_media(current, old.name)
        if new is None or old.name in skip or old.blob_sha256 is None or new.blob_sha256 is not None:
            continue
        new.blob_sha256, new.md5, new.size, new.content_type = (
            old.blob_sha256,
            old.md5,
            old.size,
            old.content_type,
        )


def media_with_content(form_version: FormVersion) -> list[FormMedia]:
    """What the manifest lists: only files that have been uploaded."""
    return [m for m in form_version.media if m.blob_sha256 is not None]


def get_media_file(form_version: FormVersion, name: str) -> FormMedia:
    media = find_media(form_version, name)
    if media is None or media.blob_sha256 is None:
        raise NotFound(f"ไม่พบไฟล์ {name} / Media file {name!r} not found for this form.", name=name)
    return media


@dataclass(frozen=True)
class ManifestFile:
    """One file of a form's manifest: an uploaded media file, or an entity list served as CSV."""

    name: str
    md5: str
    media: FormMedia | None = None
    entity_list: EntityList | None = None


def manifest_files(session: Session, form_version: FormVersion, project_id: int) -> list[ManifestFile]:
    """What Collect downloads: uploaded files, and for a `LIST.csv` nobody uploaded, the project's
    entity list of that name (as ODK Central links them). An uploaded file wins."""
    files: list[ManifestFile] = []
    for media in form_version.media:
        if media.blob_sha256 is not None:
            files.append(ManifestFile(media.name, media.md5 or "", media=media))
            continue
        found = list_behind(session, project_id, media.name)
        if found is not None:
            files.append(ManifestFile(media.name, entity_lists.list_md5(found), entity_list=found))
    return files


def manifest_file(session: Session, form_version: FormVersion, project_id: int, name: str) -> ManifestFile:
    found = next((f for f in manifest_files(session, form_version, project_id) if f.name == name), None)
    if found is None:
        raise NotFound(f"ไม่พบไฟล์ {name} / Media file {name!r} not found for this form.", name=name)
    return found
