"""Benchmark: the supervisor's pages over HTTP, against a real `chumchon web` on 127.0.0.1.

Loads N household submissions with bench/_load.py (or --reuse what it loaded), starts `chumchon web`
on a free port (Chumchon's default workers and threads), signs in through the login page and
POST /v1/sessions as `manager` (whole project) and `sup` (supervisor limited to district 1203), then
times p50 / p99 over repeated requests, one at a time, of: the submissions table's first page, a
page 90 % down the cursor, a district + 30 days page, a search by a Thai name, a submission's page,
the dashboard page and each dashboard endpoint of the JSON API. Goal (issue 7): p99 < 300 ms each.

    python bench/ui.py --n 100000
    CHUMCHON_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_million python bench/ui.py --reuse

Without --reuse THE DATABASE IS WIPED. Prints the load average before and after: the machine is shared."""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from _load import T_END, load, reuse  # bench/_load.py: the one loader of the PostgreSQL benches
from sqlalchemy import text

from server.core.review import listing

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_million"
PASSWORD = "bench-password"
FORM = "projects/1/forms/household_survey"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def start_web(url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CHUMCHON_DATABASE_URL": url,
        "CHUMCHON_DATA_DIR": str(data_dir),
        "CHUMCHON_SECRET_KEY": "bench",
        "CHUMCHON_PUBLIC_URL": base,
        "CHUMCHON_BROKER_URL": os.environ.get("CHUMCHON_BROKER_URL", "redis://127.0.0.1:6379/4"),
    }
    log = (data_dir / "web.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        try:
            requests.get(base + "/ui/login", timeout=2)
            return proc, base
        except requests.ConnectionError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"chumchon web did not start; see {data_dir / 'web.log'}")


def sign_in(base: str, username: str) -> tuple[requests.Session, requests.Session]:
    """A browser-like session (cookie from the login page) and an API session (Bearer token)."""
    ui = requests.Session()
    page = ui.get(base + "/ui/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "no CSRF token on the login page"
    resp = ui.post(
        base + "/ui/login",
        data={"username": username, "password": PASSWORD, "csrf_token": found.group(1)},
        allow_redirects=False,
    )
    assert resp.status_code in (302, 303), (resp.status_code, resp.text[:300])
    api = requests.Session()
    token = api.post(base + "/v1/sessions", json={"username": username, "password": PASSWORD}).json()["token"]
    api.headers["Authorization"] = f"Bearer {token}"
    return ui, api


def timed(label: str, fn: Callable[[], Any], reps: int) -> float:
    first = fn()  # warm the caches once, as a server that has been running would be
    assert first.status_code == 200, (label, first.status_code, first.text[:300])
    samples = []
    for _ in range(reps):
        t = time.perf_counter()
        resp = fn()
        samples.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, (label, resp.status_code)
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
    flag = "ok" if p99 < 300 else "SLOW"
    print(f"  {label:<44} p50 {statistics.median(samples):7.1f} ms   p99 {p99:7.1f} ms   {flag}", flush=True)
    return p99


def run(svc: Any, base: str, reps: int) -> None:
    with svc.db.session() as session:
        count = session.execute(text("SELECT count(*) FROM submission")).scalar_one()
        deep = session.execute(
            text("SELECT created_at, id FROM submission ORDER BY created_at DESC, id DESC OFFSET :o LIMIT 1"),
            {"o": int(count * 0.9)},
        ).one()
        cursor = listing.encode_cursor(deep[0], deep[1])
        one = session.execute(text("SELECT instance_id FROM submission WHERE id = :i"), {"i": count // 2}).scalar_one()
        in_1203 = session.execute(
            text("SELECT instance_id FROM submission WHERE district_code = '1203' ORDER BY id LIMIT 1")
        ).scalar_one()
    since = (T_END - timedelta(days=30)).date().isoformat()
    until = T_END.date().isoformat()
    for who, instance in (("manager", one), ("sup", in_1203)):
        ui, api = sign_in(base, who)
        print(f"{who} ({'whole project' if who == 'manager' else 'supervisor of district 1203'}), {reps} runs each:")

        def get(session: requests.Session, path: str, **params: Any) -> Callable[[], Any]:
            return lambda: session.get(f"{base}/{path}", params=params)

        timed("submissions table, first page", get(ui, f"ui/{FORM}/submissions"), reps)
        timed("submissions table, 90 % down the cursor", get(ui, f"ui/{FORM}/submissions", cursor=cursor), reps)
        timed(
            "district 1203 + 30 days",
            get(ui, f"ui/{FORM}/submissions", district="1203", since=since, until=until),
            reps,
        )
        timed("search by Thai name (บุญมี ทอง)", get(ui, f"ui/{FORM}/submissions", q="บุญมี ทอง"), reps)
        timed("one submission's page", get(ui, f"ui/{FORM}/submissions/{instance}"), reps)
        timed("dashboard page", get(ui, f"ui/{FORM}/dashboard"), reps)
        for name in ("per-day", "surveyors", "villages", "flags", "grid"):
            timed(f"API dashboard/{name}", get(api, f"v1/{FORM}/dashboard/{name}"), reps)
        timed("API dashboard/points (≤ 2,000)", get(api, f"v1/{FORM}/dashboard/points"), reps)
        timed(
            "API dashboard/per-day, district 1203 + 30 days",
            get(api, f"v1/{FORM}/dashboard/per-day", district="1203", since=since, until=until),
            reps,
        )
        timed("API submissions list (first 50)", get(api, f"v1/{FORM}/submissions", limit=50), reps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="time the data a previous load left")
    args = parser.parse_args()
    url = os.environ.get("CHUMCHON_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgresql"):
        raise SystemExit("this benchmark needs PostgreSQL (set CHUMCHON_DATABASE_URL)")
    svc, _form_id = reuse(url) if args.reuse else load(url, args.n)
    data_dir = Path(tempfile.mkdtemp(prefix="chumchon-bench-web-"))
    web, base = start_web(url, data_dir)
    try:
        print(f"load average before: {_loadavg()}", flush=True)
        run(svc, base, args.reps)
        print(f"load average after: {_loadavg()}", flush=True)
    finally:
        web.terminate()
        web.wait(timeout=30)
        svc.close()


if __name__ == "__main__":
    main()
