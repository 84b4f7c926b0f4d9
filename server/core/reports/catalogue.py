"""The reports there are, found by name: each rules file names its report and its form; a report is
built for a project's form of that xmlFormId after its stale results are recomputed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.ground.errors import NotFound
from server.core.models import Form, FormVersion, User
from server.core.reports import (
    allowances,
    basic_needs,
    community_forum,
    community_standard,
    nomination_scoring,
)
from server.core.reports.basic_needs import BasicNeedsReport
from server.core.reports.results import refresh, rules_by_form
from server.core.reports.rules import SHIPPED_DIR, Rules, RulesError, load_rules
from server.core.reports.tables import ReportConfig, TableReport, load_config

# Report name → what builds it. The rules file's `report` must be one of these.
BUILDERS = {"basic_needs": basic_needs}
TITLES = {"basic_needs": "ผลการสำรวจข้อมูลความจำเป็นพื้นฐาน (จปฐ.) / Basic minimum needs survey"}
# The reports drawn as tables, each from its settings file beside its form (forms/FORM + SUFFIX).
TABLE_REPORTS: dict[str, tuple[ModuleType, str]] = {
    allowances.NAME: (allowances, "welfare_registration"),
    community_standard.NAME: (community_standard, "standard_assessment"),
    nomination_scoring.NAME: (nomination_scoring, "nomination_scoring"),
    community_forum.NAME: (community_forum, "community_forum"),
}


def table_configs(rules_dir: Path = SHIPPED_DIR) -> dict[str, ReportConfig]:
    """The table reports whose settings file is present (each checked: a broken one is an error)."""
    found = {}
    for name, (module, form_id) in TABLE_REPORTS.items():
        path = rules_dir / f"{form_id}{module.SUFFIX}"
        if path.exists():
            config = load_config(path, name)
            module.settings(config)
            found[name] = config
    return found


def available(rules_dir: Path = SHIPPED_DIR) -> dict[str, Rules | ReportConfig]:
    found: dict[str, Rules | ReportConfig] = {
        name: rules for name, rules in load_rules(rules_dir).items() if name in BUILDERS
    }
    found.update(table_configs(rules_dir))
    return found


def open_report(
    session: Session,
    user: User | None,
    project_id: int,
    name: str,
    rules_dir: Path = SHIPPED_DIR,
    operator: bool = False,
) -> tuple[Form, Rules | ReportConfig]:
    """The form and rules of report `name` in a project, its results brought up to date. Forbidden
    without submission.read in the project (whether the report exists or not), unless operator."""
    if not operator:
        permissions.require(session, user, "submission.read", project_id)
    rules = available(rules_dir).get(name)
    if isinstance(rules, ReportConfig):
        return _table_form(session, project_id, rules), rules
    if rules is None:
        raise NotFound(f"ไม่มีรายงาน {name[:64]} / No report named {name[:64]!r}.", report=name[:64])
    form = session.scalar(
        select(Form).where(Form.project_id == project_id, Form.xml_form_id == rules.form_id)
    )
    if form is None:
        raise NotFound(
            f"โครงการนี้ยังไม่มีแบบฟอร์ม {rules.form_id} / This project has no form {rules.form_id!r}.",
            form_id=rules.form_id,
        )
    rules = rules_by_form(session, [form.id], rules_dir).get(form.id, rules)
    refresh(session, form.id, rules)
    return form, rules


def _form_of(session: Session, project_id: int, form_id: str) -> Form:
    form = session.scalar(select(Form).where(Form.project_id == project_id, Form.xml_form_id == form_id))
    if form is None:
        raise NotFound(
            f"โครงการนี้ยังไม่มีแบบฟอร์ม {form_id} / This project has no form {form_id!r}.", form_id=form_id
        )
    return form


def _table_form(session: Session, project_id: int, config: ReportConfig) -> Form:
    """The report's form, its fields checked against the settings file."""
    form = _form_of(session, project_id, config.form_id)
    module = TABLE_REPORTS[config.report][0]
    version = session.get(FormVersion, form.current_version_id) if form.current_version_id else None
    names = [
        str(f.get("name")) for f in ((version.field_schema if version else None) or {}).get("fields", [])
    ]
    missing = [f for f in module.fields(config) if f not in names]
    if names and missing:
        raise RulesError(
            f"{config.path.name}: แบบฟอร์ม {config.form_id} ไม่มีช่อง {', '.join(missing)} / "
            f"the form has no field {', '.join(missing)}",
            file=config.path.name,
        )
    return form


def build(
    session: Session,
    user: User | None,
    form: Form,
    rules: Rules | ReportConfig,
    *,
    area: str | None = None,
    period: str | None = None,
    level: str | None = None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    operator: bool = False,
) -> BasicNeedsReport | TableReport:
    """Any report, its parameters already checked by the caller."""
    if isinstance(rules, ReportConfig):
        builder: Any = TABLE_REPORTS[rules.report][0].build
        report: TableReport = builder(
            session, user, form, rules, area=area, period=period, labels=labels, operator=operator
        )
        return report
    return basic_needs.build(
        session, user, form, rules, area=area, period=period, level=level, labels=labels, operator=operator
    )
