"""Small data model for bilingual XLSForms and the openpyxl writer that turns it into an .xlsx.

Form definitions (tools/forms/defs/) are plain lists of rows built with the helpers below, so a
reviewer reads one Python list per form instead of a spreadsheet diff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

TH = "Thai (th)"
EN = "English (en)"
DEFAULT_LANGUAGE = TH
FORM_VERSION = "2026112301"

Bilingual = tuple[str, str]
Row = dict[str, Any]

# Column order of the survey sheet; the last two are Chumchon's server-readable markers, which pyxform
# keeps as unknown keys on each question of ConvertResult._pyxform.
SURVEY_COLUMNS: tuple[str, ...] = (
    "type",
    "name",
    f"label::{TH}",
    f"label::{EN}",
    f"hint::{TH}",
    f"hint::{EN}",
    "required",
    f"required_message::{TH}",
    f"required_message::{EN}",
    "relevant",
    "constraint",
    f"constraint_message::{TH}",
    f"constraint_message::{EN}",
    "calculation",
    "default",
    "appearance",
    "choice_filter",
    "parameters",
    "repeat_count",
    "read_only",
    "save_to",
    "sensitive",
    "server_check",
)
CHOICES_COLUMNS: tuple[str, ...] = ("list_name", "name", f"label::{TH}", f"label::{EN}")
# The entities sheet: which entity list the form creates or updates (see server.core.entities).
ENTITIES_COLUMNS: tuple[str, ...] = ("list_name", "label", "entity_id", "create_if", "update_if")
SETTINGS_COLUMNS: tuple[str, ...] = (
    "form_id",
    "version",
    "form_title",
    "instance_name",
    "default_language",
    "allow_choice_duplicates",
)

_WIDTHS = {
    "type": 34,
    "name": 24,
    f"label::{TH}": 48,
    f"label::{EN}": 44,
    f"hint::{TH}": 40,
    f"hint::{EN}": 36,
    "relevant": 30,
    "constraint": 40,
    f"constraint_message::{TH}": 36,
    f"constraint_message::{EN}": 32,
    "calculation": 40,
    "choice_filter": 24,
    "list_name": 22,
    "form_title": 40,
    "instance_name": 40,
}


def q(
    type_: str,
    name: str,
    label: Bilingual | None = None,
    *,
    hint: Bilingual | None = None,
    constraint: str | None = None,
    message: Bilingual | None = None,
    required: bool = False,
    sensitive: bool = False,
    **columns: str,
) -> Row:
    """Build one survey row; ``columns`` holds any other XLSForm column (relevant, appearance …)."""
    row: Row = {"type": type_, "name": name}
    if label is not None:
        row[f"label::{TH}"], row[f"label::{EN}"] = label
    if hint is not None:
        row[f"hint::{TH}"], row[f"hint::{EN}"] = hint
    if constraint is not None:
        if message is None:
            raise ValueError(f"{name}: a constraint needs a message in both languages")
        row["constraint"] = constraint
        row[f"constraint_message::{TH}"], row[f"constraint_message::{EN}"] = message
    if required:
        row["required"] = "yes"
        row[f"required_message::{TH}"] = "จำเป็นต้องตอบข้อนี้"
        row[f"required_message::{EN}"] = "This question is required"
    if sensitive:
        row["sensitive"] = "yes"
    for key, value in columns.items():
        if key not in SURVEY_COLUMNS:
            raise ValueError(f"{name}: unknown survey column {key!r}")
        row[key] = value
    return row


def save_to(rows: list[Row], names: tuple[str, ...]) -> list[Row]:
    """Mark the questions an entity keeps: each saves to the property named as the question. A name
    with no question is an error (a renamed question must not silently drop out of the registry)."""
    found = set()
    for row in rows:
        if row.get("name") in names:
            row["save_to"] = row["name"]
            found.add(row["name"])
    missing = sorted(set(names) - found)
    if missing:
        raise ValueError(f"save_to: no question named {missing}")
    return rows


def calc(name: str, expression: str) -> Row:
    """A hidden calculate row."""
    return {"type": "calculate", "name": name, "calculation": expression}


def note(name: str, label: Bilingual, **columns: str) -> Row:
    return q("note", name, label, **columns)


def begin_group(name: str, label: Bilingual, *, repeat: bool = False, **columns: str) -> Row:
    return q("begin_repeat" if repeat else "begin_group", name, label, **columns)


def end_group(name: str, *, repeat: bool = False) -> Row:
    return {"type": "end_repeat" if repeat else "end_group", "name": name}


def choice_list(list_name: str, options: list[tuple[str, str, str]]) -> list[Row]:
    """Choice rows from (name, Thai label, English label) triples."""
    return [
        {"list_name": list_name, "name": name, f"label::{TH}": th, f"label::{EN}": en}
        for name, th, en in options
    ]


@dataclass
class FormDef:
    """Everything needed to write one XLSForm."""

    form_id: str
    title: str
    instance_name: str
    survey: list[Row]
    choices: list[Row] = field(default_factory=list)
    version: str = FORM_VERSION
    entities: list[Row] = field(default_factory=list)

    def settings_row(self) -> Row:
        return {
            "form_id": self.form_id,
            "version": self.version,
            "form_title": self.title,
            "instance_name": self.instance_name,
            "default_language": DEFAULT_LANGUAGE,
            "allow_choice_duplicates": "no",
        }


def _write_sheet(wb: Workbook, title: str, columns: tuple[str, ...], rows: list[Row]) -> None:
    used = [c for c in columns if any(c in r for r in rows)]
    ws = wb.create_sheet(title)
    ws.append(used)
    for row in rows:
        ws.append([row.get(c) for c in used])
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = header_font
        cell.fill = header_fill
    wrap = Alignment(wrap_text=True, vertical="top")
    for col_idx, col in enumerate(used, start=1):
        letter = get_column_letter(col_idx)
        ws.column_dimensions[letter].width = _WIDTHS.get(col, 16)
        if col.startswith(("label", "hint", "constraint", "calculation", "relevant")):
            for cell in ws[letter][1:]:
                cell.alignment = wrap
    ws.freeze_panes = "C2" if title == "survey" else "A2"
    ws.auto_filter.ref = ws.dimensions


def write_xlsform(form: FormDef, path: Path) -> Path:
    """Write ``form`` as survey / choices / settings sheets, pleasant to edit in Excel."""
    wb = Workbook()
    wb.remove(wb.active)
    _write_sheet(wb, "survey", SURVEY_COLUMNS, form.survey)
    _write_sheet(wb, "choices", CHOICES_COLUMNS, form.choices)
    _write_sheet(wb, "settings", SETTINGS_COLUMNS, [form.settings_row()])
    if form.entities:
        _write_sheet(wb, "entities", ENTITIES_COLUMNS, form.entities)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
