"""Report pages (Thai first): a report of the project filtered by area, period and level, limited to
the reader's area by the core, with a bar chart drawn as SVG on the server and XLSX / PDF downloads."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, request

from server.core.accounts import permissions
from server.core.models import Project
from server.core.reports import basic_needs, catalogue, render
from server.core.reports.tables import TableReport, cell_text
from server.core.review.places import place_labels
from server.web.context import db, services
from server.web.ui.blueprint import bp
from server.web.ui.i18n import CATALOGUE
from server.web.ui.session import current_user
from server.web.ui.session import render as render_page

CATALOGUE.update(
    {
        "rep.title": ("รายงาน", "Reports"),
        "rep.area": ("รหัสพื้นที่ (จังหวัด 2 / อำเภอ 4 / ตำบล 6 หลัก หรือหมู่บ้าน)", "Area code (province 2 / district 4 / subdistrict 6 digits, or village)"),
        "rep.period": ("ปี พ.ศ.", "Year (B.E.)"),
        "rep.level": ("แสดงราย", "Rows per"),
        "rep.show": ("แสดงรายงาน", "Show report"),
        "rep.households": ("ครัวเรือนที่สำรวจ", "Households surveyed"),
        "rep.people": ("จำนวนคน", "People"),
        "rep.income": ("รายได้เฉลี่ย (บาท/คน/ปี)", "Income (baht/person/year)"),
        "rep.threshold": ("เกณฑ์รายได้", "Income threshold"),
        "rep.indicator": ("ตัวชี้วัด", "Indicator"),
        "rep.applicable": ("ครัวเรือนที่เกี่ยวข้อง", "Applies to"),
        "rep.meets": ("ผ่านเกณฑ์", "Meet"),
        "rep.fails": ("ไม่ผ่านเกณฑ์", "Do not meet"),
        "rep.percent": ("ร้อยละที่ผ่าน", "% meeting"),
        "rep.previous": ("ปีก่อน", "Last year"),
        "rep.most_failed": ("ข้อที่ไม่ผ่านมากที่สุด", "Most failed"),
        "rep.chart": ("ร้อยละของครัวเรือนที่ผ่านเกณฑ์ แต่ละตัวชี้วัด", "Share of households meeting each indicator"),
        "rep.download_xlsx": ("ดาวน์โหลด Excel (XLSX)", "Download Excel (XLSX)"),
        "rep.download_pdf": ("ดาวน์โหลด PDF สำหรับพิมพ์", "Download PDF to print"),
        "rep.none": ("ยังไม่มีข้อมูลที่ประมวลผลแล้ว", "No processed data yet"),
        "rep.level_province": ("จังหวัด", "Province"),
        "rep.level_district": ("อำเภอ", "District"),
        "rep.level_subdistrict": ("ตำบล", "Subdistrict"),
        "rep.level_village": ("หมู่บ้าน", "Village"),
    }
)


@bp.app_context_processor
def report_links() -> dict[str, object]:
    """reports_of(xmlFormId) in every page: the names of the reports a form feeds (the form page links them)."""

    def reports_of(xml_form_id: str) -> list[str]:
        return [name for name, rules in sorted(catalogue.available().items()) if rules.form_id == xml_form_id]

    return {"reports_of": reports_of, "report_cell": cell_text}


@bp.get("/projects/<int:project_id>/reports/<name>")
def report_page(project_id: int, name: str) -> Response:
    user = current_user()
    permissions.require(db(), user, "submission.read", project_id)
    fmt = request.args.get("format") or "html"
    if fmt != "html":
        render.check_format(fmt)
    area = basic_needs.check_area(request.args.get("area"))
    period = basic_needs.check_period(request.args.get("period"))
    level = basic_needs.check_level(request.args.get("level"))
    form, rules = catalogue.open_report(db(), user, project_id, name)
    db().commit()
    report = catalogue.build(
        db(), user, form, rules, area=area, period=period, level=level,
        labels=place_labels(db(), services().blobs, form),
    )  # fmt: skip
    project = db().get(Project, project_id)
    if fmt in ("xlsx", "pdf"):
        body = render.render(report, fmt, project.name if project else "", datetime.now(UTC))
        resp = Response(body, content_type=render.FORMATS[fmt])
        resp.headers["Content-Disposition"] = f'attachment; filename="{render.file_name(report, fmt)}"'
        return resp
    if isinstance(report, TableReport):
        args = {k: v for k, v in (("area", area), ("period", report.period)) if v}
        top = max((b.value for b in report.chart), default=0.0) or 1.0
        bars = [{"label": b.label, "y": 24 * n, "width": 100.0 * b.value / top, "text": b.text} for n, b in enumerate(report.chart)]
        return render_page("ui/table_report.html", project=project, report=report, name=name, args=args, bars=bars)
    args = {k: v for k, v in (("area", area), ("period", report.period), ("level", report.level)) if v}
    return render_page(
        "ui/report.html",
        project=project,
        report=report,
        name=name,
        args=args,
        levels=basic_needs.LEVELS,
        bars=_bars(report),
    )


def _bars(report: basic_needs.BasicNeedsReport) -> list[dict[str, object]]:
    """One horizontal bar per indicator for the SVG chart: y position, width in percent."""
    return [
        {"code": fig.code, "y": 22 * n, "width": fig.percent or 0.0, "percent": fig.percent}
        for n, fig in enumerate(report.total.indicators)
    ]
