"""Shared by the report tests: the shipped household survey published, households filled the way
Collect would (tests/forms/fill.py), posted through OpenRosa and processed by the worker's task body,
and the จปฐ. results worked out again here, from the answers and the roster, without the rules file."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from lxml import etree

from server.core.forms.shipped import publish_with_media
from server.core.ground.services import Services
from server.core.models import Project, User
from tests.forms.conftest import FORMS_DIR
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
        if isinstance(el.tag, str)
        and len(el) == 0
        and not any(a.tag == "members" for a in el.iterancestors())
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


XF = "{http://www.w3.org/2002/xforms}"
JR_TEMPLATE = "{http://openrosa.org/javarosa}template"


def _villages() -> list[tuple[str, str]]:
    rows = (FORMS_DIR / "media" / "villages.csv").read_text(encoding="utf-8").splitlines()[1:]
    return [(r.split(",")[0], r.split(",")[2]) for r in rows if r.strip()]


def _yes(rng: random.Random, p: float = 0.85) -> str:
    return "yes" if rng.random() < p else "no"


def household_answers(rng: random.Random, today: dt.date) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A household as Collect would send it: the roster, the answers each relevant question gets and
    the form's calculates worked out from the roster as the phone does."""
    village, subdistrict = rng.choice(_villages())
    size = rng.choice([1, 2, 3, 4, 5, 5, 6])
    members = []
    for n in range(size):
        age = (
            rng.choice([rng.randint(0, 2), rng.randint(3, 14), rng.randint(15, 59), rng.randint(60, 90)])
            if n
            else rng.randint(30, 80)
        )
        months = age * 12 + rng.randint(0, 11)
        disabled = "yes" if rng.random() < 0.1 else "no"
        members.append({
            "age": age, "age_months": months, "disabled": disabled,
            "disability_card": (rng.choice(["yes", "yes", "no"]) if disabled == "yes" else None),
            "health": rng.choice(["healthy"] * 6 + ["chronic", "bedridden"]), "first_name": "สมชาย",
        })  # fmt: skip
    ages, months = [m["age"] for m in members], [m["age_months"] for m in members]
    a: dict[str, Any] = {"consent": "yes", "village": village, "subdistrict": subdistrict,
                         "district": subdistrict[:4], "province": subdistrict[:2], "respondent_name": "สมชาย ใจดี"}  # fmt: skip
    counts = {
        "n_members": size, "n_u1": sum(m < 12 for m in months), "n_u6m": sum(m < 6 for m in months),
        "n_6m_1y": sum(6 <= m < 12 for m in months), "n_0_12": sum(x <= 12 for x in ages),
        "n_35p": sum(x >= 35 for x in ages), "n_6p": sum(x >= 6 for x in ages), "n_3_5": sum(3 <= x <= 5 for x in ages),
        "n_6_14": sum(6 <= x <= 14 for x in ages), "n_15_59": sum(15 <= x <= 59 for x in ages),
        "n_60p": sum(x >= 60 for x in ages), "n_u15": sum(x < 15 for x in ages),
        "n_15_19": sum(15 <= x <= 19 for x in ages), "n_20p": sum(x >= 20 for x in ages),
        "n_disabled": sum(m["disabled"] == "yes" for m in members),
        "n_disabled_nocard": sum(m["disabled"] == "yes" and m["disability_card"] == "no" for m in members),
        "n_chronic": sum(m["health"] == "chronic" for m in members),
    }  # fmt: skip
    a.update(counts)
    for q, eligible in (("i1", "n_u1"), ("i2a", "n_u6m"), ("i2b", "n_6m_1y"), ("i3", "n_0_12"), ("i6", "n_35p"),
                        ("i7", "n_6p"), ("i15", "n_3_5"), ("i16", "n_6_14"), ("i19", "n_15_59"), ("i26", "n_6p"),
                        ("i27", "n_60p"), ("i28", "n_disabled"), ("i29", "n_chronic")):  # fmt: skip
        if counts[eligible]:
            a[f"{q}_all"] = "all" if rng.random() < 0.75 else "not_all"
            if a[f"{q}_all"] == "not_all":
                a[f"{q}_not"] = rng.randint(1, counts[eligible])
                if q == "i6":
                    a["i6_screen_not"] = 1
    for names, good, bad, p in (
        ([f"i4_{i}" for i in range(1, 5)] + [f"i5_{i}" for i in range(1, 5)], "yes", "no", 0.93),
        (["i8_1", "i8_2", "i30"] + [f"i13_{i}" for i in range(1, 5)], "yes", "no", 0.9),
        ([f"i11_{i}" for i in range(1, 12)], "yes", "no", 0.97),
        ([f"i12_{i}" for i in range(1, 7)], "not_disturbed", "disturbed", 0.95),
        (["i9", "i10"], "enough", "not_enough", 0.9),
    ):
        a.update({n: good if rng.random() < p else bad for n in names})
    a.update({"i14_1": 0, "i14_2": rng.choice([0] * 9 + [1]), "i14_3": rng.choice([0] * 8 + [500])})
    a["i17_n"], a["i18_n"] = rng.choice([0, 0, 1]), rng.choice([0, 0, 0, 1])
    if a["i17_n"]:
        a["i17_not"] = 1 if rng.random() < 0.3 else None
    if a["i18_n"]:
        a["i18_not"] = 1 if rng.random() < 0.3 else None
    a["i17_not"] = a.get("i17_not") or (
        1 if a["i17_n"] else None
    )  # the form asks it only as "how many not" (≥ 1)
    a["i18_not"] = a.get("i18_not") or (1 if a["i18_n"] else None)
    if counts["n_15_59"]:
        a["i20_excluded"] = rng.randint(0, counts["n_15_59"])
        a["n_20_eligible"] = counts["n_15_59"] - a["i20_excluded"]
        if a["n_20_eligible"]:
            a["i20_no_job_no_income"] = rng.choice([0, 0, 0, 1]) if a["n_20_eligible"] else 0
            a["i20_no_job_income"] = 0
    else:
        a["n_20_eligible"] = 0
    if counts["n_60p"]:
        a["i21_no_job_no_income"] = rng.choice([0, 0, 1])
    income = {
        k: rng.choice([0, rng.randint(5, 150) * 1000])
        for k in ("inc_main", "inc_secondary", "inc_other", "inc_own_produce")
    }
    a.update(income)
    a["inc_total"] = sum(income.values())
    a["inc_per_person"] = round(a["inc_total"] / size)
    a["i23_savings"] = rng.choice(["bank", "cash savings_group", "none", "bank gold"])
    a["i24"], a["i25"] = rng.choice(["none"] * 3 + ["some"]), rng.choice(["none"] * 4 + ["some"])
    if a["i24"] == "some":
        a["i24_20p"] = 1
    if a["i25"] == "some":
        a["i25_n"] = 1
    for name in ["i31_1", "i31_2", "i31_3"] if size >= 2 else ["i31s_1", "i31s_2"]:
        a[name] = _yes(rng, 0.9)
    day = today - dt.timedelta(days=rng.randint(0, 150))
    a["survey_date"] = day.isoformat()
    lat, lon = {"36": (15.81, 101.92), "24": (13.69, 101.07), "60": (15.70, 100.13)}.get(subdistrict[:2], (14.0, 100.5))  # fmt: skip
    a["location"] = f"{lat + rng.uniform(-0.05, 0.05):.6f} {lon + rng.uniform(-0.05, 0.05):.6f} 180.0 5.0"
    return a, members


def household_xml(
    xform: bytes, answers: dict[str, Any], members: list[dict[str, Any]], instance_id: str
) -> bytes:
    """The form's own instance skeleton with the answers put in by question name."""
    model = etree.fromstring(xform).find(f".//{XF}instance")
    assert model is not None
    root = etree.fromstring(etree.tostring(model[0]))
    for element in root.iter():  # Collect sends the instance without the XForms namespace
        element.tag = etree.QName(element).localname
    etree.cleanup_namespaces(root)
    template = next(e for e in root.iter() if etree.QName(e).localname == "members")
    parent = template.getparent()
    assert parent is not None
    index = parent.index(template)
    for e in [e for e in parent if etree.QName(e).localname == "members"]:
        parent.remove(e)
    for n, member in enumerate(members):
        row = etree.fromstring(etree.tostring(template))
        row.attrib.pop(JR_TEMPLATE, None)
        for leaf in row:
            value = member.get(etree.QName(leaf).localname)
            leaf.text = None if value is None else str(value)
        parent.insert(index + n, row)
    for leaf in root.iter():
        name = etree.QName(leaf).localname
        if (
            len(leaf) == 0
            and name in answers
            and not any(etree.QName(a).localname == "members" for a in leaf.iterancestors())
        ):
            leaf.text = None if answers[name] is None else str(answers[name])
    meta = (
        root.find("meta/instanceID")
        if root.find("meta/instanceID") is not None
        else root.find(".//{*}instanceID")
    )
    assert meta is not None
    meta.text = instance_id
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@dataclass
class Sent:
    form_id: str
    instance_id: str
    xml: bytes
    root: etree._Element
    attachments: dict[str, bytes] = field(default_factory=dict)


def _made(xform: bytes, count: int, seed: int) -> list[tuple[Sent, Household]]:
    rng = random.Random(seed)
    made = []
    for n in range(count):
        # A third of the households were surveyed in the round a year earlier.
        today = dt.date(2026, 11, 20) if n % 3 else dt.date(2025, 11, 20)
        answers, members = household_answers(rng, today)
        iid = f"uuid:{seed:04d}{n:04d}-0000-4000-8000-000000000000"
        xml = household_xml(xform, answers, members, iid)
        root = etree.fromstring(xml)
        made.append((Sent("household_survey", iid, xml, root), expected_household(root)))
    return made


def survey_households(
    services: Services, client: FlaskClient, project: Project, collector: User, count: int = 30, seed: int = 7
) -> list[Household]:
    """Publish the shipped survey, send `count` households as Collect would, process them as the worker does."""
    with services.db.session() as session:
        version = publish_with_media(session, services.blobs, project.id, FORMS_DIR / "household_survey.xlsx")
        xform = services.blobs.read_bytes(version.xform_sha256)
    households = []
    for filled, household in _made(xform, count, seed):
        resp = post_like_collect(client, collector.collect_token or "", filled)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        households.append(household)
    process_pending_job(services)
    return households
