"""Ingest benchmark: accepted submissions/s, latency, processing lag and CPU per submission.

Runs Chumchon as in production — `chumchon web` (Granian) + `chumchon worker` (Celery) on PostgreSQL
and a private redis-server — or the embedded default (`chumchon serve` on SQLite + the kombu SQLAlchemy
broker, `--embedded`), and posts real multipart OpenRosa submissions (a household form of 60 questions
with a 4-member repeat, ≈ 3.8 KB of XML) to 127.0.0.1 from keep-alive connections, with a collector's
token URL and with Digest (one nonce per client, `nc` counting up, as ODK Collect does).

    python bench/ingest.py --quick              # one short run per level, token URL only
    python bench/ingest.py                      # 1/8/32 clients x token + Digest x 3 runs of 20 s
    python bench/ingest.py --embedded           # the same against `chumchon serve` on SQLite
    python bench/ingest.py --soak 600           # 32 clients for 10 minutes: memory and backlog over time

Per level it prints accepted/s, p50/p95/p99, errors, the time from the last 201 until every submission
was processed ("drain"), and CPU milliseconds per submission of the server process tree, of the
PostgreSQL backends serving the bench database and of redis-server (read from /proc before and after
each run, drain included). PostgreSQL's shared background processes are not counted; they serve every
database on the machine. Uses the database `--pg-db` (dropped and created) and a private redis-server."""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.live.harness import RedisServer, free_port, wait_until  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
BOUNDARY = "chumchonbenchboundary7d3f"
PASSWORD = "bench-password"
BENCH_APP = "chumchon-bench"

# --------------------------------------------------------------------------- the form and its submissions

MAIN_TEXT = 20
MAIN_INT = 15
MAIN_SELECT = 15
MAIN_DECIMAL = 5
MAIN_DATE = 5
MEMBER_FIELDS = 10
MEMBERS = 4


def form_markdown() -> str:
    rows = ["| survey |", "| | type | name | label::Thai (th) | label::English (en) |"]
    for i in range(MAIN_TEXT):
        rows.append(f"| | text | t{i} | ข้อความ {i} | Text {i} |")
    for i in range(MAIN_INT):
        rows.append(f"| | integer | n{i} | จำนวน {i} | Number {i} |")
    for i in range(MAIN_SELECT):
        rows.append(f"| | select_one yn | s{i} | เลือก {i} | Choice {i} |")
    for i in range(MAIN_DECIMAL):
        rows.append(f"| | decimal | d{i} | ทศนิยม {i} | Decimal {i} |")
    for i in range(MAIN_DATE):
        rows.append(f"| | date | dt{i} | วันที่ {i} | Date {i} |")
    rows.append("| | begin repeat | members | สมาชิก | Members |")
    for i in range(MEMBER_FIELDS):
        kind = "text" if i % 2 == 0 else "integer"
        rows.append(f"| | {kind} | m{i} | สมาชิก {i} | Member {i} |")
    rows.append("| | end repeat | | | |")
    rows += [
        "| choices |",
        "| | list_name | name | label::Thai (th) | label::English (en) |",
        "| | yn | 1 | ใช่ | Yes |",
        "| | yn | 2 | ไม่ใช่ | No |",
        "| settings |",
        "| | form_id | version | form_title | default_language |",
        "| | bench_household | 1 | แบบทดสอบความเร็ว | Thai (th) |",
    ]
    return "\n".join(rows) + "\n"


def submission_xml(n: int) -> bytes:
    parts = [
        "<?xml version='1.0' encoding='UTF-8' ?>",
        '<data xmlns:jr="http://openrosa.org/javarosa" id="bench_household" version="1">',
    ]
    parts += [f"<t{i}>บ้านเลขที่ {n} หมู่ {i}</t{i}>" for i in range(MAIN_TEXT)]
    parts += [f"<n{i}>{(n + i) % 97}</n{i}>" for i in range(MAIN_INT)]
    parts += [f"<s{i}>{1 + (n + i) % 2}</s{i}>" for i in range(MAIN_SELECT)]
    parts += [f"<d{i}>{n % 50}.{i}5</d{i}>" for i in range(MAIN_DECIMAL)]
    parts += [f"<dt{i}>2026-0{1 + i}-1{i}</dt{i}>" for i in range(MAIN_DATE)]
    for m in range(MEMBERS):
        fields = "".join(
            f"<m{i}>สมชาย {m}</m{i}>" if i % 2 == 0 else f"<m{i}>{20 + m + i}</m{i}>"
            for i in range(MEMBER_FIELDS)
        )
        parts.append(f"<members>{fields}</members>")
    parts.append(f"<meta><instanceID>uuid:{uuid.uuid4()}</instanceID></meta></data>")
    return "".join(parts).encode("utf-8")


def multipart_body(xml: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="xml_submission_file"; '
            f'filename="submission.xml"\r\nContent-Type: text/xml\r\n\r\n'
        ).encode()
        + xml
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


# --------------------------------------------------------------------------- clients


def _md5(s: str) -> str:
    return hashlib.md5(s.encode(), usedforsecurity=False).hexdigest()


class Client:
    """One phone: a keep-alive connection; Digest with one nonce and an incrementing nc, or a token URL."""

    def __init__(self, url: str, digest_user: str | None) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
        self.digest_user = digest_user
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.nonce: str | None = None
        self.nc = 0
        self.cnonce = uuid.uuid4().hex[:16]
        self.ha1 = _md5(f"{digest_user}:chumchon:{PASSWORD}") if digest_user else ""

    def _request(self, method: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes, str]:
        for attempt in (1, 2):
            try:
                self.conn.request(method, self.path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                return resp.status, data, resp.getheader("WWW-Authenticate") or ""
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _challenge(self) -> None:
        status, _, header = self._request("HEAD", None, {"X-OpenRosa-Version": "1.0"})
        if status != 401 or "nonce=" not in header:
            raise RuntimeError(f"expected a Digest challenge, got {status}")
        self.nonce = header.split('nonce="', 1)[1].split('"', 1)[0]
        self.nc = 0

    def _auth_header(self, method: str) -> str:
        if self.nonce is None:
            self._challenge()
        self.nc += 1
        nc = f"{self.nc:08x}"
        ha2 = _md5(f"{method}:{self.path}")
        response = _md5(f"{self.ha1}:{self.nonce}:{nc}:{self.cnonce}:auth:{ha2}")
        return (
            f'Digest username="{self.digest_user}", realm="chumchon", nonce="{self.nonce}", uri="{self.path}", '
            f'qop=auth, nc={nc}, cnonce="{self.cnonce}", response="{response}", algorithm=MD5'
        )

    def submit(self, body: bytes) -> int:
        headers = {
            "X-OpenRosa-Version": "1.0",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "User-Agent": "org.odk.collect.android/bench",
        }
        for _ in range(3):
            if self.digest_user:
                headers["Authorization"] = self._auth_header("POST")
            status, _, _challenge = self._request("POST", body, headers)
            if status == 401 and self.digest_user:
                self.nonce = None  # stale nonce: challenge again, as Collect does
                continue
            return status
        return 401


@dataclass
class LevelResult:
    clients: int
    accepted: int
    errors: int
    seconds: float
    latencies: list[float]
    last_201: float
    drained_at: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def run_level(
    url: str,
    clients: int,
    count: int,
    digest_user: str | None,
    seconds: float | None = None,
    on_tick: Callable[[int], None] | None = None,
) -> LevelResult:
    """count submissions (or as many as fit in `seconds`) from `clients` threads. Bodies are built
    before the clock starts (for a timed run, enough for 600/s up to 60,000; past them each is built when sent)."""
    if seconds:
        count = max(count, min(int(seconds * 600), 60_000))
    bodies = [multipart_body(submission_xml(i)) for i in range(count)]
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    errors = [0]
    last_ok = [0.0]
    phones = [Client(url, digest_user) for _ in range(clients)]
    for phone in phones:
        if digest_user:
            phone._challenge()
    started = time.perf_counter()
    deadline = started + seconds if seconds else None

    def work(phone: Client) -> None:
        while True:
            with lock:
                i = next_index[0]
                if (deadline is None and i >= count) or (
                    deadline is not None and time.perf_counter() > deadline
                ):
                    return
                next_index[0] += 1
            body = bodies[i] if i < count else multipart_body(submission_xml(i))
            t0 = time.perf_counter()
            try:
                status = phone.submit(body)
            except (OSError, http.client.HTTPException):
                status = 0
            t1 = time.perf_counter()
            with lock:
                if status == 201:
                    latencies.append(t1 - t0)
                    last_ok[0] = max(last_ok[0], t1)
                else:
                    errors[0] += 1
                    if errors[0] <= 5:
                        print(f"  error: HTTP {status}", file=sys.stderr)

    threads = [threading.Thread(target=work, args=(p,), daemon=True) for p in phones]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(timeout=5)
        if on_tick is not None:
            on_tick(len(latencies))
    wall = time.perf_counter() - started
    for phone in phones:
        phone.conn.close()
    return LevelResult(clients, len(latencies), errors[0], wall, latencies, last_ok[0])


# --------------------------------------------------------------------------- CPU and memory from /proc


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(session id, cpu ticks, rss bytes) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[3]), int(fields[11]) + int(fields[12]), int(fields[21]) * PAGE


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def session_pids(sessions: set[int]) -> list[int]:
    out = []
    for pid in _all_pids():
        st = _stat(pid)
        if st is not None and st[0] in sessions:
            out.append(pid)
    return out


def cpu_of(pids: list[int]) -> dict[int, int]:
    out = {}
    for pid in pids:
        st = _stat(pid)
        if st is not None:
            out[pid] = st[1]
    return out


class CpuMeter:
    """CPU ticks of the server tree (process sessions), PostgreSQL backends of one database,
    PostgreSQL's shared processes (checkpointer, WAL writer, background writer, autovacuum: they
    serve every database, but on this machine during a run only the bench writes) and redis-server."""

    def __init__(
        self,
        sessions: dict[str, int],
        pg_backends: Callable[[], list[int]],
        redis_pid: int | None,
        pg_shared: Callable[[], list[int]] | None = None,
    ) -> None:
        self.parts, self.pg_backends, self.redis_pid = sessions, pg_backends, redis_pid
        self.pg_shared = pg_shared
        self.sessions = set(sessions.values())

    def sample(self) -> dict[str, dict[int, int]]:
        out = {name: cpu_of(session_pids({sid})) for name, sid in self.parts.items()}
        out["postgres"] = cpu_of(self.pg_backends())
        if self.pg_shared is not None:
            out["pg-shared"] = cpu_of(self.pg_shared())
        out["redis"] = cpu_of([self.redis_pid] if self.redis_pid else [])
        return out

    @staticmethod
    def delta(before: dict[str, dict[int, int]], after: dict[str, dict[int, int]]) -> dict[str, float]:
        return {
            part: sum(ticks - before[part].get(pid, 0) for pid, ticks in after[part].items()) / TICKS
            for part in after
        }


# --------------------------------------------------------------------------- deployments


@dataclass
class Deployment:
    submit_token: str
    submit_digest: str
    digest_user: str
    backlog: Callable[[], int]
    meter: CpuMeter
    procs: list[subprocess.Popen[bytes]]
    describe: str
    redis: RedisServer | None = None
    between_runs: Callable[[], None] | None = None

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
        if self.redis is not None:
            self.redis.stop()


def _start(env: dict[str, str], args: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"chumchon {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _wait_http(base: str) -> None:
    def up() -> bool:
        conn = http.client.HTTPConnection(urlsplit(base).hostname, urlsplit(base).port, timeout=2)
        conn.request("HEAD", "/submission")
        return conn.getresponse().status in (204, 401)

    wait_until(up, 90, "the web server")


def _api(
    base: str,
    method: str,
    path: str,
    token: str | None = None,
    body: bytes = b"",
    ctype: str = "application/json",
) -> dict[str, object]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Content-Type": ctype}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    if resp.status >= 300:
        raise RuntimeError(f"{method} {path}: {resp.status} {data[:300]!r}")
    return json.loads(data) if data else {}


def _prepare(base: str, admin_password: str, env: dict[str, str]) -> tuple[str, str]:
    """Publish the bench form; create a collector (token URL) and a Digest account. Returns both URLs."""
    token = str(
        _api(
            base,
            "POST",
            "/v1/sessions",
            body=json.dumps({"email": "admin", "password": admin_password}).encode(),
        )["token"]
    )
    boundary = "formboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench_household.md"\r\n'
            f"Content-Type: text/markdown\r\n\r\n"
        ).encode()
        + form_markdown().encode()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    _api(
        base,
        "POST",
        "/v1/projects/1/forms?ignoreWarnings=true",
        token,
        body,
        f"multipart/form-data; boundary={boundary}",
    )
    out = _cli(env, "users", "create", "bench_collector", "--role", "collector", "--project", "1")
    token_url = next(line.strip() for line in out.splitlines() if "/key/" in line)
    token_url = token_url[token_url.index("http") :].split()[0]
    _cli(
        env, "users", "create", "bench_phone", "--role", "collector", "--project", "1", "--password", PASSWORD
    )
    return f"{token_url}/submission", f"{base}/projects/1/submission"


def start_production(args: argparse.Namespace, data_dir: Path) -> Deployment:
    pg_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.pg_db}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {args.pg_db} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {args.pg_db}"))
    redis = RedisServer(port=free_port())
    redis.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CHUMCHON_DATA_DIR": str(data_dir),
        "CHUMCHON_DATABASE_URL": pg_url,
        "CHUMCHON_BROKER_URL": redis.url,
        "CHUMCHON_PUBLIC_URL": base,
        "CHUMCHON_SECRET_KEY": "bench",
    }
    _cli(env, "users", "create", "admin", "--role", "admin", "--password", PASSWORD)
    web_args = ["web", "--host", "127.0.0.1", "--port", str(port)]
    if args.web_workers:
        web_args += ["--workers", str(args.web_workers)]
    if args.threads:
        web_args += ["--threads", str(args.threads)]
    worker_args = ["worker", "--beat"]
    if args.concurrency:
        worker_args += ["--concurrency", str(args.concurrency)]
    web = _start(env, web_args, data_dir / "web.log")
    worker = _start(env, worker_args, data_dir / "worker.log")
    _wait_http(base)
    submit_token, submit_digest = _prepare(base, PASSWORD, env)
    # The bench's own connections are named, so that their CPU is not counted as the server's.
    engine = create_engine(pg_url, pool_size=1, connect_args={"application_name": BENCH_APP})
    maintenance = create_engine(
        pg_url, isolation_level="AUTOCOMMIT", connect_args={"application_name": BENCH_APP}
    )

    def vacuum() -> None:
        # What autovacuum does in production (it is off on these machines): without it every run
        # scans the dead row versions the runs before it left behind.
        with maintenance.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))

    vacuum()

    def backlog() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "select count(*) from submission_version where processing_state in ('received', 'failed')"
                    )
                ).scalar()
                or 0
            )

    def backends() -> list[int]:
        with admin.connect() as conn:
            return [
                int(r[0])
                for r in conn.execute(
                    text(
                        "select pid from pg_stat_activity where datname = :d and application_name <> :app "
                        "and pid <> pg_backend_pid()"
                    ),
                    {"d": args.pg_db, "app": BENCH_APP},
                )
            ]

    def shared() -> list[int]:
        with admin.connect() as conn:
            return [
                int(r[0])
                for r in conn.execute(
                    text("select pid from pg_stat_activity where backend_type <> 'client backend'")
                )
            ]

    meter = CpuMeter(
        {"web": web.pid, "worker": worker.pid}, backends, redis.proc.pid if redis.proc else None, shared
    )
    return Deployment(
        submit_token,
        submit_digest,
        "bench_phone",
        backlog,
        meter,
        [web, worker],
        "chumchon web + chumchon worker, PostgreSQL + private redis-server",
        redis,
        vacuum,
    )


def start_embedded(args: argparse.Namespace, data_dir: Path) -> Deployment:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHUMCHON_")}
    env.update({"CHUMCHON_DATA_DIR": str(data_dir), "CHUMCHON_PUBLIC_URL": base})
    serve_args = [
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--forms-dir",
        str(data_dir / "no-forms"),
    ]
    if args.web_workers:
        serve_args += ["--workers", str(args.web_workers)]
    if args.concurrency:
        serve_args += ["--concurrency", str(args.concurrency)]
    serve = _start(env, serve_args, data_dir / "serve.log")
    _wait_http(base)
    logins = json.loads((data_dir / "first-logins.txt").read_text(encoding="utf-8"))
    submit_token, submit_digest = _prepare(base, logins["admin_password"], env)
    db_path = data_dir / "chumchon.sqlite3"

    def backlog() -> int:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
        try:
            return int(
                conn.execute(
                    "select count(*) from submission_version where processing_state in ('received', 'failed')"
                ).fetchone()[0]
            )
        finally:
            conn.close()

    meter = CpuMeter({"serve": serve.pid}, list, None)
    return Deployment(
        submit_token,
        submit_digest,
        "bench_phone",
        backlog,
        meter,
        [serve],
        "chumchon serve, embedded default (SQLite + kombu SQLAlchemy broker)",
    )


# --------------------------------------------------------------------------- runs


def measure(
    dep: Deployment, clients: int, count: int, auth: str, seconds: float | None = None
) -> LevelResult:
    url = dep.submit_token if auth == "token" else dep.submit_digest
    user = dep.digest_user if auth == "digest" else None
    if dep.between_runs is not None:
        dep.between_runs()
    before = dep.meter.sample()
    result = run_level(url, clients, count, user, seconds=seconds)
    wait_until(lambda: dep.backlog() == 0, 900, "the worker to process every submission", interval=0.05)
    result.drained_at = time.perf_counter()
    after = dep.meter.sample()
    result.cpu = CpuMeter.delta(before, after)
    return result


def soak(dep: Deployment, seconds: float, clients: int) -> None:
    print(
        f"soak: {clients} clients for {seconds:.0f}s (token URL); every 30 s: accepted, backlog, RSS MiB per process"
    )
    t0 = time.perf_counter()
    stop = threading.Event()

    def report() -> None:
        while not stop.wait(30):
            # No VACUUM from the bench here: autovacuum is off on these machines, and Chumchon's
            # worker does its work then (server.core.ground.upkeep), counted in the server's CPU.
            labelled = [
                (f"{name}:{pid}", pid) for name, sid in dep.meter.parts.items() for pid in session_pids({sid})
            ]
            labelled += [(f"pg:{pid}", pid) for pid in dep.meter.pg_backends()]
            labelled += [(f"redis:{dep.meter.redis_pid}", dep.meter.redis_pid)] if dep.meter.redis_pid else []
            rss = {label: st[2] / 2**20 for label, pid in labelled if (st := _stat(pid)) is not None}
            print(
                f"  t={time.perf_counter() - t0:5.0f}s backlog={dep.backlog():5d} RSS MiB: "
                + " ".join(f"{k}={v:.0f}" for k, v in sorted(rss.items())),
                flush=True,
            )

    reporter = threading.Thread(target=report, daemon=True)
    reporter.start()
    before = dep.meter.sample()
    result = run_level(dep.submit_token, clients, 2000, None, seconds=seconds)
    wait_until(lambda: dep.backlog() == 0, 900, "the backlog to drain", interval=0.05)
    drain = time.perf_counter() - result.last_201
    stop.set()
    cpu = CpuMeter.delta(before, dep.meter.sample())
    print(
        f"soak: {result.accepted} accepted, {result.errors} errors, {result.accepted / result.seconds:.1f}/s, "
        f"p99 {result.pct(0.99):.0f} ms, drain {drain:.1f}s, "
        f"CPU ms/sub {1000 * sum(cpu.values()) / max(1, result.accepted):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="one run per level, token URL only, 300 per level"
    )
    parser.add_argument("--embedded", action="store_true", help="`chumchon serve` on SQLite instead")
    parser.add_argument(
        "--per-level",
        type=int,
        default=None,
        help="submissions per run instead of 20-second runs (quick: 300)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="seconds per run (default 20 unless --per-level or --quick)",
    )
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--runs", type=int, default=None, help="runs per level and auth (default 3; quick 1)")
    parser.add_argument("--auth", default=None, help="token,digest (default both; quick token)")
    parser.add_argument(
        "--web-workers", type=int, default=0, help="web processes (default: chumchon's own)"
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="threads per web process (default: chumchon's)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=0, help="Celery worker processes (default: chumchon's)"
    )
    parser.add_argument("--pg-db", default="chumchon_bench")
    parser.add_argument(
        "--soak", type=float, default=0, help="seconds of a 32-client soak instead of the levels"
    )
    args = parser.parse_args()
    per_level = args.per_level or (300 if args.quick else 1000)
    if args.seconds is None and args.per_level is None and not args.quick:
        args.seconds = 20.0  # issue 14's method: 20-second runs
    runs = args.runs or (1 if args.quick else 3)
    auths = (args.auth or ("token" if args.quick else "token,digest")).split(",")

    data_dir = Path(tempfile.mkdtemp(prefix="chumchon-bench-"))
    dep = start_embedded(args, data_dir) if args.embedded else start_production(args, data_dir)
    try:
        for _ in range(3):  # warm-up: connections, caches, both web processes
            run_level(dep.submit_token, 4, 40, None)
        wait_until(lambda: dep.backlog() == 0, 300, "warm-up processing", interval=0.05)
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average before: {os.getloadavg()[0]:.2f}"
        )
        print(f"server: {dep.describe}; data in {data_dir}")
        if args.soak:
            soak(dep, args.soak, 32)
            return
        print(
            f"{'auth':>6} {'clients':>7} {'run':>3} {'subs':>5} {'acc/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} "
            f"{'err':>4} {'drain s':>7}  CPU ms per submission"
        )
        summary: dict[tuple[str, int], list[LevelResult]] = {}
        for clients in (int(c) for c in args.levels.split(",")):
            for run in range(runs):
                for auth in auths:  # interleaved, so machine noise spreads over both
                    r = measure(dep, clients, per_level, auth, args.seconds)
                    summary.setdefault((auth, clients), []).append(r)
                    per = {k: 1000 * v / max(1, r.accepted) for k, v in r.cpu.items()}
                    print(
                        f"{auth:>6} {clients:>7} {run + 1:>3} {r.accepted:>5} {r.accepted / r.seconds:>7.1f} "
                        f"{r.pct(0.5):>6.0f} {r.pct(0.95):>6.0f} {r.pct(0.99):>6.0f} {r.errors:>4} "
                        f"{r.drained_at - r.last_201:>7.2f}  "
                        + " ".join(f"{k} {v:.2f}" for k, v in per.items())
                        + f" total {sum(per.values()):.2f}",
                        flush=True,
                    )
        if runs > 1:
            print("medians:")
            for (auth, clients), results in summary.items():

                def med(f: Callable[[LevelResult], float], results: list[LevelResult] = results) -> float:
                    return statistics.median(f(r) for r in results)

                print(
                    f"{auth:>6} {clients:>7} acc/s {med(lambda r: r.accepted / r.seconds):7.1f} "
                    f"p50 {med(lambda r: r.pct(0.5)):5.0f} p99 {med(lambda r: r.pct(0.99)):5.0f} "
                    f"drain {med(lambda r: r.drained_at - r.last_201):5.2f}s "
                    f"cpu ms/sub {med(lambda r: 1000 * sum(r.cpu.values()) / max(1, r.accepted)):5.2f}"
                )
    finally:
        dep.stop()


if __name__ == "__main__":
    main()
