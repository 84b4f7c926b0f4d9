"""Names of the place codes a form's submissions carry (province, district, subdistrict, village),
read from the place lists attached to the form's current version (provinces.csv …, as shipped in
forms/media): what the table's place filter and the dashboard's per-village list show."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.ground.storage import BlobStore
from server.core.models import Form, FormMedia
from server.core.submissions.facts import PLACE_LISTS


def place_labels(session: Session, blobs: BlobStore, form: Form) -> dict[str, dict[str, str]]:
    """{"province"|"district"|"subdistrict"|"village": {code: label}} from the attached lists;
    a list not uploaded (or unreadable) gives an empty mapping, never an error."""
    labels: dict[str, dict[str, str]] = {kind: {} for kind in PLACE_LISTS.values()}
    if form.current_version_id is None:
        return labels
    media = session.scalars(
        select(FormMedia).where(
            FormMedia.form_version_id == form.current_version_id,
            FormMedia.name.in_(list(PLACE_LISTS)),
            FormMedia.blob_sha256.is_not(None),
        )
    ).all()
    for item in media:
        try:
            text = blobs.read_bytes(item.blob_sha256 or "").decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        kind = PLACE_LISTS[item.name]
        for row in csv.DictReader(io.StringIO(text)):
            code, label = (row.get("name") or "").strip(), (row.get("label") or "").strip()
            if code:
                labels[kind][code] = label or code
    return labels
