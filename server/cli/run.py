"""Running Chumchon: `serve` (everything on one machine) and `web` (the web server alone, for scale-out).

`serve` is a small supervisor: it prepares the installation (migrations, first accounts, shipped
forms), prints how to connect, then runs the web server and a Celery worker as child processes and
restarts either if it dies."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
from granian import Granian
from granian.constants import Interfaces

from server.cli import sizing
from server.cli.context import cli_services
from server.core.accounts import bootstrap, collect_qr, projects
from server.core.forms.shipped import publish_shipped_forms
from server.core.ground.services import Services
from server.web import wsgi
from server.web.app import create_app

RESTART_LIMIT = 5


def lan_address() -> str:
    """Best guess of this machine's address on the local network, for phones; no packets are sent."""
    try:
        addresses = socket.gethostbyname_ex(socket.gethostname())[2]
    except OSError:
        return "127.0.0.1"
    for addr in addresses:
        if not addr.startswith("127."):
            return addr
    return "127.0.0.1"


def base_url(svc: Services, host: str, port: int) -> str:
    if svc.settings.public_url:
        return svc.settings.public_url
    shown = lan_address() if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}"


def print_welcome(svc: Services, logins: bootstrap.FirstLogins, url: str, published: list[str]) -> Path:
    token = logins.collector_token or ""
    collect_url = f"{url}/key/{token}/projects/{logins.project_id}"
    payload = collect_qr.encode_settings(
        collect_qr.collect_settings(url, token, logins.project_id, logins.project_name)
    )
    png = svc.settings.data_dir / f"collect-qr-{logins.collector_username}.png"
    collect_qr.qr_png(payload, png)
    click.echo("")
    click.echo("ชุมชน Chumchon is starting")
    click.echo(f"  เว็บไซต์ / Web:          {url}")
    click.echo(f"  API:                     {url}/v1/projects")
    if logins.admin_password:
        click.echo(f"  ผู้ดูแล / Admin login:   {logins.admin_username} / {logins.admin_password}")
    else:
        click.echo(f"  ผู้ดูแล / Admin login:   {logins.admin_username} (password set earlier)")
    click.echo(f"  พัฒนากร / Collector:     {logins.collector_username} (no password: token URL below)")
    click.echo(f"  ODK Collect server URL:  {collect_url}")
    click.echo(f"  Forms published:         {', '.join(published) if published else 'none'}")
    click.echo(f"  QR code PNG:             {png}")
    if "://127." in url or "://localhost" in url:
        click.echo("  หมายเหตุ / Note: phones cannot reach 127.0.0.1 — set CHUMCHON_PUBLIC_URL to this")
        click.echo("  machine's network address (e.g. http://192.168.1.10:8080) so the QR code works.")
    click.echo("  สแกนด้วย ODK Collect / Scan with ODK Collect (Project > Add project > Scan QR):")
    click.echo(collect_qr.qr_terminal(payload))
    return png


def _spawn(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "server.cli", *args], env=os.environ.copy())


def supervise(children: dict[str, list[str]]) -> int:
    """Run the children until interrupted; restart one that dies, up to RESTART_LIMIT times."""
    procs = {name: _spawn(args) for name, args in children.items()}
    restarts = dict.fromkeys(children, 0)
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            time.sleep(0.5)
            for name, proc in list(procs.items()):
                if proc.poll() is None or stopping:
                    continue
                if restarts[name] >= RESTART_LIMIT:
                    click.echo(f"{name} keeps stopping (exit {proc.returncode}); giving up.", err=True)
                    return 1
                restarts[name] += 1
                click.echo(f"{name} stopped (exit {proc.returncode}); restarting.", err=True)
                procs[name] = _spawn(children[name])
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int)
@click.option(
    "--forms-dir",
    type=click.Path(path_type=Path),
    default=Path("forms"),
    show_default=True,
    help="XLSForms to publish at start (with their media/ folder).",
)
@click.option(
    "--workers",
    "web_workers",
    default=sizing.web_workers,
    show_default="half the CPUs, at least 1",
    type=int,
    envvar="CHUMCHON_WEB_WORKERS",
    help="Web processes.",
)
@click.option(
    "--threads",
    default=sizing.web_threads,
    show_default="8",
    type=int,
    envvar="CHUMCHON_WEB_THREADS",
    help="Threads per web process.",
)
@click.option(
    "--concurrency",
    default=sizing.worker_concurrency,
    show_default="one per CPU",
    type=int,
    envvar="CHUMCHON_WORKER_CONCURRENCY",
    help="Worker processes.",
)
def serve(host: str, port: int, forms_dir: Path, web_workers: int, threads: int, concurrency: int) -> None:
    """Web server and worker together; the embedded default when no database/broker URL is set."""
    with cli_services() as svc:
        with svc.db.session() as session:
            logins = bootstrap.ensure_first_accounts(session, svc.settings.data_dir)
        published = publish_shipped_forms(svc, logins.project_id, forms_dir) if forms_dir.is_dir() else []
        mode = "embedded (SQLite, local broker)" if svc.settings.embedded_database else "configured database"
        click.echo(f"Data directory: {svc.settings.data_dir} — {mode}")
        print_welcome(svc, logins, base_url(svc, host, port), published)
    code = supervise(
        {
            "web": ["web", "--host", host, "--port", str(port), "--workers", str(web_workers),
                    "--threads", str(threads)],
            "worker": ["worker", "--beat", "--concurrency", str(concurrency)],
        }
    )
    sys.exit(code)


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=sizing.web_workers, show_default="half the CPUs, at least 1", type=int,
              envvar="CHUMCHON_WEB_WORKERS", help="Web server processes.")
@click.option("--threads", default=sizing.web_threads, show_default="8", type=int,
              envvar="CHUMCHON_WEB_THREADS", help="Python threads per web process.")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              envvar="CHUMCHON_ACCESS_LOG", help="A line per request on standard output.")
def web(host: str, port: int, workers: int, threads: int, access_log: bool) -> None:
    """The web server alone (Granian, WSGI): run as many as needed behind a proxy."""
    with cli_services() as svc:
        with svc.db.session() as session:
            projects.ensure_default_project(session)  # the bare server URL needs a project behind it
        app = create_app(svc)
        # Connections opened by the migration must not be inherited by forked web processes.
        svc.db.engine.dispose()
        wsgi.prepare(app)
        Granian(
            "server.web.wsgi:application",
            factory=True,
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            blocking_threads=threads,
            log_access=access_log,  # a tenth of a submission's web CPU when on (bench/ingest.py)
            respawn_failed_workers=True,
            workers_kill_timeout=20,
        ).serve()


def register(group: click.Group) -> None:
    group.add_command(serve)
    group.add_command(web)
