"""Publishing a folder of XLSForms with its media/ folder: what `chumchon serve` does at every start.

Re-publishing an unchanged form is a no-op; a media file replaced in media/ (e.g. an office's own
villages.csv) is attached again so phones pick it up as updated media."""

from __future__ import annotations

import logging
from pathlib import Path

from server.core import form_media
from server.core.errors import ChumchonError
from server.core.forms import publish_form
from server.core.services import Services

log = logging.getLogger(__name__)
FORM_SUFFIXES = (".xlsx", ".xls")


def publish_shipped_forms(svc: Services, project_id: int, forms_dir: Path) -> list[str]:
    """Publish every XLSForm in forms_dir; returns 'form_id version' for each, skipping broken ones."""
    media_dir = forms_dir / "media"
    published: list[str] = []
    for path in sorted(p for p in forms_dir.iterdir() if p.suffix.lower() in FORM_SUFFIXES):
        try:
            with svc.db.session() as session:
                version = publish_form(session, svc.blobs, project_id, path.read_bytes(), path.name)
                for media in version.media:
                    candidate = media_dir / media.name
                    if candidate.is_file():
                        form_media.attach_media(session, svc.blobs, version, media.name, candidate.read_bytes())
                published.append(f"{version.form.xml_form_id} {version.version}")
        except ChumchonError as exc:
            log.error("could not publish %s: %s", path.name, exc.message)
    return published
