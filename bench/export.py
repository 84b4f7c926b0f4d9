"""Benchmark: build CSV-zip exports of N synthetic processed submissions (with a repeat of 3 members
each) and print wall time, rows/s and the export process's peak RSS.

    python bench/export.py                # N = 10,000 and 100,000, SQLite in a temp directory
    python bench/export.py 5000 20000     # other sizes
    CHUMCHON_DATABASE_URL=postgresql+psycopg://…  python bench/export.py   # a real server (its data is replaced!)

The export runs in a fresh spawned process so its peak RSS is its own, not the data generator's."""

from __future__ import annotations

import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text, update

from server.core.exports import jobs
from server.core.ground.db import make_engine
from server.core.ground.migrate import upgrade_to_head
from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.core.models import (
    Base,
    Form,
    FormVersion,
    Project,
    Record,
    RepeatRow,
    Submission,
    SubmissionVersion,
)

MEMBERS = 3
BATCH = 5000
TH, EN = "Thai (th)", "English (en)"


def _field(path: str, type_: str, bind: str, repeat: str | None = None) -> dict[str, Any]:
    return {
        "path": path,
        "name": path.rsplit("/", 1)[1],
        "type": type_,
        "bind_type": bind,
        "labels": {TH: path.rsplit("/", 1)[1]},
        "choice_list": None,
        "repeat": repeat,
        "sensitive": False,
        "checks": [],
        "calculation": None,
    }


def schema() -> dict[str, Any]:
    m = "/data/members"
    fields = [_field("/data/hh", "group", "")]
    fields += [_field(f"/data/hh/q{i}", "text", "string") for i in range(8)]
    fields += [
        _field("/data/hh/village", "select_one", "select1"),
        _field("/data/hh/location", "geopoint", "geopoint"),
        _field("/data/savings", "select_multiple", "select"),
        _field("/data/rooms", "integer", "int"),
        _field("/data/income", "decimal", "decimal"),
        _field("/data/visit_date", "date", "date"),
        _field("/data/phone", "text", "string"),
        _field(m, "repeat", ""),
        _field(f"{m}/full_name", "text", "string", m),
        _field(f"{m}/citizen_id", "text", "string", m),
        _field(f"{m}/age", "integer", "int", m),
        _field(f"{m}/sex", "select_one", "select1", m),
        _field("/data/meta", "group", ""),
        _field("/data/meta/instanceID", "meta", "string"),
    ]
    return {
        "form_id": "bench",
        "version": "1",
        "title": "bench",
        "root": "data",
        "default_language": None,
        "languages": [],
        "fields": fields,
        "repeats": [{"path": m, "name": "members", "parent": None, "labels": {}}],
        "choices": {},
        "media": [],
    }


def _main_values(rng: random.Random, iid: str) -> dict[str, Any]:
    values: dict[str, Any] = {f"/data/hh/q{i}": f"ข้อความทดสอบ {rng.randrange(10**6)}" for i in range(8)}
    values.update(
        {
            "/data/hh/village": str(rng.randrange(1, 20)),
            "/data/hh/location": {
                "lat": 13 + rng.random(),
                "lon": 100 + rng.random(),
                "alt": 5.0,
                "accuracy": 4.0,
            },
            "/data/savings": ["bank", "gold"],
            "/data/rooms": rng.randrange(1, 9),
            "/data/income": f"{rng.randrange(10**6)}.50",
            "/data/visit_date": "2026-01-15",
            "/data/phone": f"08{rng.randrange(10**8):08d}",
            "/data/meta/instanceID": iid,
        }
    )
    return values


def populate(database_url: str, n: int) -> None:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    rng = random.Random(n)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(insert(Project), [{"id": 1, "name": "bench"}])
        conn.execute(insert(Form), [{"id": 1, "project_id": 1, "xml_form_id": "bench"}])
        conn.execute(
            insert(FormVersion),
            [
                {
                    "id": 1,
                    "form_id": 1,
                    "version": "1",
                    "title": "bench",
                    "xform_sha256": "0" * 64,
                    "xform_md5": "0" * 32,
                    "field_schema": schema(),
                    "warnings": [],
                }
            ],
        )
        conn.execute(update(Form).values(current_version_id=1))
        for start in range(1, n + 1, BATCH):
            ids = range(start, min(n, start + BATCH - 1) + 1)
            iids = {i: f"uuid:{i:08d}-bench" for i in ids}
            conn.execute(
                insert(Submission),
                [
                    {
                        "id": i,
                        "form_id": 1,
                        "instance_id": iids[i],
                        "created_at": now - timedelta(seconds=n - i),
                        "updated_at": now,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                insert(SubmissionVersion),
                [
                    {
                        "id": i,
                        "submission_id": i,
                        "form_id": 1,
                        "form_version_id": 1,
                        "instance_id": iids[i],
                        "current": True,
                        "xml_sha256": "0" * 64,
                        "xml_size": 1,
                        "device_id": "collect:bench",
                        "processing_state": "processed",
                        "processing_attempts": 1,
                        "received_at": now,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                update(Submission)
                .where(Submission.id.in_(list(ids)))
                .values(current_version_id=Submission.id)
            )
            conn.execute(
                insert(Record),
                [
                    {
                        "submission_version_id": i,
                        "form_id": 1,
                        "values": _main_values(rng, iids[i]),
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                insert(RepeatRow),
                [
                    {
                        "submission_version_id": i,
                        "form_id": 1,
                        "repeat_path": "/data/members",
                        "ordinal": k,
                        "key": f"{iids[i]}/members[{k}]",
                        "parent_key": iids[i],
                        "values": {
                            "/data/members/full_name": f"สมาชิก {k} ใจดี",
                            "/data/members/citizen_id": f"{rng.randrange(10**13):013d}",
                            "/data/members/age": rng.randrange(100),
                            "/data/members/sex": "female",
                        },
                    }
                    for i in ids
                    for k in range(1, MEMBERS + 1)
                ],
            )
    if database_url.startswith("sqlite"):
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()


def _export_child(env: dict[str, str], out: Any) -> None:
    settings = load_settings(env)
    svc = build_services(settings)
    with svc.db.session() as session:
        form = session.get(Form, 1)
        assert form is not None
        export_id = jobs.request_export(session, form).id
    started = time.perf_counter()
    result = jobs.build_export(svc.db.sessions, settings, svc.blobs, export_id)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.put(
        {
            "state": result.state,
            "rows": result.progress_done,
            "seconds": elapsed,
            "size": result.size or 0,
            "peak_mib": peak_kib / 1024,
        }
    )
    svc.close()


def run(n: int, workdir: Path) -> dict[str, Any]:
    data_dir = workdir / f"n{n}"
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("CHUMCHON_DATABASE_URL") or f"sqlite:///{data_dir / 'bench.sqlite3'}"
    started = time.perf_counter()
    populate(database_url, n)
    generated = time.perf_counter() - started
    env = {
        "CHUMCHON_DATA_DIR": str(data_dir),
        "CHUMCHON_DATABASE_URL": database_url,
        "CHUMCHON_SECRET_KEY": "bench",
    }
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_export_child, args=(env, queue))
    child.start()
    result: dict[str, Any] = queue.get()
    child.join()
    result.update(n=n, generate_seconds=generated)
    return result


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    print(
        f"{'submissions':>11} {'rows':>9} {'export s':>9} {'rows/s':>9} {'zip MiB':>8} {'peak RSS MiB':>12}"
        f"  (generate s)"
    )
    with tempfile.TemporaryDirectory(prefix="chumchon-bench-") as tmp:
        for n in sizes:
            r = run(n, Path(tmp))
            assert r["state"] == "done", r
            print(
                f"{r['n']:>11,} {r['rows']:>9,} {r['seconds']:>9.1f} {r['rows'] / r['seconds']:>9,.0f} "
                f"{r['size'] / 2**20:>8.1f} {r['peak_mib']:>12.0f}  ({r['generate_seconds']:.0f})",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
