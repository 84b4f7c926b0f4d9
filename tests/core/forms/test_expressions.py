"""XLSForm expressions checked at publish: XPath 1.0 syntax (any function name) and calculation cycles."""

from __future__ import annotations

import pytest

from server.core.forms.expressions import ExpressionSyntaxError, check_xpath, find_problems

VALID = [
    "${n} + 2",
    ". > 0 and . < 100",
    "selected(${x}, 'a')",
    "jr:choice-name(${p}, '${p}')",
    "instance('provinces')/root/item[prov=${p}]/label",
    "if(${a} = '', 0, ${a} * 2)",
    "count(${rep})",
    "-1",
    "${a} div 3 mod 2",
    "district=${prov}",
    "regex(., '^[0-9]{13}$')",
    "position(..)",
    "/data/x | /data/y",
    "../x",
    "@id",
    "${a}*${b}",
    "decimal-date-time(${d}) - decimal-date-time(today()) <= 0",
    "once(concat('uuid:', uuid()))",
    "indexed-repeat(${name}, ${rep}, position(..))",
    ". = 'ไทย'",
    "${n} + *",  # n plus the child elements: odd, but XPath
    "not(${a}) or ${b} != 'x'",
]
INVALID = ["${n} +* (2", "(1", "1 +", "a b", "concat('a',)", "1 = = 2", "'unterminated", "${a} + ]", "f(", "[1]", "1 2"]


@pytest.mark.parametrize("expression", VALID)
def test_valid_expressions_pass(expression: str) -> None:
    check_xpath(expression)


@pytest.mark.parametrize("expression", INVALID)
def test_invalid_expressions_are_caught(expression: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        check_xpath(expression)


def test_problems_name_sheet_row_and_column_like_pyxform() -> None:
    survey = [
        {"type": "integer", "name": "n", "required": "yes", "default": "3"},
        {"type": "text", "name": "t", "relevant": "${n} +* (2"},
        {"type": "calculate", "name": "a", "calculation": "${c}"},
        {"type": "calculate", "name": "b", "calculation": "${a}"},
        {"type": "calculate", "name": "c", "calculation": "${b} + ${n}"},
    ]
    problems = [str(p) for p in find_problems(survey)]
    assert problems[0].startswith("[sheet: survey] [row: 3] [column: relevant] ")
    assert problems[1] == (
        "[sheet: survey] [row: 4] [column: calculation] การคำนวณวนกลับมาหาตัวเอง / Circular calculation: "
        "${a} → ${c} → ${b} → ${a}."
    )
    assert len(problems) == 2


def test_literal_flags_and_static_defaults_are_not_expressions() -> None:
    survey = [{"type": "text", "name": "t", "required": "yes", "readonly": "true()", "default": "a b c"}]
    assert find_problems(survey) == []
