"""Place, point, interview length and search text copied from the processed values."""

from __future__ import annotations

from pathlib import Path

from server.core.forms.schema import build_field_schema
from server.core.forms.xlsform import convert_xlsform
from server.core.submissions import facts

FORMS = Path(__file__).resolve().parents[3] / "forms"


def _schema(name: str) -> dict:  # type: ignore[type-arg]
    path = FORMS / f"{name}.xlsx"
    converted = convert_xlsform(path.read_bytes(), path.name)
    return build_field_schema(converted.definition, converted.xform)


def test_the_shipped_forms_place_fields_are_found_from_their_choice_lists() -> None:
    assert facts.place_fields(_schema("household_survey")) == {
        "province": "/data/main/household/province",
        "district": "/data/main/household/district",
        "subdistrict": "/data/main/household/subdistrict",
        "village": "/data/main/household/village",
    }
    assert facts.place_fields(_schema("welfare_registration"))["district"] == "/data/main/district"


def test_coarser_codes_come_from_finer_ones_and_bad_codes_are_dropped() -> None:
    schema = {
        "fields": [
            {"path": "/d/p", "type": "select_one", "choice_list": "provinces.csv"},
            {"path": "/d/a", "type": "select_one", "choice_list": "districts.csv"},
            {"path": "/d/t", "type": "select_one", "choice_list": "subdistricts.csv"},
        ]
    }
    assert facts.place_codes(schema, {"/d/t": "360610"}) == {
        "province": "36",
        "district": "3606",
        "subdistrict": "360610",
        "village": None,
    }
    assert facts.place_codes(schema, {"/d/p": "1x", "/d/a": "10011"})["province"] is None


def test_interview_length_and_search_text() -> None:
    schema = {
        "fields": [
            {"path": "/d/start", "type": "start", "bind_type": "dateTime"},
            {"path": "/d/end", "type": "end", "bind_type": "dateTime"},
            {"path": "/d/name", "type": "text", "bind_type": "string"},
            {"path": "/d/nid", "type": "text", "bind_type": "string", "sensitive": True},
            {"path": "/d/photo", "type": "image", "bind_type": "binary"},
        ]
    }
    values = {
        "/d/start": "2026-11-02T09:00:00.000+07:00",
        "/d/end": "2026-11-02T09:25:30.000+07:00",
        "/d/name": "สมชาย ใจดี",
        "/d/nid": "1101700207030",
        "/d/photo": "house.jpg",
    }
    found = facts.submission_facts(schema, values, [{"/d/name": "Somying"}])
    assert found.interview_seconds == 25 * 60 + 30
    assert found.search_body == "สมชาย ใจดี\nsomying"
    assert found.search_sensitive == "1101700207030"
    backwards = dict(values, **{"/d/end": "2026-11-02T08:00:00+07:00"})
    assert facts.interview_seconds(schema, backwards) is None


def test_place_labels_come_from_the_attached_lists(services, project) -> None:  # type: ignore[no-untyped-def]
    from server.core.forms import form_media
    from server.core.models import Form
    from server.core.review.places import place_labels
    from tests.core.review.support import publish

    form = publish(services, project.id)
    with services.db.session() as session:
        form = session.get(Form, form.id)
        assert form is not None and form.current_version is not None
        media = FORMS / "media"
        for name in ("provinces.csv", "villages.csv"):
            form_media.attach_media(
                session, services.blobs, form.current_version, name, (media / name).read_bytes()
            )
        labels = place_labels(session, services.blobs, form)
    assert labels["province"]["10"].startswith("กรุงเทพมหานคร")
    assert labels["village"]["36061003"] == "หมู่ที่ 3 ตัวอย่าง (Moo 3 - sample)"
    assert labels["district"] == {}
