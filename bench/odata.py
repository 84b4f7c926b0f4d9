"""Benchmark: the OData feed (`…/household_bench.svc/Submissions`, `Submissions.members`) and Central's
CSV zip over N synthetic processed household submissions (the data of bench/export.py: 61 questions,
4 members each); prints time to the first row, rows/s, bytes and the serving process's peak RSS.

    python bench/odata.py                                        # SQLite in a temp dir, N = 10,000
    python bench/odata.py --db postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_odata --n 100000
    python bench/odata.py --db … --n 1000000 --reuse             # keep the data already loaded
    python bench/odata.py --db … --form household_survey --reuse # the data of bench/_load.py

The database's data is REPLACED (unless --reuse). Each request runs in a fresh spawned process (the
Flask app in-process, the response body read chunk by chunk as a client would), so its peak RSS is
its own."""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from export import MEMBERS, _peak_rss_kib, populate  # bench/export.py: the same synthetic data

from server.core.accounts import users
from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.web.app import create_app

FORMS = {  # --form: the form's URL and its members repeat's entity set
    "household_bench": ("/v1/projects/1/forms/household_bench", "Submissions.members"),
    # the data of bench/_load.py (python bench/_load.py --n …, then --form household_survey --reuse)
    "household_survey": ("/v1/projects/1/forms/household_survey", "Submissions.main.members"),
}


def requests_of(form: str) -> dict[str, tuple[str, bytes | None]]:
    url, members = FORMS[form]
    return {
        "Submissions": (url + ".svc/Submissions", b'"__system"'),
        "Submissions $top=1000 $count": (url + ".svc/Submissions?$top=1000&$count=true", b'"__system"'),
        "Submissions.members": (url + f".svc/{members}", b'"__Submissions-id"'),
        "submissions.csv.zip": (url + "/submissions.csv.zip?attachments=false", None),
    }


REQUESTS = requests_of("household_bench")


def _child(env: dict[str, str], form: str, name: str, out: Any, stop_after: int = 0) -> None:
    svc = build_services(load_settings(env))
    with svc.db.session() as session:
        admin = users.find_user(session, "bench-admin") or users.create_user(
            session, "bench-admin", "admin", password="bench-password-123"
        )
        token = users.start_api_session(session, admin)
    client = create_app(svc).test_client()
    url, marker = requests_of(form)[name]
    started = time.perf_counter()
    resp = client.get(url, headers={"Authorization": f"Bearer {token}"}, buffered=False)
    first_row = None
    size = rows = 0
    for chunk in resp.response:
        size += len(chunk)
        found = chunk.count(marker) if marker else (1 if size > 0 else 0)
        if found and first_row is None:
            first_row = time.perf_counter() - started
        rows += found
        if stop_after and rows >= stop_after:  # a partial read: the rate over the first rows
            break
    seconds = time.perf_counter() - started
    out.put({"status": resp.status_code, "first": first_row or seconds, "seconds": seconds, "bytes": size,
             "rows": rows if marker else 0, "peak_mib": _peak_rss_kib() / 1024})
    svc.close()


def run(env: dict[str, str], form: str, name: str, stop_after: int = 0) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_child, args=(env, form, name, queue, stop_after))
    child.start()
    result: dict[str, Any] = queue.get()
    child.join()
    return result


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--n", type=int, default=10_000, help="submissions")
    parser.add_argument("--data-dir", default=None, help="data directory; default: temp")
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded (same --n)")
    parser.add_argument("--form", default="household_bench", choices=sorted(FORMS),
                        help="household_survey: the data bench/_load.py loaded (with --reuse)")
    parser.add_argument("--stop-after", type=int, default=0,
                        help="stop reading each feed after this many rows (time to first row and the rate so far)")
    parser.add_argument("--only", default=",".join(REQUESTS), help="comma-separated requests to time")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="chumchon-bench-") as tmp:
        data_dir = Path(args.data_dir or tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        url = args.db or f"sqlite:///{data_dir / 'bench.sqlite3'}"
        env = {"CHUMCHON_DATA_DIR": str(data_dir), "CHUMCHON_DATABASE_URL": url, "CHUMCHON_SECRET_KEY": "bench"}
        if not args.reuse:
            if args.form != "household_bench":
                raise SystemExit("--form household_survey times data bench/_load.py loaded: add --reuse")
            started = time.perf_counter()
            populate(url, args.n, data_dir / "blobs")
            print(f"loaded {args.n:,} submissions (+{args.n * MEMBERS:,} members) in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        print(f"{'request':>30} {'rows':>10} {'first row s':>11} {'seconds':>8} {'rows/s':>9} {'MiB sent':>9} "
              f"{'peak RSS MiB':>12}", flush=True)
        for name in args.only.split(","):
            r = run(env, args.form, name, args.stop_after)
            assert r["status"] == 200, r
            rate = f"{r['rows'] / r['seconds']:>9,.0f}" if r["rows"] else f"{'-':>9}"
            print(f"{name:>30} {r['rows']:>10,} {r['first']:>11.2f} {r['seconds']:>8.1f} {rate} "
                  f"{r['bytes'] / 2**20:>9.1f} {r['peak_mib']:>12.0f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
