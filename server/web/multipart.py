"""A submission as a multipart request carries it (ODK Collect, and Web Forms in the web application):
the instance XML in the `xml_submission_file` part, each attachment as a part named by its file."""

from __future__ import annotations

from flask import request

from server.core.ground.errors import BadRequest
from server.core.submissions.intake import IncomingFile

XML_PART = "xml_submission_file"


def submission_xml() -> bytes:
    part = request.files.get(XML_PART)
    if part is not None:
        part.stream.seek(0)  # from the start, also when the request runs a second time
        return part.stream.read()
    if XML_PART in request.form:  # a client that sent the XML as a plain field rather than a file
        return request.form[XML_PART].encode("utf-8")
    raise BadRequest(
        "ไม่พบไฟล์ข้อมูล (xml_submission_file) ในคำขอ / The request has no xml_submission_file part; "
        "send the submission as multipart/form-data."
    )


def submission_files() -> list[IncomingFile]:
    return [
        (storage.filename or name, storage.mimetype or None, storage.stream)
        for name, storage in request.files.items(multi=True)
        if name != XML_PART
    ]
