"""Changes made through the web application reach every process's lookup cache: a form closed or a
collector deactivated on one app instance is refused by another instance (another web server process or
machine sharing the database) on its very next submission."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.core.ground.services import Services
from server.core.models import User
from tests.live.submissions import kitchen_sink_xml
from tests.web.openrosa.test_lookup_cache import other_app  # noqa: F401 (fixture)
from tests.web.openrosa.test_submission import multipart
from tests.web.ui.conftest import post
from tests.web.ui.test_pages import FORM_PAGE, publish


def _submit(client: FlaskClient, token: str, house_no: str):  # type: ignore[no-untyped-def]
    _, xml = kitchen_sink_xml(house_no=house_no)
    body, ctype = multipart(xml, [])
    return client.post(
        f"/key/{token}/projects/1/submission", data=body, content_type=ctype, headers={"X-OpenRosa-Version": "1.0"}
    )


def test_a_form_closed_in_the_web_application_is_refused_by_another_instance(
    signed_in: Callable[..., FlaskClient], admin: User, collector: User, other_app: Flask  # noqa: F811
) -> None:
    admin_ui = signed_in("admin")
    assert publish(admin_ui).status_code == 302
    phone = other_app.test_client()
    assert _submit(phone, collector.collect_token or "", "1/1").status_code == 201  # its cache is warm
    assert post(admin_ui, f"{FORM_PAGE}/state", {"state": "closed"}, page=FORM_PAGE).status_code == 302
    refused = _submit(phone, collector.collect_token or "", "2/1")
    assert refused.status_code in (403, 404, 409, 410, 422), refused.data
    assert "ปิดรับข้อมูล" in refused.get_data(as_text=True)
    assert post(admin_ui, f"{FORM_PAGE}/state", {"state": "open"}, page=FORM_PAGE).status_code == 302
    assert _submit(phone, collector.collect_token or "", "3/1").status_code == 201


def test_a_collector_deactivated_in_the_web_application_is_refused_by_another_instance(
    signed_in: Callable[..., FlaskClient], admin: User, collector: User, other_app: Flask, services: Services  # noqa: F811
) -> None:
    admin_ui = signed_in("admin")
    assert publish(admin_ui).status_code == 302
    phone = other_app.test_client()
    assert _submit(phone, collector.collect_token or "", "1/1").status_code == 201
    assert post(admin_ui, f"/ui/users/{collector.id}/active", {"active": "0"}, page="/ui/users").status_code == 302
    with services.db.session() as session:
        assert session.scalar(select(User.active).where(User.id == collector.id)) is False
    refused = _submit(phone, collector.collect_token or "", "2/1")
    assert refused.status_code == 403
    assert "ใช้ไม่ได้แล้ว" in refused.get_data(as_text=True)
