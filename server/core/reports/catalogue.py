"""The reports there are, found by name: each rules file names its report and its form; a report is
built for a project's form of that xmlFormId after its stale results are recomputed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.ground.errors import NotFound
from server.core.models import Form, User
from server.core.reports import basic_needs
from server.core.reports.results import refresh, rules_by_form
from server.core.reports.rules import SHIPPED_DIR, Rules, load_rules

# Report name → what builds it. The rules file's `report` must be one of these.
BUILDERS = {"basic_needs": basic_needs}
TITLES = {"basic_needs": "ผลการสำรวจข้อมูลความจำเป็นพื้นฐาน (จปฐ.) / Basic minimum needs survey"}


def available(rules_dir: Path = SHIPPED_DIR) -> dict[str, Rules]:
    return {name: rules for name, rules in load_rules(rules_dir).items() if name in BUILDERS}


def open_report(
    session: Session,
    user: User | None,
    project_id: int,
    name: str,
    rules_dir: Path = SHIPPED_DIR,
    operator: bool = False,
) -> tuple[Form, Rules]:
    """The form and rules of report `name` in a project, its results brought up to date. Forbidden
    without submission.read in the project (whether the report exists or not), unless operator."""
    if not operator:
        permissions.require(session, user, "submission.read", project_id)
    rules = available(rules_dir).get(name)
    if rules is None:
        raise NotFound(f"ไม่มีรายงาน {name[:64]} / No report named {name[:64]!r}.", report=name[:64])
    form = session.scalar(select(Form).where(Form.project_id == project_id, Form.xml_form_id == rules.form_id))
    if form is None:
        raise NotFound(
            f"โครงการนี้ยังไม่มีแบบฟอร์ม {rules.form_id} / This project has no form {rules.form_id!r}.",
            form_id=rules.form_id,
        )
    rules = rules_by_form(session, [form.id], rules_dir).get(form.id, rules)
    refresh(session, form.id, rules)
    return form, rules

