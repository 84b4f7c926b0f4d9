"""OpenRosa submission endpoint: HEAD pre-flight (204) and the multipart POST ODK Collect sends (201)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request

from server.core.accounts import permissions, projects
from server.core.accounts.permissions import Principal
from server.core.ground.broker import PROCESS_PENDING
from server.core.ground.cache import StaleLookups
from server.core.ground.errors import BadRequest, ChumchonError
from server.core.ground.transactions import run_retrying
from server.core.submissions import intake
from server.web.auth import openrosa_user, record_digest_use_again
from server.web.context import db, services
from server.web.multipart import submission_files, submission_xml
from server.web.openrosa.responses import message_response, openrosa_headers
from server.web.openrosa.routes import register_openrosa, resolve_project_id

bp = Blueprint("openrosa_submission", __name__)

INCOMPLETE_FIELD = "*isIncomplete*"


def _submitter(project_id: int | None, token: str | None) -> tuple[int, Principal]:
    """Authenticate and authorise before the body is read: a refused upload costs no parsing."""
    user = openrosa_user(token)
    pid = resolve_project_id(project_id)
    # Permission before existence: "no such project" and "not your project" both answer 403.
    permissions.require_some_form(db(), user, "submission.create", pid)
    pid = projects.require_project(db(), services().cache, pid)
    return pid, user


@bp.route("/submission", methods=["GET", "HEAD"])
def preflight(project_id: int | None = None, token: str | None = None) -> Response:
    """Collect's HEAD before every upload: 204 (nothing else) tells it this is a submission endpoint."""
    _submitter(project_id, token)
    return openrosa_headers(Response(status=204))


@bp.post("/submission")
def submit(project_id: int | None = None, token: str | None = None) -> Response:
    if db().get_bind().dialect.name == "postgresql":
        # The insert reads the cache epoch itself (one round trip less); stale lookups run it again.
        services().cache.defer(db())
        try:
            return _submit(project_id, token)
        except StaleLookups:
            db().rollback()
        except ChumchonError:
            # A refusal (closed form, lost permission) may come from stale lookups before the insert
            # could check them: check now, and run the request again if they were stale.
            try:
                services().cache.confirm(db())
            except StaleLookups:
                db().rollback()
            else:
                raise
    return _submit(project_id, token)


def _submit(project_id: int | None, token: str | None) -> Response:
    pid, user = _submitter(project_id, token)
    if request.mimetype != "multipart/form-data":
        raise BadRequest(
            "ต้องส่งข้อมูลแบบ multipart/form-data / A submission must be sent as multipart/form-data."
        )
    xml = submission_xml()

    runs = [0]

    def accept() -> intake.IntakeResult:
        files = submission_files()
        for _name, _type, stream in files:  # a re-run reads every part from its start again
            stream.seek(0)
        runs[0] += 1
        if runs[0] > 1:
            record_digest_use_again()  # the rolled-back run took the request's nonce count with it
        return intake.accept_submission(
            db(),
            services().blobs,
            pid,
            xml,
            files,
            user=user,
            device_id=request.args.get("deviceID"),
            user_agent=request.headers.get("User-Agent"),
            is_incomplete=request.form.get(INCOMPLETE_FIELD, "").strip().lower() == "yes",
            cache=services().cache,
        )

    # Committed here; a deadlock, serialization failure or lock timeout re-runs the whole transaction
    # (a few times) before it is answered 503; nothing of a failed run is committed.
    result = run_retrying(db(), accept)
    # After the commit, never before: the row is the outbox, the message only a wake-up call that
    # makes a worker claim everything waiting (several submissions share one wake-up).
    if result.enqueue:
        services().tasks.wake(PROCESS_PENDING)
    return message_response(result.message, result.status, nature="submit_success")


def register(app: Flask) -> None:
    register_openrosa(app, bp)
