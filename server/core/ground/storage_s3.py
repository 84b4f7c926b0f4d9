"""The blob store on an S3-compatible service (`CHUMCHON_BLOB_URL=s3://bucket/prefix`), for several web
and worker machines sharing one store. Same contract as the disk store (see `storage`).

A blob is first spooled to a local temporary file while it is hashed (its name is its SHA-256), then
sent with its MD5 so the service refuses bytes damaged on the way, and `If-None-Match: *` so that of
two concurrent writers of the same bytes only one counts as the creator. `put_*` returns after the
service has acknowledged the write, which S3 gives only once the object is durably stored. A service
that cannot be reached raises StorageUnavailable (a 503 with Retry-After at the web edge)."""

from __future__ import annotations

import base64
import os
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from server.core.ground.errors import StorageUnavailable
from server.core.ground.settings import Settings
from server.core.ground.storage import CHUNK, BlobStore, Readable, StoredBlob, blob_key, copy_hashed

SPOOL_BYTES = 8 * 1024 * 1024  # smaller blobs are hashed in memory before the upload
_MISSING = {"404", "NoSuchKey", "NotFound"}
_EXISTS = {"412", "PreconditionFailed", "409", "ConditionalRequestConflict"}


def _unavailable(err: Exception) -> StorageUnavailable:
    return StorageUnavailable(
        "ที่เก็บไฟล์ไม่พร้อมชั่วคราว ยังไม่ได้บันทึก กรุณาส่งใหม่ / The file store is briefly unavailable; "
        f"nothing was saved, please send again ({type(err).__name__})."
    )


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


class S3BlobStore(BlobStore):
    def __init__(self, bucket: str, prefix: str, client_args: dict[str, Any]) -> None:
        super().__init__()
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client_args = client_args
        self._clients: dict[int, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> S3BlobStore:
        rest = settings.blob_url.removeprefix("s3://")
        bucket, _, prefix = rest.partition("/")
        args: dict[str, Any] = {
            "region_name": settings.s3_region or "us-east-1",
            "config": Config(
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
            ),
        }
        if settings.s3_endpoint_url:
            args["endpoint_url"] = settings.s3_endpoint_url
        if settings.s3_access_key_id:
            args["aws_access_key_id"] = settings.s3_access_key_id
            args["aws_secret_access_key"] = settings.s3_secret_access_key
        return cls(bucket, prefix, args)

    @property
    def client(self) -> Any:
        """One client per process: a client made before the web server or Celery forks is not reused after."""
        pid = os.getpid()
        client = self._clients.get(pid)
        if client is None:
            with self._lock:
                client = self._clients.get(pid)
                if client is None:
                    client = boto3.session.Session().client("s3", **self._client_args)
                    self._clients = {pid: client}
        return client

    def key(self, sha256: str) -> str:
        return f"{self.prefix}/{blob_key(sha256)}" if self.prefix else blob_key(sha256)

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as err:
            if _code(err) in _MISSING:
                return False
            raise _unavailable(err) from err
        except BotoCoreError as err:
            raise _unavailable(err) from err
        return True

    def put_stream(self, stream: Readable) -> StoredBlob:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            stored = copy_hashed(stream, spool)
            if self.exists(stored.sha256):
                return stored
            spool.seek(0)
            try:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=self.key(stored.sha256),
                    Body=spool,
                    ContentLength=stored.size,
                    ContentMD5=base64.b64encode(bytes.fromhex(stored.md5)).decode(),
                    IfNoneMatch="*",
                )
            except ClientError as err:
                if _code(err) in _EXISTS:  # another writer stored the same bytes first
                    return stored
                raise _unavailable(err) from err
            except BotoCoreError as err:
                raise _unavailable(err) from err
        self._created(stored.sha256)
        return stored

    def _body(self, sha256: str) -> Any:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
        except ClientError as err:
            if _code(err) in _MISSING:
                raise FileNotFoundError(f"blob {sha256} is not in s3://{self.bucket}/{self.prefix}") from err
            raise _unavailable(err) from err
        except BotoCoreError as err:
            raise _unavailable(err) from err

    def read_bytes(self, sha256: str) -> bytes:
        body = self._body(sha256)
        try:
            return bytes(body.read())
        finally:
            body.close()

    def iter_chunks(self, sha256: str) -> Iterator[bytes]:
        return _stream(self._body(sha256))

    def discard(self, sha256: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))
        except (ClientError, BotoCoreError) as err:
            raise _unavailable(err) from err


def _stream(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()
