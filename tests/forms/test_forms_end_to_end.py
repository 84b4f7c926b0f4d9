"""Every shipped form the whole way: published on the server with its media, filled with realistic
Thai data, posted to the OpenRosa endpoint as Collect does, processed, and exported as CSV.

The form-specific checks below recompute each computed total from the answers it is made of."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import select

from server.core.exports.jobs import build_export, export_file, request_export
from server.core.forms.shipped import publish_with_media
from server.core.ground.services import Services
from server.core.models import Form, QualityFlag, Record, RepeatRow, SubmissionVersion, User
from server.core.submissions.processing import process_submission_version
from tests.forms.conftest import FORM_IDS, FORMS_DIR
from tests.forms.fill import FilledSubmission, fill_submission

THAI = re.compile("[\u0e00-\u0e7f]")
Row = dict[str, str]


def column(row: Row, name: str) -> str:
    """The cell of field `name`, whatever group it sits in (columns are group paths joined by '-')."""
    matches = [key for key in row if key == name or key.endswith(f"-{name}")]
    assert len(matches) == 1, f"{name}: {matches}"
    return row[matches[0]]


def num(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


# What each form computes, recomputed from the exported cells: (main row, repeat tables) -> (got, want).
TOTALS: dict[str, list[Callable[[Row, dict[str, list[Row]]], tuple[Decimal, Decimal]]]] = {
    "household_survey": [
        lambda r, _: (
            num(column(r, "inc_total")),
            sum(num(column(r, n)) for n in ("inc_main", "inc_secondary", "inc_other", "inc_own_produce")),
        ),
        lambda r, t: (num(column(r, "n_members")), Decimal(len(t["members"]))),
    ],
    "community_project": [
        lambda r, t: (
            num(column(r, "budget_total")),
            sum(num(column(b, "amount")) for b in t["budget_lines"]),
        ),
    ],
    "community_forum": [
        lambda r, _: (num(column(r, "attendance_total")), num(column(r, "men")) + num(column(r, "women"))),
        lambda r, t: (num(column(r, "n_problems")), Decimal(len(t["problems"]))),
    ],
    "community_group": [
        lambda r, t: (num(column(r, "n_members")), Decimal(len(t["members"]))),
    ],
    "standard_assessment": [
        lambda r, t: (
            num(column(r, "total_self")),
            sum(num(column(i, "self_score")) for i in t["indicators"]),
        ),
        lambda r, t: (
            num(column(r, "total_full")),
            sum(num(column(i, "full_score")) for i in t["indicators"]),
        ),
    ],
    "nomination_scoring": [
        lambda r, _: (
            num(column(r, "score_total")),
            sum(num(v) for k, v in r.items() if re.search(r"(^|-)score_(discipline|conduct_\d|joint)$", k)),
        ),
    ],
    "welfare_registration": [],
}


def post_like_collect(client: FlaskClient, token: str, filled: FilledSubmission) -> Any:
    data: dict[str, Any] = {
        "xml_submission_file": (io.BytesIO(filled.xml), f"{filled.form_id}.xml", "text/xml")
    }
    for name, content in filled.attachments.items():
        data[name] = (io.BytesIO(content), name, "image/png")
    return client.post(
        f"/key/{token}/projects/1/submission?deviceID=collect%3Aabc123",
        data=data,
        content_type="multipart/form-data",
        headers={"X-OpenRosa-Version": "1.0"},
    )


def process_sent(services: Services) -> None:
    for task, args in services.tasks.sent:  # type: ignore[attr-defined]
        if task == "submissions.process":
            with services.db.session() as session:
                process_submission_version(session, services.blobs, args[0])
    services.tasks.sent.clear()  # type: ignore[attr-defined]


def export_tables(services: Services, form: Form) -> dict[str, list[Row]]:
    with services.db.session() as session:
        export_id = request_export(session, session.get(Form, form.id)).id  # type: ignore[arg-type]
    export = build_export(services.db.sessions, services.settings, services.blobs, export_id)
    assert export.state == "done", export.error
    tables: dict[str, list[Row]] = {}
    with zipfile.ZipFile(export_file(export)) as archive:
        for name in archive.namelist():
            raw = archive.read(name)
            assert raw.startswith(b"\xef\xbb\xbf"), f"{name} needs a BOM for Excel"
            tables[name] = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    return tables


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_shipped_form_goes_the_whole_way(
    form_id: str, services: Services, client: FlaskClient, collector: User, project: Any
) -> None:
    with services.db.session() as session:
        version = publish_with_media(session, services.blobs, project.id, FORMS_DIR / f"{form_id}.xlsx")
        missing_media = [m.name for m in version.media if m.blob_sha256 is None]
        xform = services.blobs.read_bytes(version.xform_sha256)
        form = version.form
    assert missing_media == [], "every media file the form uses ships in forms/media"

    good = fill_submission(xform, seed=11)
    bad = fill_submission(xform, seed=12, invalid_citizen_id=True)
    for filled in (good, bad):
        resp = post_like_collect(client, collector.collect_token or "", filled)
        assert resp.status_code == 201, resp.get_data(as_text=True)
    process_sent(services)

    with services.db.session() as session:
        versions = session.scalars(
            select(SubmissionVersion).where(SubmissionVersion.form_id == form.id)
        ).all()
        assert {v.processing_state for v in versions} == {"processed"}
        good_version = next(v for v in versions if v.instance_id == good.instance_id)
        record = session.scalar(select(Record).where(Record.submission_version_id == good_version.id))
        assert record is not None
        # Thai text answered on the phone is stored exactly.
        root = etree.fromstring(good.xml)
        thai_answers = {
            "/" + "/".join(a.tag for a in reversed(list(el.iterancestors()))) + "/" + el.tag: el.text
            for el in root.iter()
            if el.text and THAI.search(el.text) and len(el) == 0
        }
        stored_thai = {p: v for p, v in record.values.items() if isinstance(v, str) and THAI.search(v)}
        assert stored_thai, f"{form_id}: no Thai text reached the record"
        for path, value in stored_thai.items():
            assert thai_answers.get(path) == value
        repeat_counts: dict[str, int] = {}
        for row in session.scalars(
            select(RepeatRow).where(RepeatRow.submission_version_id == good_version.id)
        ):
            repeat_counts[row.repeat_path] = repeat_counts.get(row.repeat_path, 0) + 1
        for path, count in repeat_counts.items():
            assert count == len(root.xpath(path.replace("/" + root.tag, ".", 1))), path
        flags = session.scalars(
            select(QualityFlag.code)
            .join(SubmissionVersion)
            .where(SubmissionVersion.instance_id == bad.instance_id)
        ).all()
        good_flags = session.scalars(
            select(QualityFlag.code).where(QualityFlag.submission_version_id == good_version.id)
        ).all()
        has_id = any("thai_citizen_id" in f.get("checks", []) for f in version.field_schema["fields"])
        if has_id:
            assert "thai_citizen_id_invalid" in flags, f"{form_id}: the server did not flag a bad citizen ID"
            assert "thai_citizen_id_invalid" not in good_flags

    tables = export_tables(services, form)
    main_rows = tables[f"{form_id}.csv"]
    assert len(main_rows) == 2
    main = next(r for r in main_rows if r["KEY"] == good.instance_id)
    repeats = {
        name.removeprefix(f"{form_id}-").removesuffix(".csv"): [
            r for r in rows if r["PARENT_KEY"].startswith(main["KEY"])
        ]
        for name, rows in tables.items()
        if name != f"{form_id}.csv"
    }
    for path, count in repeat_counts.items():
        name = path.rsplit("/", 1)[1]
        assert len(repeats[name]) == count, f"{name}: repeat rows in their own table"
    assert any(THAI.search(v or "") for v in main.values()), "Thai text intact in the CSV"
    for check in TOTALS[form_id]:
        got, want = check(main, repeats)
        # Phones compute in binary floating point (JavaRosa doubles): 24.799999999999997 is 24.8.
        assert abs(got - want) < Decimal("1e-9"), (got, want)
