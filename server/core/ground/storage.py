"""Content-addressed blob stores: the only modules that write blobs. The disk store is the embedded
default; `storage_s3` keeps the same contract on an S3-compatible service for scale-out.

The contract every store keeps: `put_*` returns only once the object is durably stored (so a 201 sent
after it never loses a byte), a blob is named by its SHA-256, writing the same bytes twice stores them
once, reads of a missing blob raise FileNotFoundError, and `iter_chunks` opens the blob before it
returns (so a missing blob or an unreachable store fails before a response is started)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from server.core.ground.settings import Settings

CHUNK = 1024 * 1024


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    md5: str
    size: int


def check_sha256(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return sha256


def blob_key(sha256: str) -> str:
    """The relative name of a blob: aa/bb/<sha256> (the same layout on disk, in S3 and in backups)."""
    check_sha256(sha256)
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class BlobStore:
    """What every store offers; subclasses implement the storage itself."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def journal(self) -> Iterator[list[str]]:
        """Within the block, the hashes of blobs this thread newly created are listed, so the caller
        can remove them if the transaction that would have referenced them fails."""
        outer: list[str] | None = getattr(self._local, "journal", None)
        created: list[str] = []
        self._local.journal = created
        try:
            yield created
        finally:
            self._local.journal = outer
            if outer is not None:
                outer.extend(created)

    def _created(self, sha256: str) -> None:
        journal: list[str] | None = getattr(self._local, "journal", None)
        if journal is not None:
            journal.append(sha256)

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put_stream(_BytesReader(data))

    def put_stream(self, stream: Readable) -> StoredBlob:
        raise NotImplementedError

    def exists(self, sha256: str) -> bool:
        raise NotImplementedError

    def read_bytes(self, sha256: str) -> bytes:
        raise NotImplementedError

    def iter_chunks(self, sha256: str) -> Iterator[bytes]:
        raise NotImplementedError

    def discard(self, sha256: str) -> None:
        """Remove a blob (only for blobs no committed row references: see BlobStore.journal)."""
        raise NotImplementedError


def copy_hashed(stream: Readable, out: IO[bytes]) -> StoredBlob:
    """Copy a stream into `out`, hashing as it goes."""
    sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    while chunk := stream.read(CHUNK):
        sha.update(chunk)
        md5.update(chunk)
        size += len(chunk)
        out.write(chunk)
    out.flush()
    return StoredBlob(sha256=sha.hexdigest(), md5=md5.hexdigest(), size=size)


class DiskBlobStore(BlobStore):
    """Blobs live at <root>/<aa>/<bb>/<sha256>; written to a temp file, fsynced, then renamed into place."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / blob_key(sha256)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def discard(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def put_stream(self, stream: Readable) -> StoredBlob:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                stored = copy_hashed(stream, out)
                os.fsync(out.fileno())
            final = self.path(stored.sha256)
            if final.exists():
                os.unlink(tmp_name)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp_name, final)
                _fsync_dir(final.parent)
                self._created(stored.sha256)
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise
        return stored

    def read_bytes(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def iter_chunks(self, sha256: str) -> Iterator[bytes]:
        return _chunks(self.path(sha256).open("rb"))


def _chunks(fh: BinaryIO) -> Iterator[bytes]:
    with fh:
        while chunk := fh.read(CHUNK):
            yield chunk


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._pos = 0

    def read(self, n: int = -1, /) -> bytes:
        end = len(self._data) if n < 0 else min(len(self._data), self._pos + n)
        chunk = bytes(self._data[self._pos : end])
        self._pos = end
        return chunk


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_blob_store(settings: Settings) -> BlobStore:
    """The store the settings name: S3 for `CHUMCHON_BLOB_URL=s3://…`, otherwise the data directory."""
    if settings.blob_url.startswith("s3://"):
        from server.core.ground.storage_s3 import S3BlobStore

        return S3BlobStore.from_settings(settings)
    return DiskBlobStore(settings.blob_dir)
