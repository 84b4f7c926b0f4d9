"""The blob-store contract, run against the disk store and against the S3 store on a local
S3-compatible server (moto, 127.0.0.1): what is stored is there as soon as `put` returns, named by its
SHA-256, stored once, streamed back whole, and removable; a missing blob or an unreachable store fails
before any byte is sent."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.core.ground.errors import StorageUnavailable
from server.core.ground.settings import SettingsError, load_settings
from server.core.ground.storage import BlobStore, DiskBlobStore, open_blob_store
from server.core.ground.storage_s3 import S3BlobStore
from tests.live.harness import free_port
from tests.s3 import S3Server


@pytest.fixture(params=["disk", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    env = {"CHUMCHON_DATA_DIR": str(tmp_path), "CHUMCHON_SECRET_KEY": "k"}
    if request.param == "s3":
        server: S3Server = request.getfixturevalue("s3_server")
        env.update(server.env(server.new_bucket(), "office/blobs"))
    yield open_blob_store(load_settings(env))


def test_the_settings_choose_the_store(store: BlobStore, request: pytest.FixtureRequest) -> None:
    assert isinstance(store, S3BlobStore if "s3" in request.node.callspec.id else DiskBlobStore)


def test_a_blob_is_there_once_put_returns_named_by_its_hash(store: BlobStore) -> None:
    data = "บ้านเลขที่ 12/3".encode() * 1000
    stored = store.put_bytes(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.md5 == hashlib.md5(data).hexdigest() and stored.size == len(data)
    assert store.exists(stored.sha256)
    assert store.read_bytes(stored.sha256) == data


def test_a_large_stream_goes_in_and_comes_back_in_chunks(store: BlobStore) -> None:
    data = bytes(range(256)) * (12 * 1024 * 16 // 4)  # 3 MiB: more than one chunk
    stored = store.put_stream(io.BytesIO(data))
    chunks = list(store.iter_chunks(stored.sha256))
    assert len(chunks) > 1 and b"".join(chunks) == data


def test_the_same_bytes_are_stored_once_and_only_the_first_write_is_journaled(store: BlobStore) -> None:
    with store.journal() as created:
        first = store.put_bytes(b"photo")
        second = store.put_bytes(b"photo")
        empty = store.put_bytes(b"")
    assert first == second
    assert created == [first.sha256, empty.sha256]
    assert store.read_bytes(empty.sha256) == b""


def test_a_discarded_or_missing_blob_fails_before_streaming_starts(store: BlobStore) -> None:
    sha = store.put_bytes(b"orphan").sha256
    store.discard(sha)
    assert not store.exists(sha)
    with pytest.raises(FileNotFoundError):
        store.read_bytes(sha)
    with pytest.raises(FileNotFoundError):
        store.iter_chunks(sha)  # raised by the call itself, before a response would be started
    store.discard(sha)  # discarding twice is harmless


def test_names_that_are_not_hashes_are_refused(store: BlobStore) -> None:
    for bad in ("../../etc/passwd", "A" * 64, "0" * 63):
        with pytest.raises(ValueError):
            store.exists(bad)


def test_s3_objects_sit_under_the_prefix_where_another_client_sees_them(s3_server: S3Server, tmp_path: Path) -> None:
    bucket = s3_server.new_bucket()
    store = open_blob_store(load_settings({"CHUMCHON_DATA_DIR": str(tmp_path), "CHUMCHON_SECRET_KEY": "k",
                                           **s3_server.env(bucket, "office/blobs")}))
    sha = store.put_bytes(b"durable").sha256
    listed = s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"office/blobs/{sha[:2]}/{sha[2:4]}/{sha}"]
    assert not (tmp_path / "blobs").exists()  # nothing on local disk


def test_an_unreachable_s3_service_is_storage_unavailable(tmp_path: Path) -> None:
    store = open_blob_store(load_settings({
        "CHUMCHON_DATA_DIR": str(tmp_path), "CHUMCHON_SECRET_KEY": "k", "CHUMCHON_BLOB_URL": "s3://b/p",
        "CHUMCHON_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "CHUMCHON_S3_ACCESS_KEY_ID": "testing", "CHUMCHON_S3_SECRET_ACCESS_KEY": "testing",
    }))
    with pytest.raises(StorageUnavailable) as err:
        store.put_bytes(b"x")
    assert err.value.status == 503 and "ที่เก็บไฟล์" in err.value.message


@pytest.mark.parametrize("url", ["s3://", "s3:///prefix", "https://bucket/x", "bucket"])
def test_a_blob_url_that_is_not_s3_bucket_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(SettingsError, match="CHUMCHON_BLOB_URL"):
        load_settings({"CHUMCHON_DATA_DIR": str(tmp_path), "CHUMCHON_SECRET_KEY": "k", "CHUMCHON_BLOB_URL": url})


def test_the_s3_secret_is_not_in_the_settings_repr(tmp_path: Path) -> None:
    settings = load_settings({"CHUMCHON_DATA_DIR": str(tmp_path), "CHUMCHON_SECRET_KEY": "k",
                              "CHUMCHON_S3_SECRET_ACCESS_KEY": "very-secret-value"})
    assert "very-secret-value" not in repr(settings)
