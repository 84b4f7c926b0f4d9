"""The community forum report: forums filled as Collect would, with places, dates, attendance and
the problems raised (the same problem in several villages, sometimes typed with extra spaces, with
priorities and who acts) set by the test; the problems by frequency and priority per village, per
subdistrict and per area, with who acts, are worked out here and compared in the JSON, the XLSX
cells, the PDF's text and the web page."""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import Any

from flask.testing import FlaskClient
from lxml import etree

from server.core.accounts import permissions
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

URL = "/v1/projects/{pid}/reports/community_forum"
PROBLEMS = [("ถนนเข้าหมู่บ้านชำรุด", "infrastructure"), ("ราคาผลผลิตตกต่ำ", "economy"), ("ขยะล้นในชุมชน", "environment"),
            ("เยาวชนว่างงาน", "social"), ("น้ำประปาไม่พอใช้", "infrastructure")]  # fmt: skip
ACTORS = ["community", "local_government", "other_agency"]
FORUMS = 9  # the last one is from the year before


def _rows(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == "problems"]


def _tweak(root: etree._Element, n: int, rng: random.Random) -> None:
    village, subdistrict = villages()[[0, 1, 0, 6, 7, 12, 0, 6, 1][n] % len(villages())]
    put_place(root, village, subdistrict)
    put(root, "forum_date", f"{2025 if n == FORUMS - 1 else 2026}-0{1 + n % 9}-15")
    put(root, "men", rng.randint(5, 40))
    put(root, "women", rng.randint(5, 40))
    rows = _rows(root)
    picked = rng.sample(PROBLEMS, len(rows))
    priorities = rng.sample(range(1, len(rows) + 1), len(rows))
    for row, (problem, area), priority in zip(rows, picked, priorities, strict=True):
        put(
            row,
            "problem",
            problem if rng.random() < 0.7 else f" {problem[:3]}  {problem[3:]} ".replace("  ", " "),
        )
        put(row, "problem_area", area)
        put(row, "priority", priority)
        actor = rng.choice(ACTORS)
        put(row, "actor", actor)
        put(row, "agency", "สำนักงานเกษตรอำเภอ" if actor == "other_agency" else None)


def _clean(value: str) -> str:
    return "".join(value.split())  # the same problem whatever the spaces


def test_problems_by_frequency_and_priority_with_who_acts(
    services: Services, client: FlaskClient, project: Project, collector: User, admin_headers: dict[str, str],
    make_user: Any, signed_in: Any,
) -> None:  # fmt: skip
    roots = send_filled(
        services, client, project, collector, "community_forum", FORUMS, _tweak, repeat_counts={"problems": 3}
    )
    this_year = [r for r in roots if text(r, "forum_date").startswith("2026")]
    village_of: dict[tuple[str, str], list[tuple[int, str]]] = {}
    sub_of: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
    area_of: dict[str, list[int]] = {}
    for root in this_year:
        for row in _rows(root):
            problem, priority, actor = (
                _clean(text(row, "problem")),
                int(text(row, "priority")),
                text(row, "actor"),
            )
            village_of.setdefault((text(root, "village"), problem), []).append((priority, actor))
            sub_of.setdefault((text(root, "subdistrict"), problem), []).append(
                (priority, actor, text(root, "village"))
            )
            area_of.setdefault(text(row, "problem_area"), []).append(priority)
    assert any(
        " " in text(row, "problem").strip() for r in this_year for row in _rows(r)
    )  # typed with a space
    assert any(len(v) > 1 for v in sub_of.values())  # some problem was raised in more than one forum

    body = client.get(URL.format(pid=project.id), headers=admin_headers).get_json()
    assert body["period"] == "2569" and body["forums"] == len(this_year)
    assert body["men"] + body["women"] == sum(int(text(r, "men")) + int(text(r, "women")) for r in this_year)
    got_sub = {(r["code"], _clean(r["problem"])): r for r in body["tables"]["by_subdistrict"]["rows"]}
    assert set(got_sub) == set(sub_of)
    for key, raised in sub_of.items():
        r = got_sub[key]
        actors = Counter(a for _, a, _ in raised)
        assert (r["raised"], r["topPriority"], r["meanPriority"], r["villages"]) == (
            len(raised), min(p for p, _, _ in raised), round(sum(p for p, _, _ in raised) / len(raised), 2),
            len({v for _, _, v in raised}),
        ), key  # fmt: skip
        assert [r["community"], r["local_government"], r["other_agency"]] == [actors[a] for a in ACTORS]
        assert r["agencies"] == (
            f"สำนักงานเกษตรอำเภอ ({actors['other_agency']})" if actors["other_agency"] else ""
        )
    # Within a subdistrict the most raised come first, then the most important (lowest mean priority).
    for code in {k[0] for k in sub_of}:
        mine = [r for r in body["tables"]["by_subdistrict"]["rows"] if r["code"] == code]
        assert [(-r["raised"], r["meanPriority"]) for r in mine] == sorted(
            (-r["raised"], r["meanPriority"]) for r in mine
        )
    village_rows = body["tables"]["by_village"]["rows"]
    assert sorted((_clean(r["problem"]), r["raised"]) for r in village_rows) == sorted(
        (k[1], len(v)) for k, v in village_of.items()
    )
    areas = {r["area"]: (r["raised"], r["meanPriority"]) for r in body["tables"]["by_area"]["rows"]}
    labels = {
        "infrastructure": "โครงสร้างพื้นฐาน",
        "economy": "เศรษฐกิจ/อาชีพ",
        "environment": "ทรัพยากรธรรมชาติและสิ่งแวดล้อม",
        "social": "สังคม/ความปลอดภัย",
    }
    assert areas == {labels[a]: (len(p), round(sum(p) / len(p), 2)) for a, p in area_of.items()}

    resp = client.get(f"{URL.format(pid=project.id)}?format=xlsx", headers=admin_headers)
    sheet = {(r[0], _clean(r[3])): r for r in sheet_rows(resp.data, 2)}
    assert {k: (r[5], r[6], r[7]) for k, r in sheet.items()} == {
        k: (len(v), min(p for p, _, _ in v), round(sum(p for p, _, _ in v) / len(v), 2))
        for k, v in sub_of.items()
    }

    if have_poppler():
        out = pdf_text(
            client.get(f"{URL.format(pid=project.id)}?format=pdf", headers=admin_headers).data,
            "community_forum",
        )
        flat = re.sub(r"[ \t]+", " ", out)
        for a, p in area_of.items():
            assert f"{len(p)} {sum(p) / len(p):,.2f}" in flat, a
        assert bases(f"ปัญหาที่ยกขึ้น: {sum(len(p) for p in area_of.values())} เรื่อง") in bases(out)

    # A supervisor limited to one district gets only its forums' problems.
    district = sorted(k[0] for k in sub_of)[0][:4]
    supervisor = make_user("district_sup", "supervisor")
    with services.db.session() as session:
        permissions.grant_role(session, session.get(User, supervisor.id), "supervisor", project.id, district)
    limited = client.get(URL.format(pid=project.id), headers=bearer_for(services, supervisor)).get_json()
    assert limited["forums"] == sum(1 for r in this_year if text(r, "district") == district) < len(this_year)
    assert {(r["code"], _clean(r["problem"])) for r in limited["tables"]["by_subdistrict"]["rows"]} == {
        k for k in sub_of if k[0].startswith(district)
    }

    make_user("office", "manager")
    html = (
        signed_in("office").get(f"/ui/projects/{project.id}/reports/community_forum").get_data(as_text=True)
    )
    assert "ปัญหาเรียงตามความถี่" in html and all(problem in _clean(html) for _, problem in sub_of)
