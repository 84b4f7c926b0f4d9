"""Chumchon's configuration: read once from the environment into a typed, immutable object."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024
DEFAULT_MAP_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


class SettingsError(ValueError):
    """A configuration value cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    broker_url: str
    public_url: str | None
    secret_key: str
    max_upload_bytes: int
    embedded_database: bool
    embedded_broker: bool
    sweep_seconds: float = 5.0  # how often the sweeper runs (Celery beat); one cheap query
    sweep_grace_seconds: float = 5.0  # how long a submission may wait before the sweeper sends a wake-up
    # A worker's lease on a claimed batch: after a worker is killed, its batch is claimed again by the
    # next claim once this has passed (so the worst case is about lease + sweep seconds).
    claim_lease_seconds: float = 10.0
    process_batch: int = 100  # submission versions per claimed batch
    # Redis only: seconds before a task whose worker died unacknowledged is delivered again. It must be
    # longer than the longest task (a large export), or Redis hands that task out twice.
    visibility_timeout: int = 3600
    session_idle_seconds: float = 8 * 3600.0  # a web sign-in ends after this long without a request
    # Map tiles under the web application's maps ({z}/{x}/{y}); empty: Thai province outlines only.
    map_tiles_url: str = DEFAULT_MAP_TILES
    # Submissions an hour through one public link: from one client address, and from everyone.
    public_link_hourly_per_address: int = 30
    public_link_hourly: int = 1000
    # Blob storage: empty for <data dir>/blobs, or s3://bucket/prefix on an S3-compatible service.
    blob_url: str = ""
    s3_endpoint_url: str = ""  # e.g. https://s3.example.go.th (MinIO, Ceph, …); empty for AWS itself
    s3_region: str = ""
    s3_access_key_id: str = ""  # empty: boto3's own chain (AWS_* variables, instance role)
    s3_secret_access_key: str = field(default="", repr=False)

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def export_dir(self) -> Path:
        return self.data_dir / "exports"


def _secret_key(data_dir: Path, env: Mapping[str, str]) -> str:
    """Use the configured key, or one generated once and kept in the data directory."""
    configured = env.get("CHUMCHON_SECRET_KEY", "").strip()
    if configured:
        return configured
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be positive")
    return value


def _blob_url(env: Mapping[str, str]) -> str:
    url = env.get("CHUMCHON_BLOB_URL", "").strip().rstrip("/")
    if url and (not url.startswith("s3://") or not url.removeprefix("s3://").split("/")[0]):
        raise SettingsError(f"CHUMCHON_BLOB_URL must be empty or s3://bucket[/prefix], not {url!r}")
    return url


def _map_tiles(env: Mapping[str, str]) -> str:
    if "CHUMCHON_MAP_TILES_URL" not in env:
        return DEFAULT_MAP_TILES
    url = env["CHUMCHON_MAP_TILES_URL"].strip()
    if url and (not url.startswith(("http://", "https://")) or not all(p in url for p in ("{z}", "{x}", "{y}"))):
        raise SettingsError(
            f"CHUMCHON_MAP_TILES_URL must be empty or an http(s) URL with {{z}}, {{x}} and {{y}}, not {url!r}"
        )
    return url


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read every CHUMCHON_* setting; unset ones fall back to the embedded default."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("CHUMCHON_DATA_DIR", "").strip() or "instance").resolve()
    database_url = env.get("CHUMCHON_DATABASE_URL", "").strip()
    broker_url = env.get("CHUMCHON_BROKER_URL", "").strip()
    public_url = env.get("CHUMCHON_PUBLIC_URL", "").strip().rstrip("/") or None
    raw_limit = env.get("CHUMCHON_MAX_UPLOAD_BYTES", "").strip()
    try:
        max_upload = int(raw_limit) if raw_limit else DEFAULT_MAX_UPLOAD_BYTES
    except ValueError as exc:
        raise SettingsError(
            f"CHUMCHON_MAX_UPLOAD_BYTES must be a whole number of bytes, not {raw_limit!r}"
        ) from exc
    if max_upload <= 0:
        raise SettingsError("CHUMCHON_MAX_UPLOAD_BYTES must be positive")
    if public_url and not public_url.startswith(("http://", "https://")):
        raise SettingsError(f"CHUMCHON_PUBLIC_URL must start with http:// or https://, not {public_url!r}")
    return Settings(
        data_dir=data_dir,
        database_url=database_url or f"sqlite:///{data_dir / 'chumchon.sqlite3'}",
        broker_url=broker_url or f"sqla+sqlite:///{data_dir / 'broker.sqlite3'}",
        public_url=public_url,
        secret_key=_secret_key(data_dir, env),
        max_upload_bytes=max_upload,
        embedded_database=not database_url,
        embedded_broker=not broker_url,
        sweep_seconds=_seconds(env, "CHUMCHON_SWEEP_SECONDS", 5.0),
        sweep_grace_seconds=_seconds(env, "CHUMCHON_SWEEP_GRACE_SECONDS", 5.0),
        claim_lease_seconds=_seconds(env, "CHUMCHON_CLAIM_LEASE_SECONDS", 10.0),
        process_batch=max(1, int(_seconds(env, "CHUMCHON_PROCESS_BATCH", 100))),
        visibility_timeout=int(_seconds(env, "CHUMCHON_VISIBILITY_TIMEOUT", 3600)),
        session_idle_seconds=_seconds(env, "CHUMCHON_SESSION_IDLE_SECONDS", 8 * 3600.0),
        map_tiles_url=_map_tiles(env),
        public_link_hourly_per_address=max(1, int(_seconds(env, "CHUMCHON_PUBLIC_LINK_HOURLY_PER_ADDRESS", 30))),
        public_link_hourly=max(1, int(_seconds(env, "CHUMCHON_PUBLIC_LINK_HOURLY", 1000))),
        blob_url=_blob_url(env),
        s3_endpoint_url=env.get("CHUMCHON_S3_ENDPOINT_URL", "").strip(),
        s3_region=env.get("CHUMCHON_S3_REGION", "").strip(),
        s3_access_key_id=env.get("CHUMCHON_S3_ACCESS_KEY_ID", "").strip(),
        s3_secret_access_key=env.get("CHUMCHON_S3_SECRET_ACCESS_KEY", "").strip(),
    )
