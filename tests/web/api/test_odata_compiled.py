"""The feed builds its rows with compiled fills (`entities.Builder`); they must give, byte for byte,
what the reference walk (`entities._fill`) gives: on the shipped household form (129 answers), the
kitchen-sink form and the test household form (nested repeats), for every table, with and without
$expand, $wkt and masking, over real submissions and over answers of every odd type; and the
streamed body must be those bytes, as the old per-row serialisation joined them. Pages read ahead in
a thread are the same pages, and the thread ends when the client goes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient

from server.core.forms.publishing import publish_form
from server.core.ground.services import Services
from server.core.models import Form, Project
from server.core.odata import entities, feed, reading
from server.core.odata.model import FormModel, Node
from tests.web.api.test_data import seed

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "forms" / "household_survey.xlsx"
KITCHEN = ROOT / "tests" / "fixtures" / "kitchen_sink.md"
SVC = "/v1/projects/{pid}/forms/household_survey.svc"

# Answers of every type where any kind of field may meet them (a phone may send anything).
ODD_VALUES: list[Any] = [
    None, True, False, 0, 7, -3, 2.5, 3.0, "", "7", "2.5", "abc", "nan", "ข้อความ", ["1", "3"], [1, 2],
    [], {"lat": 13.75, "lon": 100.5}, {"lat": 13.75, "lon": 100.5, "alt": 12.0, "accuracy": 4.0},
    {"lat": 1, "lon": 2, "alt": None}, [{"lat": 13.0, "lon": 100.0}, {"lat": 13.5, "lon": 100.5, "accuracy": 3}],
    [{"lat": 13.0, "lon": 100.0}, "x"], {"other": 1},
]


def _value_paths(nodes: list[Node]) -> list[str]:
    out: list[str] = []
    for node in nodes:
        if node.kind == "group":
            out += _value_paths(node.children)
        elif node.kind != "repeat":
            out.append(node.path)
    return out


def _option_sets(model: FormModel) -> list[entities.Options]:
    every = frozenset(p for t in model.tables.values() for p in _value_paths(t.nodes))
    some = frozenset(sorted(every)[::3])
    return [
        entities.Options(wkt=wkt, expand=expand, masked=masked)
        for wkt in (False, True)
        for expand in (False, True)
        for masked in (frozenset(), some, every)
    ]


def _odd_submissions(model: FormModel) -> list[entities.SubmissionData]:
    """One submission per odd value, with that value in every field (main table and repeats)."""
    subs = []
    for i, odd in enumerate(ODD_VALUES):
        rows = []
        parents = {None: ""}
        for path, table in model.by_repeat.items():
            values = {p: odd for p in _value_paths(table.nodes)}
            parent = parents.get(table.parent_repeat, "")
            for n in range(2):
                key = f"{parent or 'uuid:odd' + str(i)}/{path}[{n + 1}]"
                rows.append(entities.RepeatRowData(path, len(rows) + 1, key, parent or f"uuid:odd{i}", values))
            parents[path] = rows[-1].key
        subs.append(
            entities.SubmissionData(
                id=i + 1, instance_id=f"uuid:odd'{i}/ก", created_at=datetime(2026, 1, 2, 3, 4, 5, 678000, UTC),
                updated_at=None, deleted_at=None, review_state="approved" if i % 2 else None, submitter_id=i or None,
                submitter_name="ผู้สำรวจ", attachments_present=1, attachments_expected=2, device_id=None, edits=i % 3,
                form_version="1", raw_values=orjson.dumps({p: odd for p in _value_paths(model.tables["Submissions"].nodes)}).decode(),
                repeats=rows,
            )
        )
    return subs


def _outcome(build: Callable[..., Any], *args: Any) -> bytes | str:
    """The serialised result, or the error (a point without "lon" fails both ways alike)."""
    try:
        return orjson.dumps(build(*args))
    except Exception as exc:  # noqa: BLE001 - compared, not hidden
        return f"{type(exc).__name__}: {exc}"


def _assert_same(model: FormModel, subs: list[entities.SubmissionData]) -> int:
    compared = 0
    for options in _option_sets(model):
        builder = entities.Builder(options)
        for sub in subs:
            old = _outcome(entities.submission_entity, model, sub, options)
            assert _outcome(entities.submission_entity, model, sub, options, builder) == old
            for table in model.tables.values():
                if table.repeat_path is None:
                    continue
                old_rows = _outcome(entities.repeat_entities, model, table, sub, options)
                assert _outcome(entities.repeat_entities, model, table, sub, options, builder) == old_rows
            compared += 1
    return compared


def _model_of(services: Services, xml_form_id: str) -> FormModel:
    with services.db.session() as session:
        form = session.query(Form).filter_by(xml_form_id=xml_form_id).one()
        return feed.form_model(form)[0]


@pytest.mark.parametrize("source", [SHIPPED, KITCHEN], ids=["shipped_household", "kitchen_sink"])
def test_compiled_rows_equal_the_reference_on_odd_answers(services: Services, project: Project, source: Path) -> None:
    with services.db.session() as session:
        version = publish_form(session, services.blobs, project.id, source.read_bytes(), source.name)
        xml_form_id = version.form.xml_form_id
    model = _model_of(services, xml_form_id)
    assert model.by_repeat, "both forms have a repeat"
    assert _assert_same(model, _odd_submissions(model)) == len(ODD_VALUES) * 12


def test_compiled_rows_equal_the_reference_on_real_submissions(services: Services, project: Project) -> None:
    seed(services, project, 3)
    model = _model_of(services, "household_survey")
    assert "Submissions.members.visits" in model.tables
    with services.db.session() as session:
        form_id = session.query(Form).filter_by(xml_form_id="household_survey").one().id
    subs = [
        sub
        for page in reading.submission_pages(services.db.session, reading.Query(form_id, None),
                                             repeat_paths=tuple(model.by_repeat))
        for sub in page
    ]
    assert len(subs) == 3 and all(sub.repeats for sub in subs)
    assert _assert_same(model, subs + _odd_submissions(model)) == (3 + len(ODD_VALUES)) * 12


@pytest.mark.parametrize(
    "path",
    [
        "/Submissions", "/Submissions?$expand=*", "/Submissions?$wkt=true&$count=true", "/Submissions?$top=2",
        "/Submissions?$select=__id,household/house_no,__system/edits,members", "/Submissions.members",
        "/Submissions.members.visits?$top=3", "/Submissions('uuid:1')/members",
    ],
)
def test_the_streamed_body_is_the_reference_rows_joined(
    client: FlaskClient, services: Services, project: Project, admin_headers: dict[str, str], path: str
) -> None:
    seed(services, project, 3)
    url = SVC.format(pid=project.id) + path
    body = client.get(url, headers=admin_headers).data
    page = orjson.loads(body)
    model = _model_of(services, "household_survey")
    with services.db.session() as session:
        form_id = session.query(Form).filter_by(xml_form_id="household_survey").one().id
    subs = {
        sub.instance_id: sub
        for p in reading.submission_pages(services.db.session, reading.Query(form_id, None),
                                          repeat_paths=tuple(model.by_repeat))
        for sub in p
    }
    options = entities.Options(wkt="$wkt=true" in path, expand="$expand=*" in path)
    table = model.tables[path.split("?")[0].split("(")[0].strip("/")] if "(" not in path else model.tables[
        "Submissions.members"]
    selection = entities.parse_select(path.split("$select=")[1], table) if "$select=" in path else None
    expected = []
    for row in page["value"]:  # the rows the feed chose, rebuilt by the reference walk
        if table.repeat_path is None:
            expected.append(entities.project(entities.submission_entity(model, subs[row["__id"]], options), selection))
        else:
            sub = subs[row[table.parent_key or ""]] if table.parent_repeat is None else next(
                s for s in subs.values() if any(entities.row_id(r.key) == row["__id"] for r in s.repeats))
            expected += [e for e in entities.repeat_entities(model, table, sub, options) if e["__id"] == row["__id"]]
    assert len(expected) == len(page["value"]) > 0
    head = b'{"@odata.context":' + orjson.dumps(page["@odata.context"])
    if "@odata.count" in page:
        head += b',"@odata.count":' + str(page["@odata.count"]).encode()
    tail = b"]" + (b',"@odata.nextLink":' + orjson.dumps(page["@odata.nextLink"]) if "@odata.nextLink" in page else b"")
    assert body == head + b',"value":[' + b",".join(orjson.dumps(e) for e in expected) + tail + b"}"


def test_pages_read_ahead_in_a_thread_are_the_same_pages_and_stop_when_the_client_goes(
    services: Services, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(services, project, 7)
    monkeypatch.setattr(reading, "PAGE", 2)
    with services.db.session() as session:
        form_id = session.query(Form).filter_by(xml_form_id="household_survey").one().id
    query = reading.Query(form_id, None)

    def pages(prefetch: bool, **kw: Any) -> list[list[str]]:
        return [[s.instance_id for s in p] for p in reading.submission_pages(
            services.db.session, query, prefetch=prefetch, **kw)]

    assert pages(True) == pages(False) == [["uuid:6", "uuid:5"], ["uuid:4", "uuid:3"], ["uuid:2", "uuid:1"], ["uuid:0"]]
    assert pages(True, offset=1, limit=4) == pages(False, offset=1, limit=4) == [["uuid:5", "uuid:4"], ["uuid:3", "uuid:2"]]
    stream = reading.submission_pages(services.db.session, query, prefetch=True)
    assert [s.instance_id for s in next(stream)] == ["uuid:6", "uuid:5"]
    stream.close()  # the client went away: the page being read ahead is waited for, the thread ends
    assert not [t for t in threading.enumerate() if t.name.startswith("odata-page")]
