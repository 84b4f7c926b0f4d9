"""Property: any interleaving of retries, split uploads and edits of a few submissions ends in the
same rows as sending each one once, whole (hypothesis draws the interleavings)."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from server.core.ground.services import Services
from server.core.models import Form, Submission, SubmissionVersion, User
from server.core.submissions import intake
from tests.core.submissions.test_intake import add_form, submission_xml

FILES = ("house.jpg", "m1.jpg", "m2.jpg")
CONTENT = {name: f"photo {name}".encode() for name in FILES}


def _xml(instance: str, deprecated: str | None = None) -> bytes:
    return submission_xml(instance, photo=FILES[0], member_photos=FILES[1:], deprecated=deprecated)


# One step: (submission 0..2, "send" the original or "edit" it, which files ride along).
steps = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["send", "send", "edit"]), st.sets(st.sampled_from(FILES))),
    min_size=1,
    max_size=12,
)


def _state(services: Services, prefix: str) -> dict[str, Any]:
    """Rows of this example's submissions, in a form that does not depend on ids or timing."""
    with services.db.session() as session:
        subs = session.scalars(select(Submission).where(Submission.instance_id.startswith(prefix))).all()
        out: dict[str, Any] = {}
        for sub in subs:
            versions = session.scalars(
                select(SubmissionVersion).where(SubmissionVersion.submission_id == sub.id)
            ).all()
            out[sub.instance_id] = sorted(
                (
                    v.instance_id.removeprefix(prefix),
                    (v.deprecated_id or "").removeprefix(prefix),
                    v.current,
                    tuple(sorted((a.name, a.blob_sha256 is not None) for a in v.attachments)),
                )
                for v in versions
            )
        return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps)
def test_any_interleaving_ends_in_the_same_rows(services: Services, project, collector, plan) -> None:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        if session.scalar(select(Form)) is None:
            add_form(session, project.id)
    prefix = f"uuid:{uuid.uuid4().hex[:8]}-"
    edited: set[int] = set()

    def send(xml: bytes, files: set[str]) -> None:
        with services.db.session() as session:
            result = intake.accept_submission(
                session, services.blobs, project.id, xml,
                [(n, "image/jpeg", CONTENT[n]) for n in sorted(files)], user=session.get(User, collector.id),
            )
            assert result.status == 201

    # Every submission is first sent at least once (Collect always sends before it can edit), then the plan.
    # The plan's edits are "edit-1" of a submission: sending one twice is a retry of that edit.
    for sub in range(3):
        send(_xml(f"{prefix}{sub}"), set())
    for sub, kind, files in plan:
        if kind == "send":
            send(_xml(f"{prefix}{sub}"), files)
        else:
            send(_xml(f"{prefix}{sub}-edit", deprecated=f"{prefix}{sub}"), files)
            edited.add(sub)
    # Collect finishes every upload in the end: all files of the original, and of each edit.
    for sub in range(3):
        send(_xml(f"{prefix}{sub}"), set(FILES))
        if sub in edited:
            send(_xml(f"{prefix}{sub}-edit", deprecated=f"{prefix}{sub}"), set(FILES))

    # The same outcome, sent the simple way: each submission once with all its files, then its edit.
    simple = f"uuid:{uuid.uuid4().hex[:8]}-"
    for sub in range(3):
        send(_xml(f"{simple}{sub}"), set(FILES))
        if sub in edited:
            send(_xml(f"{simple}{sub}-edit", deprecated=f"{simple}{sub}"), set(FILES))

    got, expected = _state(services, prefix), _state(services, simple)
    assert {k.removeprefix(prefix): v for k, v in got.items()} == {
        k.removeprefix(simple): v for k, v in expected.items()
    }
