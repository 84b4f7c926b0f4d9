"""Process and thread counts for the web server (Granian) and the worker, chosen for the machine by CPU count
(measured on 2 cores with bench/ingest.py; see the README's Benchmarks) and settable by flags or
CHUMCHON_WEB_WORKERS / CHUMCHON_WEB_THREADS / CHUMCHON_WORKER_CONCURRENCY for bigger machines."""

from __future__ import annotations

import os


def cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def web_workers() -> int:
    # Half the cores (at least one): the request path is CPU-bound Python, and on a machine that
    # also runs the worker and PostgreSQL, web processes on every core out-accept processing. Measured
    # on 2 cores at 32 clients (bench/ingest.py, 20-s runs): 2 web processes accepted ≈ 350/s but
    # left ≈ 8 s of backlog behind the last 201; 1 web process + 2 worker processes accepted ≈ 300/s
    # with the backlog gone within 1 s, and more submissions a second accepted *and* processed. A
    # machine that only serves the web: set CHUMCHON_WEB_WORKERS to its CPU count.
    return max(1, cpus() // 2)


def web_threads() -> int:
    # Threads cover the waits (database round trips, fsync of attachments, slow phones' uploads).
    return 8


def worker_concurrency() -> int:
    # One worker process per core: a batch's write mostly waits for the database, and a second
    # process converts meanwhile (with the web on half the cores, measured as above).
    return cpus()
