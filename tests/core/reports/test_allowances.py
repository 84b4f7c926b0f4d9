"""The allowances report: welfare registrations filled as Collect would, with types, fiscal years,
birth dates, places and one person registered twice set by the test; the registrations per type and
age band, per subdistrict, and the budget they imply are worked out here from the XML sent and the
rates an office would read from the regulation (not from the rates file), then compared in the JSON,
the XLSX cells, the PDF's text, the web page and the command line; an area-limited supervisor gets
only his area."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections import Counter
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from lxml import etree

from server.cli import main
from server.core.ground.services import Services
from server.core.models import Project, User
from tests.conftest import bearer_for
from tests.core.reports.filled import (
    bases,
    have_poppler,
    pdf_text,
    put,
    put_place,
    send_filled,
    sheet_rows,
    text,
    villages,
)

URL = "/v1/projects/{pid}/reports/allowances"
BANDS = [  # (type, band label, lowest age, highest age, บาท/month)
    ("elderly", "60–69 ปี", 60, 69, 600), ("elderly", "70–79 ปี", 70, 79, 700), ("elderly", "80–89 ปี", 80, 89, 800),
    ("elderly", "90 ปีขึ้นไป", 90, 200, 1000), ("disabled", "ต่ำกว่า 18 ปี", 0, 17, 1000),
    ("disabled", "18 ปีขึ้นไป", 18, 200, 800), ("hiv", "ทุกช่วงอายุ", 0, 200, 500),
]  # fmt: skip
AGES = {"elderly": (60, 95), "disabled": (3, 80), "hiv": (18, 60)}


def _tweak(root: etree._Element, n: int, rng: random.Random) -> None:
    kind = ("elderly", "elderly", "disabled", "hiv", "elderly")[n % 5]
    year = 2570 if n % 4 else 2569
    put(root, "allowance_type", kind)
    put(root, "fiscal_year_be", year)
    age = rng.randint(*AGES[kind])
    end = dt.date(year - 543, 9, 30)
    birth = dt.date(end.year - age, rng.randint(1, 12), rng.randint(1, 28))
    put(root, "birth_date", birth.isoformat())
    village, subdistrict = villages()[n % 5 * 3 % len(villages())]
    put_place(root, village, subdistrict)


def _age(birth: str, year: int) -> int:
    b, end = dt.date.fromisoformat(birth), dt.date(year - 543, 9, 30)
    return end.year - b.year - ((end.month, end.day) < (b.month, b.day))


def _expected(roots: list[etree._Element], year: str, district: str | None = None) -> dict[str, Any]:
    people: dict[tuple[str, str], tuple[str, int, str]] = {}
    for root in roots:  # sent in order: a later registration of the same person replaces the earlier
        if text(root, "fiscal_year_be") != year or not text(root, "subdistrict").startswith(district or ""):
            continue
        kind = text(root, "allowance_type")
        people[(text(root, "nid"), kind)] = (
            kind,
            _age(text(root, "birth_date"), int(year)),
            text(root, "subdistrict"),
        )
    bands: Counter[int] = Counter()
    places: dict[str, Counter[str]] = {}
    monthly_of: Counter[str] = Counter()
    for kind, age, subdistrict in people.values():
        n = next(i for i, b in enumerate(BANDS) if b[0] == kind and b[2] <= age <= b[3])
        bands[n] += 1
        places.setdefault(subdistrict, Counter())[kind] += 1
        monthly_of[subdistrict] += BANDS[n][4]
    monthly = sum(BANDS[n][4] * c for n, c in bands.items())
    return {
        "people": len(people),
        "bands": bands,
        "places": places,
        "monthly": monthly,
        "monthly_of": monthly_of,
    }


def test_allowance_registrations_and_budget_everywhere(
    services: Services, client: FlaskClient, project: Project, collector: User, admin_headers: dict[str, str],
    make_user: Any, settings_env: dict[str, str], signed_in: Any,
) -> None:  # fmt: skip
    def tweak(root: etree._Element, n: int, rng: random.Random) -> None:
        _tweak(root, n, rng)
        if n == 9:  # the person of submission 5 registers again for the same allowance and year
            for name in ("nid", "allowance_type", "fiscal_year_be"):
                put(root, name, text(sent_roots[5], name))

    sent_roots: list[etree._Element] = []

    def recording(root: etree._Element, n: int, rng: random.Random) -> None:
        tweak(root, n, rng)
        sent_roots.append(root)

    roots = send_filled(services, client, project, collector, "welfare_registration", 14, recording)
    want = _expected(roots, "2570")
    assert want["people"] == sum(1 for r in roots if text(r, "fiscal_year_be") == "2570") - 1  # the duplicate

    url = URL.format(pid=project.id)
    body = client.get(f"{url}?period=2570", headers=admin_headers).get_json()
    assert body["fiscalYear"] == "2570" and body["periods"] == ["2569", "2570"]
    assert body["totals"] == {
        "registrations": want["people"],
        "monthlyBudget": want["monthly"],
        "yearlyBudget": want["monthly"] * 12,
    }
    band_rows = body["tables"]["by_type_band"]["rows"]
    assert [
        (r["band"], r["monthlyRate"], r["registrations"], r["monthlyBudget"], r["yearlyBudget"])
        for r in band_rows[:-1]
    ] == [
        (b[1], b[4], want["bands"][n], b[4] * want["bands"][n], 12 * b[4] * want["bands"][n])
        for n, b in enumerate(BANDS)
    ]
    assert band_rows[-1]["registrations"] == want["people"]
    places = body["tables"]["by_subdistrict"]["rows"]
    assert {p["code"]: (p["elderly"], p["disabled"], p["hiv"], p["monthlyBudget"]) for p in places} == {
        code: (c["elderly"], c["disabled"], c["hiv"], want["monthly_of"][code])
        for code, c in want["places"].items()
    }
    assert client.get(url, headers=admin_headers).get_json()["fiscalYear"] == "2570"  # the latest by default

    # XLSX: the summary sheet first, then one sheet per table, headers on row 5, data from row 6.
    resp = client.get(f"{url}?period=2570&format=xlsx", headers=admin_headers)
    assert resp.status_code == 200 and "allowances-all-2570.xlsx" in resp.headers["Content-Disposition"]
    head = sheet_rows(resp.data, 1, first=5)[0]
    assert head == [
        "ประเภทเบี้ย",
        "ช่วงอายุ",
        "อัตรา (บาท/คน/เดือน)",
        "ผู้ขึ้นทะเบียน (คน)",
        "งบประมาณต่อเดือน (บาท)",
        "งบประมาณทั้งปี 12 เดือน (บาท)",
    ]
    cells = sheet_rows(resp.data, 1)
    assert [row[1:] for row in cells[: len(BANDS)]] == [
        [b[1], b[4], want["bands"][n], b[4] * want["bands"][n], 12 * b[4] * want["bands"][n]]
        for n, b in enumerate(BANDS)
    ]
    assert cells[len(BANDS)][3:] == [want["people"], want["monthly"], 12 * want["monthly"]]
    by_place = {row[0]: row for row in sheet_rows(resp.data, 2)}
    assert {code: row[2:5] for code, row in by_place.items()} == {
        code: [c["elderly"], c["disabled"], c["hiv"]] for code, c in want["places"].items()
    }
    assert all("ตัวอย่าง" not in str(row[1]) for row in by_place.values())  # names: the form's subdistrict list

    # PDF: every band's figures, the totals, A4/Sarabun/พ.ศ./pages (checked in pdf_text).
    if have_poppler():
        resp = client.get(
            f"{url}?period=2570&format=pdf&office=สำนักงานพัฒนาชุมชนอำเภอจัตุรัส", headers=admin_headers
        )
        assert resp.status_code == 200
        out = pdf_text(resp.data, "allowances")
        flat = re.sub(r"[ \t]+", " ", out)
        for n, b in enumerate(BANDS):
            c = want["bands"][n]
            assert f"{b[4]:,} {c:,} {b[4] * c:,} {12 * b[4] * c:,}" in flat, b
        assert bases(f"ผู้ขึ้นทะเบียนทั้งหมด (คน): {want['people']:,}") in bases(out)
        assert f"{12 * want['monthly']:,}" in out and bases("ปีงบประมาณ พ.ศ. 2570") in bases(out)
    elif __import__("os").environ.get("CHUMCHON_REQUIRE_POPPLER"):
        pytest.fail("poppler-utils missing")

    # The web page shows the same table; a supervisor limited to one district sees only it.
    make_user("office", "manager")
    browser = signed_in("office")
    form_page = browser.get(f"/ui/projects/{project.id}/forms/welfare_registration").get_data(as_text=True)
    assert f"/ui/projects/{project.id}/reports/allowances" in form_page
    page = browser.get(f"/ui/projects/{project.id}/reports/allowances?period=2570")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "งบประมาณทั้งปี" in html and f'<strong class="num">{want["people"]:,}</strong>' in html
    assert f'<td class="num">{12 * want["monthly"]:,}</td>' in html and 'id="report-chart"' in html
    # The allowance type is a sensitive field (disability, HIV): a supervisor, who sees it masked in
    # the submissions, is refused the report; counts in a small area could point at a person.
    supervisor = make_user("district_sup", "supervisor")
    refused = client.get(f"{url}?period=2570", headers=bearer_for(services, supervisor))
    assert refused.status_code == 403 and "อ่อนไหว" in refused.get_json()["message"]
    # Inside an area: only its registrations.
    district = sorted(want["places"])[0][:4]
    mine = _expected(roots, "2570", district)
    inside = client.get(f"{url}?period=2570&area={district}", headers=admin_headers).get_json()
    assert inside["totals"]["registrations"] == mine["people"] < want["people"]
    assert {p["code"] for p in inside["tables"]["by_subdistrict"]["rows"]} == set(mine["places"])

    # The command line gives the same JSON.
    result = CliRunner().invoke(
        main, ["report", "allowances", "--period", "2570", "--format", "json"], env=settings_env
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["totals"] == body["totals"]
    bad = client.get(f"{url}?period=70", headers=admin_headers)
    assert bad.status_code == 400 and bad.get_json()["message"]
