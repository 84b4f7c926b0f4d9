"""Benchmark: the จปฐ. report over many households, on PostgreSQL.

Loads N processed household submissions of the shipped survey with bench/_load.py (the answers the
indicator rules read, varied per household; two rounds, 2568 and 2569), then times, each in this process with its peak RSS:
  1. computing every household's results from its stored answers (the refresh after `reprocess`),
  2. the village report of one subdistrict, the subdistrict report of one district, and the
     subdistrict report of the whole project (the aggregate over every household), as JSON;
  3. the same reports' freshness check alone (nothing stale), which every report read pays.

    python bench/reports.py --n 100000
    CHUMCHON_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_reports_bench python bench/reports.py --n 1000000

THE DATABASE IS WIPED (schema public dropped and re-created)."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from _load import load, reuse  # bench/_load.py: the one loader of the PostgreSQL benches
from sqlalchemy import select, text

from server.core.models import Form, User
from server.core.reports import basic_needs, catalogue
from server.core.reports.render import render
from server.core.reports.results import refresh, rules_by_form

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_reports_bench"


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
        svc, form_id = reuse(url)
        with svc.db.session() as session:
            session.execute(text("DELETE FROM report_result"))
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
