"""A follow-up form's manifest lists the entity list it reads as LIST.csv; Collect downloads it with
name,label,__version and the properties, Thai intact, and its md5 changes only when the list does."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid

from flask.testing import FlaskClient
from lxml import etree

from server.core.forms import publishing
from server.core.ground.services import Services
from server.core.models import User
from tests.core.entities.support import (
    FOLLOW_UP,
    REGISTRATION,
    follow_up_xml,
    process,
    publish_md,
    registration_xml,
    submit,
)
from tests.web.openrosa.test_forms import MANIFEST_NS, key_url, local


def manifest(client: FlaskClient, collector: User) -> dict[str, tuple[str, str]]:
    resp = client.get(key_url(collector, "/forms/verify/manifest"))
    assert resp.status_code == 200
    root = etree.fromstring(resp.data)
    return {
        f.findtext("m:filename", namespaces=MANIFEST_NS): (
            f.findtext("m:hash", namespaces=MANIFEST_NS),
            f.findtext("m:downloadUrl", namespaces=MANIFEST_NS),
        )
        for f in root.findall("m:mediaFile", MANIFEST_NS)
    }


def download(client: FlaskClient, url: str) -> list[list[str]]:
    resp = client.get(local(url))
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(resp.get_data().decode("utf-8"))))


def test_follow_up_form_gets_the_list_as_csv_and_its_hash_follows_the_list(
    client: FlaskClient, services: Services, collector: User
) -> None:
    publish_md(services, REGISTRATION, "reg.md")
    publish_md(services, FOLLOW_UP, "verify.md")
    first = manifest(client, collector)
    assert list(first) == ["beneficiaries.csv"]
    assert download(client, first["beneficiaries.csv"][1]) == [
        ["name", "label", "__version", "first_name", "village", "alive"]
    ]
    somsri, boonmee = str(uuid.uuid4()), str(uuid.uuid4())
    submit(client, collector.collect_token, registration_xml(somsri, "สมศรี", "บ้านหนองบัว"))
    submit(client, collector.collect_token, registration_xml(boonmee, "บุญมี", "บ้าน \"ดง\", ใต้"))
    process(services)
    listed = manifest(client, collector)
    assert listed["beneficiaries.csv"][0] != first["beneficiaries.csv"][0]
    assert manifest(client, collector) == listed  # asked again without a change: the same hash
    rows = download(client, listed["beneficiaries.csv"][1])
    assert rows[1:] == [
        [somsri, "สมศรี บ้านหนองบัว", "1", "สมศรี", "บ้านหนองบัว", ""],
        [boonmee, 'บุญมี บ้าน "ดง", ใต้', "1", "บุญมี", 'บ้าน "ดง", ใต้', ""],
    ]
    submit(client, collector.collect_token, follow_up_xml(somsri, 1, alive="yes"))
    process(services)
    after = manifest(client, collector)
    assert after["beneficiaries.csv"][0] != listed["beneficiaries.csv"][0]
    assert download(client, after["beneficiaries.csv"][1])[1] == [
        somsri, "สมศรี บ้านหนองบัว", "2", "สมศรี", "บ้านหนองบัว", "yes"
    ]
    assert after["beneficiaries.csv"][0].startswith("md5:")
    assert len(after["beneficiaries.csv"][0]) == 4 + len(hashlib.md5(b"").hexdigest())


def test_an_uploaded_file_wins_over_the_list(client: FlaskClient, services: Services, collector: User) -> None:
    publish_md(services, REGISTRATION, "reg.md")
    with services.db.session() as session:
        publishing.publish_form(
            session,
            services.blobs,
            1,
            FOLLOW_UP.encode(),
            "verify.md",
            media={"beneficiaries.csv": b"name,label\nx,fixed\n"},
        )
    listed = manifest(client, collector)
    assert listed["beneficiaries.csv"][0] == "md5:" + hashlib.md5(b"name,label\nx,fixed\n").hexdigest()
    assert download(client, listed["beneficiaries.csv"][1]) == [["name", "label"], ["x", "fixed"]]


LOOKUP_ONLY = """
| survey |
| | type | name | label | calculation |
| | csv-external | beneficiaries | | |
| | text | person | Person id | |
| | calculate | village_was | | instance('beneficiaries')/root/item[name=${person}]/village |
| | note | shown | Last year: ${village_was} | |
| settings |
| | form_id | version |
| | lookup | 1 |
"""


def test_a_form_that_only_looks_the_list_up_gets_it_too(
    client: FlaskClient, services: Services, collector: User
) -> None:
    """A `csv-external` row and instance('beneficiaries') lookups, no select_one_from_file: the
    manifest serves the list as beneficiaries.csv all the same."""
    publish_md(services, REGISTRATION, "reg.md")
    publish_md(services, LOOKUP_ONLY, "lookup.md")
    person = str(uuid.uuid4())
    submit(client, collector.collect_token, registration_xml(person, "ชูใจ", "บ้านดอน"))
    process(services)
    resp = client.get(key_url(collector, "/forms/lookup/manifest"))
    assert resp.status_code == 200
    files = {
        f.findtext("m:filename", namespaces=MANIFEST_NS): f.findtext("m:downloadUrl", namespaces=MANIFEST_NS)
        for f in etree.fromstring(resp.data).findall("m:mediaFile", MANIFEST_NS)
    }
    assert list(files) == ["beneficiaries.csv"]
    rows = download(client, files["beneficiaries.csv"])
    assert rows[0][:3] == ["name", "label", "__version"]
    assert rows[1][:3] == [person, "ชูใจ บ้านดอน", "1"]
