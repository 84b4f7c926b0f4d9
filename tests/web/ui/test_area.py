"""A supervisor limited to one district (created on the users page) sees only that district's
submissions on every UI page: home counts, table, search, submission page, dashboard."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from server.core.ground.services import Services
from server.core.models import Submission, User
from tests.core.review.support import CHATURAT, DUSIT, PHRA_NAKHON, household_xml, publish, submit
from tests.live.harness import ROOT
from tests.web.ui.conftest import post

TABLE = "/ui/projects/1/forms/review_household/submissions"


def test_district_supervisor_sees_only_his_district(
    signed_in: Callable[..., FlaskClient], admin: User, collector: User, services: Services
) -> None:
    publish(services, 1)
    submit(services, 1, collector, household_xml("uuid:bkk", place=PHRA_NAKHON, name="นายกรุงเทพ"))
    submit(services, 1, collector, household_xml("uuid:cpm", place=CHATURAT, name="นางชัยภูมิ"))
    admin_ui = signed_in("admin")
    made = post(admin_ui, "/ui/users", {"username": "district_sup", "role": "supervisor", "project_id": "1",
                                        "area_code": PHRA_NAKHON.district, "password": "district-pass-1"},
                page="/ui/users")
    assert made.status_code == 302
    assert f"พื้นที่ {PHRA_NAKHON.district}" in admin_ui.get("/ui/users").get_data(as_text=True)
    bad = post(admin_ui, "/ui/users", {"username": "x", "role": "supervisor", "project_id": "1", "area_code": "12a",
                                       "password": "district-pass-1"}, page="/ui/users")
    assert bad.status_code == 400 and "รหัสพื้นที่" in bad.get_data(as_text=True)

    sup = signed_in("district_sup", "district-pass-1")
    home = sup.get("/ui/").get_data(as_text=True)
    assert 'review_household/submissions">1</a>' in home  # one submission counted, not two
    table = sup.get(TABLE).get_data(as_text=True)
    assert "นายกรุงเทพ" in table and "นางชัยภูมิ" not in table
    assert "นางชัยภูมิ" not in sup.get(TABLE + "?q=ชัยภูมิ").get_data(as_text=True)
    assert sup.get(f"{TABLE}/uuid:cpm").status_code == 404
    assert sup.get(f"{TABLE}/uuid:bkk").status_code == 200
    dash = sup.get("/ui/projects/1/forms/review_household/dashboard/per-day.json").get_json()
    assert sum(dash["counts"]) == 1
    # Bulk review of "everything matching" reaches only his district.
    post(sup, f"{TABLE}/review", {"scope": "filter", "state": "approved"}, page=TABLE)
    with services.db.session() as s:
        states = dict(s.execute(select(Submission.instance_id, Submission.review_state)).all())
    assert states == {"uuid:bkk": "approved", "uuid:cpm": None}
    assert "นางชัยภูมิ" in admin_ui.get(TABLE).get_data(as_text=True)


def test_place_filters_list_names_from_the_forms_place_lists(
    signed_in: Callable[..., FlaskClient], admin: User, collector: User, services: Services
) -> None:
    form = publish(services, 1)
    with services.db.session() as s:
        from server.core.forms import form_media
        from server.core.models import Form

        version = s.get(Form, form.id).current_version  # type: ignore[union-attr]
        for name in ("provinces.csv", "districts.csv"):
            form_media.attach_media(s, services.blobs, version, name, (ROOT / "forms" / "media" / name).read_bytes())
    submit(services, 1, collector, household_xml("uuid:bkk", place=PHRA_NAKHON, name="นายกรุงเทพ"))
    submit(services, 1, collector, household_xml("uuid:dusit", place=DUSIT, name="นางดุสิต"))
    admin_ui = signed_in("admin")
    page = admin_ui.get(TABLE).get_data(as_text=True)
    assert '<option value="10">กรุงเทพมหานคร (Bangkok)</option>' in page
    assert '<option value="1001">' not in page  # districts wait for a province
    narrowed = admin_ui.get(TABLE + "?province=10").get_data(as_text=True)
    assert re.search(r'<option value="1001">[^<]*พระนคร', narrowed) and '<option value="3606">' not in narrowed
    only = admin_ui.get(TABLE + "?province=10&district=1002").get_data(as_text=True)
    assert "นางดุสิต" in only and "นายกรุงเทพ" not in only
