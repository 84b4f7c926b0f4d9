"""ODK Central's draft-testing Collect URL: a phone set up with
BASE/v1/test/DRAFT_TOKEN/projects/ID/forms/XML/draft downloads the form's draft and sends test
submissions to it, with the draft token as the only credential. Thin: server.core does the work."""

from __future__ import annotations

from urllib.parse import quote
from xml.sax.saxutils import escape

from flask import Blueprint, Flask, Response, request

from server.core.entities.media import stream_list_csv
from server.core.forms import drafts, form_media
from server.core.ground.broker import PROCESS_PENDING
from server.core.ground.errors import BadRequest
from server.core.models import Form, FormVersion
from server.core.submissions import draft_intake
from server.web.context import db, services
from server.web.media import media_response
from server.web.multipart import submission_files, submission_xml
from server.web.openrosa.forms import MANIFEST_NS, XFORMS_LIST_NS
from server.web.openrosa.responses import message_response, openrosa_headers, xml_response

bp = Blueprint(
    "openrosa_draft_test", __name__, url_prefix="/v1/test/<token>/projects/<int:project_id>/forms/<xml_form_id>"
)
_XML_DECL = "<?xml version='1.0' encoding='UTF-8' ?>\n"


def _draft(token: str, project_id: int, xml_form_id: str) -> tuple[Form, FormVersion]:
    return drafts.draft_by_token(db(), project_id, xml_form_id, token)


def _base(token: str, project_id: int, xml_form_id: str) -> str:
    root = (services().settings.public_url or request.host_url.rstrip("/")) + request.script_root
    return f"{root}/v1/test/{token}/projects/{project_id}/forms/{quote(xml_form_id, safe='')}/draft"


@bp.get("/draft/formList")
def form_list(token: str, project_id: int, xml_form_id: str) -> Response:
    form, draft = _draft(token, project_id, xml_form_id)
    base = _base(token, project_id, xml_form_id)
    manifest = f"<manifestUrl>{escape(base)}/manifest</manifestUrl>" if draft.media else ""
    entry = (
        "<xform>"
        f"<formID>{escape(form.xml_form_id)}</formID>"
        f"<name>{escape(draft.title or form.xml_form_id)}</name>"
        f"<version>{escape(draft.draft_version or '')}</version>"
        f"<hash>md5:{draft.xform_md5}</hash>"
        f"<downloadUrl>{escape(base)}.xml</downloadUrl>"
        f"{manifest}"
        "</xform>"
    )
    return xml_response(f'{_XML_DECL}<xforms xmlns="{XFORMS_LIST_NS}">{entry}</xforms>')


@bp.get("/draft.xml")
def form_xml(token: str, project_id: int, xml_form_id: str) -> Response:
    _form, draft = _draft(token, project_id, xml_form_id)
    resp = xml_response(services().blobs.read_bytes(draft.xform_sha256))
    resp.set_etag(draft.xform_md5)
    return resp


@bp.get("/draft/manifest")
def manifest(token: str, project_id: int, xml_form_id: str) -> Response:
    _form, draft = _draft(token, project_id, xml_form_id)
    base = _base(token, project_id, xml_form_id)
    files = "".join(
        "<mediaFile>"
        f"<filename>{escape(media.name)}</filename>"
        f"<hash>md5:{media.md5}</hash>"
        f"<downloadUrl>{escape(base)}/attachments/{escape(quote(media.name, safe=''))}</downloadUrl>"
        "</mediaFile>"
        for media in form_media.manifest_files(db(), draft, project_id)
    )
    return xml_response(f'{_XML_DECL}<manifest xmlns="{MANIFEST_NS}">{files}</manifest>')


@bp.get("/draft/attachments/<name>")
def media_file(token: str, project_id: int, xml_form_id: str, name: str) -> Response:
    _form, draft = _draft(token, project_id, xml_form_id)
    found = form_media.manifest_file(db(), draft, project_id, name)
    if found.entity_list is not None:
        listed = Response(
            stream_list_csv(services().db.sessions, found.entity_list.id), content_type="text/csv; charset=utf-8"
        )
        listed.set_etag(found.md5)
        return openrosa_headers(listed)
    assert found.media is not None
    return openrosa_headers(media_response(found.media))


@bp.route("/draft/submission", methods=["GET", "HEAD"])
def preflight(token: str, project_id: int, xml_form_id: str) -> Response:
    _draft(token, project_id, xml_form_id)
    return openrosa_headers(Response(status=204))


@bp.post("/draft/submission")
def submit(token: str, project_id: int, xml_form_id: str) -> Response:
    form, draft = _draft(token, project_id, xml_form_id)
    if request.mimetype != "multipart/form-data":
        raise BadRequest("ต้องส่งข้อมูลแบบ multipart/form-data / A submission must be sent as multipart/form-data.")
    result = draft_intake.accept_draft_submission(
        db(), services().blobs, form, draft, submission_xml(), submission_files(), user_id=None,
        device_id=request.args.get("deviceID"), user_agent=request.headers.get("User-Agent"),
    )
    db().commit()
    if result.enqueue:
        services().tasks.wake(PROCESS_PENDING)
    return message_response(result.message, result.status, nature="submit_success")


def register(app: Flask) -> None:
    app.register_blueprint(bp)
