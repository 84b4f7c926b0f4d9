"""Shared by the report tests: the shipped household survey published, households filled the way
Collect would (tests/forms/fill.py), posted through OpenRosa and processed by the worker's task body,
and the จปฐ. results worked out again here, from the answers and the roster, without the rules file."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flask.testing import FlaskClient
from lxml import etree

from server.core.forms.shipped import publish_with_media
from server.core.ground.services import Services
from server.core.models import Project, User
from tests.forms.conftest import FORMS_DIR
from tests.forms.fill import fill_submission
from tests.forms.test_forms_end_to_end import post_like_collect
from workers.tasks import process_pending_job

THRESHOLD = 38000  # the shipped rules file's setting (forms/household_survey.indicators.toml)
CODES = [str(n) for n in range(1, 32)]


@dataclass
class Household:
    instance_id: str
    village: str
    subdistrict: str
    period: str
    members: int
    income_per_person: float
    outcome: dict[str, str]  # indicator code -> Y / N / -


def _answers(root: etree._Element) -> dict[str, str]:
    return {
        el.tag: el.text or ""
        for el in root.iter()
        if isinstance(el.tag, str) and len(el) == 0 and not any(a.tag == "members" for a in el.iterancestors())
    }


def expected_household(root: etree._Element) -> Household:
    """What the จปฐ. handbook says of one household, from its roster and answers."""
    a = _answers(root)
    people = root.findall(".//members")
    ages = [int(m.findtext("age") or 0) for m in people]
    months = [int(m.findtext("age_months") or 0) for m in people]
    disabled = [m for m in people if m.findtext("disabled") == "yes"]
    chronic = [m for m in people if m.findtext("health") == "chronic"]

    def n(name: str) -> int:
        return int(a.get(name) or 0)

    def all_of(names: Iterable[str], value: str) -> str:
        given = [a[x] for x in names if a.get(x)]
        return "-" if not given else ("Y" if all(g == value for g in given) else "N")

    def anyone(applies: bool, *all_answers: str) -> str:
        return "-" if not applies else ("N" if any(a.get(x) == "not_all" for x in all_answers) else "Y")

    out = {
        "1": anyone(any(m < 12 for m in months), "i1_all"),
        "2": anyone(any(m < 12 for m in months), "i2a_all", "i2b_all"),
        "3": anyone(any(x <= 12 for x in ages), "i3_all"),
        "4": all_of([f"i4_{i}" for i in range(1, 5)], "yes"),
        "5": all_of([f"i5_{i}" for i in range(1, 5)], "yes"),
        "6": anyone(any(x >= 35 for x in ages), "i6_all"),
        "7": anyone(any(x >= 6 for x in ages), "i7_all"),
        "8": all_of(["i8_1", "i8_2"], "yes"),
        "9": all_of(["i9"], "enough"),
        "10": all_of(["i10"], "enough"),
        "11": all_of([f"i11_{i}" for i in range(1, 12)], "yes"),
        "12": all_of([f"i12_{i}" for i in range(1, 7)], "not_disturbed"),
        "13": all_of([f"i13_{i}" for i in range(1, 5)], "yes"),
        "14": "Y" if n("i14_1") == n("i14_2") == n("i14_3") == 0 else "N",
        "15": anyone(any(3 <= x <= 5 for x in ages), "i15_all"),
        "16": anyone(any(6 <= x <= 14 for x in ages), "i16_all"),
        "17": "-" if n("i17_n") == 0 else ("N" if n("i17_not") else "Y"),
        "18": "-" if n("i18_n") == 0 else ("N" if n("i18_not") else "Y"),
        "19": anyone(any(15 <= x <= 59 for x in ages), "i19_all"),
        "21": "-" if not any(x >= 60 for x in ages) else ("N" if n("i21_no_job_no_income") else "Y"),
        "22": "Y" if float(a["inc_per_person"]) >= THRESHOLD else "N",
        "23": "Y" if set(a.get("i23_savings", "").split()) - {"none"} else "N",
        "24": "Y" if a.get("i24") == "none" else "N",
        "25": "Y" if a.get("i25") == "none" else "N",
        "26": anyone(any(x >= 6 for x in ages), "i26_all"),
        "27": anyone(any(x >= 60 for x in ages), "i27_all"),
        "29": anyone(bool(chronic), "i29_all"),
        "30": "Y" if a.get("i30") == "yes" else "N",
        "31": all_of(["i31_1", "i31_2", "i31_3"] if len(people) >= 2 else ["i31s_1", "i31s_2"], "yes"),
    }
    working = sum(1 for x in ages if 15 <= x <= 59) - n("i20_excluded")
    out["20"] = "-" if working <= 0 else ("N" if n("i20_no_job_no_income") + n("i20_no_job_income") else "Y")
    no_card = any(m.findtext("disability_card") == "no" for m in disabled)
    out["28"] = "-" if not disabled else ("N" if a.get("i28_all") == "not_all" or no_card else "Y")
    return Household(
        instance_id=root.findtext("meta/instanceID") or "",
        village=a["village"],
        subdistrict=a["subdistrict"],
        period=str(int(a["survey_date"][:4]) + 543),
        members=len(people),
        income_per_person=float(a["inc_per_person"]),
        outcome=out,
    )


@dataclass
class Figures:
    households: int = 0
    people: int = 0
    income: float = 0.0
    counts: dict[str, list[int]] = field(default_factory=lambda: {c: [0, 0] for c in CODES})

    def add(self, h: Household) -> None:
        self.households += 1
        self.people += h.members
        self.income += h.income_per_person * h.members
        for code, mark in h.outcome.items():
            if mark != "-":
                self.counts[code][0 if mark == "Y" else 1] += 1

    def income_per_person(self) -> float | None:
        return round(self.income / self.people, 2) if self.people else None

    def percent(self, code: str) -> float | None:
        meets, failing = self.counts[code]
        return round(100.0 * meets / (meets + failing), 2) if meets + failing else None


def expected(households: Iterable[Household], key: Any) -> dict[str, Figures]:
    out: dict[str, Figures] = {}
    for h in households:
        out.setdefault(key(h), Figures()).add(h)
    return out


@cache
def _filled(xform: bytes, count: int, seed: int) -> tuple[tuple[Any, Household], ...]:
    rng = random.Random(seed)
    made = []
    for n in range(count):
        filled = fill_submission(xform, seed=seed * 1000 + n, repeat_counts={"members": rng.choice([1, 2, 3, 4, 5, 5])})
        made.append((filled, expected_household(filled.root)))
    return tuple(made)


def survey_households(
    services: Services, client: FlaskClient, project: Project, collector: User, count: int = 30, seed: int = 7
) -> list[Household]:
    """Publish the shipped survey, send `count` households as Collect would, process them as the worker does."""
    with services.db.session() as session:
        version = publish_with_media(session, services.blobs, project.id, FORMS_DIR / "household_survey.xlsx")
        xform = services.blobs.read_bytes(version.xform_sha256)
    households = []
    for filled, household in _filled(xform, count, seed):
        resp = post_like_collect(client, collector.collect_token or "", filled)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        households.append(household)
    process_pending_job(services)
    return households
