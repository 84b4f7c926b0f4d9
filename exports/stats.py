"""SPSS (.sav) and Stata (.dta) writer (pyreadstat): one data file per table in a zip, with variable
labels, value labels from the choice lists, select_multiple as 0/1 variables and declared missing.

pyreadstat writes a whole data frame at once, so a table is written in parts of at most `part_rows`
rows (`household_survey.sav`, `household_survey_part2.sav`, …) to keep memory bounded; SPSS's
ADD FILES or Stata's append puts the parts together again."""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from types import NoneType
from typing import Any, BinaryIO

import pandas as pd
import pyreadstat

from exports.columns import Column, Table, plan_tables
from exports.options import ExportOptions
from exports.statrecords import write_records
from exports.typed import typed_answers, typed_values
from exports.zipwriter import ZipWriter

Row = Mapping[str, Any]
PART_ROWS = 100_000
BATCH_ROWS = 2_000  # rows converted a column at a time
NO_ANSWER = -99  # SPSS: declared user-missing code of a coded question left empty
_SPSS_NAME = re.compile(r"[^A-Za-z0-9_.@#$]")
_STATA_NAME = re.compile(r"[^A-Za-z0-9_]")
_NUMERIC = ("int", "decimal")


def _variable_names(columns: list[Column], fmt: str) -> list[str]:
    """Valid, unique (case-insensitive) variable names from the field names."""
    # Stata allows 32 characters, but pyreadstat names a value-label set "<variable><counter>" under
    # the same limit: 28 leaves room for 9,999 labelled variables.
    limit, pattern = (64, _SPSS_NAME) if fmt == "sav" else (28, _STATA_NAME)
    used: set[str] = set()
    names = []
    for column in columns:
        base = pattern.sub("_", column.name.replace("-", "_").replace("/", "_")).strip("_.") or "v"
        if not base[0].isalpha():
            base = "v_" + base
        base = base[:limit]
        candidate, n = base, 1
        while candidate.lower() in used:
            n += 1
            suffix = f"_{n}"
            candidate = base[: limit - len(suffix)] + suffix
        used.add(candidate.lower())
        names.append(candidate)
    return names


class _Coder:
    """Numeric codes for a select_one: the choice name itself when every name is an integer, else
    its position in the choice list (1, 2, …); values outside the list get the next free codes."""

    def __init__(self, labels: dict[str, str]) -> None:
        self.numeric = all(re.fullmatch(r"-?[0-9]{1,9}", name) for name in labels)
        self.codes: dict[str, int] = {}
        self.labels: dict[int, str] = {}
        for i, (name, label) in enumerate(labels.items(), 1):
            code = int(name) if self.numeric else i
            self.codes[name], self.labels[code] = code, label
        self.next = max(self.labels, default=0) + 1
        self.floats = {name: float(code) for name, code in self.codes.items()}

    def code(self, value: Any) -> float:
        if value is None:
            return math.nan
        name = str(value)
        if name not in self.codes:
            if self.numeric and re.fullmatch(r"-?[0-9]{1,9}", name):
                self.codes[name] = int(name)
            else:
                self.codes[name], self.next = self.next, self.next + 1
            self.labels[self.codes[name]] = name
            self.floats[name] = float(self.codes[name])
        return self.floats[name]


def _is_coded(column: Column) -> bool:
    return column.kind == "select_one" and column.part is None and bool(column.value_labels)


def _stat_columns(table: Table) -> list[Column]:
    """Every select_multiple gets its 0/1 variables (after its own text variable), whatever the
    `multiple` option says: that is how SPSS and Stata users analyse them."""
    out: list[Column] = []
    for column in table.columns:
        out.append(column)
        if column.kind == "select_multiple" and column.choice is None and column.value_labels:
            already = any(c.choice is not None and c.path == column.path for c in table.columns)
            if not already:
                out += [
                    replace(
                        column,
                        name=f"{column.name}/{choice}",
                        choice=choice,
                        kind="int",
                        choices=None,
                        value_labels=None,
                        label=f"{column.label}: {label}" if column.label else label,
                    )
                    for choice, label in column.value_labels.items()
                ]
    return out


def _frame(
    columns: list[Column], names: list[str], coders: dict[int, _Coder], rows: Iterator[Row]
) -> tuple[pd.DataFrame, int]:
    data: list[list[Any]] = [[] for _ in columns]
    plain = [replace(c, choices=None) if c.choices else c for c in columns]  # codes, not labels
    count = 0
    paths = [c.path for c in plain if c.system is None]
    while batch := list(islice(rows, BATCH_ROWS)):
        count += len(batch)
        # The batch's answers a column at a time (one C-level lookup per cell, then a transpose).
        answers = iter(zip(*(map((row.get("values") or {}).get, paths) for row in batch), strict=True))
        for i, column in enumerate(plain):
            if column.system is not None:
                data[i] += typed_values(column, batch)
                continue
            raw = next(answers)
            coder = coders.get(i)
            if coder is None:
                data[i] += typed_answers(column, raw)
                continue
            codes, other = coder.floats, coder.code
            data[i] += [codes[v] if type(v) is str and v in codes else other(v) for v in raw]
    frame = {}
    for i, (column, name) in enumerate(zip(columns, names, strict=True)):
        values = data[i]
        data[i] = []
        if i in coders or column.choice is not None or column.kind in _NUMERIC or column.part is not None:
            kinds = set(map(type, values))
            if kinds <= {int, float, NoneType}:
                frame[name] = pd.Series(values, dtype="float64")
                continue
            if kinds <= {int, float, bool, NoneType}:  # a true/false is no number: left empty
                frame[name] = pd.Series([None if type(v) is bool else v for v in values], dtype="float64")
                continue
        elif column.kind in ("date", "dateTime") or column.system == "SubmissionDate":
            if all(isinstance(v, date | datetime) or v is None for v in values):
                frame[name] = pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")
                continue
        frame[name] = pd.Series(
            ["" if v is None else v if type(v) is str else str(v) for v in values], dtype="object"
        )
    return pd.DataFrame(frame), count


def _write_part(
    path: Path,
    fmt: str,
    df: pd.DataFrame,
    columns: list[Column],
    names: list[str],
    coders: dict[int, _Coder],
) -> None:
    limit = 256 if fmt == "sav" else 80
    variable_labels: list[str | None] = [
        (c.label or c.header or n)[:limit] for c, n in zip(columns, names, strict=True)
    ]
    value_labels: dict[str, dict[int | float, str]] = {}
    for i, coder in coders.items():
        value_labels[names[i]] = dict(coder.labels.items())
    for i, column in enumerate(columns):
        if column.choice is not None:
            value_labels[names[i]] = {0: "ไม่ได้เลือก / not selected", 1: "เลือก / selected"}
    write: Callable[[pd.DataFrame, Path], None]
    if fmt == "sav":
        missing: dict[str, list[Any]] = {}
        for i in coders:
            name = names[i]
            # An unanswered coded question is declared missing (-99), not left as a blank number.
            df[name] = df[name].fillna(NO_ANSWER)
            value_labels[name][NO_ANSWER] = "ไม่มีคำตอบ / no answer"
            missing[name] = [NO_ANSWER]

        def write(frame: pd.DataFrame, to: Path) -> None:
            pyreadstat.write_sav(
                frame,
                str(to),
                column_labels=variable_labels,
                variable_value_labels=value_labels,
                missing_ranges=missing,
            )
    else:

        def write(frame: pd.DataFrame, to: Path) -> None:
            pyreadstat.write_dta(
                frame, str(to), column_labels=variable_labels, variable_value_labels=value_labels, version=15
            )

    # The records laid out a block at a time where they can be (the dictionary is still
    # pyreadstat's, checked on a sample row); pyreadstat's own loop over every value otherwise.
    if not write_records(path, fmt, df, write):
        write(df, path)


def write_stats_zip(
    out: BinaryIO,
    schema: Mapping[str, Any],
    main_rows: Iterable[Row],
    repeat_rows: Callable[[str], Iterable[Row]],
    *,
    fmt: str = "sav",
    options: ExportOptions | None = None,
    part_rows: int = PART_ROWS,
    workdir: str | Path | None = None,
) -> dict[str, int]:
    """Write a zip of .sav (fmt="sav") or .dta (fmt="dta") files, one per table (and part); returns
    rows per file name. Values are codes (select_one with value labels), so `labels` only changes the
    labels, never the data."""
    assert fmt in ("sav", "dta")
    options = replace(options or ExportOptions(), multiple="one")
    counts: dict[str, int] = {}
    with (
        tempfile.TemporaryDirectory(dir=workdir, prefix=".stats-") as tmp,
        ZipWriter(out, spool_dir=tmp) as archive,
        ThreadPoolExecutor(1, thread_name_prefix="chumchon-stats-zip") as zipping,
    ):
        # A finished part is deflated into the zip by another thread (ISA-L lets go of the GIL)
        # while the next part's frame is built; at most one part waits on disk meanwhile.
        pending: Future[None] | None = None
        for table in plan_tables(schema, options=options, extension=""):
            columns = _stat_columns(table)
            names = _variable_names(columns, fmt)
            coders = {i: _Coder(c.value_labels or {}) for i, c in enumerate(columns) if _is_coded(c)}
            rows = iter(main_rows if table.repeat_path is None else repeat_rows(table.repeat_path))
            part = 1
            while True:
                df, n = _frame(columns, names, coders, islice(rows, part_rows))
                if n == 0 and part > 1:
                    break
                filename = f"{table.filename}.{fmt}" if part == 1 else f"{table.filename}_part{part}.{fmt}"
                path = Path(tmp) / f"part{len(counts) % 2}.{fmt}"
                _write_part(path, fmt, df, columns, names, coders)
                del df
                if pending is not None:
                    pending.result()
                pending = zipping.submit(_add_file, archive, path, filename)
                counts[filename] = n
                if n < part_rows:
                    break
                part += 1
        if pending is not None:
            pending.result()
    return counts


def _add_file(archive: ZipWriter, path: Path, name: str) -> None:
    with path.open("rb") as fh, archive.open(name) as entry:
        for block in iter(lambda: fh.read(1 << 20), b""):
            entry.write(block)
    path.unlink()
