"""Shared by the table-report tests: a shipped form published with its media, filled the way Collect
would (tests/forms/fill.py) with some answers set by the test, posted through OpenRosa and processed
by the worker's task body; the test then works out the report's figures from the XML it sent."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import openpyxl
from flask.testing import FlaskClient
from lxml import etree

from server.core.forms.shipped import publish_with_media
from server.core.ground.services import Services
from server.core.models import Project, User
from tests.forms.conftest import FORMS_DIR
from tests.forms.fill import fill_submission
from tests.forms.test_forms_end_to_end import post_like_collect
from workers.tasks import process_pending_job

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "reports"
Tweak = Callable[[etree._Element, int, random.Random], None]


def villages() -> list[tuple[str, str]]:
    """(village code, subdistrict code) of the form's villages.csv."""
    rows = (FORMS_DIR / "media" / "villages.csv").read_text(encoding="utf-8").splitlines()[1:]
    return [(r.split(",")[0], r.split(",")[2]) for r in rows if r.strip()]


def leaf(root: etree._Element, name: str) -> etree._Element:
    found = next(
        (e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == name), None
    )
    assert found is not None, name
    return found


def put(root: etree._Element, name: str, value: object) -> None:
    leaf(root, name).text = None if value is None else str(value)


def text(root: etree._Element, name: str) -> str:
    return leaf(root, name).text or ""


def put_place(root: etree._Element, village: str | None, subdistrict: str) -> None:
    put(root, "province", subdistrict[:2])
    put(root, "district", subdistrict[:4])
    put(root, "subdistrict", subdistrict)
    if village is not None:
        put(root, "village", village)


def send_filled(
    services: Services, client: FlaskClient, project: Project, collector: User, form_id: str, count: int,
    tweak: Tweak, seed: int = 11, repeat_counts: dict[str, int] | None = None,
) -> list[etree._Element]:  # fmt: skip
    """Publish forms/FORM_ID.xlsx, send `count` filled submissions (each changed by `tweak`), process them."""
    with services.db.session() as session:
        version = publish_with_media(session, services.blobs, project.id, FORMS_DIR / f"{form_id}.xlsx")
        xform = services.blobs.read_bytes(version.xform_sha256)
    rng = random.Random(seed)
    sent = []
    for n in range(count):
        filled = fill_submission(xform, seed=seed * 1000 + n, repeat_counts=repeat_counts)
        tweak(filled.root, n, rng)
        filled.xml = etree.tostring(filled.root, xml_declaration=True, encoding="UTF-8")
        resp = post_like_collect(client, collector.collect_token or "", filled)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        sent.append(filled.root)
    process_pending_job(services)
    return sent


def sheet_rows(data: bytes, sheet_index: int, first: int = 6) -> list[list[object]]:
    import io

    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[sheet_index]
    return [[c.value for c in row] for row in ws.iter_rows(min_row=first)]


_MARKS = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\\s]")


def bases(value: str) -> str:
    """Thai text without marks and spaces (pdftotext gives shaped Thai in glyph order; see test_report_files)."""
    return _MARKS.sub("", value.replace("\u0e33", "\u0e32"))


def pdf_text(data: bytes, name: str) -> str:
    """The PDF's text (pdftotext -layout); its pages are rendered to PNG under tests/artifacts/reports."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / f"{name}.pdf"
    pdf.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "595.28 x 841.89" in info  # A4
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Sarabun" in fonts and all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = out.count("\f")
    assert f"หน้า 1 จาก {pages}" in out and re.search(r"พิมพ์เมื่อ \d{1,2} \S+ 25\d\d", out)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(ARTIFACTS / name)], check=True)
    assert len(list(ARTIFACTS.glob(f"{name}-*.png"))) == pages
    return out


def have_poppler() -> bool:
    return shutil.which("pdftotext") is not None and shutil.which("pdftoppm") is not None
