"""Publish-time checks of an XLSForm's expressions: XPath 1.0 syntax of every expression column and
cycles among calculations, reported per sheet, row and column as pyxform reports its own errors.

The parser checks syntax only and accepts any function name, so ODK's extension functions
(selected, jr:choice-name, pulldata, ...) pass; a wrong call is left to Collect's own checks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EXPRESSION_COLUMNS = (
    "relevant",
    "constraint",
    "calculation",
    "choice_filter",
    "required",
    "readonly",
    "repeat_count",
    "default",
    "trigger",
)
_LITERAL_FLAGS = {"yes", "no", "true", "false", "true()", "false()", ""}
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_NODE_TYPES = {"node", "text", "comment", "processing-instruction"}
_OPERATOR_NAMES = {"and", "or", "mod", "div"}
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>\d+(?:\.\d*)?|\.\d+)
    | (?P<literal>"[^"]*"|'[^']*')
    | (?P<op>//|::|\.\.|!=|<=|>=|[/()\[\].@,|+\-=<>*])
    | (?P<var>\$[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)
    | (?P<name>[A-Za-z_\u00c0-\uffff][\w.\-\u00c0-\uffff]*(?::(?:\*|[A-Za-z_\u00c0-\uffff][\w.\-\u00c0-\uffff]*))?)
    )""",
    re.VERBOSE,
)


class ExpressionSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class _Tok:
    kind: str  # number, literal, op, var, name, operator (and/or/div/mod/* as operators), end
    text: str
    pos: int


def _tokenize(expr: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        match = _TOKEN.match(expr, pos)
        if match is None or match.end() == pos:
            raise ExpressionSyntaxError(f"unexpected character {expr[pos:].lstrip()[:1]!r}")
        kind = match.lastgroup or "op"
        text = match.group(kind)
        start = match.start(kind)
        # XPath 1.0 §3.7: '*' and and/or/div/mod are operators unless they start an operand.
        prev = tokens[-1] if tokens else None
        after_operand = prev is not None and (
            prev.kind in ("number", "literal", "var")
            or (prev.kind == "name")
            or (prev.kind == "op" and prev.text in (")", "]", ".", "..", "*"))
        )
        if after_operand and ((kind == "op" and text == "*") or (kind == "name" and text in _OPERATOR_NAMES)):
            kind = "operator"
        tokens.append(_Tok(kind, text, start + 1))
        pos = match.end()
    tokens.append(_Tok("end", "", len(expr) + 1))
    return tokens


class _Parser:
    def __init__(self, expr: str) -> None:
        self.tokens = _tokenize(expr)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.tokens[self.i]

    def peek(self, n: int = 1) -> _Tok:
        return self.tokens[min(self.i + n, len(self.tokens) - 1)]

    def is_op(self, *texts: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in texts

    def is_operator(self, *texts: str) -> bool:
        return self.tok.kind == "operator" and self.tok.text in texts

    def fail(self, what: str) -> ExpressionSyntaxError:
        found = "the end" if self.tok.kind == "end" else repr(self.tok.text)
        return ExpressionSyntaxError(f"{what} expected, found {found}")

    def expect_op(self, text: str) -> None:
        if not self.is_op(text):
            raise self.fail(repr(text))
        self.i += 1

    def parse(self) -> None:
        self.expr()
        if self.tok.kind != "end":
            raise self.fail("an operator or the end of the expression")

    def expr(self) -> None:
        self.binary(0)

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("or",),
        ("and",),
        ("=", "!="),
        ("<", ">", "<=", ">="),
        ("+", "-"),
        ("*", "div", "mod"),
    )

    def binary(self, level: int) -> None:
        if level == len(self._LEVELS):
            self.unary()
            return
        self.binary(level + 1)
        ops = self._LEVELS[level]
        while (self.tok.kind in ("op", "operator")) and self.tok.text in ops:
            if self.tok.kind == "op" and self.tok.text == "*":
                break  # a '*' that is a name test, not multiplication
            self.i += 1
            self.binary(level + 1)

    def unary(self) -> None:
        while self.is_op("-"):
            self.i += 1
        self.union()

    def union(self) -> None:
        self.path()
        while self.is_op("|"):
            self.i += 1
            self.path()

    def path(self) -> None:
        tok = self.tok
        if tok.kind in ("number", "literal", "var") or (tok.kind == "op" and tok.text == "("):
            self.primary()
        elif tok.kind == "name" and self.peek().kind == "op" and self.peek().text == "(" and tok.text not in _NODE_TYPES:
            self.function_call()
        else:
            self.location_path()
            return
        while self.is_op("["):
            self.predicate()
        if self.is_op("/", "//"):
            self.i += 1
            self.relative_path()

    def primary(self) -> None:
        if self.is_op("("):
            self.i += 1
            self.expr()
            self.expect_op(")")
        else:
            self.i += 1

    def function_call(self) -> None:
        self.i += 2  # name and '('
        if self.is_op(")"):
            self.i += 1
            return
        self.expr()
        while self.is_op(","):
            self.i += 1
            self.expr()
        self.expect_op(")")

    def location_path(self) -> None:
        if self.is_op("/"):
            self.i += 1
            if self._starts_step():
                self.relative_path()
            return
        if self.is_op("//"):
            self.i += 1
        self.relative_path()

    def _starts_step(self) -> bool:
        tok = self.tok
        return tok.kind == "name" or (tok.kind == "op" and tok.text in ("*", ".", "..", "@"))

    def relative_path(self) -> None:
        self.step()
        while self.is_op("/", "//"):
            self.i += 1
            self.step()

    def step(self) -> None:
        if self.is_op(".", ".."):
            self.i += 1
            return
        if self.is_op("@"):
            self.i += 1
        elif self.tok.kind == "name" and self.peek().kind == "op" and self.peek().text == "::":
            self.i += 2
        tok = self.tok
        if tok.kind == "op" and tok.text == "*":
            self.i += 1
        elif tok.kind == "name":
            self.i += 1
            if tok.text in _NODE_TYPES and self.is_op("("):
                self.i += 1
                if self.tok.kind == "literal":
                    self.i += 1
                self.expect_op(")")
        else:
            raise self.fail("a value, a field or a function")
        while self.is_op("["):
            self.predicate()

    def predicate(self) -> None:
        self.expect_op("[")
        self.expr()
        self.expect_op("]")


def check_xpath(expression: str) -> None:
    """Raise ExpressionSyntaxError if `expression` (with ${name} references) is not XPath 1.0."""
    text = _REFERENCE.sub(lambda m: f"/data/{m.group(1).strip() or 'x'}", expression)
    _Parser(text).parse()


@dataclass(frozen=True)
class ExpressionProblem:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"[sheet: {self.sheet}] [row: {self.row}] [column: {self.column}] {self.message}"


def _cells(row: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for key, value in row.items():
        if not isinstance(key, str) or not isinstance(value, str):
            continue
        column = key.strip().lower()
        base = column.removeprefix("bind::").split("::")[0]
        if base in EXPRESSION_COLUMNS:
            yield key, value.strip()


def find_problems(survey: Sequence[Mapping[str, Any]], sheet: str = "survey") -> list[ExpressionProblem]:
    """Syntax problems of every expression cell, then cycles among calculations."""
    problems: list[ExpressionProblem] = []
    calc_refs: dict[str, tuple[int, set[str]]] = {}
    for index, row in enumerate(survey):
        row_no = index + 2  # pyxform's numbering: the header is row 1
        for column, value in _cells(row):
            base = column.strip().lower().removeprefix("bind::")
            if value.lower() in _LITERAL_FLAGS and base in ("required", "readonly", "default"):
                continue
            if base == "default" and "${" not in value and "(" not in value:
                continue  # a static default is a value, not an expression
            try:
                check_xpath(value)
            except ExpressionSyntaxError as exc:
                problems.append(
                    ExpressionProblem(sheet, row_no, column, f"นิพจน์ไม่ถูกต้อง / Invalid expression {value!r}: {exc}.")
                )
        name = row.get("name")
        calculation = next((v for c, v in _cells(row) if c.strip().lower() == "calculation"), None)
        if isinstance(name, str) and name.strip() and calculation:
            refs = {r.strip() for r in _REFERENCE.findall(calculation)}
            calc_refs[name.strip()] = (row_no, refs)
    problems += _cycles(calc_refs, sheet)
    return sorted(problems, key=lambda p: p.row)


def _cycles(graph: Mapping[str, tuple[int, set[str]]], sheet: str) -> list[ExpressionProblem]:
    """Each calculation cycle once, named in the order it runs (a → b → a), at its first row."""
    found: list[ExpressionProblem] = []
    seen_cycles: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for ref in sorted(graph[node][1]):
            if ref not in graph:
                continue
            if state.get(ref) == 1:
                cycle = [*stack[stack.index(ref) :], ref]
                key = frozenset(cycle)
                if key not in seen_cycles:
                    seen_cycles.add(key)
                    row = min(graph[n][0] for n in cycle[:-1])
                    chain = " → ".join(f"${{{n}}}" for n in cycle)
                    found.append(
                        ExpressionProblem(
                            sheet, row, "calculation",
                            f"การคำนวณวนกลับมาหาตัวเอง / Circular calculation: {chain}.",
                        )
                    )
            elif ref not in state:
                visit(ref, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found
