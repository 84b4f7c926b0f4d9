"""Processing a stored submission into typed rows: values, repeats with KEY/PARENT_KEY, quality flags,
idempotent reruns, failures recorded without losing the raw XML, and the sweeper's choice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.forms import publishing
from server.core.ground.services import Services
from server.core.models import FormVersion, Project, QualityFlag, Record, RepeatRow, SubmissionVersion
from server.core.submissions import intake
from server.core.submissions.processing import (
    process_submission_version,
    record_failure,
    reprocess_all,
    sweep_unprocessed,
)
from tests.helpers import FIXTURES
from tests.workers.factories import (
    household_schema,
    household_xml,
    make_form_version,
    make_submission,
)

IID = "uuid:6b1f5a4e-0000-4000-8000-000000000001"


def derived(session: Session, version_id: int) -> dict[str, Any]:
    record = session.scalar(select(Record).where(Record.submission_version_id == version_id))
    repeats = session.scalars(
        select(RepeatRow).where(RepeatRow.submission_version_id == version_id).order_by(RepeatRow.ordinal)
    ).all()
    flags = session.scalars(select(QualityFlag).where(QualityFlag.submission_version_id == version_id)).all()
    return {
        "values": record.values if record else None,
        "repeats": [(r.repeat_path, r.ordinal, r.key, r.parent_key, r.values) for r in repeats],
        "flags": sorted((f.field_path, f.code, f.message) for f in flags),
    }


def stored(services: Services, project: Project, xml: bytes | None = None, iid: str = IID) -> int:
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        return make_submission(session, services.blobs, fv, xml or household_xml(iid), iid).id


def test_main_values_are_typed_and_thai_text_is_intact(services: Services, project: Project) -> None:
    vid = stored(services, project)
    with services.db.session() as session:
        assert process_submission_version(session, services.blobs, vid) == "processed"
    with services.db.session() as session:
        values = derived(session, vid)["values"]
        version = session.get(SubmissionVersion, vid)
        assert version is not None and version.processing_state == "processed" and version.processed_at
    assert values["/data/household/house_no"] == "12/3 หมู่ 4"
    assert values["/data/remarks"] == "บ้านไม้สองชั้น ริมคลอง"
    assert values["/data/household/location"] == {
        "lat": 13.7563,
        "lon": 100.5018,
        "alt": 12.5,
        "accuracy": 4.0,
    }
    assert values["/data/savings"] == ["bank", "gold"]
    assert values["/data/rooms"] == 3
    assert values["/data/income"] == "150000.50"
    assert values["/data/phone"] == "0812345678"
    assert values["/data/household/house_photo"] == "house.jpg"
    assert values["/data/meta/instanceID"] == IID
    assert "/data/intro" not in values  # notes carry no data
    assert not any(path.startswith("/data/members") for path in values)


def test_repeats_get_central_style_keys_including_nested_ones(services: Services, project: Project) -> None:
    vid = stored(services, project)
    with services.db.session() as session:
        process_submission_version(session, services.blobs, vid)
        rows = derived(session, vid)["repeats"]
    keys = [(path, key, parent) for path, _ordinal, key, parent, _values in rows]
    assert keys == [
        ("/data/members", f"{IID}/members[1]", IID),
        ("/data/members/visits", f"{IID}/members[1]/visits[1]", f"{IID}/members[1]"),
        ("/data/members/visits", f"{IID}/members[1]/visits[2]", f"{IID}/members[1]"),
        ("/data/members", f"{IID}/members[2]", IID),
        ("/data/members/visits", f"{IID}/members[2]/visits[1]", f"{IID}/members[2]"),
    ]
    assert rows[0][4] == {
        "/data/members/full_name": "สมชาย ใจดี",
        "/data/members/citizen_id": "1101700207030",
        "/data/members/age": 45,
    }
    assert rows[2][4] == {
        "/data/members/visits/visit_date": "2026-02-11",
        "/data/members/visits/visit_note": "ติดตาม",
    }
    assert [r[1] for r in rows] == [1, 2, 3, 4, 5]


def test_bad_citizen_id_and_type_mismatch_are_flagged(services: Services, project: Project) -> None:
    vid = stored(services, project, household_xml(IID, rooms="สาม"))
    with services.db.session() as session:
        process_submission_version(session, services.blobs, vid)
        result = derived(session, vid)
    codes = [(path, code) for path, code, _ in result["flags"]]
    assert codes == [
        ("/data/members[2]/citizen_id", "thai_citizen_id_invalid"),
        ("/data/rooms", "type_mismatch"),
    ]
    cid_message = result["flags"][0][2]
    assert "เลขประจำตัวประชาชน" in cid_message and "citizen ID" in cid_message
    assert "1101700207031" not in cid_message  # personal data stays out of messages
    assert result["values"]["/data/rooms"] == "สาม"  # raw text kept


def test_rerun_gives_identical_rows(services: Services, project: Project) -> None:
    vid = stored(services, project)
    with services.db.session() as session:
        process_submission_version(session, services.blobs, vid)
    with services.db.session() as session:
        first = derived(session, vid)
    with services.db.session() as session:
        process_submission_version(session, services.blobs, vid)
    with services.db.session() as session:
        assert derived(session, vid) == first
        assert len(session.scalars(select(Record)).all()) == 1


def test_an_edit_is_processed_against_its_own_form_version(services: Services, project: Project) -> None:
    edit_iid = "uuid:edit-0002"
    with services.db.session() as session:
        old_fv = make_form_version(session, services.blobs, project.id)
        first = make_submission(session, services.blobs, old_fv, household_xml(IID), IID)
        # Version 2 of the form drops the phone question; the edit is made with it.
        new_fv = make_form_version(
            session, services.blobs, project.id, household_schema("2026112302", with_phone=False)
        )
        edit = make_submission(
            session,
            services.blobs,
            new_fv,
            household_xml(edit_iid, version="2026112302", phone="0899999999", deprecated_id=IID),
            edit_iid,
            deprecated_id=IID,
        )
        first_id, edit_id = first.id, edit.id
    with services.db.session() as session:
        process_submission_version(session, services.blobs, first_id)
        process_submission_version(session, services.blobs, edit_id)
    with services.db.session() as session:
        assert derived(session, first_id)["values"]["/data/phone"] == "0812345678"
        edited = derived(session, edit_id)
    assert "/data/phone" not in edited["values"]  # not a field of the version the edit was made with
    assert edited["repeats"][0][2] == f"{edit_iid}/members[1]"


def test_xml_that_does_not_fit_the_form_fails_clearly_and_keeps_the_raw_data(
    services: Services, project: Project
) -> None:
    xml = b'<?xml version="1.0"?><other id="household_survey"><meta><instanceID>uuid:x</instanceID></meta></other>'
    vid = stored(services, project, xml, iid="uuid:x")
    with services.db.session() as session:
        assert process_submission_version(session, services.blobs, vid) == "failed"
    with services.db.session() as session:
        version = session.get(SubmissionVersion, vid)
        assert version is not None
        assert version.processing_state == "failed"
        assert "does not match" in (version.processing_error or "")
        assert services.blobs.read_bytes(version.xml_sha256) == xml
        assert derived(session, vid)["values"] is None


def test_reprocess_all_rebuilds_everything(services: Services, project: Project) -> None:
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        ids = [
            make_submission(session, services.blobs, fv, household_xml(f"uuid:{i}"), f"uuid:{i}").id
            for i in range(5)
        ]
    seen: list[tuple[int, int]] = []
    counts = reprocess_all(services.db.sessions, services.blobs, lambda d, t: seen.append((d, t)), chunk=2)
    assert counts == {"processed": 5, "failed": 0}
    assert seen[-1] == (5, 5)
    with services.db.session() as session:
        assert {v.processing_state for v in session.scalars(select(SubmissionVersion))} == {"processed"}
        assert len(session.scalars(select(RepeatRow)).all()) == 5 * 5
        assert ids


def test_sweeper_finds_waiting_and_retryable_versions_after_the_grace_period(
    services: Services, project: Project
) -> None:
    with services.db.session() as session:
        fv = make_form_version(session, services.blobs, project.id)
        waiting = make_submission(session, services.blobs, fv, household_xml("uuid:w"), "uuid:w")
        done = make_submission(session, services.blobs, fv, household_xml("uuid:d"), "uuid:d")
        given_up = make_submission(session, services.blobs, fv, household_xml("uuid:g"), "uuid:g")
        retry = make_submission(session, services.blobs, fv, household_xml("uuid:r"), "uuid:r")
        done.processing_state = "processed"
        given_up.processing_state, given_up.processing_attempts = "failed", 3
        retry.processing_state, retry.processing_attempts = "failed", 1
        session.flush()
        assert sweep_unprocessed(session, timedelta(seconds=30)) == []  # still within the grace period
        later = waiting.received_at + timedelta(minutes=5)
        assert sweep_unprocessed(session, timedelta(seconds=30), now=later) == [waiting.id, retry.id]


KITCHEN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" id="kitchen_sink"
      version="2026112301">
  <intro/>
  <household><house_no>99/1</house_no><village>1</village><location>13.75 100.5 2.0 5.0</location>
    <house_photo>1700000000.jpg</house_photo></household>
  <members><full_name>นางสาว ทดสอบ</full_name><citizen_id>1101700207030</citizen_id><sex>female</sex>
    <age>30</age><disabled>no</disabled></members>
  <member_count>1</member_count><has_well>no</has_well><savings>fund gold</savings><rooms>2</rooms>
  <income>12000.75</income><visit_date>2026-03-01</visit_date><remarks>ทดสอบ</remarks>
  <meta><instanceID>uuid:kitchen-1</instanceID><instanceName>99/1 2026-03-01</instanceName></meta>
</data>"""


def test_a_published_form_and_accepted_submission_process_end_to_end(
    services: Services, project: Project, make_user: Any
) -> None:
    """The real publisher's field schema and the real intake's rows, processed here."""
    user = make_user("collector1", "collector")
    source = (FIXTURES / "kitchen_sink.md").read_bytes()
    with services.db.session() as session:
        publishing.publish_form(session, services.blobs, project.id, source, "kitchen_sink.md")
    with services.db.session() as session:
        result = intake.accept_submission(
            session, services.blobs, project.id, KITCHEN_XML.encode(), [], user=session.merge(user)
        )
    with services.db.session() as session:
        assert process_submission_version(session, services.blobs, result.version_id) == "processed"
        out = derived(session, result.version_id)
    assert out["values"]["/data/savings"] == ["fund", "gold"]
    assert out["values"]["/data/income"] == "12000.75"
    assert out["values"]["/data/household/location"]["lat"] == 13.75
    assert out["repeats"][0][2:4] == ("uuid:kitchen-1/members[1]", "uuid:kitchen-1")
    assert out["repeats"][0][4]["/data/members/full_name"] == "นางสาว ทดสอบ"
    assert out["flags"] == []


def test_a_rolled_back_attempt_is_recorded_but_never_overwrites_a_finished_run(
    services: Services, project: Project
) -> None:
    done_id, waiting_id = stored(services, project, iid="uuid:a"), 0
    with services.db.session() as session:
        fv = session.get(SubmissionVersion, done_id).form_version_id  # type: ignore[union-attr]
        waiting_id = make_submission(
            session,
            services.blobs,
            session.get(FormVersion, fv),
            household_xml("uuid:b"),
            "uuid:b",  # type: ignore[arg-type]
        ).id
        process_submission_version(session, services.blobs, done_id)
    with services.db.session() as session:
        record_failure(session, done_id, "OperationalError: database is locked")
        record_failure(session, waiting_id, "OperationalError: database is locked")
    with services.db.session() as session:
        done, waiting = session.get(SubmissionVersion, done_id), session.get(SubmissionVersion, waiting_id)
        assert done is not None and done.processing_state == "processed"
        assert waiting is not None and waiting.processing_state == "failed"
        assert waiting.processing_attempts == 1 and "locked" in (waiting.processing_error or "")
