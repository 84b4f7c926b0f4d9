"""Process and thread counts for the web server and the worker, chosen for the machine by CPU count
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
    # One web process per core: the request path is CPU-bound Python.
    return cpus()


def web_threads() -> int:
    # Threads cover the waits (database round trips, fsync of attachments, slow phones' uploads).
    return 8


def worker_concurrency() -> int:
    # One batch-claiming worker process processes several hundred submissions a second; on 2 cores a
    # second one only competes with the web processes (measured). Half the cores on bigger machines.
    return max(1, cpus() // 2)
