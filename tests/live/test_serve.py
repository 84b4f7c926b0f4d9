"""`chumchon serve` on a fresh data directory: what an operator sees, and what a phone then finds."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import requests
from lxml import etree

from tests.live.harness import ROOT, start_serve

LIST = "{http://openrosa.org/xforms/xformsList}"
MANIFEST = "{http://openrosa.org/xforms/xformsManifest}"
SHIPPED = {
    "household_survey",
    "welfare_registration",
    "community_group",
    "community_project",
    "community_forum",
    "standard_assessment",
    "nomination_scoring",
    "welfare_verification",
    "household_followup",
}


def test_first_start_publishes_the_shipped_forms_and_prints_how_to_connect(
    settings_env: dict[str, str], tmp_path: Path
) -> None:
    live = start_serve(settings_env, tmp_path, "--forms-dir", str(ROOT / "forms"))
    try:
        log = live.log()
        assert f"Web:          {live.url}" in log
        assert f"admin / {live.admin_password}" in log
        collect_url = re.search(r"ODK Collect server URL:\s+(\S+)", log).group(1)  # type: ignore[union-attr]
        assert collect_url.startswith(f"{live.url}/key/") and collect_url.endswith("/projects/1")
        assert "█" in log  # the QR code drawn in the terminal
        png = live.data_dir / "collect-qr-surveyor1.png"
        assert png.read_bytes().startswith(b"\x89PNG")

        # The phone, configured from that URL, lists all nine forms and their place lists.
        headers = {"X-OpenRosa-Version": "1.0"}
        listing = requests.get(f"{collect_url}/formList", headers=headers, timeout=10)
        assert listing.status_code == 200
        entries = {
            x.findtext(f"{LIST}formID"): x for x in etree.fromstring(listing.content).iter(f"{LIST}xform")
        }
        assert set(entries) == SHIPPED
        manifest_url = entries["household_survey"].findtext(f"{LIST}manifestUrl")
        manifest = etree.fromstring(requests.get(manifest_url, headers=headers, timeout=10).content)
        files = {m.findtext(f"{MANIFEST}filename"): m for m in manifest.iter(f"{MANIFEST}mediaFile")}
        assert {"provinces.csv", "districts.csv", "subdistricts.csv", "villages.csv"} <= set(files)
        subdistricts = requests.get(files["subdistricts.csv"].findtext(f"{MANIFEST}downloadUrl"), timeout=30)
        assert (
            files["subdistricts.csv"].findtext(f"{MANIFEST}hash")
            == "md5:" + hashlib.md5(subdistricts.content).hexdigest()
        )
        assert subdistricts.content.decode("utf-8").count("\n") == 7436 + 1
    finally:
        live.stop()

    # A second start keeps the same accounts and does not publish anything twice.
    again = start_serve(settings_env, tmp_path, "--forms-dir", str(ROOT / "forms"))
    try:
        assert again.admin_password == live.admin_password
        forms = again.api().get(f"{again.url}/v1/projects/1/forms").json()
        assert sorted(f["xmlFormId"] for f in forms) == sorted(SHIPPED)
        versions = again.api().get(f"{again.url}/v1/projects/1/forms/household_survey/versions").json()
        assert len(versions) == 1
    finally:
        again.stop()
