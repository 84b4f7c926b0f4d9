"""Evaluate ODK XForm expressions (constraints, relevance, calculations) with elementpath.

An XPath 1.0 parser plus the ODK functions the shipped forms use, with ODK semantics: substr() is
0-based and end-exclusive, dates are days since 1970 in decimal-date-time(), today() is fixed so
tests are deterministic.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from copy import copy
from typing import Any

from elementpath import XPath1Parser, XPathContext
from elementpath.xpath_nodes import XPathNode
from elementpath.xpath_tokens import XPathFunction

REFERENCE_DATE = dt.date(2026, 11, 23)


class ODKXPathParser(XPath1Parser):
    """XPath 1.0 with ODK's extension functions; a copy of the symbol table keeps XPath1Parser clean."""

    symbol_table = dict(XPath1Parser.symbol_table)  # noqa: RUF012 (elementpath registers into it)

    def __init__(self, today: dt.date = REFERENCE_DATE) -> None:
        super().__init__()
        self.today = today


def _atomic(value: Any) -> Any:
    """First item of a node-set as its string value; other values unchanged (XPath 1.0 rules)."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, XPathNode):
        return value.string_value
    return value


def to_string(value: Any) -> str:
    value = _atomic(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return ""
        if float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    return "" if value is None else str(value)


def to_number(value: Any) -> float:
    value = _atomic(value)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return math.nan


def to_boolean(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value)
    value = _atomic(value)
    if isinstance(value, str):
        return value != ""
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)


def _days(value: Any) -> float:
    """decimal-date-time(): days since 1970-01-01 for an ISO date / dateTime string."""
    value = _atomic(value)
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if not text:
        return math.nan
    try:
        if "T" in text:
            moment = dt.datetime.fromisoformat(text)
            if moment.tzinfo is not None:
                moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
            return (moment - dt.datetime(1970, 1, 1)).total_seconds() / 86400
        return float((dt.date.fromisoformat(text[:10]) - dt.date(1970, 1, 1)).days)
    except ValueError:
        return math.nan


def _args(token: XPathFunction, context: Any) -> list[Any]:
    return [child.evaluate(context) for child in token]


def _register(name: str, nargs: int | tuple[int, int | None]) -> Any:
    return ODKXPathParser.method(ODKXPathParser.function(name, nargs=nargs))


@_register("substr", (2, 3))
def evaluate__substr(self: XPathFunction, context: Any = None) -> str:
    args = _args(self, context)
    text = to_string(args[0])
    start = int(to_number(args[1]))
    end = int(to_number(args[2])) if len(args) > 2 else len(text)
    return text[max(start, 0) : max(end, 0)]


@_register("regex", 2)
def evaluate__regex(self: XPathFunction, context: Any = None) -> bool:
    args = _args(self, context)
    return re.search(to_string(args[1]), to_string(args[0])) is not None


@_register("selected", 2)
def evaluate__selected(self: XPathFunction, context: Any = None) -> bool:
    args = _args(self, context)
    return to_string(args[1]) in to_string(args[0]).split()


@_register("count-selected", 1)
def evaluate__count_selected(self: XPathFunction, context: Any = None) -> float:
    return float(len(to_string(_args(self, context)[0]).split()))


@_register("int", 1)
def evaluate__int(self: XPathFunction, context: Any = None) -> float:
    number = to_number(_args(self, context)[0])
    return number if math.isnan(number) or math.isinf(number) else float(math.trunc(number))


ODKXPathParser.symbol_table.pop("round")  # XPath 1.0 round() takes one argument; ODK's takes two


@_register("round", (1, 2))
def evaluate__round(self: XPathFunction, context: Any = None) -> float:
    args = _args(self, context)
    number = to_number(args[0])
    digits = int(to_number(args[1])) if len(args) > 1 else 0
    if math.isnan(number):
        return number
    scale = 10.0**digits
    return math.floor(number * scale + 0.5) / scale  # ODK rounds half up


@_register("decimal-date-time", 1)
def evaluate__decimal_date_time(self: XPathFunction, context: Any = None) -> float:
    return _days(_args(self, context)[0])


@_register("date", 1)
def evaluate__date(self: XPathFunction, context: Any = None) -> str:
    value = _atomic(_args(self, context)[0])
    if isinstance(value, (int, float)):
        return (dt.date(1970, 1, 1) + dt.timedelta(days=int(value))).isoformat()
    return to_string(value)[:10]


@_register("today", 0)
def evaluate__today(self: XPathFunction, context: Any = None) -> str:
    parser = self.parser
    assert isinstance(parser, ODKXPathParser)
    return parser.today.isoformat()


@_register("if", 3)
def evaluate__if(self: XPathFunction, context: Any = None) -> Any:
    condition = to_boolean(self[0].evaluate(context))
    return _atomic((self[1] if condition else self[2]).evaluate(context))


@_register("coalesce", 2)
def evaluate__coalesce(self: XPathFunction, context: Any = None) -> str:
    first = to_string(self[0].evaluate(context))
    return first if first != "" else to_string(self[1].evaluate(context))


_COMPARE = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_ARITHMETIC = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "div": lambda a, b: a / b if b else (math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)),
    "mod": lambda a, b: math.fmod(a, b) if b else math.nan,
}


def _operand_items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [item.string_value if isinstance(item, XPathNode) else item for item in value]
    return [value]


def _compare(self: Any, context: Any = None) -> bool:
    """XPath 1.0 comparison (spec §3.4) where an empty answer is NaN, as in JavaRosa, not an error."""
    op = _COMPARE[self.symbol]
    left, right = self[0].evaluate(copy(context)), self[1].evaluate(copy(context))
    if self.symbol in ("=", "!=") and (isinstance(left, bool) or isinstance(right, bool)):
        return bool(op(to_boolean(left), to_boolean(right)))
    for a in _operand_items(left):
        for b in _operand_items(right):
            numeric = self.symbol not in ("=", "!=") or any(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)
            )
            if numeric and op(to_number(a), to_number(b)):
                return True
            if not numeric and op(to_string(a), to_string(b)):
                return True
    return False


def _arithmetic(self: Any, context: Any = None) -> float:
    """Arithmetic on numbers; an empty or non-numeric answer gives NaN instead of an error."""
    if len(self) == 1:  # unary minus / plus
        value = to_number(self[0].evaluate(copy(context)))
        return -value if self.symbol == "-" else value
    left = to_number(self[0].evaluate(copy(context)))
    right = to_number(self[1].evaluate(copy(context)))
    if math.isnan(left) or math.isnan(right):
        return math.nan
    return float(_ARITHMETIC[self.symbol](left, right))


# Subclass the operator tokens for this parser only, so XPath1Parser itself keeps its behaviour.
for _symbol in _COMPARE:
    _base = XPath1Parser.symbol_table[_symbol]
    ODKXPathParser.symbol_table[_symbol] = type(f"ODK{_base.__name__}", (_base,), {"evaluate": _compare})
for _symbol in _ARITHMETIC:
    _base = XPath1Parser.symbol_table[_symbol]
    ODKXPathParser.symbol_table[_symbol] = type(f"ODK{_base.__name__}", (_base,), {"evaluate": _arithmetic})


class Evaluator:
    """Parses each expression once and evaluates it against a submission tree."""

    def __init__(self, today: dt.date = REFERENCE_DATE) -> None:
        self.parser = ODKXPathParser(today)
        self._cache: dict[str, Any] = {}
        # elementpath builds a node tree per context; answers are read live from the lxml elements,
        # so one tree per document serves until its structure changes (call forget() then).
        self._contexts: dict[int, tuple[Any, XPathContext]] = {}

    def forget(self, root: Any) -> None:
        self._contexts.pop(id(root), None)

    def evaluate(self, expression: str, root: Any, item: Any) -> Any:
        token = self._cache.get(expression)
        if token is None:
            token = self._cache[expression] = self.parser.parse(expression)
        cached = self._contexts.get(id(root))
        if cached is None or cached[0] is not root:
            cached = self._contexts[id(root)] = (root, XPathContext(root))
        context = copy(cached[1])
        context.item = context.get_context_item(item)
        return token.evaluate(context)

    def boolean(self, expression: str, root: Any, item: Any) -> bool:
        return to_boolean(self.evaluate(expression, root, item))

    def string(self, expression: str, root: Any, item: Any) -> str:
        return to_string(self.evaluate(expression, root, item))
