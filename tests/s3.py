"""A local S3-compatible server for the blob-store tests: moto's standalone server, started once per
run as a subprocess on 127.0.0.1 (never AWS: every client names this endpoint, with dummy keys)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests

from tests.live.harness import free_port, wait_until

KEYS = {"CHUMCHON_S3_ACCESS_KEY_ID": "testing", "CHUMCHON_S3_SECRET_ACCESS_KEY": "testing"}


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    proc: subprocess.Popen[bytes]

    def client(self):  # type: ignore[no-untyped-def]
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )

    def new_bucket(self) -> str:
        name = f"chumchon-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def env(self, bucket: str, prefix: str = "blobs") -> dict[str, str]:
        return {
            "CHUMCHON_BLOB_URL": f"s3://{bucket}/{prefix}",
            "CHUMCHON_S3_ENDPOINT_URL": self.endpoint,
            "CHUMCHON_S3_REGION": "us-east-1",
            **KEYS,
        }


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    port = free_port()
    log = Path(tmp_path_factory.mktemp("moto")) / "moto.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    server = S3Server(f"http://127.0.0.1:{port}", proc)
    try:
        wait_until(lambda: requests.get(server.endpoint, timeout=2).status_code < 500, 60, "moto's S3 server")
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=20)
