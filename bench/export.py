"""Benchmark: exports of N synthetic processed household submissions (61 questions, 4 members each,
one photo) in each format; prints seconds, rows/s, file size and the export process's peak RSS.

    python bench/export.py                                   # SQLite in a temp dir, N = 10,000, CSV
    python bench/export.py --db postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_exports \\
        --n 100000 --formats csv,xlsx,sav,dta,geojson,kml,media
    python bench/export.py --db … --n 1000000 --formats csv --reuse   # keep the data already loaded

The database's data is REPLACED (unless --reuse). Rows are loaded with bulk inserts (COPY on
PostgreSQL), not through HTTP, then ANALYZEd (these machines' PostgreSQL runs with autovacuum off).
Each export runs in a fresh spawned process so its peak RSS is its own."""

from __future__ import annotations

import argparse
import json
import multiprocessing
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
    Attachment,
    Base,
    Export,
    Form,
    FormVersion,
    Project,
    Record,
    RepeatRow,
    Submission,
    SubmissionVersion,
)

MEMBERS = 4
BATCH = 10_000
TH, EN = "Thai (th)", "English (en)"
M = "/data/members"
# 61 questions in the main table (groups of a จปฐ.-like survey) + 8 per member.
MAIN_TEXT = [f"/data/hh/t{i}" for i in range(20)]
MAIN_SELECT = [f"/data/living/s{i}" for i in range(20)]
MAIN_INT = [f"/data/econ/n{i}" for i in range(10)]
MAIN_DEC = [f"/data/econ/d{i}" for i in range(4)]
MAIN_OTHER = ["/data/visit_date", "/data/phone", "/data/savings", "/data/location", "/data/photo",
              "/data/house_id", "/data/remarks"]


def _field(path: str, type_: str, bind: str, repeat: str | None = None, choices: str | None = None) -> dict[str, Any]:
    name = path.rsplit("/", 1)[1]
    return {
        "path": path,
        "name": name,
        "type": type_,
        "bind_type": bind,
        "labels": {TH: f"คำถาม {name}", EN: f"Question {name}"},
        "choice_list": choices,
        "repeat": repeat,
        "sensitive": False,
        "checks": [],
        "calculation": None,
    }


def schema() -> dict[str, Any]:
    fields = [_field("/data/hh", "group", ""), _field("/data/living", "group", ""), _field("/data/econ", "group", "")]
    fields += [_field(p, "text", "string") for p in MAIN_TEXT]
    fields += [_field(p, "select_one", "select1", choices="yes_no") for p in MAIN_SELECT]
    fields += [_field(p, "integer", "int") for p in MAIN_INT]
    fields += [_field(p, "decimal", "decimal") for p in MAIN_DEC]
    fields += [
        _field("/data/visit_date", "date", "date"),
        _field("/data/phone", "text", "string"),
        _field("/data/savings", "select_multiple", "select", choices="savings"),
        _field("/data/location", "geopoint", "geopoint"),
        _field("/data/photo", "image", "binary"),
        _field("/data/house_id", "text", "string"),
        _field("/data/remarks", "text", "string"),
        _field(M, "repeat", ""),
        _field(f"{M}/full_name", "text", "string", M),
        _field(f"{M}/citizen_id", "text", "string", M),
        _field(f"{M}/age", "integer", "int", M),
        _field(f"{M}/sex", "select_one", "select1", M, "sex"),
        _field(f"{M}/education", "select_one", "select1", M, "yes_no"),
        _field(f"{M}/income", "decimal", "decimal", M),
        _field(f"{M}/birth_date", "date", "date", M),
        _field(f"{M}/occupation", "text", "string", M),
        _field("/data/meta", "group", ""),
        _field("/data/meta/instanceID", "meta", "string"),
    ]
    choice = lambda n, th: {"name": n, "labels": {TH: th, EN: n}}  # noqa: E731
    return {
        "form_id": "household_bench",
        "version": "1",
        "title": "household bench",
        "root": "data",
        "default_language": None,
        "languages": [TH, EN],
        "fields": fields,
        "repeats": [{"path": M, "name": "members", "parent": None, "labels": {}}],
        "choices": {
            "yes_no": [choice("yes", "ใช่"), choice("no", "ไม่ใช่")],
            "sex": [choice("male", "ชาย"), choice("female", "หญิง")],
            "savings": [choice("bank", "เงินฝาก"), choice("gold", "ทอง"), choice("fund", "กองทุน")],
        },
        "media": [],
    }


def _main_values(rng: random.Random, i: int, iid: str) -> dict[str, Any]:
    values: dict[str, Any] = {p: f"ข้อความทดสอบ {rng.randrange(10**6)}" for p in MAIN_TEXT}
    values.update({p: rng.choice(("yes", "no")) for p in MAIN_SELECT})
    values.update({p: rng.randrange(100) for p in MAIN_INT})
    values.update({p: f"{rng.randrange(10**5)}.50" for p in MAIN_DEC})
    values.update(
        {
            "/data/visit_date": "2026-01-15",
            "/data/phone": f"08{rng.randrange(10**8):08d}",
            "/data/savings": ["bank", "gold"],
            "/data/location": {"lat": 13 + rng.random(), "lon": 100 + rng.random(), "alt": 5.0, "accuracy": 4.0},
            "/data/photo": f"house-{i}.jpg",
            "/data/house_id": f"{rng.randrange(10**11):011d}",
            "/data/remarks": "บ้านไม้สองชั้น ริมคลอง",
            "/data/meta/instanceID": iid,
        }
    )
    return values


def _member_values(rng: random.Random, k: int) -> dict[str, Any]:
    return {
        f"{M}/full_name": f"สมาชิก {k} ใจดี",
        f"{M}/citizen_id": f"{rng.randrange(10**13):013d}",
        f"{M}/age": rng.randrange(100),
        f"{M}/sex": rng.choice(("male", "female")),
        f"{M}/education": "yes",
        f"{M}/income": "1500.00",
        f"{M}/birth_date": "1980-05-01",
        f"{M}/occupation": "เกษตรกร",
    }


def _copy(conn: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def populate(database_url: str, n: int, blobs_dir: Path) -> None:
    from server.core.ground.storage import DiskBlobStore

    engine = make_engine(database_url)
    upgrade_to_head(engine)
    rng = random.Random(n)
    now = datetime.now(UTC)
    store = DiskBlobStore(blobs_dir)
    photos = [store.put_bytes(bytes([k]) * 4096).sha256 for k in range(50)]
    postgres = database_url.startswith("postgresql")
    with engine.begin() as conn:
        if postgres:  # submission ↔ submission_version reference each other: truncate them together
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # submission ↔ submission_version reference each other: check the keys at commit
            conn.execute(text("PRAGMA defer_foreign_keys = ON"))
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        conn.execute(insert(Project), [{"id": 1, "name": "bench"}])
        conn.execute(insert(Form), [{"id": 1, "project_id": 1, "xml_form_id": "household_bench"}])
        conn.execute(
            insert(FormVersion),
            [{"id": 1, "form_id": 1, "version": "1", "title": "bench", "xform_sha256": "0" * 64,
              "xform_md5": "0" * 32, "field_schema": schema(), "warnings": []}],
        )
        conn.execute(update(Form).values(current_version_id=1))
        for start in range(1, n + 1, BATCH):
            ids = range(start, min(n, start + BATCH - 1) + 1)
            iids = {i: f"uuid:{i:08d}-bench" for i in ids}
            subs = [(i, 1, iids[i], i, now - timedelta(seconds=n - i), now) for i in ids]
            versions = [(i, i, 1, 1, iids[i], True, "0" * 64, 1, "collect:bench", "processed", 1, now) for i in ids]
            records = [(i, i, 1, json.dumps(_main_values(rng, i, iids[i]), ensure_ascii=False), now) for i in ids]
            members = [
                ((i - 1) * MEMBERS + k, i, 1, M, k, f"{iids[i]}/members[{k}]", iids[i],
                 json.dumps(_member_values(rng, k), ensure_ascii=False))
                for i in ids
                for k in range(1, MEMBERS + 1)
            ]
            files = [(i, i, f"house-{i}.jpg", photos[i % len(photos)], 4096, "image/jpeg") for i in ids]
            sub_cols = ["id", "form_id", "instance_id", "current_version_id", "created_at", "updated_at"]
            ver_cols = ["id", "submission_id", "form_id", "form_version_id", "instance_id", '"current"',
                        "xml_sha256", "xml_size", "device_id", "processing_state", "processing_attempts",
                        "received_at"]
            rec_cols = ["id", "submission_version_id", "form_id", '"values"', "created_at"]
            rep_cols = ["id", "submission_version_id", "form_id", "repeat_path", "ordinal", "key", "parent_key",
                        '"values"']
            att_cols = ["id", "submission_version_id", "name", "blob_sha256", "size", "content_type"]
            if postgres:
                conn.execute(text("SET session_replication_role = replica"))  # FKs checked by construction
                _copy(conn, "submission", sub_cols, subs)
                _copy(conn, "submission_version", ver_cols, versions)
                _copy(conn, "record", rec_cols, records)
                _copy(conn, "repeat_row", rep_cols, members)
                _copy(conn, "attachment", att_cols, files)
            else:
                for table, cols, rows in (
                    (Submission, sub_cols, subs), (SubmissionVersion, ver_cols, versions),
                    (Record, rec_cols, records), (RepeatRow, rep_cols, members), (Attachment, att_cols, files),
                ):
                    names = [c.strip('"') for c in cols]
                    conn.execute(
                        insert(table),
                        [
                            {k: (json.loads(v) if k == "values" else v) for k, v in zip(names, row, strict=True)}
                            for row in rows
                        ],
                    )
        if postgres:
            conn.execute(text("SET session_replication_role = DEFAULT"))
            for seq, table in (("submission_id_seq", "submission"), ("submission_version_id_seq", "submission_version"),
                               ("record_id_seq", "record"), ("repeat_row_id_seq", "repeat_row"),
                               ("attachment_id_seq", "attachment")):
                conn.execute(text(f"SELECT setval('{seq}', (SELECT max(id) FROM \"{table}\"))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def prepare(database_url: str, *, skip: bool) -> None:
    """Bring the schema to head and render the stored CSV cells that processing would have rendered
    as each submission arrived (the loader above writes values only)."""
    from server.core.exports.prerender import prerender_form

    engine = make_engine(database_url)
    upgrade_to_head(engine)
    engine.dispose()
    done = 0
    settings = load_settings({"CHUMCHON_DATABASE_URL": database_url, "CHUMCHON_SECRET_KEY": "bench",
                              "CHUMCHON_DATA_DIR": tempfile.gettempdir()})
    svc = build_services(settings)
    if skip:
        with svc.db.session() as session:
            session.execute(update(Record).values(csv_layout=None))
            session.commit()
        print("stored CSV cells cleared", flush=True)
    else:
        started, cpu = time.perf_counter(), time.process_time()
        done = prerender_form(svc.db.sessions, 1)
        if done:
            print(f"CSV cells rendered for {done:,} submissions in {time.perf_counter() - started:.0f} s "
                  f"({(time.process_time() - cpu) * 1000 / done:.3f} ms of this process's CPU each; processing "
                  "renders them as each submission arrives)", flush=True)
    svc.close()
    if done and engine.dialect.name == "postgresql":
        # Rendering rewrote every record and repeat row; with autovacuum off (these machines) the
        # dead versions would stay in the tables an export scans. Production's autovacuum clears
        # them, and processing writes the cells with the row in the first place.
        started = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (FULL, ANALYZE) record, repeat_row"))
        engine.dispose()
        print(f"record and repeat_row compacted in {time.perf_counter() - started:.0f} s", flush=True)


def _peak_rss_kib() -> int:
    """This process's own peak RSS. (getrusage's ru_maxrss survives exec on Linux, so a spawned child
    would report the data loader's peak; VmHWM belongs to the child's own memory map.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _export_child(env: dict[str, str], fmt: str, out: Any) -> None:
    settings = load_settings(env)
    svc = build_services(settings)
    with svc.db.session() as session:
        # Earlier runs' files must not answer this one ("the same export again with no new data gives
        # back the same file at once"): the bench times a build.
        session.execute(update(Export).values(cache_key=None))
        form = session.get(Form, 1)
        assert form is not None
        export_id = jobs.request_export(session, form, fmt, {"labels": "th"} if fmt in ("xlsx", "sav", "dta") else None).id
    started = time.perf_counter()
    result = jobs.build_export(svc.db.sessions, settings, svc.blobs, export_id)
    elapsed = time.perf_counter() - started
    peak_kib = _peak_rss_kib()
    out.put({"state": result.state, "error": result.error, "rows": result.progress_done, "seconds": elapsed,
             "size": result.size or 0, "peak_mib": peak_kib / 1024})
    svc.close()


def run_format(env: dict[str, str], fmt: str) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_export_child, args=(env, fmt, queue))
    child.start()
    result: dict[str, Any] = queue.get()
    child.join()
    return result


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--n", type=int, default=10_000, help="submissions")
    parser.add_argument("--formats", default="csv", help="comma-separated: " + ",".join(jobs.FORMATS))
    parser.add_argument("--data-dir", default=None, help="data directory (blobs, exports); default: temp")
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded (same --n)")
    parser.add_argument("--no-prerender", action="store_true",
                        help="leave the stored CSV cells empty (CSV then renders every cell at export time)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="chumchon-bench-") as tmp:
        data_dir = Path(args.data_dir or tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        url = args.db or f"sqlite:///{data_dir / 'bench.sqlite3'}"
        env = {"CHUMCHON_DATA_DIR": str(data_dir), "CHUMCHON_DATABASE_URL": url, "CHUMCHON_SECRET_KEY": "bench"}
        if not args.reuse:
            started = time.perf_counter()
            populate(url, args.n, data_dir / "blobs")
            print(f"loaded {args.n:,} submissions (+{args.n * MEMBERS:,} members) in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        prepare(url, skip=args.no_prerender)
        print(f"{'format':>8} {'submissions':>11} {'rows':>10} {'seconds':>8} {'rows/s':>9} {'MiB':>7} "
              f"{'peak RSS MiB':>12}", flush=True)
        for fmt in args.formats.split(","):
            r = run_format(env, fmt)
            assert r["state"] == "done", r
            print(f"{fmt:>8} {args.n:>11,} {r['rows']:>10,} {r['seconds']:>8.1f} {r['rows'] / r['seconds']:>9,.0f} "
                  f"{r['size'] / 2**20:>7.1f} {r['peak_mib']:>12.0f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
