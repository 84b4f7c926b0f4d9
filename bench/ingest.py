"""Ingest benchmark: submissions/s and p50/p99 latency at 1, 8 and 32 concurrent clients.

Runs Chumchon as in production — `chumchon web` (gunicorn) and `chumchon worker` (Celery) against
PostgreSQL and Redis on this machine — and posts real multipart OpenRosa submissions to 127.0.0.1.

    python bench/ingest.py [--per-level 400] [--levels 1,8,32]

Uses the database `chumchon_bench` (created if missing) and Redis db 14; both are wiped first."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.live.harness import free_port, wait_until  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_bench"
REDIS = "redis://127.0.0.1:6379/14"
FORM = ROOT / "tests" / "fixtures" / "bench_form.md"

SUBMISSION = """<?xml version='1.0' encoding='UTF-8' ?>
<data xmlns:jr="http://openrosa.org/javarosa" id="bench_household" version="1">
<name>{name}</name><age>{age}</age><village>หมู่ {moo}</village>
<members><m_name>สมชาย ใจดี</m_name><m_age>41</m_age></members>
<members><m_name>สมหญิง ใจดี</m_name><m_age>38</m_age></members>
<meta><instanceID>uuid:{iid}</instanceID></meta></data>"""


def reset_backends() -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS chumchon_bench WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE chumchon_bench"))
    admin.dispose()
    subprocess.run(["redis-cli", "-n", "14", "FLUSHDB"], check=True, capture_output=True)


def start(env: dict[str, str], args: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def post_one(url: str, name: str) -> float:
    body = SUBMISSION.format(name=name, age=30, moo=3, iid=uuid.uuid4()).encode()
    started = time.perf_counter()
    resp = requests.post(
        url,
        files={"xml_submission_file": ("sub.xml", body, "text/xml")},
        headers={"X-OpenRosa-Version": "1.0"},
        timeout=60,
    )
    elapsed = time.perf_counter() - started
    if resp.status_code != 201:
        raise RuntimeError(f"submission refused: {resp.status_code} {resp.text[:200]}")
    return elapsed


def run_level(url: str, clients: int, count: int) -> dict[str, float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = sorted(pool.map(lambda i: post_one(url, f"คนที่ {i}"), range(count)))
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "submissions": count,
        "per_second": count / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-level", type=int, default=400)
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--web-workers", type=int, default=4)
    args = parser.parse_args()

    reset_backends()
    data_dir = Path(tempfile.mkdtemp(prefix="chumchon-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CHUMCHON_DATA_DIR": str(data_dir),
        "CHUMCHON_DATABASE_URL": PG_BENCH,
        "CHUMCHON_BROKER_URL": REDIS,
        "CHUMCHON_PUBLIC_URL": base,
        "CHUMCHON_SECRET_KEY": "bench",
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "server.cli",
            "users",
            "create",
            "admin",
            "--role",
            "admin",
            "--password",
            "bench-password",
        ],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    web = start(
        env,
        ["web", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.web_workers)],
        data_dir / "web.log",
    )
    worker = start(env, ["worker", "--concurrency", "1"], data_dir / "worker.log")
    try:
        wait_until(
            lambda: requests.head(f"{base}/submission", timeout=2).status_code in (204, 401), 60, "web"
        )
        api = requests.Session()
        token = api.post(f"{base}/v1/sessions", json={"email": "admin", "password": "bench-password"}).json()[
            "token"
        ]
        api.headers["Authorization"] = f"Bearer {token}"
        resp = api.post(f"{base}/v1/projects/1/forms", files={"file": (FORM.name, FORM.read_bytes())})
        resp.raise_for_status()
        collector = subprocess.run(
            [
                sys.executable,
                "-m",
                "server.cli",
                "users",
                "create",
                "bench_collector",
                "--role",
                "collector",
                "--project",
                "1",
            ],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        token_url = next(line.strip() for line in collector.splitlines() if "/key/" in line)
        token_url = token_url[token_url.index("http") :].split()[0]
        submit = f"{token_url}/submission"
        for _ in range(20):  # warm-up: connections, caches
            post_one(submit, "warm-up")
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"gunicorn workers={args.web_workers} (gthread x4), PostgreSQL + Redis on 127.0.0.1"
        )
        print(f"{'clients':>7} {'subs':>6} {'subs/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for clients in (int(c) for c in args.levels.split(",")):
            r = run_level(submit, clients, args.per_level)
            print(
                f"{r['clients']:>7} {r['submissions']:>6} {r['per_second']:>8.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}"
            )
        engine = create_engine(PG_BENCH)

        def all_processed() -> bool:
            with engine.connect() as conn:
                left = conn.execute(
                    text("select count(*) from submission_version where processing_state <> 'processed'")
                ).scalar()
            return left == 0

        started = time.perf_counter()
        wait_until(all_processed, 600, "the worker to process every submission", interval=0.5)
        print(f"worker drained the backlog {time.perf_counter() - started:.1f}s after the last submission")
        engine.dispose()
    finally:
        for proc in (web, worker):
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
