"""CSV cells rendered once, when a submission is processed, so that a CSV export only joins text.

A default CSV export of a million household submissions is ≈ 100 million cells: turning each stored
value into its cell in Python at export time takes minutes however it is written. Processing already
holds every value in hand, so it also renders the submission's answer cells for the form version's
default layout (codes, one column per select_multiple, group names, ISO dates) and stores them with a
*layout tag*: a digest of everything that decides a cell's text (the columns, their order, kinds,
choice labels, split choices and the date / ID flags). An export whose own plan has the same tag
copies the stored text; a row with another tag (an older form version, other options) is rendered
from its values by the same cell functions. Either way the bytes are those of the row-by-row writer
(tested byte for byte).

The volatile columns of the main table (SubmissionDate, KEY, submitter, attachments, review state,
edits, form version) are not stored: they change without reprocessing and are added at export time."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from exports.cells import buddhist_date_text, cell, cell_function, safe_text
from exports.columns import Column, Table, plan_tables
from exports.options import ExportOptions

# csv.writer's QUOTE_MINIMAL (excel dialect) quotes a field holding the delimiter, the quote character
# or a character of its line terminator ("\r\n"), doubling the quotes inside.
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')
CellFunction = Callable[[Mapping[str, Any]], str]


def quoted(text: str) -> str:
    """One field as csv.writer writes it (every row here has several fields, so an empty field is
    written empty, never as "")."""
    if _NEEDS_QUOTES.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


def _column_key(column: Column) -> tuple[Any, ...]:
    choices = tuple(sorted(column.choices.items())) if column.choices is not None else None
    return (column.system, column.path, column.part, column.choice, column.kind, choices)


def layout_tag(tables: Sequence[Table], *, buddhist: bool = False, excel_ids: bool = False) -> str:
    """16 hex digits naming how every cell of these tables is rendered (not the headers)."""
    key = repr([(t.repeat_path, [_column_key(c) for c in t.columns]) for t in tables] + [buddhist, excel_ids])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class Renderer:
    """The answer cells of each table of a plan, as CSV text."""

    def __init__(self, tables: Sequence[Table], *, buddhist: bool = False, excel_ids: bool = False) -> None:
        self.tables = list(tables)
        self.buddhist = buddhist
        self.tag = layout_tag(self.tables, buddhist=buddhist, excel_ids=excel_ids)
        self._cells: dict[str | None, list[CellFunction]] = {
            t.repeat_path: [
                cell_function(c, buddhist=buddhist, excel_ids=excel_ids)
                for c in t.columns
                if c.system is None
            ]
            for t in self.tables
        }

    def has_answers(self, repeat_path: str | None) -> bool:
        return bool(self._cells.get(repeat_path))

    def answers(self, repeat_path: str | None, values: Mapping[str, Any] | None) -> str:
        """The table's answer cells of one row, joined by commas (no line end, no system columns)."""
        row = {"values": values or {}}
        return ",".join([quoted(f(row)) for f in self._cells.get(repeat_path, ())])

    def repeat_line(
        self, repeat_path: str, values: Mapping[str, Any] | None, key: str, parent_key: str
    ) -> str:
        """A whole repeat row: its answers, PARENT_KEY, KEY and the line end."""
        return join_line(
            self.answers(repeat_path, values) if self.has_answers(repeat_path) else None,
            (parent_key, key),
        )

    def main_line(self, answers: str | None, first: Any, last: Sequence[Any]) -> str:
        """A whole main-table row: SubmissionDate, the answers, then the system columns."""
        if self.buddhist and isinstance(first, str):
            first = buddhist_date_text(first)
        return quoted(cell(first)) + "," + join_line(answers if self.has_answers(None) else None, last)


def join_line(answers: str | None, system: Sequence[Any]) -> str:
    tail = ",".join([quoted(cell(v)) for v in system])
    return (f"{answers},{tail}" if answers is not None else tail) + "\r\n"


def header_line(table: Table) -> str:
    return ",".join(quoted(safe_text(c.header)) for c in table.columns) + "\r\n"


def renderer_for(schema: Mapping[str, Any], options: ExportOptions | None = None) -> Renderer:
    """The renderer of an export's plan (default options: the layout processing stores)."""
    options = options or ExportOptions()
    return Renderer(
        plan_tables(schema, options=options),
        buddhist=options.dates == "buddhist",
        excel_ids=options.excel_ids,
    )


class Prerendered:
    """What processing stores for one submission version: the tag, the main answers, and each
    repeat row's whole line."""

    __slots__ = ("main", "repeat_lines", "tag")

    def __init__(self, tag: str, main: str, repeat_lines: list[str]) -> None:
        self.tag, self.main, self.repeat_lines = tag, main, repeat_lines


def prerender(
    renderer: Renderer,
    values: Mapping[str, Any],
    repeats: Sequence[tuple[str, Mapping[str, Any], str, str]],
) -> Prerendered:
    """repeats: (repeat_path, values, key, parent_key) of each repeat row, in order. A repeat whose
    table is not in the plan gets an empty line (never exported by this layout)."""
    known = {t.repeat_path for t in renderer.tables}
    return Prerendered(
        renderer.tag,
        renderer.answers(None, values),
        [
            renderer.repeat_line(path, v, key, parent) if path in known else ""
            for path, v, key, parent in repeats
        ],
    )
