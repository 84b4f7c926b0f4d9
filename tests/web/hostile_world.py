"""The server a hostile client attacks in test_hostile: two projects, an admin, a collector and a
manager of project 1, a published form with photo fields, and an export in project 2."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.core.accounts.projects import create_project
from server.core.exports import jobs
from server.core.ground.services import Services
from server.core.models import Base, DigestNonce, User
from tests.core.submissions.test_intake import add_form, submission_xml
from tests.helpers import bearer_for
from tests.web.openrosa.test_submission import USER_AGENT, multipart

THAI = re.compile(r"[\u0e00-\u0e7f]")
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "sqlalchemy.exc", "psycopg.")


@dataclass
class World:
    client: FlaskClient
    services: Services
    admin: dict[str, str]
    manager: dict[str, str]
    token: str
    export_other_project: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"/key/{self.token}/projects/1"

    def submit(self, xml: bytes, files: list[tuple[str, bytes]] = (), *, url: str | None = None, **kw: Any) -> Any:
        body, content_type = multipart(xml, list(files))
        headers = {"User-Agent": USER_AGENT, **kw.pop("headers", {})}
        return self.client.post(
            url or f"{self.key}/submission?deviceID=collect%3Aabc",
            data=body,
            content_type=content_type,
            headers=headers,
            **kw,
        )

    def publish(self, source: bytes, filename: str) -> Any:
        return self.client.post(
            "/v1/projects/1/forms",
            data={"file": (io.BytesIO(source), filename)},
            headers=self.admin,
            content_type="multipart/form-data",
        )


def build_world(client: FlaskClient, services: Services, make_user: Callable[..., User], collector: User) -> World:
    admin = make_user("admin", "admin")
    manager = make_user("manager1", "manager")
    with services.db.session() as session:
        create_project(session, "โครงการสอง")
        add_form(session, 1)
        other = add_form(session, 2, form_id="other_form")
        export = jobs.request_export(session, other.form, "csv", {}, None)
        export_id = export.id
    return World(
        client=client,
        services=services,
        admin=bearer_for(services, admin),
        manager=bearer_for(services, manager),
        token=collector.collect_token or "",
        export_other_project=export_id,
    )


def counts(services: Services) -> dict[str, int]:
    """Rows in every table (but the Digest nonce log) and blob files: what "nothing written" means."""
    with services.db.session() as session:
        found = {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
            if table.name != DigestNonce.__tablename__
        }
    root = services.settings.blob_dir
    found["blob files"] = sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0
    return found


def message_of(resp: Any) -> str:
    """The readable message of an error answer: JSON `message`, the OpenRosa <text>, or the web
    application's error paragraph (in the browser's language only, Thai by default)."""
    if resp.is_json:
        return str(resp.get_json().get("message", ""))
    text = resp.get_data(as_text=True)
    if resp.mimetype == "text/html":
        shown = re.search(r'<p class="error"[^>]*>(.*?)</p>', text, re.S)
        return shown.group(1) if shown else ""
    found = re.search(r"<message[^>]*>(.*?)</message>", text, re.S)
    return found.group(1) if found else ""


# --- hostile payloads -------------------------------------------------------------------------------

def xml_with(body: str, *, decl: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    return f"{decl}{body}".encode()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + ']><data id="household_survey" version="2026112301"><hh><house_no>&lol9;</house_no></hh>'
    "<meta><instanceID>uuid:bomb</instanceID></meta></data>"
).encode()

XXE_FILE = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<data id="household_survey" version="2026112301"><hh><house_no>&x;</house_no></hh>'
    b"<meta><instanceID>uuid:xxe</instanceID></meta></data>"
)
XXE_HTTP = XXE_FILE.replace(b"file:///etc/passwd", b"http://127.0.0.1:9/x")
XXE_PARAMETER = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'
    b'<data id="household_survey" version="2026112301"><meta><instanceID>uuid:p</instanceID></meta></data>'
)
EXTERNAL_DTD = (
    b'<?xml version="1.0"?><!DOCTYPE data SYSTEM "http://127.0.0.1:9/evil.dtd">'
    b'<data id="household_survey" version="2026112301"><meta><instanceID>uuid:dtd</instanceID></meta></data>'
)
PLAIN_DOCTYPE = (
    b'<?xml version="1.0"?><!DOCTYPE data>'
    b'<data id="household_survey" version="2026112301"><meta><instanceID>uuid:dt</instanceID></meta></data>'
)
QUADRATIC_BLOWUP = (
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "' + "x" * 50_000 + '">]>'
    '<data id="household_survey" version="2026112301"><hh><house_no>' + "&a;" * 1000 + "</house_no></hh>"
    "<meta><instanceID>uuid:q</instanceID></meta></data>"
).encode()


def deep_xml(depth: int) -> bytes:
    return (
        '<?xml version="1.0"?><data id="household_survey" version="2026112301">'
        + "<g>" * depth + "</g>" * depth + "<meta><instanceID>uuid:deep</instanceID></meta></data>"
    ).encode()


def encrypted_manifest(file_name: str) -> bytes:
    return (
        '<?xml version="1.0"?><data id="household_survey" version="2026112301" encrypted="yes" '
        'xmlns="http://www.opendatakit.org/xforms/encrypted"><base64EncryptedKey>a2V5</base64EncryptedKey>'
        f"<meta xmlns=\"http://openrosa.org/xforms\"><instanceID>uuid:enc</instanceID></meta>"
        f"<media><file>{file_name}</file></media><encryptedXmlFile>submission.xml.enc</encryptedXmlFile>"
        "<base64EncryptedElementSignature>c2ln</base64EncryptedElementSignature></data>"
    ).encode()


def zip_bomb(unpacked_mb: int, *, declared_ok: bool = False) -> bytes:
    """An .xlsx-shaped zip whose one sheet inflates to `unpacked_mb` MB of rows."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b"<row><c t='s'><v>0</v></c></row>" * 32768
            for _ in range(unpacked_mb * 1024 * 1024 // len(block)):
                sheet.write(block)
    data = bytearray(buf.getvalue())
    if declared_ok:
        # Lie in the central directory: claim the sheet is tiny (the inflated size is what counts).
        data = _shrink_declared_sizes(bytes(data))
    return bytes(data)


def _shrink_declared_sizes(data: bytes) -> bytearray:
    out = bytearray(data)
    sig = b"PK\x01\x02"
    pos = out.find(sig)
    while pos != -1:
        # uncompressed size at offset 24 (4 bytes); 0xFFFFFFFF means zip64 extra: leave those alone
        if out[pos + 24 : pos + 28] != b"\xff\xff\xff\xff":
            out[pos + 24 : pos + 28] = (1000).to_bytes(4, "little")
        pos = out.find(sig, pos + 4)
    return out


def many_rows_xlsx(rows: int) -> bytes:
    """A small file (well under the size bound) with more rows than a form can have."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<sheetData>" + "<row><c/></row>" * rows + "</sheetData>")
    return buf.getvalue()


def many_entries_zip(n: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
        for i in range(n):
            archive.writestr(f"xl/media/{i}.bin", b"")
    return buf.getvalue()


def good_submission(instance: str = "uuid:ok", **kw: Any) -> bytes:
    return submission_xml(instance, **kw)
