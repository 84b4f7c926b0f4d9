"""OpenRosa form discovery for ODK Collect: formList, form XML, manifest and media files."""

from __future__ import annotations

from urllib.parse import quote
from xml.sax.saxutils import escape

from flask import Blueprint, Flask, Response, request

from server.core.accounts import permissions
from server.core.entities.media import stream_list_csv
from server.core.forms import form_media, publishing
from server.core.models import Form, FormVersion
from server.web.auth import openrosa_user
from server.web.context import db, services
from server.web.media import media_response
from server.web.openrosa.responses import openrosa_headers, xml_response
from server.web.openrosa.routes import openrosa_base_url, register_openrosa, resolve_project_id

bp = Blueprint("openrosa_forms", __name__)

XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
_XML_DECL = "<?xml version='1.0' encoding='UTF-8' ?>\n"


def _form_path(base: str, xml_form_id: str) -> str:
    # Form ids may hold spaces or Thai; Collect fetches exactly the URL we give it.
    return f"{base}/forms/{quote(xml_form_id, safe='')}"


def _authorised_form(
    verb: str, project_id: int | None, token: str | None, xml_form_id: str
) -> tuple[int, Form]:
    user = openrosa_user(token)
    pid = resolve_project_id(project_id)
    permissions.require_some_form(db(), user, verb, pid)
    form = publishing.get_form(db(), pid, xml_form_id)
    permissions.require_form(db(), user, verb, pid, form.id)
    return pid, form


@bp.get("/formList")
def form_list(project_id: int | None = None, token: str | None = None) -> Response:
    user = openrosa_user(token)
    pid = resolve_project_id(project_id)
    base = openrosa_base_url(project_id, token)
    entries: list[str] = []
    # A user without access to this project gets an empty list, as the spec allows per-user filtering;
    # a collector with form assignments gets only the forms assigned to him (as Central's app users).
    scope = permissions.form_scope(db(), user, "form.list", pid)
    if scope is None or scope:
        for form in publishing.downloadable_forms(db(), pid, request.args.get("formID") or None):
            if scope is not None and form.id not in scope:
                continue
            version = publishing.current_version(form)
            entries.append(_xform_entry(base, form, version))
    body = f'{_XML_DECL}<xforms xmlns="{XFORMS_LIST_NS}">{"".join(entries)}</xforms>'
    return xml_response(body)


def _xform_entry(base: str, form: Form, version: FormVersion) -> str:
    path = _form_path(base, form.xml_form_id)
    manifest = f"<manifestUrl>{escape(path)}/manifest</manifestUrl>" if version.media else ""
    return (
        "<xform>"
        f"<formID>{escape(form.xml_form_id)}</formID>"
        f"<name>{escape(version.title or form.xml_form_id)}</name>"
        f"<version>{escape(version.version)}</version>"
        f"<hash>md5:{version.xform_md5}</hash>"
        f"<downloadUrl>{escape(path)}.xml</downloadUrl>"
        f"{manifest}"
        "</xform>"
    )


@bp.get("/forms/<xml_form_id>.xml")
def form_xml(xml_form_id: str, project_id: int | None = None, token: str | None = None) -> Response:
    _, form = _authorised_form("form.read", project_id, token, xml_form_id)
    version = publishing.current_version(form)
    # The exact bytes whose MD5 the form list announced; Collect re-downloads forever if they differ.
    resp = xml_response(services().blobs.read_bytes(version.xform_sha256))
    resp.set_etag(version.xform_md5)
    return resp


@bp.get("/forms/<xml_form_id>/manifest")
def manifest(xml_form_id: str, project_id: int | None = None, token: str | None = None) -> Response:
    pid, form = _authorised_form("form.read", project_id, token, xml_form_id)
    version = publishing.current_version(form)
    path = _form_path(openrosa_base_url(project_id, token), form.xml_form_id)
    files = "".join(
        "<mediaFile>"
        f"<filename>{escape(media.name)}</filename>"
        f"<hash>md5:{media.md5}</hash>"
        f"<downloadUrl>{escape(path)}/attachments/{escape(quote(media.name, safe=''))}</downloadUrl>"
        "</mediaFile>"
        for media in form_media.manifest_files(db(), version, pid)
    )
    return xml_response(f'{_XML_DECL}<manifest xmlns="{MANIFEST_NS}">{files}</manifest>')


@bp.get("/forms/<xml_form_id>/attachments/<name>")
def media_file(
    xml_form_id: str, name: str, project_id: int | None = None, token: str | None = None
) -> Response:
    pid, form = _authorised_form("form.read", project_id, token, xml_form_id)
    found = form_media.manifest_file(db(), publishing.current_version(form), pid, name)
    if found.entity_list is not None:
        # Streamed from the database in pages; its own session outlives this request's.
        listed = Response(
            stream_list_csv(services().db.sessions, found.entity_list.id), content_type="text/csv; charset=utf-8"
        )
        listed.set_etag(found.md5)
        return openrosa_headers(listed)
    media = found.media
    assert media is not None
    return openrosa_headers(media_response(media))


def register(app: Flask) -> None:
    register_openrosa(app, bp)
