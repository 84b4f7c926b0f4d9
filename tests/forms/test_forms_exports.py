"""The shipped household survey and the kitchen-sink fixture, filled with realistic Thai data, posted
as Collect does, processed, and exported in every format: each file opens with its own reader and
holds what was submitted (row counts, Thai text, IDs with their leading zeros, choice labels)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pyreadstat
import pytest
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import select

from server.core.exports.jobs import build_export, export_file, request_export
from server.core.forms.publishing import publish_form
from server.core.forms.shipped import publish_with_media
from server.core.ground.services import Services
from server.core.models import Form, FormVersion, RepeatRow, SubmissionVersion, User
from tests.forms.conftest import FORMS_DIR
from tests.forms.fill import FilledSubmission, fill_submission, png_bytes
from tests.forms.test_forms_end_to_end import THAI, post_like_collect, process_sent

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
KML = "{http://www.opengis.net/kml/2.2}"


def publish(services: Services, project_id: int, which: str) -> FormVersion:
    with services.db.session() as session:
        if which == "household_survey":
            version = publish_with_media(session, services.blobs, project_id, FORMS_DIR / "household_survey.xlsx")
        else:
            path = FIXTURES / "kitchen_sink.md"
            version = publish_form(session, services.blobs, project_id, path.read_bytes(), path.name)
        session.commit()
        session.refresh(version)
        session.expunge(version)
        return version


def export(services: Services, form_id: int, fmt: str, **options: Any) -> Path:
    with services.db.session() as session:
        form = session.get(Form, form_id)
        assert form is not None
        export_id = request_export(session, form, fmt, options or None).id
    done = build_export(services.db.sessions, services.settings, services.blobs, export_id)
    assert done.state == "done", done.error
    return export_file(done)


def kitchen_sink_submission(version: FormVersion, i: int) -> FilledSubmission:
    """The kitchen-sink form as Collect would send it: Thai text, a photo, two members (one citizen ID
    with a leading zero), a select_multiple and a Buddhist-era-sensitive date."""
    iid = f"uuid:ks-{i}"
    root = version.field_schema["root"]
    xml = (
        f'<{root} id="kitchen_sink" version="{version.version}"><intro/>'
        f"<household><house_no>{i}/7 หมู่ 3</house_no><village>{i}</village>"
        f"<location>13.75{i} 100.50{i} 12.0 4.5</location><house_photo>house{i}.jpg</house_photo></household>"
        "<members><full_name>สมชาย ใจดี</full_name><citizen_id>0101700207030</citizen_id><sex>male</sex>"
        "<age>45</age><disabled>no</disabled></members>"
        "<members><full_name>สมหญิง ใจดี</full_name><citizen_id>1101700207030</citizen_id><sex>female</sex>"
        "<age>43</age><disabled>yes</disabled></members>"
        "<member_count>2</member_count><has_well>yes</has_well><savings>bank gold</savings><rooms>3</rooms>"
        f"<income>150000.50</income><visit_date>2026-01-1{i}</visit_date><remarks>=HYPERLINK(\"http://x\")</remarks>"
        f"<meta><instanceID>{iid}</instanceID></meta></{root}>"
    ).encode()
    return FilledSubmission("kitchen_sink", iid, xml, etree.fromstring(xml), {f"house{i}.jpg": png_bytes()})


@pytest.mark.parametrize("which", ["household_survey", "kitchen_sink"])
def test_every_format_holds_what_was_submitted(
    which: str, services: Services, client: FlaskClient, collector: User, project: Any, tmp_path: Path
) -> None:
    version = publish(services, project.id, which)
    xform = services.blobs.read_bytes(version.xform_sha256)
    if which == "household_survey":
        filled = [fill_submission(xform, seed=s) for s in (21, 22)]
    else:
        filled = [kitchen_sink_submission(version, i) for i in (1, 2)]
    for f in filled:
        assert post_like_collect(client, collector.collect_token or "", f).status_code == 201
    process_sent(services)
    schema = version.field_schema
    form_id = version.form_id
    with services.db.session() as session:
        versions = session.scalars(select(SubmissionVersion.id).where(SubmissionVersion.form_id == form_id)).all()
        repeat_counts: dict[str, int] = {}
        for path in session.scalars(select(RepeatRow.repeat_path).where(RepeatRow.submission_version_id.in_(versions))):
            repeat_counts[path] = repeat_counts.get(path, 0) + 1
    ids = {f.instance_id for f in filled}

    # CSV: the reference every other format is compared with.
    with zipfile.ZipFile(export(services, form_id, "csv")) as archive:
        csv_tables = {
            n.removesuffix(".csv"): list(csv.DictReader(io.StringIO(archive.read(n).decode("utf-8-sig"))))
            for n in archive.namelist()
        }
    main_name = schema["form_id"]
    assert {r["KEY"] for r in csv_tables[main_name]} == ids
    thai_cells = {v for r in csv_tables[main_name] for v in r.values() if THAI.search(v or "")}
    assert thai_cells

    # XLSX: same rows per sheet, same text, IDs as text.
    book = openpyxl.load_workbook(export(services, form_id, "xlsx"), read_only=True)
    main_sheet = list(book[main_name[:31]].iter_rows(values_only=True))
    names = list(main_sheet[1])
    assert len(main_sheet) - 2 == 2
    keys = {r[names.index("KEY")] for r in main_sheet[2:]}
    assert keys == ids
    xlsx_text = {c for r in main_sheet[2:] for c in r if isinstance(c, str)}
    assert {t for t in thai_cells if not t.startswith("'")} <= xlsx_text
    for repeat in schema["repeats"]:
        sheet = list(book[repeat["name"][:31]].iter_rows(values_only=True))
        assert len(sheet) - 2 == repeat_counts.get(repeat["path"], 0)
        header = list(sheet[1])
        if "citizen_id" in header:
            cids = [r[header.index("citizen_id")] for r in sheet[2:] if r[header.index("citizen_id")]]
            assert cids and all(isinstance(c, str) and len(c) == 13 and c.isdigit() for c in cids)

    # SPSS and Stata: row counts, Thai variable labels, value labels from the choice lists.
    selects = [f for f in schema["fields"] if f["type"] == "select_one" and not f.get("repeat")]
    for fmt in ("sav", "dta"):
        with zipfile.ZipFile(export(services, form_id, fmt, labels="th")) as archive:
            archive.extract(f"{main_name}.{fmt}", tmp_path)
        reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
        df, meta = reader(str(tmp_path / f"{main_name}.{fmt}"))
        assert len(df) == 2 and set(df["KEY"]) == ids
        assert any(THAI.search(label or "") for label in meta.column_labels)
        labelled = [f for f in selects if f["choice_list"] in schema["choices"]]
        assert labelled
        spec = labelled[0]
        var = next(v for v in meta.variable_value_labels if v.endswith(spec["name"]))
        choice_labels = {
            next((t for k, t in c["labels"].items() if k.endswith("(th)")), c["name"])
            for c in schema["choices"][spec["choice_list"]]
        }
        assert choice_labels <= set(meta.variable_value_labels[var].values())

    # Maps: one feature per answered geopoint of the main table.
    points = [f for f in schema["fields"] if f["type"] == "geopoint" and not f.get("repeat")]
    answered = sum(1 for r in csv_tables[main_name] for p in points
                   if any(r.get(k) for k in r if k.endswith("-Latitude") and p["name"] in k))
    features = json.loads(export(services, form_id, "geojson").read_bytes())["features"]
    assert sum(1 for f in features if f["properties"]["table"] == main_name) == answered
    kml = etree.parse(str(export(services, form_id, "kml")))
    assert len(kml.findall(f".//{KML}Placemark")) == len(features)

    # Media: every attachment that was sent, byte for byte, indexed to its question.
    sent = {(f.instance_id, name): content for f in filled for name, content in f.attachments.items()}
    with zipfile.ZipFile(export(services, form_id, "media")) as archive:
        index = list(csv.DictReader(io.StringIO(archive.read(f"{main_name}/index.csv").decode("utf-8-sig"))))
        got = {(r["KEY"], r["name"]): archive.read(r["path"]) for r in index if r["present"] == "1"}
        assert all(r["field"] for r in index if r["present"] == "1")
    assert got == sent
