"""Benchmark: entity lists at scale.

1. Processing throughput of registrations that create entities: N registration submissions stored
   through intake (as Collect's POSTs leave them), then the batch processor run until none waits.
   Then the same entities rebuilt from scratch (`chumchon reprocess --rebuild-entities`).
2. An entity list of M entities served to a follow-up form: the manifest entry (its md5 comes from
   the list's version counter, not from the rows) and the whole `LIST.csv` streamed, with the peak
   memory of this process while streaming.

    python bench/entities.py                          # N = 2,000 registrations, M = 100,000 entities
    python bench/entities.py --n 5000 --m 100000
    CHUMCHON_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/chumchon_entities python bench/entities.py

Default database: a fresh SQLite file in a temporary directory. A PostgreSQL database named by
CHUMCHON_DATABASE_URL IS WIPED (schema public dropped and re-created)."""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

from sqlalchemy import insert, select, text

from server.core.accounts import projects, users
from server.core.entities.lists import find_list, list_md5, touch_lists
from server.core.entities.media import stream_list_csv
from server.core.forms import form_media
from server.core.forms.publishing import publish_form
from server.core.ground.cache import LookupCache
from server.core.ground.db import make_engine
from server.core.ground.migrate import upgrade_to_head
from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.core.models import Entity, EntityVersion, Form
from server.core.submissions.batches import process_pending
from server.core.submissions.entity_rebuild import rebuild_entities
from server.core.submissions.intake import accept_submission

REGISTRATION = """
| survey |
| | type | name | label | save_to |
| | text | first_name | First name | first_name |
| | text | last_name | Last name | last_name |
| | text | village | Village | village |
| | text | phone | Phone | phone |
| entities |
| | list_name | label |
| | beneficiaries | concat(${first_name}, ' ', ${last_name}) |
| settings |
| | form_id | version |
| | reg | 1 |
"""
FOLLOW_UP = """
| survey |
| | type | name | label | save_to |
| | select_one_from_file beneficiaries.csv | person | Person | |
| | text | village | Village | village |
| entities |
| | list_name | entity_id |
| | beneficiaries | ${person} |
| settings |
| | form_id | version |
| | verify | 1 |
"""


def _registration(i: int) -> bytes:
    return (
        f'<data id="reg" version="1"><first_name>สมศรี{i}</first_name><last_name>ใจดี</last_name>'
        f"<village>บ้านหนองบัว หมู่ {i % 20}</village><phone>08{i:08d}</phone>"
        f'<meta><entity dataset="beneficiaries" create="1" id="{uuid.uuid4()}"><label>สมศรี{i} ใจดี</label>'
        f"</entity><instanceID>uuid:{uuid.uuid4()}</instanceID></meta></data>"
    ).encode()


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="registrations to process")
    parser.add_argument("--m", type=int, default=100_000, help="entities in the served list")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="chumchon-bench-entities-"))
    env = {"CHUMCHON_DATA_DIR": str(tmp), "CHUMCHON_SECRET_KEY": "bench"}
    url = os.environ.get("CHUMCHON_DATABASE_URL", "").strip()
    if url:
        env["CHUMCHON_DATABASE_URL"] = url
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    settings = load_settings(env)
    services = build_services(settings)
    upgrade_to_head(services.db.engine)
    with services.db.session() as session:
        project = projects.ensure_default_project(session)
        collector = users.create_user(session, "bench_phone", "collector", password=None, project_id=project.id)
        publish_form(session, services.blobs, project.id, REGISTRATION.encode(), "reg.md")
        follow_up = publish_form(session, services.blobs, project.id, FOLLOW_UP.encode(), "verify.md")
    backend = "PostgreSQL" if url else "SQLite"

    # 1. registrations → entities
    cache = LookupCache()
    for start in range(0, args.n, 500):
        with services.db.session() as session:
            for i in range(start, min(args.n, start + 500)):
                accept_submission(session, services.blobs, project.id, _registration(i), [], user=collector, cache=cache)
    started = time.perf_counter()
    counts = process_pending(services.db.sessions, cache, services.blobs)
    seconds = time.perf_counter() - started
    with services.db.session() as session:
        made = session.scalar(select(text("count(*)")).select_from(Entity))
    print(f"[{backend}] processing: {counts['processed']:,} registrations → {made:,} entities in {seconds:.1f} s"
          f" = {counts['processed'] / seconds:,.0f} registrations/s")

    # 1b. the same entities rebuilt from scratch (`chumchon reprocess --rebuild-entities`)
    started = time.perf_counter()
    with services.db.session() as session:
        rebuilt = rebuild_entities(session, services.blobs, project.id)
        session.commit()
    seconds = time.perf_counter() - started
    print(f"[{backend}] rebuild: {rebuilt.entities_after:,} entities, {rebuilt.versions_after:,} versions from"
          f" {rebuilt.submissions:,} submission versions in {seconds:.1f} s"
          f" = {rebuilt.submissions / seconds:,.0f} submissions/s")

    # 2. a list of M served as form media
    with services.db.session() as session:
        entity_list = find_list(session, project.id, "beneficiaries")
        assert entity_list is not None
        for start in range(len(range(made)), args.m, 5000):
            rows = []
            for i in range(start, min(args.m, start + 5000)):
                data = {"first_name": f"บุญมี{i}", "last_name": "มีสุข", "village": f"บ้านดง {i % 30}", "phone": f"09{i:08d}"}
                rows.append({"entity_list_id": entity_list.id, "uuid": str(uuid.uuid4()), "label": f"บุญมี{i} มีสุข",
                             "data": data, "version": 1})
            session.execute(insert(Entity), rows)
            ids = session.scalars(select(Entity.id).where(Entity.uuid.in_([r["uuid"] for r in rows]))).all()
            session.execute(insert(EntityVersion), [
                {"entity_id": eid, "version": 1, "label": "-", "data": {}, "data_received": {}, "source": "api"}
                for eid in ids
            ])
        touch_lists(session, [entity_list.id])
        if url:
            session.execute(text("ANALYZE"))
    with services.db.session() as session:
        form_version = session.scalar(select(Form).where(Form.xml_form_id == "verify")).current_version  # type: ignore[union-attr]
        assert form_version is not None and form_version.id == follow_up.id
        started = time.perf_counter()
        files = form_media.manifest_files(session, form_version, project.id)
        manifest_ms = (time.perf_counter() - started) * 1000
        assert files[0].md5 == list_md5(files[0].entity_list)  # type: ignore[arg-type]
    rss_before = _rss_mib()
    tracemalloc.start()
    started = time.perf_counter()
    size = 0
    lines = 0
    for chunk in stream_list_csv(services.db.sessions, entity_list.id):
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    traced_peak = tracemalloc.get_traced_memory()[1] / 1048576
    tracemalloc.stop()
    print(f"[{backend}] manifest with the list: {manifest_ms:.1f} ms; beneficiaries.csv: {lines - 1:,} entities,"
          f" {size / 1048576:.1f} MiB in {seconds:.2f} s ({(lines - 1) / seconds:,.0f} rows/s);"
          f" Python memory peak while streaming {traced_peak:.1f} MiB;"
          f" process peak RSS {rss_before:.0f} MiB before, {_rss_mib():.0f} MiB after")
    services.close()


if __name__ == "__main__":
    main()
