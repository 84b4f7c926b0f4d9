"""A built report in the format asked for: JSON figures, an XLSX workbook or a Thai PDF."""

from __future__ import annotations

import json
from datetime import datetime

from server.core.ground.errors import BadRequest
from server.core.reports import tables
from server.core.reports.basic_needs import BasicNeedsReport, as_json
from server.core.reports.tables import TableReport

FORMATS = {
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def check_format(fmt: str | None) -> str:
    fmt = (fmt or "json").strip().lower()
    if fmt not in FORMATS:
        raise BadRequest(
            f"รูปแบบต้องเป็น {' / '.join(FORMATS)} / The format must be one of {', '.join(FORMATS)}.",
            format=fmt[:16],
        )
    return fmt


def file_name(report: BasicNeedsReport | TableReport, fmt: str) -> str:
    name = report.config.report if isinstance(report, TableReport) else report.rules.report
    parts = [name, report.area or "all", report.period or "all"]
    return "-".join(parts) + f".{fmt}"


def render(report: BasicNeedsReport | TableReport, fmt: str, office: str, printed: datetime) -> bytes:
    """The report's bytes; PDF and XLSX are imported only when asked for (they load fonts)."""
    fmt = check_format(fmt)
    if isinstance(report, TableReport):
        return _render_tables(report, fmt, office, printed)
    if fmt == "xlsx":
        from server.core.reports.xlsx import basic_needs_xlsx

        return basic_needs_xlsx(report, office, printed)
    if fmt == "pdf":
        from server.core.reports.pdf import basic_needs_pdf

        return basic_needs_pdf(report, office, printed)
    return json.dumps(as_json(report), ensure_ascii=False, indent=1).encode("utf-8")


def _render_tables(report: TableReport, fmt: str, office: str, printed: datetime) -> bytes:
    if fmt == "xlsx":
        from server.core.reports.xlsx import tables_xlsx

        return tables_xlsx(report, office, printed)
    if fmt == "pdf":
        from server.core.reports.pdf import tables_pdf

        return tables_pdf(report, office, printed)
    return json.dumps(tables.as_json(report), ensure_ascii=False, indent=1).encode("utf-8")
