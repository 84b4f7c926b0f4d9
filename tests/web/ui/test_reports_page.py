"""The report page: linked from the survey's form page, Thai first, the same figures as the API for
the reader's area, a server-drawn chart, and XLSX / PDF downloads; a bad parameter is a Thai 400 page."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import openpyxl
from flask.testing import FlaskClient

from server.core.accounts import permissions
from server.core.ground.services import Services
from server.core.models import Project, User
from tests.core.reports.survey import CODES, Figures, survey_households


def test_report_page_shows_the_figures_of_the_readers_area(
    services: Services,
    client: FlaskClient,
    project: Project,
    collector: User,
    make_user: Any,
    signed_in: Callable[..., FlaskClient],
) -> None:
    households = survey_households(services, client, project, collector)
    make_user("office", "manager")
    browser = signed_in("office")
    form_page = browser.get(f"/ui/projects/{project.id}/forms/household_survey").get_data(as_text=True)
    assert f"/ui/projects/{project.id}/reports/basic_needs" in form_page

    page = browser.get(f"/ui/projects/{project.id}/reports/basic_needs?level=village")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    period = max(h.period for h in households)
    total = Figures()
    for h in households:
        if h.period == period:
            total.add(h)
    assert "ผลการสำรวจข้อมูลความจำเป็นพื้นฐาน" in html and "ร้อยละที่ผ่าน" in html
    assert f'<strong class="num">{total.households:,}</strong>' in html
    rows = re.findall(r"<tr><td>(\d+)</td><td>[^<]*</td>((?:<td class=\"num\">[^<]*</td>){4})", html)
    assert [code for code, _ in rows] == CODES
    for code, cells in rows:
        meets, failing = total.counts[code]
        numbers = re.findall(r'<td class="num">([^<]*)</td>', cells)
        want = total.percent(code)
        assert numbers == [
            str(meets + failing),
            str(meets),
            str(failing),
            f"{want:.2f}" if want is not None else "-",
        ]
    assert html.count("<rect ") == 31  # one bar per indicator

    xlsx = browser.get(f"/ui/projects/{project.id}/reports/basic_needs?level=village&format=xlsx")
    assert xlsx.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(xlsx.data))["สรุปตัวชี้วัด"].cell(6, 5).value == total.counts["1"][0]
    pdf = browser.get(f"/ui/projects/{project.id}/reports/basic_needs?format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    bad = browser.get(f"/ui/projects/{project.id}/reports/basic_needs?period=20")
    assert bad.status_code == 400 and "พ.ศ." in bad.get_data(as_text=True)

    subdistrict = sorted({h.subdistrict for h in households})[0]
    viewer = make_user("clerk", "viewer")
    with services.db.session() as session:
        permissions.grant_role(session, session.get(User, viewer.id), "viewer", project.id, subdistrict)
    clerk = signed_in("clerk").get(
        f"/ui/projects/{project.id}/reports/basic_needs?level=village&period={period}"
    )
    text = clerk.get_data(as_text=True)
    mine = sum(1 for h in households if h.subdistrict == subdistrict and h.period == period)
    if mine:
        assert f'<strong class="num">{mine:,}</strong>' in text
    else:
        assert "ยังไม่มีข้อมูลที่ประมวลผลแล้ว" in text
    area_table = text.split('id="area-table"')[1].split("</table>")[0] if mine else ""
    villages = {h.village for h in households if h.subdistrict == subdistrict and h.period == period}
    assert area_table.count("<tr><td>") == len(villages)  # his villages only


def test_map_of_households_failing_an_indicator_in_a_subdistrict(
    services: Services,
    client: FlaskClient,
    project: Project,
    collector: User,
    make_user: Any,
    signed_in: Callable[..., FlaskClient],
) -> None:
    households = survey_households(services, client, project, collector)
    period = max(h.period for h in households)
    subdistrict = Counter(h.subdistrict for h in households if h.period == period).most_common(1)[0][0]
    make_user("office", "manager")
    browser = signed_in("office")
    page = browser.get(f"/ui/projects/{project.id}/reports/basic_needs?area={subdistrict}&period={period}")
    html = page.get_data(as_text=True)
    assert 'id="report-map"' in html and "report_map.js" in html and "leaflet.js" in html
    url = re.search(r'id="report-map" class="bigmap" data-url="([^"]+)"', html)
    assert url is not None and f"area={subdistrict}" in url.group(1)
    mine = [h for h in households if h.period == period and h.subdistrict == subdistrict]
    for code in ("4", "22", "23"):
        body = browser.get(url.group(1).replace("&amp;", "&") + f"&indicator={code}").get_json()
        failing = sum(1 for h in mine if h.outcome[code] == "N")
        meeting = sum(1 for h in mine if h.outcome[code] == "Y")
        assert (body["failing"], body["meeting"]) == (failing, meeting), code
        assert [p[2] for p in body["points"]] == [0] * failing + [1] * meeting  # failing households first
        assert all(13 < p[0] < 17 and 99 < p[1] < 103 for p in body["points"])
    assert browser.get(f"{url.group(1).replace('&amp;', '&')}&indicator=99").status_code == 400
    # A supervisor of another district gets none of these households on his map.
    other = make_user("far_sup", "supervisor")
    with services.db.session() as session:
        permissions.grant_role(session, session.get(User, other.id), "supervisor", project.id, "9001")
    far = signed_in("far_sup").get(f"/ui/projects/{project.id}/reports/basic_needs/map.json?indicator=4")
    assert far.status_code == 200 and far.get_json()["points"] == []
