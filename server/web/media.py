"""A form media file (a CSV list, an image …) as an HTTP response, streamed from the blob store: what
ODK Collect downloads through the manifest and Web Forms fetches in the web application."""

from __future__ import annotations

from flask import Response

from server.core.forms import form_media
from server.core.models import FormMedia
from server.web.context import services


def media_response(media: FormMedia) -> Response:
    blob_sha = media.blob_sha256 or ""
    resp = Response(
        services().blobs.iter_chunks(blob_sha),
        status=200,
        content_type=media.content_type or form_media.content_type_for(media.name),
    )
    resp.content_length = media.size
    resp.set_etag(media.md5 or blob_sha)
    return resp
