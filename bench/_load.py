"""The one loader of the PostgreSQL benches (bench/ui.py, bench/ui_queries.py, bench/reports.py,
bench/odata.py --form household_survey): N processed submissions of the shipped household form
(forms/household_survey.xlsx, its real field schema: 129 main-table answers, the answers the จปฐ.
indicator rules read varied per household, 3 members each, 20 provinces × 6 districts × 5
subdistricts × 4 villages, 120 days, 60 surveyors each visiting 40 villages in turn, review states and quality flags), written with
COPY, then VACUUM ANALYZE (what autovacuum would do; it is off on these machines).

Users: `manager` (manager) and `sup` (supervisor limited to district 1203), password
"bench-password". THE DATABASE IS WIPED (schema public dropped and re-created)."""

from __future__ import annotations

import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from server.core.accounts import projects, users
from server.core.forms.publishing import publish_form
from server.core.forms.schema import data_fields
from server.core.ground.db import make_engine
from server.core.ground.migrate import upgrade_to_head
from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.core.models import Form

FORM_FILE = Path(__file__).resolve().parents[1] / "forms" / "household_survey.xlsx"
FIRST = ["สมชาย", "สมหญิง", "บุญมี", "ประเสริฐ", "มาลี", "สุดา", "วิชัย", "อำนาจ", "กมล", "จันทร์เพ็ญ", "ทองดี", "นิภา"]
LAST = ["ใจดี", "รักไทย", "ศรีสุข", "บุญเรือง", "แก้วมณี", "ทองคำ", "พรหมมา", "สายสุวรรณ", "มีสุข", "วงศ์ใหญ่"]
SURVEYORS = 60
MEMBERS = 3
DAYS = 120
T_END = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def places() -> list[tuple[str, str, str, str]]:
    """20 provinces × 6 districts × 5 subdistricts × 4 villages of DOPA-shaped codes."""
    out = []
    for p in range(10, 30):
        for d in range(1, 7):
            for s in range(1, 6):
                for v in range(1, 5):
                    dist = f"{p}{d:02d}"
                    sub = f"{dist}{s:02d}"
                    out.append((str(p), dist, sub, f"{sub}{v:02d}"))
    return out


def value(spec: dict[str, Any], rnd: random.Random) -> Any:
    kind = spec["type"]
    if kind in ("integer", "calculate"):
        return rnd.randint(0, 12)
    if kind == "select_one":
        return str(rnd.randint(1, 3))
    if kind == "select_multiple":
        return ["1", "3"]
    if kind == "date":
        return "1980-05-17"
    if kind == "image":
        return "photo.jpg"
    return "ข้อความ"


def load(url: str, n: int) -> tuple[Any, int]:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade_to_head(engine)
    svc = services(url)
    with svc.db.session() as session:
        project = projects.ensure_default_project(session)
        version = publish_form(session, svc.blobs, project.id, FORM_FILE.read_bytes(), FORM_FILE.name)
        form_id, fv_id, schema = version.form_id, version.id, version.field_schema
        collectors = [
            users.create_user(session, f"surveyor{i}", "collector", project_id=project.id)
            for i in range(SURVEYORS)
        ]
        for c in collectors:
            c.display_name = f"{FIRST[c.id % len(FIRST)]} {LAST[c.id % len(LAST)]} ({c.id})"
        users.create_user(session, "manager", "manager", password="bench-password", project_id=project.id)
        users.create_user(
            session, "sup", "supervisor", password="bench-password", project_id=project.id, area_code="1203"
        )
        collector_ids = [c.id for c in collectors]
    main = [f for f in data_fields(schema) if not f["repeat"]]
    members = [f for f in data_fields(schema) if f["repeat"]]
    rnd = random.Random(7)
    spots = places()
    template = {f["path"]: value(f, rnd) for f in main}
    member_template = {f["path"]: value(f, rnd) for f in members}
    by_name = {f["name"]: f["path"] for f in main}
    pool = [{by_name[k]: v for k, v in answers(rnd).items() if k in by_name} for _ in range(5000)]
    p = {
        k: f"/data/main/household/{k}"
        for k in ("province", "district", "subdistrict", "village", "respondent_name", "house_no", "location")
    }
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        span = DAYS * 24 * 3600
        rows_sub, rows_ver, rows_rec, rows_search, rows_rep, rows_flag = [], [], [], [], [], []
        rep_id = 0

        def flush() -> None:
            for table, cols, rows in (
                (
                    "submission",
                    "id, form_id, instance_id, review_state, submitter_id, created_at, updated_at, "
                    "province_code, district_code, subdistrict_code, village_code, latitude, longitude, interview_seconds",
                    rows_sub,
                ),
                (
                    "submission_version",
                    "id, submission_id, form_id, form_version_id, instance_id, instance_name, current, "
                    "xml_sha256, xml_size, device_id, submitter_id, received_at, processing_state, processing_attempts, processed_at",
                    rows_ver,
                ),
                ("record", "id, submission_version_id, form_id, values, created_at", rows_rec),
                ("submission_search", "submission_id, form_id, body, sensitive_body", rows_search),
                (
                    "repeat_row",
                    "id, submission_version_id, form_id, repeat_path, ordinal, key, parent_key, values",
                    rows_rep,
                ),
                ("quality_flag", "submission_version_id, field_path, code, message", rows_flag),
            ):
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
                rows.clear()
            raw.commit()

        for i in range(1, n + 1):
            # As a round is run: each surveyor visits his 40 villages one after another over the
            # 120 days (about 3 days each), all surveyors at once.
            surveyor = i % SURVEYORS
            k = (i // SURVEYORS) * (len(spots) // SURVEYORS) // (n // SURVEYORS + 1)
            province, district, subdistrict, village = spots[surveyor + SURVEYORS * k]
            created = T_END - timedelta(seconds=span * (n - i) / n)
            iid = f"uuid:{i:08d}-bench"
            name = f"{FIRST[i % len(FIRST)]} {LAST[(i // 7) % len(LAST)]}"
            start = created - timedelta(minutes=rnd.randint(8, 60))
            values = dict(template)
            values.update(pool[i % len(pool)])
            values.update(
                {
                    p["province"]: province,
                    p["district"]: district,
                    p["subdistrict"]: subdistrict,
                    p["village"]: village,
                    p["respondent_name"]: name,
                    p["house_no"]: f"{i % 300}/{i % 7}",
                    p["location"]: {
                        "lat": 13 + (i % 1000) / 1000,
                        "lon": 100 + (i % 997) / 1000,
                        "alt": 0,
                        "accuracy": 5,
                    },
                    "/data/start": start.isoformat(),
                    "/data/end": created.isoformat(),
                    # Two rounds for the reports: a quarter of the households answered last year (2568).
                    by_name["survey_date"]: (created - timedelta(days=365 if i % 4 == 0 else 0)).date().isoformat(),
                }
            )
            state = rnd.choices([None, "approved", "hasIssues", "rejected", "edited"], [60, 25, 10, 3, 2])[0]
            submitter = collector_ids[surveyor]
            rows_sub.append(
                (
                    i,
                    form_id,
                    iid,
                    state,
                    submitter,
                    created,
                    created,
                    province,
                    district,
                    subdistrict,
                    village,
                    values[p["location"]]["lat"],
                    values[p["location"]]["lon"],
                    (created - start).total_seconds(),
                )
            )
            rows_ver.append(
                (
                    i,
                    i,
                    form_id,
                    fv_id,
                    iid,
                    name,
                    True,
                    "0" * 64,
                    9000,
                    "collect:bench",
                    submitter,
                    created,
                    "processed",
                    1,
                    created,
                )
            )
            rows_rec.append((i, i, form_id, json.dumps(values, ensure_ascii=False), created))
            member_names, nids = [], []
            for m in range(MEMBERS):
                rep_id += 1
                member = dict(member_template)
                first = FIRST[(i + m) % len(FIRST)]
                nid = f"{(i * 7 + m) % 10**12:012d}1"
                member.update({"/data/main/members/first_name": first, "/data/main/members/nid": nid})
                member_names.append(first)
                nids.append(nid)
                rows_rep.append(
                    (
                        rep_id,
                        i,
                        form_id,
                        "/data/main/members",
                        m + 1,
                        f"{iid}/main/members[{m + 1}]",
                        iid,
                        json.dumps(member, ensure_ascii=False),
                    )
                )
            rows_search.append(
                (
                    i,
                    form_id,
                    "\n".join([iid, name, values[p["house_no"]], *member_names]).lower(),
                    "\n".join(nids),
                )
            )
            if i % 20 == 0:
                rows_flag.append((i, "/data/main/members[1]/nid", "thai_citizen_id_invalid", "bad id"))
            if len(rows_sub) >= 10_000:
                flush()
        flush()
        cur.execute("UPDATE submission SET current_version_id = id")
        for table in ("submission", "submission_version", "record", "repeat_row"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        raw.commit()
        raw.driver_connection.autocommit = True  # type: ignore[union-attr]
        cur.execute("VACUUM ANALYZE")
    finally:
        raw.close()
    print(f"loaded {n:,} submissions ({n * MEMBERS:,} member rows) in {time.perf_counter() - started:.1f} s")
    return svc, form_id


def answers(rnd: random.Random) -> dict[str, Any]:
    """The fields the rules read, with the spread a real round has (most households meet most)."""
    yes = lambda p=0.85: "yes" if rnd.random() < p else "no"  # noqa: E731
    members = rnd.choice([1, 2, 3, 3, 4, 4, 5, 6])
    a: dict[str, Any] = {f"n_{k}": str(rnd.choice([0, 0, 0, 1])) for k in ("u1", "u6m", "6m_1y", "3_5", "disabled", "chronic", "disabled_nocard")}
    a.update({f"n_{k}": str(rnd.randint(0, members)) for k in ("0_12", "35p", "6p", "6_14", "15_59", "60p", "20_eligible")})
    a["n_members"] = str(members)
    for name in ("i1_not", "i2a_not", "i2b_not", "i3_not", "i6_not", "i7_not", "i15_not", "i16_not", "i19_not",
                 "i26_not", "i27_not", "i28_not", "i29_not"):  # fmt: skip
        a[name] = 1 if rnd.random() < 0.1 else None
    for name in [f"i4_{i}" for i in range(1, 5)] + [f"i5_{i}" for i in range(1, 5)] + ["i8_1", "i8_2", "i30"]:
        a[name] = yes(0.95)
    a.update({f"i11_{i}": yes(0.97) for i in range(1, 12)})
    a.update({f"i13_{i}": yes(0.95) for i in range(1, 5)})
    a.update({f"i12_{i}": "not_disturbed" if rnd.random() < 0.95 else "disturbed" for i in range(1, 7)})
    a.update({"i9": "enough" if rnd.random() < 0.93 else "not_enough", "i10": "enough" if rnd.random() < 0.9 else "not_enough"})
    a.update({"i14_1": 0, "i14_2": 0 if rnd.random() < 0.98 else 1, "i14_3": 0})
    a.update({"i17_n": rnd.choice([0, 0, 1]), "i18_n": rnd.choice([0, 0, 0, 1])})
    a["i17_not"] = 1 if a["i17_n"] and rnd.random() < 0.2 else None
    a["i18_not"] = 1 if a["i18_n"] and rnd.random() < 0.3 else None
    a.update({"i20_no_job_no_income": rnd.choice([0, 0, 0, 1]), "i20_no_job_income": 0, "i21_no_job_no_income": rnd.choice([0, 0, 1])})
    a["inc_per_person"] = str(rnd.randint(15, 160) * 1000)
    a["i23_savings"] = rnd.choice([["bank"], ["cash", "savings_group"], ["none"], ["bank", "gold"]])
    a.update({"i24": "none" if rnd.random() < 0.7 else "some", "i25": "none" if rnd.random() < 0.8 else "some"})
    if members >= 2:
        a.update({"i31_1": yes(0.95), "i31_2": yes(0.97), "i31_3": yes(0.97)})
    else:
        a.update({"i31s_1": yes(0.9), "i31s_2": yes(0.9)})
    return a



def services(url: str) -> Any:
    data_dir = tempfile.mkdtemp(prefix="chumchon-bench-")
    return build_services(
        load_settings({"CHUMCHON_DATABASE_URL": url, "CHUMCHON_DATA_DIR": data_dir, "CHUMCHON_SECRET_KEY": "b"})
    )


def reuse(url: str) -> tuple[Any, int]:
    """The services and form id of data a previous `load` left in `url`."""
    svc = services(url)
    with svc.db.session() as session:
        form_id = session.scalar(select(Form.id).where(Form.xml_form_id == "household_survey"))
    if form_id is None:
        raise SystemExit("nothing loaded yet: run without --reuse first")
    return svc, form_id


def main() -> None:
    import argparse
    import os

    parser = argparse.ArgumentParser(description="load N household submissions for the benches (WIPES the db)")
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    url = os.environ["CHUMCHON_DATABASE_URL"]
    svc, _form_id = load(url, args.n)
    svc.close()


if __name__ == "__main__":
    main()
