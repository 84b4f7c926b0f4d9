"""OData `$filter` and `$orderby` of a form's submissions, parsed here (a small recursive-descent
parser) into SQLAlchemy conditions on Submission, never into SQL text.

Supported as in ODK Central: the `__system` fields (submissionDate, updatedAt, submitterId,
reviewState, deletedAt) and `__id`, plus Chumchon's answers of the main table (`rooms`,
`household/village`); eq ne lt le gt ge, and or not, parentheses, null, the functions year month day
hour minute second date now. Anything else is a 400 with Central's problem code."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    and_,
    cast,
    exists,
    extract,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from server.core.models import Record, Submission
from server.core.odata.errors import ODataFilterError, ODataPropertyNotFound
from server.core.odata.model import FormModel, Node

MAX_FILTER = 4000  # characters; a longer expression is refused before parsing
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}
_PARTS = ("year", "month", "day", "hour", "minute", "second")
_NUMBER_KINDS = frozenset({"int", "decimal"})
# The answers a condition reads, under their own name: the feed's own query joins Record too.
_ANSWERS = aliased(Record, name="odata_answers")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    at: int


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_FILTER:
        raise ODataFilterError(f"longer than {MAX_FILTER} characters")
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise ODataFilterError(f"unexpected character at {position}: {text[position:position + 10]!r}")
        tokens.append(Token(match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup)))
        position = match.end()
    return tokens


@dataclass
class Operand:
    """One side of a comparison: a SQL expression of a known kind, or a literal still to be typed."""

    kind: str  # datetime date int number text null bool, or "literal" (typed by the other side)
    expr: Any = None
    value: Any = None
    answer: bool = False  # reads the submission's answers (the Record): wrapped in EXISTS


class _Parser:
    def __init__(self, text: str, model: FormModel, dialect: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.model = model
        self.dialect = dialect
        self.fields = _answer_fields(model)

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise ODataFilterError("the expression ends too early")
        self.i += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "name" and token.text in words:
            self.i += 1
            return token.text
        return None

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise ODataFilterError(f"expected {text!r} at {token.at}, found {token.text!r}")

    def parse(self) -> ColumnElement[bool]:
        condition = self.or_expr()
        token = self.peek()
        if token is not None:
            raise ODataFilterError(f"unexpected {token.text!r} at {token.at}")
        return condition

    def or_expr(self) -> ColumnElement[bool]:
        left = self.and_expr()
        while self.keyword("or"):
            left = or_(left, self.and_expr())
        return left

    def and_expr(self) -> ColumnElement[bool]:
        left = self.not_expr()
        while self.keyword("and"):
            left = and_(left, self.not_expr())
        return left

    def not_expr(self) -> ColumnElement[bool]:
        if self.keyword("not"):
            return not_(self.not_expr())
        return self.comparison()

    def comparison(self) -> ColumnElement[bool]:
        token = self.peek()
        if token is not None and token.text == "(":
            self.take()
            inner = self.or_expr()
            self.expect(")")
            return inner
        left = self.operand()
        op = self.keyword(*_COMPARISONS)
        if op is None:
            found = self.peek()
            raise ODataFilterError(
                f"expected a comparison (eq ne lt le gt ge) at {found.at if found else 'the end'}"
            )
        right = self.operand()
        return _compare(op, left, right, self.dialect)

    def operand(self) -> Operand:
        token = self.take()
        if token.kind == "string":
            return Operand("literal", value=token.text[1:-1].replace("''", "'"))
        if token.kind == "datetime":
            return Operand("datetime", value=_moment(token.text))
        if token.kind == "date":
            return Operand("date", value=date.fromisoformat(token.text))
        if token.kind == "number":
            whole = re.fullmatch(r"-?\d+", token.text) is not None
            return Operand("literal", value=int(token.text) if whole else float(token.text))
        if token.kind == "punct":
            raise ODataFilterError(f"unexpected {token.text!r} at {token.at}")
        word = token.text
        if word == "null":
            return Operand("null")
        if word in ("true", "false"):
            return Operand("bool", value=word == "true")
        nxt = self.peek()
        if nxt is not None and nxt.text == "(":
            return self.function(word, token.at)
        return self.member(word)

    def function(self, name: str, at: int) -> Operand:
        self.expect("(")
        if name == "now":
            self.expect(")")
            return Operand("datetime", expr=literal(datetime.now(UTC), type_=Submission.created_at.type))
        if name not in (*_PARTS, "date"):
            raise ODataFilterError(f"unknown function {name!r} at {at}")
        argument = self.operand()
        self.expect(")")
        if argument.kind != "datetime" or argument.expr is None:
            raise ODataFilterError(f"{name}() needs a date-time property such as __system/submissionDate")
        if name == "date":
            day = cast(argument.expr, Date) if self.dialect == "postgresql" else func.date(argument.expr)
            return Operand("date", expr=day, answer=argument.answer)
        return Operand("int", expr=extract(name, argument.expr), answer=argument.answer)

    def member(self, name: str) -> Operand:
        system = {
            "__system/submissionDate": ("datetime", Submission.created_at),
            "__system/updatedAt": ("datetime", Submission.updated_at),
            "__system/deletedAt": ("datetime", Submission.deleted_at),
            "__system/submitterId": ("int", Submission.submitter_id),
            "__system/reviewState": ("text", Submission.review_state),
            "__id": ("text", Submission.instance_id),
        }
        if name in system:
            kind, column = system[name]
            return Operand(kind, expr=column)
        node = self.fields.get(name)
        if node is None:
            raise ODataPropertyNotFound(name)
        value = _ANSWERS.values[node.path].as_string()
        if node.kind in _NUMBER_KINDS:
            return Operand("number", expr=cast(value, Float), answer=True)
        return Operand("text", expr=value, answer=True)


def _answer_fields(model: FormModel) -> dict[str, Node]:
    """OData paths (`household/village`) of the main table's answers."""
    found: dict[str, Node] = {}

    def walk(nodes: list[Node], prefix: str) -> None:
        for node in nodes:
            if node.kind == "group":
                walk(node.children, f"{prefix}{node.name}/")
            elif node.kind != "repeat":
                found[prefix + node.name] = node

    walk(model.tables["Submissions"].nodes, "")
    return found


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ODataFilterError(f"{text!r} is not a date-time") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _typed(operand: Operand, kind: str, dialect: str) -> Any:
    """The SQL value of `operand` compared with a `kind` expression."""
    if operand.expr is not None:
        return operand.expr
    value = operand.value
    try:
        if kind == "datetime":
            if isinstance(value, date) and not isinstance(value, datetime):
                value = datetime(value.year, value.month, value.day, tzinfo=UTC)
            elif isinstance(value, str):
                value = _moment(value)
            if not isinstance(value, datetime):
                raise ValueError(value)
            return value
        if kind == "date":
            day = value if isinstance(value, date) else date.fromisoformat(str(value))
            return day if dialect == "postgresql" else day.isoformat()
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ValueError(value)
            return int(value)
        if kind == "number":
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if kind == "text":
            if isinstance(value, date):
                return value.isoformat()
            return value if isinstance(value, str) else str(value)
    except (ValueError, TypeError) as exc:
        raise ODataFilterError(f"{value!r} cannot be compared with a {kind} property") from exc
    return literal(value)


def _compare(op: str, left: Operand, right: Operand, dialect: str) -> ColumnElement[bool]:
    if left.kind == "null" or right.kind == "null":
        other = right if left.kind == "null" else left
        if other.kind == "null" or op not in ("eq", "ne"):
            raise ODataFilterError("null can only be compared with eq or ne to a property")
        expr = other.expr if other.expr is not None else literal(other.value)
        condition: ColumnElement[bool] = expr.is_(None) if op == "eq" else expr.isnot(None)
    else:
        kind = left.kind if left.expr is not None else right.kind
        if kind in ("literal", "bool"):
            kind = "text"
        a, b = _typed(left, kind, dialect), _typed(right, kind, dialect)
        if left.expr is None and right.expr is None:
            a = literal(a)
        condition = _COMPARISONS[op](a, b)
    if left.answer or right.answer:
        return exists(
            select(_ANSWERS.id)
            .where(_ANSWERS.submission_version_id == Submission.current_version_id, condition)
            .correlate(Submission)
        )
    return condition


def parse_filter(text: str, model: FormModel, dialect: str) -> ColumnElement[bool]:
    """The SQL condition on Submission for an OData $filter (ODataFilterError / ODataPropertyNotFound
    when it cannot be read)."""
    return _Parser(text, model, dialect).parse()


ORDER_COLUMNS = {
    "__system/submissionDate": Submission.created_at,
    "__system/updatedAt": Submission.updated_at,
    "__id": Submission.instance_id,
}


def parse_orderby(text: str | None) -> list[tuple[str, bool]]:
    """[(property, descending)], newest first when not given (as Central)."""
    if not text or not text.strip():
        return [("__system/submissionDate", True)]
    order: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise ODataFilterError(f"$orderby item {part.strip()!r} is not 'property [asc|desc]'")
        if words[0] not in ORDER_COLUMNS:
            raise ODataFilterError(
                f"$orderby supports {', '.join(ORDER_COLUMNS)}, not {words[0]!r}", property=words[0]
            )
        order.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return order
