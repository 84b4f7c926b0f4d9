"""The มชช. report: self-assessments filled as Collect would, with targets, rounds, dates and each
indicator's full and self scores set by the test (one target assessed twice in a round: the latest
counts; one in another year); each target's totals, percentage and pass / not pass before and after,
and the per-district counts and change, are worked out here from the XML and an 80 % threshold, then
compared in the JSON, the XLSX cells, the PDF's text and the web page."""

from __future__ import annotations

import random
import re
from typing import Any

from flask.testing import FlaskClient
from lxml import etree

from server.core.ground.services import Services
from server.core.models import Project, User
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

URL = "/v1/projects/{pid}/reports/community_standard"
LABELS = {
    "leader": "ผู้นำชุมชน",
    "organisation": "กลุ่มองค์กรชุมชน",
    "network": "เครือข่ายองค์กรชุมชน",
    "community": "ชุมชน",
}
TARGETS = [("leader", "นายสมชาย ใจดี"), ("organisation", "กลุ่มทอผ้าบ้านดอน"), ("network", "เครือข่ายออมทรัพย์ตำบล"),
           ("community", "ชุมชนบ้านหนองบัว"), ("organisation", "กลุ่มแม่บ้านบ้านใหม่"), ("leader", "นางมาลี ศรีสุข")]  # fmt: skip
# Submission n: (target index, round, year AD); 12 is a second "before" of target 0 (the latest counts).
PLAN = [(0, "before", 2026), (1, "before", 2026), (2, "before", 2026), (3, "before", 2026), (4, "before", 2026),
        (5, "before", 2026), (0, "after", 2026), (1, "after", 2026), (2, "after", 2026), (3, "after", 2026),
        (4, "before", 2025), (5, "after", 2025), (0, "before", 2026)]  # fmt: skip


def _tweak(root: etree._Element, n: int, rng: random.Random) -> None:
    target, rnd, year = PLAN[n]
    kind, name = TARGETS[target]
    put(root, "target_type", kind)
    put(root, "target_name", name)
    put(root, "round", rnd)
    put(root, "assessment_date", f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}")
    village, subdistrict = villages()[(target % 3) * 6 % len(villages())]
    put_place(root, village, subdistrict)
    for row in (
        e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == "indicators"
    ):
        full = rng.choice([10, 20, 25])
        put(row, "full_score", full)
        put(row, "self_score", rng.randint(full * 3 // 5 if rnd == "before" else full * 4 // 5, full))


def _expected(roots: list[etree._Element], year: str) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for root in roots:
        if str(int(text(root, "assessment_date")[:4]) + 543) != year:
            continue
        rows = [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == "indicators"]
        score = sum(float(text(r, "self_score")) for r in rows)
        full = sum(float(text(r, "full_score")) for r in rows)
        percent = round(100 * score / full, 2)
        target = out.setdefault(
            (text(root, "target_type"), text(root, "target_name")), {"district": text(root, "district")}
        )
        target[text(root, "round")] = (score, full, percent, "ผ่าน" if percent >= 80 else "ไม่ผ่าน")
    return out


def test_targets_before_and_after_and_the_district_counts(
    services: Services, client: FlaskClient, project: Project, collector: User, admin_headers: dict[str, str],
    make_user: Any, signed_in: Any,
) -> None:  # fmt: skip
    roots = send_filled(services, client, project, collector, "standard_assessment", len(PLAN), _tweak,
                        repeat_counts={"indicators": 4})  # fmt: skip
    want = _expected(roots, "2569")
    results = {r[3] for t in want.values() for k, r in t.items() if k != "district"}
    assert results == {"ผ่าน", "ไม่ผ่าน"}  # the data has both
    url = URL.format(pid=project.id)
    body = client.get(url, headers=admin_headers).get_json()
    assert body["period"] == "2569" and body["periods"] == ["2568", "2569"]
    rows = body["tables"]["targets"]["rows"]
    got = {(r["type"], r["name"]): r for r in rows}
    assert set(got) == {(LABELS[k], n) for k, n in want}
    for (kind, name), t in want.items():
        r = got[(LABELS[kind], name)]
        for rnd in ("before", "after"):
            expect = t.get(rnd, (None, None, None, None))
            assert (r[f"{rnd}Score"], r[f"{rnd}Full"], r[f"{rnd}Percent"], r[f"{rnd}Result"]) == expect, (
                name,
                rnd,
            )
        change = round(t["after"][2] - t["before"][2], 2) if "after" in t and "before" in t else None
        assert r["change"] == change
    # Per district and type: assessed and passing in each round, and how many more pass after.
    districts: dict[tuple[str, str], list[int]] = {}
    for (kind, _), t in want.items():
        c = districts.setdefault((t["district"], kind), [0, 0, 0, 0])
        for n, rnd in enumerate(("before", "after")):
            if rnd in t:
                c[2 * n] += 1
                c[2 * n + 1] += t[rnd][3] == "ผ่าน"
    by_district = body["tables"]["districts"]["rows"]
    assert {(r["code"], r["type"]): [r["assessedBefore"], r["passedBefore"], r["assessedAfter"], r["passedAfter"], r["change"]]
            for r in by_district if r["code"]} == {
        (d, LABELS[k]): [*c, c[3] - c[1]] for (d, k), c in districts.items()
    }  # fmt: skip
    passed_after = sum(c[3] for c in districts.values())
    assert body["totals"]["leader"]["assessedBefore"] == sum(
        c[0] for (d, k), c in districts.items() if k == "leader"
    )

    resp = client.get(f"{url}?format=xlsx", headers=admin_headers)
    cells = sheet_rows(resp.data, 1)
    assert len(cells) == len(want)
    for row in cells:
        kind = next(k for k, v in LABELS.items() if v == row[0])
        t = want[(kind, row[1])]
        assert row[3:7] == list(t.get("before", (None,) * 4)) and row[7:11] == list(
            t.get("after", (None,) * 4)
        )
    district_cells = [r for r in sheet_rows(resp.data, 2) if r[0]]
    assert {(r[0], r[2]): r[3:] for r in district_cells} == {
        (d, LABELS[k]): [*c, c[3] - c[1]] for (d, k), c in districts.items()
    }

    if have_poppler():
        out = pdf_text(client.get(f"{url}?format=pdf", headers=admin_headers).data, "community_standard")
        flat = re.sub(r"[ \t]+", " ", out)
        for t in want.values():
            for rnd in ("before", "after"):
                if rnd in t:
                    score, full, percent, _result = t[rnd]
                    assert f"{score:,.2f} {full:,.2f} {percent:,.2f}" in flat
        assert bases(f"ผ่านเกณฑ์หลังการพัฒนา: {passed_after:,} จาก") in bases(out)

    make_user("office", "manager")
    html = (
        signed_in("office")
        .get(f"/ui/projects/{project.id}/reports/community_standard")
        .get_data(as_text=True)
    )
    assert "ผลการประเมินรายกลุ่มเป้าหมาย" in html and all(name in html for _, name in want)
    assert client.get(f"{url}?period=2568", headers=admin_headers).get_json()["period"] == "2568"
