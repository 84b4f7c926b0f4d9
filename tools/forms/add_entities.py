"""Give two shipped XLSForms (edited in Excel, so changed in place) their entities sheet and save_to
column: welfare_registration creates `beneficiaries`, household_survey creates `households`.
Idempotent: running it again changes nothing. The follow-up forms are built by build_forms.py."""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles import Font, PatternFill

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
VERSION = "2026120201"
# form id -> (entity list, label expression, properties saved: question name -> property)
PLANS: dict[str, tuple[str, str, dict[str, str]]] = {
    "welfare_registration": (
        "beneficiaries",
        "concat(${first_name}, ' ', ${last_name}, ' บ้านเลขที่ ', ${house_no})",
        {q: q for q in ("first_name", "last_name", "birth_date", "house_no", "subdistrict", "village", "phone")},
    ),
    "household_survey": (
        "households",
        "concat('บ้านเลขที่ ', ${house_no}, ' (', ${house_code}, ')')",
        {
            q: q
            for q in (
                "house_code",
                "house_no",
                "subdistrict",
                "village",
                "respondent_name",
                "n_members",
                "n_60p",
                "n_disabled",
                "inc_total",
            )
        },
    ),
}


def add_entities(path: Path, list_name: str, label: str, saved: dict[str, str]) -> None:
    wb = load_workbook(path)
    survey = wb["survey"]
    header = [c.value for c in survey[1]]
    if "save_to" not in header:
        column = len(header) + 1
        survey.cell(row=1, column=column, value="save_to").font = Font(bold=True)
        survey.cell(row=1, column=column).fill = PatternFill("solid", fgColor="DDEBF7")
        header.append("save_to")
    save_col = header.index("save_to") + 1
    name_col = header.index("name") + 1
    found = set()
    for row in range(2, survey.max_row + 1):
        name = survey.cell(row=row, column=name_col).value
        if name in saved:
            survey.cell(row=row, column=save_col, value=saved[name])
            found.add(name)
    missing = set(saved) - found
    if missing:
        raise SystemExit(f"{path.name}: no question named {sorted(missing)}")
    if "entities" in wb.sheetnames:
        del wb["entities"]
    sheet = wb.create_sheet("entities")
    sheet.append(["list_name", "label", "create_if"])
    sheet.append([list_name, label, "${consent} = 'yes'"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 24
    sheet.freeze_panes = "A2"
    settings = wb["settings"]
    version_col = [c.value for c in settings[1]].index("version") + 1
    settings.cell(row=2, column=version_col, value=VERSION)
    wb.save(path)


def main() -> int:
    for form_id, (list_name, label, saved) in PLANS.items():
        add_entities(FORMS_DIR / f"{form_id}.xlsx", list_name, label, saved)
        print(FORMS_DIR / f"{form_id}.xlsx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
