"""KAM program metrics (metrics/program.py, views/program.py) against hand-computed figures: plan
freshness rate, QBR cadence adherence, multithreading and executive access per KAM, team and
portfolio; NRR per KAM; the trend over quarters; a KAM with no Tier 1 account, one with no
account due a QBR; what a KAM's own view holds; an extract without stakeholders or targets."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kamdash.core.missing import Missing
from kamdash.core.periods import label_to_quarter
from kamdash.core.settings import Settings
from kamdash.metrics.program import kam_program, program_trend, qbr_cadence
from kamdash.metrics.retention import retention
from kamdash.metrics.wallet import share_of_wallet
from kamdash.store.access import Scope
from kamdash.store.filters import Filters, scoped
from kamdash.views.program import NO_OWNER, program_view
from kamdash.views.summary import page_summary
from tests.helpers import canonical_db, q_date

S = Settings()
Q = label_to_quarter("2026Q1")  # the last complete quarter: the as-of date is 2026-03-31


def acc(i, owner, tier, plan=None, last_qbr=None) -> dict:
    return {
        "account_id": i,
        "account_name": f"Account {i}",
        "owner": owner,
        "tier": tier,
        "plan_updated": plan,
        "last_qbr": last_qbr,
    }


# plan age and QBR age as of 2026-03-31 in the comments; cadences: plans T1 31, T2 92, T3 183
# days; QBRs T1 92, T2 183 days, Tier 3 none
ACCOUNTS = [
    acc("A1", "Ann", "Tier 1", "2026-03-10"),  # plan 21 days: fresh; QBR 70 days: within
    acc("A2", "Ann", "Tier 1", "2026-02-01"),  # plan 58 > 31: stale; QBR 136 > 92: late
    acc("A3", "Ann", "Tier 2", "2026-01-15", "2025-10-10"),  # 75: fresh; last QBR 172: within
    acc("A4", "Ann", "Tier 3"),  # no plan date: not fresh; Tier 3: no QBR due
    acc("A5", "Ann", "Tier 1", "2026-03-30"),  # no revenue in the last year: not in the book
    acc("B1", "Bob", "Tier 2", "2025-06-01"),  # 303 > 92: stale; never a QBR: late
    acc("B2", "Bob", "Tier 3", "2025-12-01"),  # 120 <= 183: fresh
    acc("C1", "Cat", "Tier 3", "2026-03-01"),  # fresh; Cat has no account due a QBR
    acc("N1", None, "Tier 2", None),  # no owner; QBR 30 days: within
]
QBRS = [
    {"account_id": "A1", "date": "2026-01-20", "relationship_depth": 4},
    {"account_id": "A2", "date": "2025-11-15", "relationship_depth": 3},  # the first QBR
    {"account_id": "N1", "date": "2026-03-01", "relationship_depth": 2},
]


def contact(account, level, strength) -> dict:
    return {"account_id": account, "name": f"{account}-{level}-{strength}", "level": level,
            "strength": strength}  # fmt: skip


STAKEHOLDERS = [
    contact("A1", "Executive", 4), contact("A1", "Manager", 3), contact("A1", "User", 2),
    contact("A2", "Executive", 2), contact("A2", "Manager", 5),
    contact("A3", "Manager", 3), contact("A3", "User", 3),
    contact("B1", "Executive", 3), contact("B1", "User", 4),
    contact("B2", "User", 1),
    contact("C1", "Executive", 5),
]  # fmt: skip
ACTIVE = ["A1", "A2", "A3", "A4", "B1", "B2", "C1", "N1"]
QUARTERS = [f"{y}Q{i}" for y in (2024, 2025, 2026) for i in range(1, 5)][1:9]  # 2024Q2..2026Q1


def revenue() -> list[dict]:
    out = [{"account_id": a, "date": q_date(q), "amount": 100} for a in ACTIVE for q in QUARTERS]
    out += [{"account_id": "A5", "date": q_date(q), "amount": 100} for q in QUARTERS[:3]]
    out.append({"account_id": "A1", "date": "2026-03-31", "amount": 0})  # the as-of date
    return out


TEAM = [
    {"owner": "Ann", "team": "East", "manager": "Mia"},
    {"owner": "Bob", "team": "East", "manager": "Mia"},
    {"owner": "Cat", "team": "West", "manager": "Max"},
]


def db(**extra):
    tables = dict(
        accounts=ACCOUNTS,
        revenue=revenue(),
        qbr=QBRS,
        stakeholders=STAKEHOLDERS,
        team=TEAM,
    )
    tables.update(extra)
    return canonical_db(**{k: v for k, v in tables.items() if v is not None})


@pytest.fixture(scope="module")
def program():
    p = kam_program(db(), S)
    assert not isinstance(p, Missing), p
    return p


def row(df: pd.DataFrame, group) -> dict:
    found = df[df["group"] == group]
    assert len(found) == 1, (group, df)
    return found.iloc[0].to_dict()


def close(a, b) -> bool:
    return a is not None and math.isclose(float(a), b, rel_tol=1e-12)


def test_the_quarter_and_the_book(program):
    assert program.quarter == Q and str(program.as_of) == "2026-03-31"
    ann = row(program.table, "Ann")
    assert ann["accounts"] == 4  # A5 has no revenue in the last twelve months
    assert ann["tiers"] == {"Tier 1": 2, "Tier 2": 1, "Tier 3": 1}
    assert ann["ttm_revenue"] == 1600


def test_plan_freshness_qbr_cadence_multithreading_per_kam(program):
    ann = row(program.table, "Ann")
    assert close(ann["plan_fresh_rate"], 2 / 4)  # A1, A3 of A1-A4
    assert ann["plan_accounts"] == 4
    assert close(ann["qbr_adherence"], 2 / 3)  # A1 and A3 (by its last QBR date) of A1-A3
    assert ann["qbr_due"] == 3
    assert close(ann["multithreaded_rate"], 2 / 4)  # A1 and A3 have two active contacts
    assert close(ann["exec_access_rate"], 1 / 4)  # A2's executive is at strength 2


def test_a_kam_with_no_tier_1_account(program):
    bob = row(program.table, "Bob")
    assert bob["tiers"] == {"Tier 2": 1, "Tier 3": 1} and bob["accounts"] == 2
    assert close(bob["plan_fresh_rate"], 1 / 2)
    assert bob["qbr_adherence"] == 0 and bob["qbr_due"] == 1  # B1 never had a QBR
    assert close(bob["multithreaded_rate"], 1 / 2) and close(bob["exec_access_rate"], 1 / 2)
    assert close(bob["nrr"], 1.0) and close(bob["grr"], 1.0)


def test_a_kam_with_no_account_due_a_qbr(program):
    cat = row(program.table, "Cat")  # Tier 3 only: nothing to adhere to
    assert cat["qbr_adherence"] is None and cat["qbr_due"] == 0
    assert cat["plan_fresh_rate"] == 1 and cat["multithreaded_rate"] == 0
    assert cat["exec_access_rate"] == 1


def test_nrr_counts_accounts_that_left(program):
    ann = row(program.table, "Ann")
    # cohort: A1-A4 (400 a year ago, 400 now) and A5 (300 a year ago, 0 now)
    assert close(ann["nrr"], 1600 / 1900) and close(ann["grr"], 1600 / 1900)


def test_accounts_without_an_owner_and_the_order(program):
    assert list(program.table["group"]) == ["Ann", "Bob", "Cat", "(none)"]  # TTM, (none) last
    none = row(program.table, "(none)")
    assert none["accounts"] == 1 and none["qbr_adherence"] == 1


def test_portfolio_total(program):
    t = program.total
    assert t["group"] is None and t["accounts"] == 8
    assert close(t["plan_fresh_rate"], 4 / 8)  # A1, A3, B2, C1
    assert close(t["qbr_adherence"], 3 / 5)  # A1, A3, N1 of A1, A2, A3, B1, N1
    assert close(t["multithreaded_rate"], 3 / 8) and close(t["exec_access_rate"], 3 / 8)
    assert t["ttm_revenue"] == 3200


def test_the_total_is_the_portfolios_retention_and_share_of_wallet():
    wallet = [{"account_id": "A1", "wallet": 1000}, {"account_id": "B1", "wallet": 500}]
    con = db(wallet=wallet)
    p = kam_program(con, S)
    # cohort: A1-A4, B1, B2, C1, N1 (400 a year ago and now) and A5 (300 a year ago, 0 now)
    assert close(p.total["nrr"], 3200 / 3500) and close(p.total["grr"], 3200 / 3500)
    assert p.total["ttm_revenue"] == 3200
    # share of wallet: active accounts with an estimate, A1 (400 of 1000) and B1 (400 of 500)
    assert close(row(p.table, "Ann")["share_of_wallet"], 0.4)
    assert close(row(p.table, "Bob")["share_of_wallet"], 0.8)
    assert close(p.total["share_of_wallet"], 800 / 1500)
    assert row(p.table, "Cat")["share_of_wallet"] is None  # no estimate
    # the same figures as the portfolio's, computed by retention and wallet themselves
    ret = retention(con, S).set_index("quarter").loc[Q]
    sow = share_of_wallet(con, S).set_index("quarter").loc[Q]
    assert close(p.total["nrr"], ret["nrr"]) and close(p.total["grr"], ret["grr"])
    assert close(p.total["share_of_wallet"], sow["share_of_wallet"])


def test_the_trend_has_the_share_of_wallet_of_the_wallet_metric():
    wallet = [{"account_id": "A1", "wallet": 1000}, {"account_id": "C1", "wallet": 2000}]
    con = db(wallet=wallet)
    tr = program_trend(con, S, quarters=20)
    sow = share_of_wallet(con, S, by="owner")
    both = tr.merge(sow, on=["group", "quarter"], suffixes=("", "_wallet"))
    assert len(both) == len(tr) == 4 * 8  # Ann, Bob, Cat, (none) over 2024Q2-2026Q1
    for a, b in zip(both["share_of_wallet"], both["share_of_wallet_wallet"], strict=True):
        assert (a is None and b is None) or close(a, b), (a, b)
    assert both["share_of_wallet"].notna().sum() == 2 * 5  # Ann, Cat from 2025Q1 (a full TTM)


def test_team_roll_up():
    p = kam_program(db(), S, by="team")
    east = row(p.table, "East")  # Ann's and Bob's books
    assert east["accounts"] == 6
    assert close(east["plan_fresh_rate"], 3 / 6) and close(east["qbr_adherence"], 2 / 4)
    assert close(east["multithreaded_rate"], 3 / 6)
    assert row(p.table, "West")["accounts"] == 1
    assert row(p.table, "(none)")["accounts"] == 1  # N1 has no owner, so no team


def test_qbr_cadence_per_account_as_of_a_date():
    con = db()
    cad = qbr_cadence(con, S, {Q: pd.Timestamp("2026-03-31").date()})
    got = {
        r.account_id: (str(r.last_qbr), None if pd.isna(r.days_since_qbr) else r.days_since_qbr)
        for r in cad.itertuples()
    }
    assert got == {  # the accounts of tiers with a QBR cadence (Tier 1, 2) in the book
        "A1": ("2026-01-20", 70),
        "A2": ("2025-11-15", 136),
        "A3": ("2025-10-10", 172),  # accounts.last_qbr
        "B1": ("None", None),
        "N1": ("2026-03-01", 30),
    }
    assert dict(zip(cad["account_id"], cad["within"], strict=True)) == {
        "A1": True,
        "A2": False,
        "A3": True,
        "B1": False,
        "N1": True,
    }
    assert set(cad["cadence_days"]) == {92, 183}


def test_trend_over_quarters():
    tr = program_trend(db(), S)
    ann = tr[tr["group"] == "Ann"].set_index("label")
    assert list(ann.index) == QUARTERS  # the eight quarters to 2026Q1
    # QBR history starts with the first QBR (2025-11-15): 2025Q3 and before are undefined
    assert ann.loc["2025Q3", "qbr_adherence"] is None
    # as of 2025-12-31: A2 (46 days) and A3 (82 days) within; A1's QBR came later
    assert close(ann.loc["2025Q4", "qbr_adherence"], 2 / 3)
    assert close(ann.loc["2026Q1", "qbr_adherence"], 2 / 3)
    assert ann.loc["2026Q1", "ttm_revenue"] == 1600
    assert ann.loc["2025Q1", "nrr"] is None  # no year-ago window
    assert close(ann.loc["2026Q1", "nrr"], 1600 / 1900)
    cat = tr[tr["group"] == "Cat"].set_index("label")
    assert cat.loc["2026Q1", "qbr_adherence"] is None and cat.loc["2026Q1", "qbr_due"] == 0


def test_an_earlier_quarter_is_seen_as_of_its_end():
    p = kam_program(db(), S, qi=label_to_quarter("2025Q4"))
    assert str(p.as_of) == "2025-12-31"
    ann = row(p.table, "Ann")
    # plans as of 2025-12-31: A1, A2, A3 updated later count 0 days (fresh), A4 none
    assert close(ann["plan_fresh_rate"], 3 / 4)
    assert close(ann["qbr_adherence"], 2 / 3)


def test_a_filter_on_tier_1_leaves_the_kams_without_one_out():
    p = kam_program(scoped(db(), Filters(tiers=("Tier 1",))), S)
    assert list(p.table["group"]) == ["Ann"]
    ann = row(p.table, "Ann")
    assert ann["accounts"] == 2 and close(ann["qbr_adherence"], 1 / 2)


def test_a_kam_sees_only_their_own_row():
    con = db()
    cur = scoped(con, None, Scope(owners=("Bob",)))
    p = kam_program(cur, S)
    assert list(p.table["group"]) == ["Bob"]
    assert p.total["accounts"] == 2 and close(p.total["plan_fresh_rate"], 1 / 2)
    assert list(program_view(cur, S, _ctx(cur), Q).table["KAM"]) == ["Bob"]
    assert list(program_view(cur, S, _ctx(cur), Q, "team").table["Team"]) == ["East"]
    assert row(kam_program(cur, S, by="team").table, "East")["accounts"] == 2  # Bob's only
    out = str(page_summary(cur, S))
    assert "Ann" not in out and "A1" not in out and "Cat" not in out


def _ctx(con):
    from kamdash.core.periods import period_context

    return period_context(con, S)


def test_without_stakeholders_qbrs_or_targets_the_page_says_what_is_missing():
    con = db(stakeholders=None, qbr=None)
    p = kam_program(con, S)
    messages = [m.message for m in p.missing]
    assert messages == [
        "no stakeholder sheet in this extract: multithreading and executive access not shown",
        "no wallet sheet in this extract: share of wallet not shown",
        "no targets sheet in this extract: growth goals not shown",
    ]
    ann = row(p.table, "Ann")
    assert ann["multithreaded_rate"] is None and ann["exec_access_rate"] is None
    # no QBR sheet, but accounts.last_qbr: A3's date is within its cadence
    assert close(ann["qbr_adherence"], 1 / 3)
    assert ann["attainment"] is None
    none = db(stakeholders=None, qbr=None, accounts=[{**a, "last_qbr": None} for a in ACCOUNTS])
    p = kam_program(none, S)
    assert "no QBR sheet in this extract: QBR cadence adherence not shown" in [
        m.message for m in p.missing
    ]


def test_the_view_lays_out_a_row_per_kam():
    targets = [{"account_id": "A1", "period": "FY2026", "target": 400}]
    v = program_view(db(targets=targets), S, _ctx(db()), Q)
    assert list(v.table["KAM"]) == ["Ann", "Bob", "Cat", NO_OWNER]
    assert v.groups == ["Ann", "Bob", "Cat", None]
    assert list(v.table.columns[:5]) == ["KAM", "Tier 1", "Tier 2", "Tier 3", "Accounts"]
    ann = v.table.iloc[0]
    assert (ann["Tier 1"], ann["Tier 2"], ann["Tier 3"], ann["Accounts"]) == (2, 1, 1, 4)
    assert ann["Plans fresh"] == 0.5 and ann["Revenue TTM"] == 1600
    # A1: 100 in 2026 to date (2026-02-15 and the 0 on 2026-03-31) of 400
    assert ann["Attainment"] == 0.25
    assert pd.isna(v.table.iloc[1]["Attainment"])  # Bob has no target
    assert v.goal_year.label == "FY2026"
