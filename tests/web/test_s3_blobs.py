"""The whole path with blobs on an S3-compatible service (moto on 127.0.0.1): Collect posts a
submission with a photo, a worker processes it, the API streams the photo back, a media export
zips it, and a backup restored into a fresh database and another bucket brings every blob back.
With the service out of reach a submission gets a 503 with Retry-After and leaves nothing behind."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.core.exports import jobs
from server.core.ground import backup
from server.core.ground.services import Services, build_services
from server.core.ground.settings import load_settings
from server.core.ground.storage import open_blob_store
from server.core.models import Form, Project, Submission, SubmissionVersion, User
from server.core.submissions.batches import process_pending
from tests.live.harness import free_port
from tests.s3 import S3Server
from tests.web.openrosa.test_submission import post
from tests.workers.factories import household_xml, make_form_version

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4000  # about 1 MiB of "JPEG"


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def settings_env(settings_env: dict[str, str], s3_server: S3Server, bucket: str) -> dict[str, str]:
    return {**settings_env, **s3_server.env(bucket)}


def _keys(s3_server: S3Server, bucket: str) -> set[str]:
    listed = s3_server.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"].rsplit("/", 1)[-1] for o in listed}


def test_intake_processing_download_export_and_backup_with_s3_blobs(
    client: FlaskClient, services: Services, project: Project, collector: User,
    admin_headers: dict[str, str], s3_server: S3Server, bucket: str, tmp_path: Path,
) -> None:
    with services.db.session() as session:
        form_id = make_form_version(session, services.blobs, project.id).form_id
    url = f"/key/{collector.collect_token}/projects/1/submission?deviceID=collect%3Aabc"
    resp = post(client, url, household_xml("uuid:s3-1"), [("house.jpg", PHOTO)])
    assert resp.status_code == 201, resp.get_data(as_text=True)
    photo_sha = hashlib.sha256(PHOTO).hexdigest()
    assert photo_sha in _keys(s3_server, bucket)  # in the bucket once the 201 is sent
    assert not services.settings.blob_dir.exists()  # and nothing on local disk

    totals = process_pending(services.db.sessions, services.cache, services.blobs)
    assert totals["processed"] == 1

    got = client.get(
        "/v1/projects/1/forms/household_survey/submissions/uuid:s3-1/attachments/house.jpg", headers=admin_headers
    )
    assert got.status_code == 200 and got.get_data() == PHOTO
    assert got.headers["Content-Length"] == str(len(PHOTO))

    with services.db.session() as session:
        form = session.get(Form, form_id)
        assert form is not None
        export_id = jobs.request_export(session, form, "media", None).id
    export = jobs.build_export(services.db.sessions, services.settings, services.blobs, export_id)
    assert export.state == "done", export.error
    with zipfile.ZipFile(jobs.export_file(export)) as archive:
        index = list(csv.DictReader(io.StringIO(archive.read("household_survey/index.csv").decode("utf-8-sig"))))
        assert [archive.read(r["path"]) for r in index if r["present"] == "1"] == [PHOTO]

    dest = tmp_path / "backup"
    manifest = backup.write_backup(services.db, services.blobs, dest, {})
    assert photo_sha in manifest["blobs"]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    target_bucket = s3_server.new_bucket()
    restored = build_services(load_settings({
        "CHUMCHON_DATA_DIR": str(fresh), "CHUMCHON_SECRET_KEY": "k",
        "CHUMCHON_DATABASE_URL": f"sqlite:///{fresh / 'restored.sqlite3'}", **s3_server.env(target_bucket, "copy"),
    }))
    try:
        backup.restore_backup(restored.db, restored.blobs, dest)
        assert _keys(s3_server, target_bucket) == set(manifest["blobs"])
        assert restored.blobs.read_bytes(photo_sha) == PHOTO
    finally:
        restored.close()


def test_a_submission_while_s3_is_out_of_reach_is_a_503_with_retry_after_and_leaves_nothing(
    client: FlaskClient, services: Services, project: Project, collector: User, tmp_path: Path,
) -> None:
    with services.db.session() as session:
        make_form_version(session, services.blobs, project.id)
    services.blobs = open_blob_store(load_settings({
        "CHUMCHON_DATA_DIR": str(tmp_path / "elsewhere"), "CHUMCHON_SECRET_KEY": "k", "CHUMCHON_BLOB_URL": "s3://gone/p",
        "CHUMCHON_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "CHUMCHON_S3_ACCESS_KEY_ID": "testing", "CHUMCHON_S3_SECRET_ACCESS_KEY": "testing",
    }))
    url = f"/key/{collector.collect_token}/projects/1/submission?deviceID=collect%3Aabc"
    resp = post(client, url, household_xml("uuid:s3-2"), [("house.jpg", PHOTO)])
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert "ที่เก็บไฟล์ไม่พร้อม" in resp.get_data(as_text=True)
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 0
        assert session.scalar(select(func.count()).select_from(SubmissionVersion)) == 0
