"""Pure: one submission's values → its result under a form's rules (one character per indicator:
Y meets, N does not meet, - not applicable), its period (พ.ศ. year) and its measures."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from server.core.reports.rules import Indicator, Rules

MEETS, NOT_MEETING, NOT_APPLICABLE = "Y", "N", "-"
BE_OFFSET = 543


@dataclass(frozen=True)
class Outcome:
    outcomes: str
    period: str | None
    income_per_person: float | None
    members: int | None
    measures: dict[str, Any] = field(default_factory=dict)


def by_name(values: Mapping[str, Any]) -> dict[str, Any]:
    """Main-table values by field name (the last part of their path), as the rules name them."""
    return {path.rsplit("/", 1)[-1]: value for path, value in values.items()}


def number(value: Any) -> float | None:
    """A stored answer as a number: ints are numbers, decimals and calculates are strings."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    try:
        parsed = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return float(parsed) if parsed.is_finite() else None


def _total(names: tuple[str, ...], answers: Mapping[str, Any]) -> float:
    return sum(number(answers.get(n)) or 0.0 for n in names)


def _equal(answer: Any, wanted: Any) -> bool:
    if isinstance(wanted, int | float):
        got = number(answer)
        return got is not None and got == float(wanted)
    return bool(str(answer).strip() == wanted)


def indicator_outcome(indicator: Indicator, answers: Mapping[str, Any]) -> str:
    kind = indicator.kind
    if kind == "count":
        if _total(indicator.eligible, answers) <= 0:
            return NOT_APPLICABLE
        return NOT_MEETING if _total(indicator.not_meeting, answers) > 0 else MEETS
    if kind == "all_equal":
        given = [answers[n] for n in indicator.fields if answers.get(n) not in (None, "")]
        if not given:
            return NOT_APPLICABLE
        return MEETS if all(_equal(a, indicator.value) for a in given) else NOT_MEETING
    if kind == "at_least":
        got = number(answers.get(indicator.field))
        if got is None or indicator.threshold is None:
            return NOT_APPLICABLE
        return MEETS if got >= indicator.threshold else NOT_MEETING
    chosen = answers.get(indicator.field)
    if chosen in (None, "", []):
        return NOT_APPLICABLE
    picked = chosen if isinstance(chosen, list) else str(chosen).split()
    return MEETS if any(p not in indicator.excluded for p in picked) else NOT_MEETING


def be_year(value: Any) -> str | None:
    """The พ.ศ. year of an ISO date or date-time (stored Gregorian), as text."""
    if isinstance(value, datetime | date):
        return str(value.year + BE_OFFSET)
    text = str(value or "").strip()
    if len(text) >= 4 and text[:4].isdigit() and (len(text) == 4 or text[4] == "-"):
        return str(int(text[:4]) + BE_OFFSET)
    return None


def evaluate(rules: Rules, values: Mapping[str, Any], submitted: datetime | None = None) -> Outcome:
    answers = by_name(values)
    outcomes = "".join(indicator_outcome(i, answers) for i in rules.indicators)
    period = be_year(answers.get(rules.period_field)) if rules.period_field else None
    if period is None and submitted is not None:
        period = be_year(submitted)
    income = number(answers.get(rules.income_field)) if rules.income_field else None
    members = number(answers.get(rules.members_field)) if rules.members_field else None
    return Outcome(
        outcomes=outcomes,
        period=period,
        income_per_person=income,
        members=int(members) if members is not None else None,
    )
