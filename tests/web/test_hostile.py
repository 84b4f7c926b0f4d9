"""The hostile-input corpus: every request a bad day or a bad actor sends (issue 8), each answered
with a 4xx and a readable Thai/English message, no traceback, nothing written (rows in every table and
blob files counted before and after), and the server still answering afterwards."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from server.core.accounts import projects, users
from server.core.ground.broker import RecordingSender
from server.core.ground.services import build_services
from server.core.ground.settings import load_settings
from server.core.models import User
from server.web.app import create_app
from tests.conftest import _empty_database as empty_database
from tests.helpers import FIXTURES, PASSWORD, basic_header
from tests.web import hostile_world as hw
from tests.web.hostile_world import World
from tests.web.ui.conftest import csrf_of, sign_in

Case = Callable[[World], Any]
CASES: dict[str, tuple[Case, set[int]]] = {}
S400, S401, S403, S404, S405, S409, S413 = {400}, {401}, {403}, {404}, {405}, {409}, {413}
XML_REFUSED = {400}


def case(name: str, statuses: set[int]) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        assert name not in CASES, name
        CASES[name] = (fn, statuses)
        return fn

    return register


def add(name: str, statuses: set[int], fn: Case) -> None:
    case(name, statuses)(fn)


# --- submissions: XML bombs, entities, DOCTYPE, encodings, structure (on two server URLs) ----------
HOSTILE_XML: dict[str, bytes] = {
    "billion laughs": hw.BILLION_LAUGHS,
    "quadratic blowup": hw.QUADRATIC_BLOWUP,
    "XXE file": hw.XXE_FILE,
    "XXE http": hw.XXE_HTTP,
    "XXE parameter entity": hw.XXE_PARAMETER,
    "external DTD": hw.EXTERNAL_DTD,
    "plain DOCTYPE": hw.PLAIN_DOCTYPE,
    "empty": b"",
    "whitespace": b"   \n ",
    "not XML": b"hello, world",
    "JSON": b'{"id": "household_survey"}',
    "binary": bytes(range(256)) * 4,
    "truncated": hw.good_submission()[:-20],
    "unclosed tag": b'<data id="household_survey"><meta><instanceID>uuid:x</instanceID></meta>',
    "two roots": hw.good_submission() + b"<data/>",
    "invalid UTF-8": hw.good_submission().replace(b"12/3", b"\xff\xfe\xfa"),
    "latin-1 bytes declared UTF-8": hw.good_submission().replace(b"12/3", "café".encode("latin-1")),
    "UTF-16 declared, UTF-8 sent": hw.good_submission().replace(b'encoding="UTF-8"', b'encoding="UTF-16"'),
    "unknown encoding": hw.good_submission().replace(b'encoding="UTF-8"', b'encoding="x-klingon"'),
    "character reference NUL": hw.good_submission().replace(b"12/3", b"a&#0;b"),
    "raw NUL byte": hw.good_submission().replace(b"12/3", b"a\x00b"),
    "control character": hw.good_submission().replace(b"12/3", b"a\x01b"),
    "deep nesting 100000": hw.deep_xml(100_000),
    "no form id": hw.good_submission().replace(b' id="household_survey"', b""),
    "no instanceID": hw.good_submission().replace(b"<instanceID>uuid:ok</instanceID>", b""),
    "instanceID of 300 characters": hw.good_submission("uuid:" + "a" * 300),
    "version of 300 characters": hw.good_submission(version="v" * 300),
    "form id of 300 characters": hw.good_submission(form_id="f" * 300),
    "processing instruction only": b'<?xml version="1.0"?>',
    "comment only": b"<!-- nothing -->",
}
XML_STATUSES: dict[str, set[int]] = {
    "instanceID of 300 characters": {400},
    "version of 300 characters": {400, 404},
    "form id of 300 characters": {400, 404},
}
for _name, _xml in HOSTILE_XML.items():
    add(f"submission {_name} (token URL)", XML_STATUSES.get(_name, XML_REFUSED), lambda w, x=_xml: w.submit(x))
    add(
        f"submission {_name} (Basic over HTTPS)",
        XML_STATUSES.get(_name, XML_REFUSED),
        lambda w, x=_xml: w.submit(
            x, url="/projects/1/submission", base_url="https://localhost", headers=basic_header("somchai")
        ),
    )

# --- submissions: file names, from the parts and from the XML (items 2 and 10) -------------------
BAD_NAMES = {
    "parent folder": "../house.jpg",
    "deep parent folder": "../../etc/passwd",
    "absolute path": "/etc/passwd",
    "backslash": "..\\..\\windows\\system.ini",
    "folder": "photos/house.jpg",
    "hidden": ".htaccess",
    "dot dot": "..",
    "control character": "a\x01b.jpg",
    "300 characters": "b" * 296 + ".jpg",
    "1000 characters": "ก" * 996 + ".jpg",
}
for _label, _bad in BAD_NAMES.items():
    add(
        f"attachment part named {_label}",
        S400,
        lambda w, n=_bad: w.submit(hw.good_submission(photo="house.jpg"), [(n, b"jpeg")]),
    )
    if "\x01" not in _bad:
        add(
            f"XML names a photo {_label}",
            S400,
            lambda w, n=_bad: w.submit(hw.good_submission(photo=n), [("house.jpg", b"jpeg")]),
        )
add(
    "encrypted manifest names ../../../etc/shadow",
    S400,
    lambda w: w.submit(hw.encrypted_manifest("../../../etc/shadow"), [("submission.xml.enc", b"x")]),
)
add(
    "encrypted manifest names a 300-character file",
    S400,
    lambda w: w.submit(hw.encrypted_manifest("c" * 300), [("submission.xml.enc", b"x")]),
)
add(
    "repeat photo named ../x.jpg",
    S400,
    lambda w: w.submit(hw.good_submission(member_photos=("ok.jpg", "../x.jpg"))),
)

# --- submissions: transport, sizes, parts, identity --------------------------------------------------
add("submission over the size limit", S413, lambda w: w.submit(hw.good_submission(), [("house.jpg", b"x" * (6 * 1024 * 1024))]))


def _many_parts(w: World, n: int) -> Any:
    boundary = "b0undary"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nx\r\n' for i in range(n)
    )
    body = (parts + f"--{boundary}--\r\n").encode()
    return w.client.post(
        f"{w.key}/submission", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


add("20,000-part upload", S413, lambda w: _many_parts(w, 20_000))
add("2,000-part upload", S413, lambda w: _many_parts(w, 2_000))
add(
    "submission as raw text/xml",
    S400,
    lambda w: w.client.post(f"{w.key}/submission", data=hw.good_submission(), content_type="text/xml"),
)
add(
    "submission as JSON",
    S400,
    lambda w: w.client.post(f"{w.key}/submission", json={"xml": "<data/>"}),
)
add(
    "submission as a urlencoded form",
    S400,
    lambda w: w.client.post(f"{w.key}/submission", data={"a": "b"}),
)
add(
    "multipart without the XML part",
    S400,
    lambda w: w.client.post(
        f"{w.key}/submission", data=b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ny\r\n--b--\r\n",
        content_type="multipart/form-data; boundary=b",
    ),
)
add("multipart with a broken boundary", S400, lambda w: w.client.post(
    f"{w.key}/submission", data=b"--nope\r\ngarbage", content_type="multipart/form-data; boundary=b"))
add("submission to an unknown form", S404, lambda w: w.submit(hw.good_submission(form_id="no_such_form")))
add("submission to an unknown form version", S404, lambda w: w.submit(hw.good_submission(version="999")))
add("submission with the wrong root", S400, lambda w: w.submit(hw.good_submission(root="evil")))
add("edit of a submission that does not exist", S404, lambda w: w.submit(hw.good_submission("uuid:e", deprecated="uuid:none")))
add("deviceID with NUL", S400, lambda w: w.submit(hw.good_submission(), url=f"{w.key}/submission?deviceID=a%00b"))
add("query key with NUL", S400, lambda w: w.submit(hw.good_submission(), url=f"{w.key}/submission?a%00=b"))
add("unknown token", S403, lambda w: w.submit(hw.good_submission(), url="/key/not-a-token/projects/1/submission"))
add("token with NUL", S400, lambda w: w.submit(hw.good_submission(), url="/key/a%00b/projects/1/submission"))
add("token for a project that does not exist", S403, lambda w: w.submit(hw.good_submission(), url=f"/key/{w.token}/projects/99/submission"))
add("token for another project", S403, lambda w: w.submit(hw.good_submission(), url=f"/key/{w.token}/projects/2/submission"))
add("project id 2^70 in the submission URL", S404, lambda w: w.submit(hw.good_submission(), url=f"/key/{w.token}/projects/1180591620717411303424/submission"))
add("project id 2^31 in the submission URL", S404, lambda w: w.submit(hw.good_submission(), url=f"/key/{w.token}/projects/2147483648/submission"))
add("negative project id", S404, lambda w: w.submit(hw.good_submission(), url=f"/key/{w.token}/projects/-1/submission"))
add("no credentials", S401, lambda w: w.submit(hw.good_submission(), url="/submission"))
add("Basic over plain HTTP", S401, lambda w: w.submit(hw.good_submission(), url="/submission", headers=basic_header("somchai")))
add("Basic with a wrong password", S401, lambda w: w.submit(hw.good_submission(), url="/submission", base_url="https://localhost", headers=basic_header("somchai", "wrong-password")))
add("Basic with garbage", S401, lambda w: w.submit(hw.good_submission(), url="/submission", headers={"Authorization": "Basic %%%"}))
add("Digest with garbage", S401, lambda w: w.submit(hw.good_submission(), url="/submission", headers={"Authorization": "Digest ,,,=,\"\"\""}))
add("Digest with a forged nonce", S401, lambda w: w.submit(hw.good_submission(), url="/submission", headers={"Authorization": 'Digest username="somchai", realm="chumchon", nonce="1.abc", uri="/submission", response="0", qop=auth, nc=00000001, cnonce="x"'}))

# --- OpenRosa reads --------------------------------------------------------------------------------
add("form XML named with NUL", S400, lambda w: w.client.get(f"{w.key}/forms/a%00b.xml"))
add("manifest named with NUL", S400, lambda w: w.client.get(f"{w.key}/forms/a%00b/manifest"))
add("media named with NUL", S400, lambda w: w.client.get(f"{w.key}/forms/household_survey/attachments/a%00b"))
add("formList with NUL formID", S400, lambda w: w.client.get(f"{w.key}/formList?formID=a%00b"))
add("form that does not exist", S404, lambda w: w.client.get(f"{w.key}/forms/nope.xml"))
add("form of another project by token", S403, lambda w: w.client.get(f"/key/{w.token}/projects/2/forms/other_form.xml"))
add("form of a project that does not exist by token", S403, lambda w: w.client.get(f"/key/{w.token}/projects/99/forms/other_form.xml"))
add("form path trick", S404, lambda w: w.client.get(f"{w.key}/forms/..%2F..%2Fetc%2Fpasswd.xml"))
add("media path trick", S404, lambda w: w.client.get(f"{w.key}/forms/household_survey/attachments/..%2F..%2Fetc%2Fpasswd"))

# --- JSON API: sessions ----------------------------------------------------------------------------
SESSION_BODIES: dict[str, Any] = {
    "email with NUL": {"email": "a\u0000b", "password": "x" * 10},
    "password with NUL": {"email": "admin", "password": "a\u0000b"},
    "email an object": {"email": {"$ne": None}, "password": "x"},
    "email a list": {"email": ["admin"], "password": "x"},
    "email a number": {"email": 1, "password": "x"},
    "email true": {"email": True, "password": "x"},
    "password a number": {"email": "admin", "password": 12345678},
    "password an object": {"email": "admin", "password": {"a": 1}},
    "password missing": {"email": "admin"},
    "email of 10,000 characters": {"email": "a" * 10_000, "password": "x"},
    "password of 100,000 characters": {"email": "admin", "password": "x" * 100_000},
    "body a list": ["admin", "x"],
    "body a string": "admin",
    "body a number": 7,
    "body null": None,
    "key with NUL": {"email\u0000": "admin", "password": "x"},
    "deep nesting": {"email": "admin", "password": "x", "x": json.loads("[" * 200 + "]" * 200)},
}
for _label, _body in SESSION_BODIES.items():
    add(f"POST /v1/sessions {_label}", {400, 401}, lambda w, b=_body: w.client.post("/v1/sessions", json=b))
add("POST /v1/sessions invalid JSON", S400, lambda w: w.client.post("/v1/sessions", data=b"{email:", content_type="application/json"))
add("POST /v1/sessions wrong password", S401, lambda w: w.client.post("/v1/sessions", json={"email": "admin", "password": "wrong-one"}))

# --- JSON API: projects ----------------------------------------------------------------------------
PROJECT_BODIES: dict[str, Any] = {
    "name of 300 characters": {"name": "ก" * 300},
    "name an object": {"name": {"th": "x"}},
    "name a list": {"name": ["x"]},
    "name a number": {"name": 42},
    "name false": {"name": False},
    "name missing": {"description": "x"},
    "name empty": {"name": "   "},
    "name null": {"name": None},
    "name with NUL": {"name": "a\u0000b"},
    "description an object": {"name": "ok", "description": {"a": 1}},
    "description a list": {"name": "ok", "description": ["a"]},
    "description a number": {"name": "ok", "description": 3},
    "description of 20,000 characters": {"name": "ok", "description": "x" * 20_000},
    "description with NUL": {"name": "ok", "description": "a\u0000b"},
    "body a list": [{"name": "x"}],
}
for _label, _body in PROJECT_BODIES.items():
    add(f"POST /v1/projects {_label}", S400, lambda w, b=_body: w.client.post("/v1/projects", json=b, headers=w.admin))
add("POST /v1/projects as a manager", S403, lambda w: w.client.post("/v1/projects", json={"name": "x"}, headers=w.manager))
add("POST /v1/projects without a login", S401, lambda w: w.client.post("/v1/projects", json={"name": "x"}))
add("POST /v1/projects with a bad bearer", S401, lambda w: w.client.post("/v1/projects", json={"name": "x"}, headers={"Authorization": "Bearer nope"}))
add("POST /v1/projects with a NUL bearer", S401, lambda w: w.client.post("/v1/projects", json={"name": "x"}, headers={"Authorization": "Bearer a\u0000b"}))

# --- JSON API: ids, paging, names in paths (items 3 and 4) -----------------------------------------
PATH_CASES: dict[str, tuple[str, set[int]]] = {
    "project 2^70": ("/v1/projects/1180591620717411303424", S404),
    "project 2^31": ("/v1/projects/2147483648", S404),
    "project 2^63": ("/v1/projects/9223372036854775808", S404),
    "project -1": ("/v1/projects/-1", S404),
    "project 1e3": ("/v1/projects/1e3", S404),
    "project abc": ("/v1/projects/abc", S404),
    "project 0x1": ("/v1/projects/0x1", S404),
    "forms of project 2^70": ("/v1/projects/1180591620717411303424/forms", S404),
    "export 2^31 download": ("/v1/exports/2147483648/download", S404),
    "export 2^70": ("/v1/exports/1180591620717411303424", S404),
    "export that does not exist (admin)": ("/v1/exports/999", S404),
    "form with NUL": ("/v1/projects/1/forms/a%00b", S400),
    "form XML with NUL": ("/v1/projects/1/forms/a%00b.xml", S400),
    "submission with NUL": ("/v1/projects/1/forms/household_survey/submissions/a%00b", S400),
    "attachments of a submission with NUL": ("/v1/projects/1/forms/household_survey/submissions/a%00b/attachments", S400),
    "submission that does not exist": ("/v1/projects/1/forms/household_survey/submissions/uuid:none", S404),
    "offset 10^20": ("/v1/projects/1/forms/household_survey/submissions?offset=100000000000000000000", S400),
    "offset 2^31": ("/v1/projects/1/forms/household_survey/submissions?offset=2147483648", S400),
    "offset -1": ("/v1/projects/1/forms/household_survey/submissions?offset=-1", S400),
    "offset abc": ("/v1/projects/1/forms/household_survey/submissions?offset=abc", S400),
    "offset of 5000 digits": ("/v1/projects/1/forms/household_survey/submissions?offset=" + "9" * 5000, S400),
    "limit 10^20": ("/v1/projects/1/forms/household_survey/submissions?limit=100000000000000000000", S400),
    "limit 0": ("/v1/projects/1/forms/household_survey/submissions?limit=0", S400),
    "limit 1.5": ("/v1/projects/1/forms/household_survey/submissions?limit=1.5", S400),
    "$top 10^20": ("/v1/projects/1/forms/household_survey/submissions?$top=100000000000000000000", S400),
    "$skip 10^20": ("/v1/projects/1/forms/household_survey/submissions?$skip=100000000000000000000", S400),
    "query with NUL": ("/v1/projects/1/forms/household_survey/submissions?x=a%00b", S400),
    "unknown route": ("/v1/nothing/here", S404),
    "path traversal": ("/v1/../../etc/passwd", S404),
    "attachment path traversal": ("/v1/projects/1/forms/household_survey/submissions/uuid:none/attachments/..%2F..%2Fetc%2Fpasswd", S404),
}
for _label, (_path, _statuses) in PATH_CASES.items():
    add(f"GET {_label}", _statuses, lambda w, p=_path: w.client.get(p, headers=w.admin))

# Existence oracles (item 12): "does not exist" and "not yours" answer alike for a project member.
add("manager: export that does not exist", S403, lambda w: w.client.get("/v1/exports/999", headers=w.manager))
add("manager: export of another project", S403, lambda w: w.client.get(f"/v1/exports/{w.export_other_project}", headers=w.manager))
add("manager: download export that does not exist", S403, lambda w: w.client.get("/v1/exports/999/download", headers=w.manager))
add("manager: download export of another project", S403, lambda w: w.client.get(f"/v1/exports/{w.export_other_project}/download", headers=w.manager))
add("manager: project that does not exist", S403, lambda w: w.client.get("/v1/projects/99", headers=w.manager))
add("manager: another project", S403, lambda w: w.client.get("/v1/projects/2", headers=w.manager))
add("manager: forms of a project that does not exist", S403, lambda w: w.client.get("/v1/projects/99/forms", headers=w.manager))
add("manager: forms of another project", S403, lambda w: w.client.get("/v1/projects/2/forms", headers=w.manager))

# --- JSON API: form state and media ----------------------------------------------------------------
STATE_BODIES: dict[str, Any] = {
    "state an object": {"state": {"x": 1}},
    "state a list": {"state": ["open"]},
    "state a number": {"state": 1},
    "state unknown": {"state": "deleted"},
    "state with NUL": {"state": "op\u0000en"},
    "state of 1000 characters": {"state": "o" * 1000},
    "state missing": {},
    "body a list": ["open"],
}
for _label, _body in STATE_BODIES.items():
    add(
        f"PATCH form {_label}",
        S400,
        lambda w, b=_body: w.client.patch("/v1/projects/1/forms/household_survey", json=b, headers=w.admin),
    )
MEDIA_NAMES = {"hidden": ".env", "parent": "..", "300 characters": "m" * 300, "control": "a\x01b.csv", "NUL": "a%00b.csv"}
for _label, _media in MEDIA_NAMES.items():
    add(
        f"form media named {_label}",
        {400, 404},
        lambda w, n=_media: w.client.post(
            f"/v1/projects/1/forms/household_survey/attachments/{n}", data=b"x", headers=w.admin
        ),
    )
# (DELETE /v1/projects/1 is Central's project delete now: the collection is what has no DELETE.)
add("DELETE /v1/projects", S405, lambda w: w.client.delete("/v1/projects", headers=w.admin))
add("PUT /v1/projects", S405, lambda w: w.client.put("/v1/projects", json={}, headers=w.admin))

# --- XLSForms (items 7, 8, 12) ---------------------------------------------------------------------
def md_form(*rows: str, form_id: str = "hostile") -> bytes:
    head = "| survey |\n| | type | name | label | relevant | constraint | calculation | choice_filter | required | repeat_count | default |\n"
    settings = f"| settings |\n| | form_id | version |\n| | {form_id} | 1 |\n"
    return (head + "\n".join(rows) + "\n" + settings).encode()


BROKEN_EXPRESSIONS = {
    "relevant +*": "| | integer | n | N | | | | | | | |\n| | text | t | T | ${n} +* (2 | | | | | | |",
    "constraint unclosed": "| | integer | n | N | | . > (1 | | | | | |",
    "calculation dangling operator": "| | integer | n | N | | | | | | | |\n| | calculate | c | | | | ${n} + | | | | |",
    "required broken": "| | integer | n | N | | | | | ${n} = = 1 | | |",
    "repeat_count broken": "| | integer | n | N | | | | | | | |\n| | begin repeat | r | R | | | | | | ${n} ) | |\n| | text | x | X | | | | | | | |\n| | end repeat | | | | | | | | | |",
    "dynamic default broken": "| | integer | n | N | | | | | | | |\n| | integer | m | M | | | | | | | (${n} + 1 |",
    "function call unclosed": "| | integer | n | N | | | | | | | |\n| | calculate | c | | | | concat(${n}, 'x' | | | | |",
    "unterminated string": "| | text | n | N | . = 'abc | | | | | | |",
    "two circular calculations": "| | calculate | a | | | | ${b} + 1 | | | | |\n| | calculate | b | | | | ${a} + 1 | | | | |",
    "three circular calculations": "| | calculate | a | | | | ${c} | | | | |\n| | calculate | b | | | | ${a} | | | | |\n| | calculate | c | | | | ${b} | | | | |",
    "self-referencing calculation": "| | calculate | a | | | | ${a} + 1 | | | | |",
}
for _label, _rows in BROKEN_EXPRESSIONS.items():
    add(f"XLSForm with {_label}", S400, lambda w, r=_rows: w.publish(md_form(r), "hostile.md"))
add("XLSForm with an unknown type", S400, lambda w: w.publish((FIXTURES / "broken_unknown_type.md").read_bytes(), "broken.md"))
add("XLSForm with a missing calculation", S400, lambda w: w.publish((FIXTURES / "broken_missing_calculation.md").read_bytes(), "broken.md"))
add("XLSForm CSV without sheet names", S400, lambda w: w.publish(b"type,name,label\ntext,a,A\n", "form.csv"))
add("XLSForm CSV of garbage", S400, lambda w: w.publish(b"\x00\x01\x02,,,\n", "form.csv"))
add("XLSForm with NUL in a label", S400, lambda w: w.publish(b"| survey |\n| | type | name | label |\n| | text | a | A\x00B |\n| settings |\n| | form_id |\n| | nul |\n", "nul.md"))
add("XLSForm with NUL in the title", S400, lambda w: w.publish(b"| survey |\n| | type | name | label |\n| | text | a | A |\n| settings |\n| | form_id | form_title |\n| | nul | T\x00T |\n", "nul.md"))
add("XLSForm file name with NUL", S400, lambda w: w.publish((FIXTURES / "kitchen_sink.md").read_bytes(), "a\x00b.md"))
add("XLSForm file name of 300 characters", S400, lambda w: w.publish((FIXTURES / "kitchen_sink.md").read_bytes(), "k" * 300 + ".md"))
add("XLSForm empty file", S400, lambda w: w.publish(b"", "form.xlsx"))
add("XLSForm .exe", S400, lambda w: w.publish(b"MZ\x90\x00", "form.exe"))
add("XLSForm .xlsx that is not a zip", S400, lambda w: w.publish(b"not a zip at all", "form.xlsx"))
add("XLSForm .xls of garbage", S400, lambda w: w.publish(b"\xd0\xcf\x11\xe0garbage", "form.xls"))
add("XLSForm markdown without a survey", S400, lambda w: w.publish(b"# just a heading\n", "form.md"))
add("XLSForm zip bomb (declared size)", S413, lambda w: w.publish(hw.zip_bomb(200), "bomb.xlsx"))
add("XLSForm zip bomb (declared size a lie)", {400, 413}, lambda w: w.publish(hw.zip_bomb(100, declared_ok=True), "bomb.xlsx"))
add("XLSForm with 150,000 rows", S413, lambda w: w.publish(hw.many_rows_xlsx(150_000), "rows.xlsx"))
add("XLSForm zip with 1,000 entries", S413, lambda w: w.publish(hw.many_entries_zip(1000), "many.xlsx"))
add("XLSForm as XForm XML", S400, lambda w: w.client.post("/v1/projects/1/forms", data=b"<h:html/>", content_type="application/xml", headers=w.admin))
add("XLSForm with an unknown content type", S400, lambda w: w.client.post("/v1/projects/1/forms", data=b"x", content_type="image/png", headers=w.admin))
add("XLSForm multipart without file", S400, lambda w: w.client.post("/v1/projects/1/forms", data={"other": "x"}, content_type="multipart/form-data", headers=w.admin))


# --- review JSON API (after the merge of main): wrong types, NUL, huge ints, over-long text ---------
_SUB = "/v1/projects/1/forms/household_survey/submissions"
REVIEW_PATCH_BODIES: dict[str, Any] = {
    "reviewState a number": {"reviewState": 1},
    "reviewState a list": {"reviewState": ["approved"]},
    "reviewState an object": {"reviewState": {"approved": True}},
    "reviewState missing": {"comment": "ok"},
    "reviewState with NUL": {"reviewState": "appro\u0000ved"},
    "reviewState of 1000 characters": {"reviewState": "a" * 1000},
    "comment an object": {"reviewState": "approved", "comment": {"x": 1}},
    "comment of 20,000 characters": {"reviewState": "approved", "comment": "ก" * 20_000},
    "body a list": [{"reviewState": "approved"}],
}
for _label, _body in REVIEW_PATCH_BODIES.items():
    add(
        f"review PATCH {_label}",
        S400,
        lambda w, b=_body: w.client.patch(f"{_SUB}/uuid:review", json=b, headers=w.admin),
    )
add(
    "review PATCH X-Action-Notes with NUL",
    S400,
    lambda w: w.client.patch(
        f"{_SUB}/uuid:review", json={"reviewState": "approved"}, headers={**w.admin, "X-Action-Notes": "a%00b"}
    ),
)
COMMENT_BODIES: dict[str, Any] = {
    "a number": {"body": 5},
    "missing": {},
    "of 20,000 characters": {"body": "x" * 20_000},
    "with NUL": {"body": "a\u0000b"},
    "only spaces": {"body": "   "},
}
for _label, _body in COMMENT_BODIES.items():
    add(
        f"review comment {_label}",
        S400,
        lambda w, b=_body: w.client.post(f"{_SUB}/uuid:review/comments", json=b, headers=w.admin),
    )
BULK_BODIES: dict[str, Any] = {
    "instanceIds a string": {"reviewState": "approved", "instanceIds": "uuid:review"},
    "instanceIds of numbers": {"reviewState": "approved", "instanceIds": [1, 2]},
    "instanceIds of 300 characters": {"reviewState": "approved", "instanceIds": ["u" * 300]},
    "filter a list": {"reviewState": "approved", "filter": ["q"]},
    "filter q a number": {"reviewState": "approved", "filter": {"q": 5}},
    "filter q an object": {"reviewState": "approved", "filter": {"q": {"$ne": 1}}},
    "filter q of 1000 characters": {"reviewState": "approved", "filter": {"q": "q" * 1000}},
    "filter submitterId huge": {"reviewState": "approved", "filter": {"submitterId": "9" * 30}},
    "filter reviewState unknown": {"reviewState": "approved", "filter": {"reviewState": "gone"}},
    "reviewState unknown": {"reviewState": "gone", "instanceIds": ["uuid:review"]},
}
for _label, _body in BULK_BODIES.items():
    add(
        f"bulk review {_label}",
        S400,
        lambda w, b=_body: w.client.post(f"{_SUB}/bulk-review", json=b, headers=w.admin),
    )
LIST_QUERIES = {
    "submitterId huge": "submitterId=" + "9" * 30,
    "submitterId in Thai digits": "submitterId=๑๒",
    "cursor with a huge id": "cursor=MjAyNi0xMi0wMVQwMDowMDowMCswMDowMHw5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
    "cursor of garbage": "cursor=%%%",
    "since not a date": "since=yesterday",
    "q with NUL": "q=a%00b",
}
for _label, _query in LIST_QUERIES.items():
    add(f"submission list {_label}", S400, lambda w, q=_query: w.client.get(f"{_SUB}?{q}", headers=w.admin))
add("dashboard grid cell NaN", S400, lambda w: w.client.get(
    "/v1/projects/1/forms/household_survey/dashboard/grid?cell=nan", headers=w.admin))
add("dashboard points limit not a number", S400, lambda w: w.client.get(
    "/v1/projects/1/forms/household_survey/dashboard/points?limit=many", headers=w.admin))


# --- the web application's form posts and query parameters (signed in as the admin) ----------------
_UI_FORM = "/ui/projects/1/forms/household_survey"


def ui_post(w: World, path: str, data: dict[str, Any]) -> Any:
    ui = w.extra["ui"]
    return ui.post(path, data={"csrf_token": w.extra["ui_csrf"], **data}, content_type="multipart/form-data")


UI_POSTS: dict[str, tuple[str, dict[str, Any]]] = {
    "new user named with NUL": ("/ui/users", {"username": "a\x00b", "role": "collector", "project_id": "1"}),
    "new user in a huge project id": ("/ui/users", {"username": "big", "role": "collector", "project_id": "9" * 30}),
    "new user in a project of Thai digits": ("/ui/users", {"username": "thai", "role": "collector", "project_id": "๑"}),
    "grant in a huge project id": ("/ui/users/1/grant", {"role": "supervisor", "project_id": "9" * 30}),
    "form state with NUL": (f"{_UI_FORM}/state", {"state": "clo\x00sed"}),
    "review state with NUL": (f"{_UI_FORM}/submissions/uuid:review/review", {"state": "approved\x00"}),
    "review comment with NUL": (f"{_UI_FORM}/submissions/uuid:review/comments", {"body": "ดี\x00มาก"}),
    "bulk review instance id with NUL": (
        f"{_UI_FORM}/submissions/review", {"state": "approved", "instance_id": "uuid:\x00"}),
    "language with NUL": ("/ui/lang", {"lang": "th\x00"}),
    "password change with NUL": ("/ui/account/password", {"current": "x", "new": "a\x00b", "repeat": "a\x00b"}),
}
for _label, (_path, _data) in UI_POSTS.items():
    add(f"UI post {_label}", S400, lambda w, p=_path, d=_data: ui_post(w, p, d))
add("UI media upload named with NUL", S400, lambda w: ui_post(
    w, f"{_UI_FORM}/media", {"name": "a.csv", "file": (io.BytesIO(b"a,b\n"), "a\x00b.csv")}))
UI_QUERIES = {
    "audit user huge": "/ui/audit?user=" + "9" * 30,
    "audit before huge": "/ui/audit?before=" + "9" * 30,
    "exports started huge": f"{_UI_FORM}/exports?started=" + "9" * 30,
    "submissions submitterId huge": f"{_UI_FORM}/submissions?submitterId=" + "9" * 30,
    "submissions q of 1000 characters": f"{_UI_FORM}/submissions?q=" + "q" * 1000,
    "dashboard with NUL": f"{_UI_FORM}/dashboard?village=a%00b",
}
for _label, _url in UI_QUERIES.items():
    add(f"UI page {_label}", S400, lambda w, u=_url: w.extra["ui"].get(u))


# --- the test ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, migrated_template: str) -> Iterator[World]:
    """One server for the whole corpus: every case must leave it exactly as it was, which each test
    checks, so sharing it is itself part of the test (and spares 237 database set-ups)."""
    data_dir = tmp_path_factory.mktemp("hostile") / "data"
    data_dir.mkdir()
    env = {
        "CHUMCHON_DATA_DIR": str(data_dir),
        "CHUMCHON_DATABASE_URL": empty_database(migrated_template, data_dir),
        "CHUMCHON_SECRET_KEY": "test-secret-key",
        "CHUMCHON_MAX_UPLOAD_BYTES": str(5 * 1024 * 1024),
    }
    services = build_services(load_settings(env), tasks=RecordingSender())
    with services.db.session() as session:
        project = projects.ensure_default_project(session)

    def make_user(username: str, role: str, password: str | None = PASSWORD) -> User:
        with services.db.session() as session:
            pid = None if role == "admin" else project.id
            return users.create_user(session, username, role, password=password, project_id=pid)

    app = create_app(services)
    app.testing = True
    world = hw.build_world(app.test_client(), services, make_user, make_user("somchai", "collector"))
    assert world.submit(hw.good_submission("uuid:review")).status_code == 201  # something to review
    ui = app.test_client()
    assert sign_in(ui, "admin").status_code == 302
    world.extra.update(ui=ui, ui_csrf=csrf_of(ui, "/ui/"))
    yield world
    services.close()


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 150, len(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_request_is_refused_cleanly(world: World, name: str) -> None:
    send, statuses = CASES[name]
    before = hw.counts(world.services)
    resp = send(world)
    body = resp.get_data(as_text=True)
    assert resp.status_code in statuses, f"{name}: {resp.status_code} {body[:300]}"
    assert not any(marker in body for marker in hw.TRACEBACK_MARKERS), body[:500]
    message = hw.message_of(resp)
    # The web application shows the half of a message in the browser's language (Thai here).
    english = resp.mimetype == "text/html" or any("a" <= c.lower() <= "z" for c in message)
    assert message and hw.THAI.search(message) and english, f"{name}: no Thai/English message in {body[:300]!r}"
    assert hw.counts(world.services) == before, f"{name} wrote something"
    alive = world.client.get("/v1/users/current", headers=world.admin)
    assert alive.status_code == 200
