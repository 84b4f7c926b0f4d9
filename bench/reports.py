"""Benchmark: the จปฐ. report over many households, on PostgreSQL.

Loads N processed household submissions of the shipped survey (its real field schema; the answers the
indicator rules read, varied per household; 20 provinces × 6 districts × 5 subdistricts × 4 villages)
with COPY, then times, each in this process with its peak RSS:
  1. computing every household's results from its stored answers (the refresh after `reprocess`),
  2. the village report of one subdistrict, the subdistrict report of one district, and the
     subdistrict report of the whole project (the aggregate over every household), as JSON;
  3. the same reports' freshness check alone (nothing stale), which every report read pays.

    python bench/reports.py --n 100000
    CHUMCHON_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_reports_bench python bench/reports.py --n 1000000

THE DATABASE IS WIPED (schema public dropped and re-created)."""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
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
from server.core.ground.db import make_engine
from server.core.ground.migrate import upgrade_to_head
from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.core.models import Form, User
from server.core.reports import basic_needs, catalogue
from server.core.reports.render import render
from server.core.reports.results import refresh, rules_by_form

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_reports_bench"
FORM_FILE = Path(__file__).resolve().parents[1] / "forms" / "household_survey.xlsx"
T_END = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def places() -> list[tuple[str, str, str, str]]:
    out = []
    for p in range(10, 30):
        for d in range(1, 7):
            for s in range(1, 6):
                for v in range(1, 5):
                    sub = f"{p}{d:02d}{s:02d}"
                    out.append((str(p), sub[:4], sub, f"{sub}{v:02d}"))
    return out


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


def load(url: str, n: int) -> tuple[Any, int]:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade_to_head(engine)
    data_dir = Path(tempfile.mkdtemp(prefix="chumchon-bench-reports-"))
    svc = build_services(
        load_settings({"CHUMCHON_DATABASE_URL": url, "CHUMCHON_DATA_DIR": str(data_dir), "CHUMCHON_SECRET_KEY": "b"})
    )
    with svc.db.session() as session:
        project = projects.ensure_default_project(session)
        version = publish_form(session, svc.blobs, project.id, FORM_FILE.read_bytes(), FORM_FILE.name)
        form_id, fv_id = version.form_id, version.id
        paths = {f["name"]: f["path"] for f in version.field_schema["fields"] if not f.get("repeat")}
        users.create_user(session, "manager", "manager", password="bench-password", project_id=project.id)
    rnd = random.Random(13)
    pool = [answers(rnd) for _ in range(5000)]  # varied answers, reused so that loading is not the bench
    spots = places()
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        rows_sub: list[tuple[Any, ...]] = []
        rows_ver: list[tuple[Any, ...]] = []
        rows_rec: list[tuple[Any, ...]] = []

        def flush() -> None:
            for table, cols, rows in (
                ("submission", "id, form_id, instance_id, created_at, updated_at, province_code, district_code, "
                 "subdistrict_code, village_code", rows_sub),
                ("submission_version", "id, submission_id, form_id, form_version_id, instance_id, current, xml_sha256, "
                 "xml_size, received_at, processing_state, processing_attempts, processed_at", rows_ver),
                ("record", "id, submission_version_id, form_id, values, created_at", rows_rec),
            ):  # fmt: skip
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
                rows.clear()
            raw.commit()

        for i in range(1, n + 1):
            province, district, subdistrict, village = spots[i % len(spots)]
            # Two rounds: a quarter of the households were surveyed last year (2568), the rest this year.
            created = T_END - timedelta(days=400 if i % 4 == 0 else 30, seconds=i % 86400)
            values = {paths[k]: v for k, v in pool[i % len(pool)].items() if k in paths}
            values[paths["survey_date"]] = created.date().isoformat()
            values.update({paths["province"]: province, paths["district"]: district, paths["subdistrict"]: subdistrict, paths["village"]: village})
            iid = f"uuid:{i:08d}-bench"
            rows_sub.append((i, form_id, iid, created, created, province, district, subdistrict, village))
            rows_ver.append((i, i, form_id, fv_id, iid, True, "0" * 64, 4000, created, "processed", 1, created))
            rows_rec.append((i, i, form_id, json.dumps(values, ensure_ascii=False), created))
            if len(rows_sub) >= 20_000:
                flush()
        flush()
        cur.execute("UPDATE submission SET current_version_id = id")
        raw.commit()
        raw.driver_connection.autocommit = True  # type: ignore[union-attr]
        cur.execute("VACUUM ANALYZE")
    finally:
        raw.close()
    print(f"loaded {n:,} households in {time.perf_counter() - started:.1f} s")
    return svc, form_id


def timed(label: str, fn: Callable[[], Any], reps: int) -> Any:
    result, samples = None, []
    for _ in range(reps):
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    print(f"{label:<58} median {statistics.median(samples):8.3f} s  max {max(samples):8.3f} s  peak RSS {rss_mib():6.0f} MiB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="time the households a previous run loaded")
    args = parser.parse_args()
    url = os.environ.get("CHUMCHON_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgresql"):
        raise SystemExit("this benchmark needs PostgreSQL (set CHUMCHON_DATABASE_URL)")
    if args.reuse:
        data_dir = tempfile.mkdtemp(prefix="chumchon-bench-reports-")
        svc = build_services(
            load_settings({"CHUMCHON_DATABASE_URL": url, "CHUMCHON_DATA_DIR": data_dir, "CHUMCHON_SECRET_KEY": "b"})
        )
        with svc.db.session() as session:
            found = session.scalar(select(Form.id).where(Form.xml_form_id == "household_survey"))
            session.execute(text("DELETE FROM report_result"))
        if found is None:
            raise SystemExit("nothing loaded yet: run without --reuse first")
        form_id = found
    else:
        svc, form_id = load(url, args.n)
    try:
        with svc.db.session() as session:
            manager = session.scalar(select(User).where(User.username == "manager"))
            form = session.get(Form, form_id)
            assert form is not None
            rules = rules_by_form(session, [form_id])[form_id]
        t0 = time.perf_counter()
        with svc.db.session() as session:
            done = refresh(session, form_id, rules)
        spent = time.perf_counter() - t0
        print(f"results computed for {done:,} households in {spent:.1f} s ({done / spent:,.0f}/s)  peak RSS {rss_mib():.0f} MiB")
        with svc.db.session() as session:
            session.execute(text("ANALYZE report_result"))

        def report(area: str | None, level: str, fmt: str = "json") -> Callable[[], Any]:
            def call() -> Any:
                with svc.db.session() as session:
                    f, r = catalogue.open_report(session, manager, form.project_id, "basic_needs")
                    built = basic_needs.build(session, manager, f, r, area=area, level=level)
                    return render(built, fmt, "bench", datetime.now(UTC))
            return call

        def fresh_check() -> Any:
            with svc.db.session() as session:
                return refresh(session, form_id, rules)

        timed("freshness check alone (nothing stale)", fresh_check, args.reps)
        timed("village report of one subdistrict (JSON)", report("120101", "village"), args.reps)
        timed("subdistrict report of one district (JSON)", report("1201", "subdistrict"), args.reps)
        timed("subdistrict report of the whole project (JSON)", report(None, "subdistrict"), args.reps)
        timed("subdistrict report of the whole project (PDF)", report(None, "subdistrict", "pdf"), 1)
        timed("subdistrict report of the whole project (XLSX)", report(None, "subdistrict", "xlsx"), 1)
    finally:
        svc.close()


if __name__ == "__main__":
    main()
