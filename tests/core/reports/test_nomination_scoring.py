"""The nomination scoring report: committee score sheets filled as Collect would, with districts,
nominees, committee members and each criterion's score set by the test (two nominees tie, one member
sends a second sheet that replaces his first, one sheet is from another year); each member's scores,
the mean per criterion and in total, and the ranking per district and province with ties are worked
out here and compared in the JSON, the XLSX cells, the PDF's text and the web page."""

from __future__ import annotations

import random
import re
from typing import Any

from flask.testing import FlaskClient
from lxml import etree

from server.core.ground.services import Services
from server.core.models import Project, User
from tests.core.reports.filled import bases, have_poppler, pdf_text, put, send_filled, sheet_rows, text

URL = "/v1/projects/{pid}/reports/nomination_scoring"
CRITERIA = ["score_discipline", *[f"score_conduct_{i}" for i in range(1, 6)], "score_joint"]
WEIGHTS = [10, 10, 10, 10, 10, 10, 40]
NOMINEES = {"A": ("360601", "นายวิชัย บุญมา", "นางมาลี ทองดี"), "B": ("360601", "นางสาวอรุณี แก้วมณี", "นายบุญมี ใจดี"),
            "C": ("360601", "นายอนุชา พรหมมา", "นางวันเพ็ญ ศรีสุข"), "D": ("360101", "นายธนากร วงศ์ไทย", "นายสุรชัย จันทร์หอม"),
            "E": ("600101", "นางศิริพร สุขสวัสดิ์", "นายประเสริฐ ทองดี")}  # fmt: skip
rng0 = random.Random(5)
SHEETS = {k: [[rng0.randint(w // 2, w) for w in WEIGHTS] for _ in range(3)] for k in "ACDE"}
SHEETS["B"] = [SHEETS["A"][2], SHEETS["A"][0], SHEETS["A"][1]]  # the same sheets from other members: a tie
SCORERS = ["กรรมการ ก", "กรรมการ ข", "กรรมการ ค"]
PLAN = [(k, n, 2026) for k in "ABCDE" for n in range(3 if k != "D" else 2)] + [("C", 0, 2026), ("E", 1, 2025)]


def _tweak(root: etree._Element, n: int, rng: random.Random) -> None:
    key, member, year = PLAN[n]
    place, name, partner = NOMINEES[key]
    put(root, "province", place[:2])
    put(root, "district", place[:4])
    put(root, "nominee_name", name)
    put(root, "partner_name", partner)
    put(root, "scorer_name", SCORERS[member])
    put(root, "scoring_date", f"{year}-11-0{1 + n % 9}")
    scores = (
        SHEETS[key][member] if n < len(PLAN) - 2 else [w // 2 for w in WEIGHTS]
    )  # a replaced / other-year sheet
    if n == len(PLAN) - 2:  # member ก sends C's sheet again: these scores replace the first
        SHEETS["C"][0] = scores = [w - 1 for w in WEIGHTS]
    for field, score in zip(CRITERIA, scores, strict=True):
        put(root, field, score)


def test_score_sheets_means_and_rankings_with_ties(
    services: Services, client: FlaskClient, project: Project, collector: User, admin_headers: dict[str, str],
    make_user: Any, signed_in: Any,
) -> None:  # fmt: skip
    roots = send_filled(services, client, project, collector, "nomination_scoring", len(PLAN), _tweak)
    assert text(roots[-1], "scoring_date").startswith("2025")
    sheets = {k: v[:2] if k == "D" else v for k, v in SHEETS.items()}
    means = {k: [round(sum(s[c] for s in v) / len(v), 2) for c in range(7)] for k, v in sheets.items()}
    totals = {k: round(sum(sum(s) for s in v) / len(v), 2) for k, v in sheets.items()}
    assert totals["A"] == totals["B"]

    body = client.get(URL.format(pid=project.id), headers=admin_headers).get_json()
    assert body["period"] == "2569"
    got = {x["nominee"]: x for x in body["nominees"]}
    for key, (_, name, partner) in NOMINEES.items():
        x = got[name]
        assert x["partner"] == partner and x["meanTotal"] == totals[key] and x["means"] == means[key]
        assert x["sheets"] == {SCORERS[m]: [float(v) for v in s] for m, s in enumerate(sheets[key])}

    def ranking(keys: list[str]) -> list[tuple[int, str, float, str]]:
        ordered = sorted(keys, key=lambda k: -totals[k])
        return [(1 + [totals[o] for o in ordered].index(totals[k]), NOMINEES[k][1], totals[k],
                 "คะแนนเท่ากัน" if [totals[o] for o in ordered].count(totals[k]) > 1 else "") for k in ordered]  # fmt: skip

    district_rows = body["tables"]["district_ranking"]["rows"]
    for code in ("3606", "3601", "6001"):
        keys = [k for k, v in NOMINEES.items() if v[0][:4] == code]
        rows = [
            (r["rank"], r["nominee"], r["meanTotal"], r["tie"]) for r in district_rows if r["code"] == code
        ]
        assert sorted(rows) == sorted(ranking(keys)), code
    province_rows = body["tables"]["province_ranking"]["rows"]
    rows = [(r["rank"], r["nominee"], r["meanTotal"], r["tie"]) for r in province_rows if r["code"] == "36"]
    assert sorted(rows) == sorted(ranking(["A", "B", "C", "D"]))
    assert any(r[3] for r in rows)  # the tie is marked

    resp = client.get(f"{URL.format(pid=project.id)}?format=xlsx", headers=admin_headers)
    cells = sheet_rows(resp.data, 1)
    for key, (_, name, partner) in NOMINEES.items():
        mine = [r for r in cells if r[1] == f"{name} / {partner}"]
        assert [r[3:10] for r in mine[:-1]] == [list(s) for s in sheets[key]]
        assert mine[-1][2].startswith("ค่าเฉลี่ย") and mine[-1][3:] == [*means[key], totals[key]]
    ranked = sheet_rows(resp.data, 3)
    assert sorted((r[2], r[3], r[6], r[7] or "") for r in ranked if r[0] == "36") == sorted(
        ranking(["A", "B", "C", "D"])
    )

    if have_poppler():
        out = pdf_text(
            client.get(f"{URL.format(pid=project.id)}?format=pdf", headers=admin_headers).data,
            "nomination_scoring",
        )
        flat = re.sub(r"[ \t]+", " ", out)
        for key in NOMINEES:
            assert " ".join(f"{m:,.2f}" for m in [*means[key], totals[key]]) in flat, key
        assert bases("คะแนนเท่ากัน") in bases(out)

    make_user("office", "manager")
    html = (
        signed_in("office")
        .get(f"/ui/projects/{project.id}/reports/nomination_scoring")
        .get_data(as_text=True)
    )
    assert "อันดับรายจังหวัด" in html and f'<td class="num">{totals["E"]:.2f}</td>' in html
