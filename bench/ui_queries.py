"""Benchmark: the supervisor's queries at scale, through the core functions the web pages call.

Loads N processed submissions of the shipped household form (forms/household_survey.xlsx, its real
field schema, 129 main-table answers and 3 members each) into PostgreSQL with COPY, runs VACUUM
ANALYZE (what autovacuum would do on a production server; it is off on these machines), then times
p50 / p99 over repeated calls of: the submissions table's first page, a page deep in the cursor, a
district + date range page, a search by a Thai name, each dashboard aggregate, and one submission
read (as a manager, unmasked, so the audit write is included).

    python bench/ui_queries.py                 # N = 100,000
    python bench/ui_queries.py --n 1000000     # a million
    CHUMCHON_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_review python bench/ui_queries.py

THE DATABASE IS WIPED (schema public dropped and re-created). Goal: p99 < 300 ms each."""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
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
from server.core.models import Form, User
from server.core.review import dashboard, listing, reading
from server.core.review.listing import SubmissionFilter

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_review"
FORM_FILE = Path(__file__).resolve().parents[1] / "forms" / "household_survey.xlsx"
FIRST = ["สมชาย", "สมหญิง", "บุญมี", "ประเสริฐ", "มาลี", "สุดา", "วิชัย", "อำนาจ", "กมล", "จันทร์เพ็ญ", "ทองดี", "นิภา"]
LAST = ["ใจดี", "รักไทย", "ศรีสุข", "บุญเรือง", "แก้วมณี", "ทองคำ", "พรหมมา", "สายสุวรรณ", "มีสุข", "วงศ์ใหญ่"]
SURVEYORS = 60
MEMBERS = 3
DAYS = 120
T_END = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def _places() -> list[tuple[str, str, str, str]]:
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


def _value(spec: dict[str, Any], rnd: random.Random) -> Any:
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
    data_dir = Path(tempfile.mkdtemp(prefix="chumchon-bench-ui-"))
    svc = build_services(
        load_settings(
            {"CHUMCHON_DATABASE_URL": url, "CHUMCHON_DATA_DIR": str(data_dir), "CHUMCHON_SECRET_KEY": "b"}
        )
    )
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
    places = _places()
    template = {f["path"]: _value(f, rnd) for f in main}
    member_template = {f["path"]: _value(f, rnd) for f in members}
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
            province, district, subdistrict, village = places[i % len(places)]
            created = T_END - timedelta(seconds=span * (n - i) / n)
            iid = f"uuid:{i:08d}-bench"
            name = f"{FIRST[i % len(FIRST)]} {LAST[(i // 7) % len(LAST)]}"
            start = created - timedelta(minutes=rnd.randint(8, 60))
            values = dict(template)
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
                }
            )
            state = rnd.choices([None, "approved", "hasIssues", "rejected", "edited"], [60, 25, 10, 3, 2])[0]
            submitter = collector_ids[i % SURVEYORS]
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


def timed(label: str, fn: Callable[[], Any], reps: int) -> None:
    fn()  # warm the caches once, as a server that has been running would be
    samples = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
    flag = "ok" if p99 < 300 else "SLOW"
    print(f"  {label:<38} p50 {statistics.median(samples):7.1f} ms   p99 {p99:7.1f} ms   {flag}")


def run(svc: Any, form_id: int, reps: int) -> None:
    def with_session(fn: Callable[[Any, Form, User, User], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with svc.db.session() as session:
                form = session.get(Form, form_id)
                manager = session.scalar(select(User).where(User.username == "manager"))
                sup = session.scalar(select(User).where(User.username == "sup"))
                return fn(session, form, manager, sup)

        return call

    with svc.db.session() as session:
        form = session.get(Form, form_id)
        manager = session.scalar(select(User).where(User.username == "manager"))
        # A cursor about 90% of the way down: the page a user reaches after thousands of "next".
        count = listing.count_submissions(session, manager, form, SubmissionFilter())
        deep = session.execute(
            text("SELECT created_at, id FROM submission ORDER BY created_at DESC, id DESC OFFSET :o LIMIT 1"),
            {"o": int(count * 0.9)},
        ).one()
        cursor = listing.encode_cursor(deep[0], deep[1])
        one = session.execute(
            text("SELECT instance_id FROM submission WHERE id = :i"), {"i": count // 2}
        ).scalar_one()
    window = SubmissionFilter(district_code="1203", since=T_END - timedelta(days=30), until=T_END)
    print(
        f"timings over {reps} runs each (p99 of {reps} samples ≈ the slowest); machine shared, load varies:"
    )
    timed(
        "first page (50, values, manager)", with_session(lambda s, f, m, _u: listing.list_page(s, m, f)), reps
    )
    timed(
        "deep cursor page (90% down)",
        with_session(lambda s, f, m, _u: listing.list_page(s, m, f, cursor=cursor)),
        reps,
    )
    timed(
        "district + 30 days page", with_session(lambda s, f, m, _u: listing.list_page(s, m, f, window)), reps
    )
    timed("area supervisor first page", with_session(lambda s, f, _m, u: listing.list_page(s, u, f)), reps)
    timed(
        "search by Thai name (บุญมี)",
        with_session(lambda s, f, m, _u: listing.list_page(s, m, f, SubmissionFilter(search="บุญมี ทอง"))),
        reps,
    )
    timed(
        "search by citizen ID",
        with_session(lambda s, f, m, _u: listing.list_page(s, m, f, SubmissionFilter(search="0000007001"))),
        reps,
    )
    timed(
        "count (X-Total-Count)",
        with_session(lambda s, f, m, _u: listing.count_submissions(s, m, f, SubmissionFilter())),
        reps,
    )
    timed(
        "dashboard: per day", with_session(lambda s, f, m, _u: dashboard.submissions_per_day(s, m, f)), reps
    )
    timed(
        "dashboard: per surveyor (+median)",
        with_session(lambda s, f, m, _u: dashboard.per_surveyor(s, m, f)),
        reps,
    )
    timed("dashboard: per village", with_session(lambda s, f, m, _u: dashboard.per_village(s, m, f)), reps)
    timed(
        "dashboard: flags by kind", with_session(lambda s, f, m, _u: dashboard.flags_by_kind(s, m, f)), reps
    )
    timed(
        "dashboard: map points (10,000)",
        with_session(lambda s, f, m, _u: dashboard.map_points(s, m, f)),
        reps,
    )
    timed("dashboard: map grid (0.05°)", with_session(lambda s, f, m, _u: dashboard.map_grid(s, m, f)), reps)
    timed(
        "dashboard: district per day",
        with_session(lambda s, f, _m, u: dashboard.submissions_per_day(s, u, f)),
        reps,
    )
    timed(
        "one submission read (+audit)",
        with_session(lambda s, f, m, _u: reading.read_submission(s, m, f, one)),
        reps,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="time the data a previous run loaded")
    args = parser.parse_args()
    url = os.environ.get("CHUMCHON_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgresql"):
        raise SystemExit("this benchmark needs PostgreSQL (set CHUMCHON_DATABASE_URL)")
    if args.reuse:
        data_dir = tempfile.mkdtemp(prefix="chumchon-bench-ui-")
        svc = build_services(
            load_settings(
                {"CHUMCHON_DATABASE_URL": url, "CHUMCHON_DATA_DIR": data_dir, "CHUMCHON_SECRET_KEY": "b"}
            )
        )
        with svc.db.session() as session:
            form_id = session.scalar(select(Form.id).where(Form.xml_form_id == "household_survey"))
        if form_id is None:
            raise SystemExit("nothing loaded yet: run without --reuse first")
    else:
        svc, form_id = load(url, args.n)
    try:
        run(svc, form_id, args.reps)
    finally:
        svc.close()


if __name__ == "__main__":
    main()
