"""Benchmark: the supervisor's queries at scale, through the core functions the web pages call.

Loads N processed submissions of the shipped household form with bench/_load.py (COPY, then VACUUM
ANALYZE), then times
p50 / p99 over repeated calls of: the submissions table's first page, a page deep in the cursor, a
district + date range page, a search by a Thai name, each dashboard aggregate, and one submission
read (as a manager, unmasked, so the audit write is included).

    python bench/ui_queries.py                 # N = 100,000
    python bench/ui_queries.py --n 1000000     # a million
    CHUMCHON_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_review python bench/ui_queries.py

THE DATABASE IS WIPED (schema public dropped and re-created). Goal: p99 < 300 ms each."""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from _load import T_END, load, reuse  # bench/_load.py: the one loader of the PostgreSQL benches
from sqlalchemy import select, text

from server.core.models import Form, User
from server.core.review import dashboard, listing, reading
from server.core.review.listing import SubmissionFilter

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_review"


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
    svc, form_id = reuse(url) if args.reuse else load(url, args.n)
    try:
        run(svc, form_id, args.reps)
    finally:
        svc.close()


if __name__ == "__main__":
    main()
