"""Content-addressed blob store on local disk: the only module that writes blob files."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    md5: str
    size: int


class BlobStore:
    """Blobs live at <root>/<aa>/<bb>/<sha256>; written to a temp file, fsynced, then renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root
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

    def discard(self, sha256: str) -> None:
        """Remove a blob (only for blobs no committed row references: see BlobStore.journal)."""
        self.path(sha256).unlink(missing_ok=True)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put_stream(_BytesReader(data))

    def put_stream(self, stream: BinaryIO | _BytesReader) -> StoredBlob:
        self.root.mkdir(parents=True, exist_ok=True)
        sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    sha.update(chunk)
                    md5.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            digest = sha.hexdigest()
            final = self.path(digest)
            if final.exists():
                os.unlink(tmp_name)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp_name, final)
                _fsync_dir(final.parent)
                journal: list[str] | None = getattr(self._local, "journal", None)
                if journal is not None:
                    journal.append(digest)
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise
        return StoredBlob(sha256=digest, md5=md5.hexdigest(), size=size)

    def read_bytes(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def iter_chunks(self, sha256: str) -> Iterator[bytes]:
        with self.path(sha256).open("rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
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
