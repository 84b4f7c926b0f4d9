"""Publishing XLSForm files together with the `media/` folder beside them (CLI and `chumchon serve`).

Re-publishing an unchanged form is a no-op; a media file replaced in media/ (e.g. an office's own
villages.csv) is attached again, so phones pick it up as updated media."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.orm import Session

from server.core.forms import form_media
from server.core.forms.publishing import publish_form
from server.core.forms.schema import ITEMSETS_CSV
from server.core.ground.errors import ChumchonError
from server.core.ground.services import Services
from server.core.ground.storage import BlobStore
from server.core.models import FormVersion

log = logging.getLogger(__name__)
FORM_SUFFIXES = (".xlsx", ".xls")
MEDIA_DIR = "media"


def publish_with_media(session: Session, blobs: BlobStore, project_id: int, path: Path) -> FormVersion:
    """Publish one XLSForm file and attach the files it references from <its folder>/media/."""
    version = publish_form(session, blobs, project_id, path.read_bytes(), path.name)
    media_dir = path.parent / MEDIA_DIR
    for media in version.media:
        candidate = media_dir / media.name
        # itemsets.csv is generated from the form itself; a stale copy on disk must not replace it.
        if media.name != ITEMSETS_CSV and candidate.is_file():
            form_media.attach_media(session, blobs, version, media.name, candidate.read_bytes())
    return version


def publish_shipped_forms(svc: Services, project_id: int, forms_dir: Path) -> list[str]:
    """Publish every XLSForm in forms_dir; returns 'form_id version' for each, skipping broken ones."""
    published: list[str] = []
    for path in sorted(p for p in forms_dir.iterdir() if p.suffix.lower() in FORM_SUFFIXES):
        try:
            with svc.db.session() as session:
                version = publish_with_media(session, svc.blobs, project_id, path)
                published.append(f"{version.form.xml_form_id} {version.version}")
        except ChumchonError as exc:
            log.error("could not publish %s: %s", path.name, exc.message)
    return published
