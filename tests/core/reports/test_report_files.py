"""The จปฐ. report as files: the XLSX cells and the PDF's text hold the same figures as the test
works out from the households it sent; the PDF is A4 with Sarabun embedded, Buddhist-era dates and
page numbers, and its pages are rendered to PNG under tests/artifacts/ to be looked at. The command
line writes the same files."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from server.cli import main
from server.core.ground.services import Services
from server.core.models import Project, User
from tests.core.reports.survey import CODES, Figures, expected, survey_households

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "reports"
URL = "/v1/projects/{pid}/reports/basic_needs"


def _poppler() -> None:
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        if os.environ.get("CHUMCHON_REQUIRE_POPPLER"):
            pytest.fail("pdftotext/pdftoppm (poppler-utils) are missing")
        pytest.skip("poppler-utils is not installed")


_MARKS = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\\s]")


def bases(text: str) -> str:
    """Thai text without its marks and spaces. A PDF of shaped Thai gives its glyphs back in drawing
    order (pdftotext may put a tone mark after the next consonant and split sara am), so the text
    is compared by its consonants and vowels; what the page shows is checked by looking at the PNGs."""
    return _MARKS.sub("", text.replace("\u0e33", "\u0e32"))


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def test_xlsx_cells_hold_every_figure(
    services: Services, client: FlaskClient, project: Project, collector: User, admin_headers: dict[str, str]
) -> None:
    households = survey_households(services, client, project, collector)
    period = max(h.period for h in households)
    resp = client.get(
        f"{URL.format(pid=project.id)}?period={period}&level=village&format=xlsx", headers=admin_headers
    )
    assert resp.status_code == 200
    assert "attachment" in resp.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    summary, areas = book["สรุปตัวชี้วัด"], book["รายพื้นที่"]
    total = Figures()
    for h in households:
        if h.period == period:
            total.add(h)
    assert summary.cell(5, 3).value == "ตัวชี้วัด" and summary.freeze_panes == "A6"
    for row, code in enumerate(CODES, 6):
        meets, failing = total.counts[code]
        cells = [summary.cell(row, c).value for c in range(1, 8)]
        assert cells[0] == code and cells[3:6] == [meets + failing, meets, failing], code
        assert cells[6] == total.percent(code), code
    want = expected([h for h in households if h.period == period], lambda h: h.village)
    seen = set()
    for row in range(2, areas.max_row + 1):
        code = areas.cell(row, 1).value
        figures = want[code]
        seen.add(code)
        assert [areas.cell(row, c).value for c in (3, 4, 5)] == [
            figures.households,
            figures.people,
            figures.income_per_person(),
        ]
        assert [areas.cell(row, 7 + n).value for n in range(31)] == [figures.percent(c) for c in CODES]
    assert seen == set(want)


def test_pdf_text_holds_every_figure_and_its_pages_are_rendered(
    services: Services, client: FlaskClient, project: Project, collector: User, admin_headers: dict[str, str]
) -> None:
    _poppler()
    households = survey_households(services, client, project, collector)
    period = max(h.period for h in households)
    resp = client.get(
        f"{URL.format(pid=project.id)}?period={period}&level=village&format=pdf&office=สำนักงานพัฒนาชุมชนอำเภอจัตุรัส",
        headers=admin_headers,
    )
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "basic_needs.pdf"
    pdf.write_bytes(resp.data)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "595.28 x 841.89" in info  # A4 in points
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Sarabun" in fonts and all(
        line.split()[-5] == "yes" for line in fonts.splitlines()[2:]
    )  # embedded
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.count("\f")
    assert f"หน้า 1 จาก {pages}" in text and f"หน้า {pages} จาก {pages}" in text
    assert re.search(r"พิมพ์เมื่อ \d{1,2} \S+ 25\d\d", text)  # a Buddhist-era date
    assert bases("สำนักงานพัฒนาชุมชนอำเภอจัตุรัส") in bases(text) and f"ปี พ.ศ. {period}" in text
    total = Figures()
    for h in households:
        if h.period == period:
            total.add(h)
    assert bases(f"ครัวเรือนที่สำรวจ {total.households:,} ครัวเรือน") in bases(text)
    # The indicator table's rows, in order: each ends with its counts and shares (this year, last year).
    tail = re.compile(r"([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+|–)\s+([\d.]+|–)\s*$")
    rows = [m.groups()[:4] for line in text.splitlines() if (m := tail.search(line))]
    want = []
    for code in CODES:
        meets, failing = total.counts[code]
        want.append((f"{meets + failing:,}", f"{meets:,}", f"{failing:,}", _pct(total.percent(code))))
    assert rows[: len(CODES)] == want
    for old in ARTIFACTS.glob("basic_needs-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(ARTIFACTS / "basic_needs")], check=True)
    assert len(list(ARTIFACTS.glob("basic_needs-*.png"))) == pages


def test_the_command_line_writes_the_same_report(
    services: Services, client: FlaskClient, project: Project, collector: User, settings_env: dict[str, str],
    tmp_path: Path,
) -> None:  # fmt: skip
    households = survey_households(services, client, project, collector, count=10)
    period = max(h.period for h in households)
    runner = CliRunner()
    out = tmp_path / "report.xlsx"
    result = runner.invoke(
        main,
        ["report", "basic_needs", "--period", period, "--format", "xlsx", "--out", str(out)],
        env=settings_env,
    )
    assert result.exit_code == 0, result.output
    summary = openpyxl.load_workbook(out)["สรุปตัวชี้วัด"]
    assert summary.cell(3, 1).value.startswith(
        f"ครัวเรือนที่สำรวจ {sum(1 for h in households if h.period == period):,} ครัวเรือน"
    )
    bad = runner.invoke(main, ["report", "basic_needs", "--period", "1999"], env=settings_env)
    assert bad.exit_code != 0 and "พ.ศ." in bad.output and "Traceback" not in bad.output
