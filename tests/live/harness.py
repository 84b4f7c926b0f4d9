"""Real processes for live tests: `chumchon serve` (Granian web processes + Celery worker) and a private redis-server.

Waits here are bounded polls for a state to be reached, never timing assertions."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    """Poll until check() returns something truthy; fail with `what` if it never does."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001  # the thing polled may not be up yet
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"gave up waiting for {what} after {timeout:.0f}s (last error: {last_error})")


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes]
    log_path: Path
    admin_password: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def api(self) -> requests.Session:
        session = requests.Session()
        resp = session.post(
            f"{self.url}/v1/sessions", json={"email": "admin", "password": self.admin_password}
        )
        resp.raise_for_status()
        session.headers["Authorization"] = f"Bearer {resp.json()['token']}"
        return session

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_serve(
    settings_env: dict[str, str], tmp_path: Path, *args: str, extra_env: dict[str, str] | None = None
) -> LiveServer:
    """Start `chumchon serve` exactly as an operator would, on a free port, and wait until it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **settings_env, "CHUMCHON_PUBLIC_URL": url, **(extra_env or {})}
    log_path = tmp_path / f"serve-{port}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--concurrency",
            "1",
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = LiveServer(
        url=url, data_dir=Path(settings_env["CHUMCHON_DATA_DIR"]), env=env, proc=proc, log_path=log_path
    )

    def answering() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"chumchon serve exited early:\n{server.log()}")
        return requests.head(f"{url}/submission", timeout=2).status_code in (204, 401)

    try:
        wait_until(answering, 90, "the web server to answer")
    except AssertionError:
        server.stop()
        raise
    logins = json.loads((server.data_dir / "first-logins.txt").read_text(encoding="utf-8"))
    server.admin_password = logins["admin_password"]
    return server


@dataclass
class RedisServer:
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _redis_ping(self.port), 20, f"redis on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


def _redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")
