"""Relationships against hand counts (active_strength_min 3). As of 2024-03-31 (latest revenue)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kamdash.core.missing import Missing
from kamdash.core.settings import Settings
from kamdash.metrics import relationships as rel
from tests.helpers import canonical_db

ACCOUNTS = [{"account_id": x, "account_name": f"Name {x}"} for x in "ABC"]
REVENUE = [{"account_id": "A", "date": "2024-03-31", "amount": 1}]
CONTACTS = [
    # A: 3 mapped, 2 active (strength 4 and 3), an active executive
    {"account_id": "A", "name": "Ann", "level": "executive", "strength": 4,
     "sentiment": "champion", "last_contact": "2024-03-01", "influence": 5},
    {"account_id": "A", "name": "Al", "level": "manager", "strength": 3,
     "sentiment": "supporter", "last_contact": "2024-02-01", "influence": 3},
    {"account_id": "A", "name": "Abe", "level": "user", "strength": 2,
     "sentiment": "detractor", "last_contact": "2024-01-01", "influence": 4},
    # B: the executive is weak (2 < 3); one active contact -> single-threaded
    {"account_id": "B", "name": "Bea", "level": "executive", "strength": 2, "sentiment": "neutral"},
    {"account_id": "B", "name": "Bo", "level": "user", "strength": 5, "sentiment": "champion"},
]  # fmt: skip


def db(**kw):
    return canonical_db(accounts=ACCOUNTS, stakeholders=CONTACTS, **kw)


def test_coverage_multithreading_and_executive_access():
    r = rel.relationships(db(revenue=REVENUE), Settings()).set_index("account_id")
    a = r.loc["A"]
    # coverage = active / mapped = 2 / 3
    assert (a["mapped"], a["active"]) == (3, 2)
    assert a["coverage"] == pytest.approx(2 / 3)
    assert a["multithread_depth"] == 2 and not a["single_threaded"]
    assert a["executive_access"]  # Ann: executive, strength 4 >= 3
    assert (a["champions"], a["detractors"]) == (1, 1)
    # days since last contact: 2024-03-31 - 2024-03-01 = 30
    assert a["days_since_contact"] == 30
    b = r.loc["B"]
    assert (b["mapped"], b["active"], b["coverage"]) == (2, 1, 0.5)
    assert b["single_threaded"]  # active 1 <= 1
    assert not b["executive_access"]  # executive strength 2 < 3
    assert b["champions"] == 1 and b["detractors"] == 0
    c = r.loc["C"]  # nothing mapped
    assert (c["mapped"], c["active"]) == (0, 0) and math.isnan(c["coverage"])
    assert c["single_threaded"] and not c["executive_access"]


def test_threshold_comes_from_settings():
    r = rel.relationships(db(revenue=REVENUE), Settings(active_strength_min=4))
    a = r.set_index("account_id").loc["A"]
    assert a["active"] == 1 and a["single_threaded"] and a["executive_access"]  # Ann is 4


def test_days_since_contact_without_an_as_of_date_are_unknown():
    # no revenue and no as-of date set: activity never makes an as-of date, days are unknown
    r = rel.relationships(db(), Settings()).set_index("account_id")
    assert r["days_since_contact"].isna().all()
    assert r.loc["A", "mapped"] == 3  # the rest of the figures stand
    # an as-of date set by the user: 2024-03-10 - Ann's 2024-03-01 = 9 days
    r = rel.relationships(db(), Settings(as_of="2024-03-10")).set_index("account_id")
    assert r.loc["A", "days_since_contact"] == 9


def test_activity_after_the_as_of_date_counts_zero_days_and_does_not_move_it():
    # revenue ends 2024-03-31 (the as-of date); a contact met 2024-04-20 counts 0 days and
    # A's latest contact 2024-03-01 is still 30 days before 2024-03-31
    late = CONTACTS + [
        {"account_id": "C", "name": "Cy", "strength": 3, "last_contact": "2024-04-20"}
    ]
    con = canonical_db(accounts=ACCOUNTS, stakeholders=late, revenue=REVENUE)
    r = rel.relationships(con, Settings()).set_index("account_id")
    assert r.loc["A", "days_since_contact"] == 30 and r.loc["C", "days_since_contact"] == 0
    assert r.loc["C", "last_contact"] == pd.Timestamp("2024-04-20")  # shown as written
    assert list(rel.contacts(con, Settings(), "C")["days_since_contact"]) == [0]
    # a user-set as-of date: 2024-06-30 - 2024-04-20 = 71 days
    r = rel.relationships(con, Settings(as_of="2024-06-30")).set_index("account_id")
    assert r.loc["C", "days_since_contact"] == 71


def test_contact_list_executives_first():
    c = rel.contacts(db(revenue=REVENUE), Settings(), "A")
    assert list(c["name"]) == ["Ann", "Al", "Abe"]
    assert list(c["active"]) == [True, True, False]
    assert list(c["days_since_contact"]) == [30, 59, 90]  # Mar 1, Feb 1, Jan 1 to Mar 31


def test_missing_stakeholders():
    con = canonical_db(accounts=ACCOUNTS)
    out = rel.relationships(con, Settings())
    assert out == Missing(
        "stakeholders", "no stakeholder sheet in this extract: stakeholder coverage not shown"
    )
    assert isinstance(rel.contacts(con, Settings(), "A"), Missing)
