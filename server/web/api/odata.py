"""ODK Central's OData feed of a form (`…/FORM.svc`, `$metadata`, `Submissions`, repeat tables,
single submissions and their repeats) and Central's CSV downloads (`…/submissions.csv.zip`, `.csv`),
streamed. Thin: the checks and the rows are server.core.odata's."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from urllib.parse import quote

import orjson
from flask import Blueprint, Flask, Response, request

from server.core.accounts import permissions
from server.core.forms import drafts, publishing
from server.core.ground.errors import NotFound
from server.core.models import Form, FormVersion, User
from server.core.odata import central_csv, feed, model
from server.core.submissions import draft_intake
from server.web.auth import api_user
from server.web.context import db, services

bp = Blueprint("api_odata", __name__, url_prefix="/v1")

_FORM = "/projects/<int:project_id>/forms/<xml_form_id>"
_SVC = f"{_FORM}.svc"
JSON_TYPE = "application/json; odata.metadata=minimal"
_SEGMENT = re.compile(r"^([^(']+)(?:\('([^']*)'\))?$")


def _form(project_id: int, xml_form_id: str) -> tuple[User, Form]:
    # 403 before 404 for another project's forms, as the rest of the API.
    user = api_user()
    permissions.require(db(), user, "form.read", project_id)
    return user, publishing.get_form(db(), project_id, xml_form_id)


def _root() -> str:
    return (services().settings.public_url or request.host_url.rstrip("/")) + request.script_root


def _service_url(project_id: int, xml_form_id: str) -> str:
    return f"{_root()}/v1/projects/{project_id}/forms/{quote(xml_form_id, safe='')}.svc"


def _odata(resp: Response) -> Response:
    resp.headers["OData-Version"] = "4.0"
    return resp


def _streamed(chunks: Iterator[bytes], content_type: str) -> Response:
    """Run the stream up to its first rows before answering, so that a failure in the first query
    is still an error answer and not a cut-off 200."""
    head = list(itertools.islice(chunks, 2))
    return Response(itertools.chain(head, chunks), content_type=content_type)


def _request_url() -> str:
    """This request's absolute URL, percent-encoded, for @odata.nextLink."""
    query = request.query_string.decode("latin-1")
    path = quote(request.path, safe="/:@!$&'()*+,;=-._~")
    return f"{_root()}{path}" + (f"?{query}" if query else "")


@bp.get(_SVC)
@bp.get(f"{_SVC}/")
def service_document(project_id: int, xml_form_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    feed.reader_view(db(), user, form, {})  # submission.read, as Central asks for the feed
    odata_model, _ = feed.form_model(form)
    body = model.service_document(odata_model, _service_url(project_id, xml_form_id))
    return _odata(Response(orjson.dumps(body), content_type=JSON_TYPE))


@bp.get(f"{_SVC}/$metadata")
def metadata(project_id: int, xml_form_id: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    feed.reader_view(db(), user, form, {})
    odata_model, _ = feed.form_model(form)
    return _odata(Response(model.edmx(odata_model), content_type="application/xml"))


def _target(subpath: str) -> tuple[str, str | None, str | None]:
    """(entity set name, instance id, parent row id) of a path under .svc/, or 404: `Submissions`,
    `Submissions.members`, `Submissions('…')`, `Submissions('…')/group/members`,
    `Submissions('…')/members('…')/visits` (a key only on Submissions and on the last repeat before the
    table)."""
    missing = NotFound("ไม่พบสิ่งที่ขอ / Could not find the resource you were looking for.")
    segments = []
    for part in subpath.split("/"):
        match = _SEGMENT.match(part)
        if match is None:
            raise missing
        segments.append((match.group(1), match.group(2)))
    (first, instance_id), rest = segments[0], segments[1:]
    if not rest:
        return first, instance_id, None
    keyed = [i for i, (_, key) in enumerate(rest) if key is not None]
    if first != model.SUBMISSIONS or instance_id is None or len(keyed) > 1 or rest[-1][1] is not None:
        raise missing
    parent_id = rest[keyed[0]][1] if keyed else None
    return ".".join([first, *(name for name, _ in rest)]), instance_id, parent_id


@bp.get(f"{_SVC}/<path:subpath>")
def entity_set(project_id: int, xml_form_id: str, subpath: str) -> Response:
    user, form = _form(project_id, xml_form_id)
    table, instance_id, parent_id = _target(subpath)
    checked = feed.open_feed(
        db(),
        services().db.sessions,
        user,
        form,
        table,
        request.args.to_dict(flat=True),
        service_url=_service_url(project_id, xml_form_id),
        request_url=_request_url(),
        instance_id=instance_id,
        parent_id=parent_id,
    )
    db().rollback()  # the stream reads in its own short transactions
    return _odata(_streamed(checked.stream(), JSON_TYPE))


_DRAFT_SVC = f"{_FORM}/draft.svc"


def _draft_feed(project_id: int, xml_form_id: str) -> tuple[User, Form, FormVersion, Form]:
    """(user, form, draft, the form's test twin) for `…/draft.svc`: the draft's test submissions,
    for those who may update the form (as Central's draft resources)."""
    user = api_user()
    permissions.require(db(), user, "form.update", project_id)
    form = drafts.any_form(db(), project_id, xml_form_id)
    draft = drafts.draft_of(db(), form)
    twin = draft_intake.test_twin(db(), form, create=True)  # an empty feed before the first test
    assert twin is not None
    db().commit()
    return user, form, draft, twin


def _draft_service_url(project_id: int, xml_form_id: str) -> str:
    return f"{_root()}/v1/projects/{project_id}/forms/{quote(xml_form_id, safe='')}/draft.svc"


@bp.get(_DRAFT_SVC)
@bp.get(f"{_DRAFT_SVC}/")
def draft_service_document(project_id: int, xml_form_id: str) -> Response:
    user, _form_row, draft, twin = _draft_feed(project_id, xml_form_id)
    feed.reader_view(db(), user, twin, {})
    odata_model, _ = feed.form_model(twin, draft)
    body = model.service_document(odata_model, _draft_service_url(project_id, xml_form_id))
    return _odata(Response(orjson.dumps(body), content_type=JSON_TYPE))


@bp.get(f"{_DRAFT_SVC}/$metadata")
def draft_metadata(project_id: int, xml_form_id: str) -> Response:
    user, _form_row, draft, twin = _draft_feed(project_id, xml_form_id)
    feed.reader_view(db(), user, twin, {})
    odata_model, _ = feed.form_model(twin, draft)
    return _odata(Response(model.edmx(odata_model), content_type="application/xml"))


@bp.get(f"{_DRAFT_SVC}/<path:subpath>")
def draft_entity_set(project_id: int, xml_form_id: str, subpath: str) -> Response:
    user, _form_row, draft, twin = _draft_feed(project_id, xml_form_id)
    table, instance_id, parent_id = _target(subpath)
    checked = feed.open_feed(
        db(),
        services().db.sessions,
        user,
        twin,
        table,
        request.args.to_dict(flat=True),
        service_url=_draft_service_url(project_id, xml_form_id),
        request_url=_request_url(),
        instance_id=instance_id,
        parent_id=parent_id,
        draft=draft,
    )
    db().rollback()
    return _odata(_streamed(checked.stream(), JSON_TYPE))


def _csv(project_id: int, xml_form_id: str, zipped: bool) -> Response:
    user, form = _form(project_id, xml_form_id)
    download = central_csv.csv_download(
        db(),
        services().db.sessions,
        services().blobs,
        user,
        form,
        request.args.to_dict(flat=True),
        zipped=zipped,
    )
    db().rollback()
    resp = _streamed(download.body, download.media_type)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(download.filename)}"
    return resp


@bp.get(f"{_FORM}/submissions.csv.zip")
def csv_zip(project_id: int, xml_form_id: str) -> Response:
    return _csv(project_id, xml_form_id, zipped=True)


@bp.get(f"{_FORM}/submissions.csv")
def csv_file(project_id: int, xml_form_id: str) -> Response:
    return _csv(project_id, xml_form_id, zipped=False)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
