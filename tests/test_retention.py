"""Retention metrics against hand-computed figures.

The portfolio below (calendar quarters, one revenue row per account and quarter, dated in the
quarter's second month) — quarter revenue:

            2022 Q1-Q4        2023 Q1  Q2   Q3  Q4      2024 Q1  Q2  Q3  Q4 (partial)
  A Tier 1  100 each          150 each                  150 each
  B Tier 1  50 each           -  (churned)              80 each      (returns)
  C Tier 2  40 each           40   40   40  40-30=10    20 each      (credit note in 2023Q4)
  D Tier 2  -                 -    -    60  60          60 each      (new logo)
  E Tier 3  -                 50  -50   -   -           -   -   -   30  (zero base)

The last row is dated 2024-11-15, before December: 2024Q4 is partial.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pandas as pd
import pytest

from kamdash.core.db import rows
from kamdash.core.missing import Missing
from kamdash.core.periods import label_to_quarter
from kamdash.core.settings import Settings
from kamdash.metrics.grid import account_ttm
from kamdash.metrics.retention import (
    account_growth,
    cohort_retention,
    retention,
    revenue_bridge,
)
from tests.helpers import ACCOUNTS, canonical_db, lines, portfolio_revenue

S = Settings()
Q = label_to_quarter  # "2024Q4" -> quarter index


def portfolio(**extra):
    return canonical_db(accounts=ACCOUNTS, revenue=portfolio_revenue(), **extra)


def by_label(df, label, group=None):
    sel = df[df["label"] == label]
    if group is not None:
        sel = sel[sel["group"] == group]
    assert len(sel) == 1
    return sel.iloc[0]


def test_account_ttm_sql():
    con = portfolio()
    got = dict(rows(con, account_ttm(con, Q("2023Q4"), S)))
    # TTM(2023Q4) = 2023Q1..Q4: A 4*150, B nothing (absent), C 40*4 - 30, D 60+60, E 50-50
    assert got == {"A": 600, "C": 130, "D": 120, "E": 0}


def test_quarters_revenue_ttm_and_partial():
    df = retention(portfolio(), S)
    assert list(df["label"]) == [f"{y}Q{i}" for y in (2022, 2023, 2024) for i in range(1, 5)]
    last = by_label(df, "2024Q4")
    assert last["revenue"] == 150 + 80 + 20 + 60 + 30
    assert last["ttm_revenue"] == 4 * 150 + 4 * 80 + 4 * 20 + 4 * 60 + 30
    assert bool(last["partial"]) and not df["partial"][:-1].any()
    assert by_label(df, "2023Q4")["revenue"] == 150 + 10 + 60


def test_nrr_grr_ttm_basis():
    df = retention(portfolio(), S)
    # TTM basis needs Q-7 >= 2022Q1: defined from 2023Q4 on, None before
    assert df[df["quarter"] < Q("2023Q4")]["nrr"].isna().all()
    assert df[df["quarter"] < Q("2023Q4")]["grr"].isna().all()
    r = by_label(df, "2023Q4")
    # cohort = TTM(2022Q4) > 0: A 400, B 200, C 160 -> base 760; now A 600, B 0, C 130
    assert r["cohort_accounts"] == 3
    assert r["nrr"] == pytest.approx((600 + 0 + 130) / 760)
    assert r["grr"] == pytest.approx((400 + 0 + 130) / 760)
    r = by_label(df, "2024Q4")
    # cohort = TTM(2023Q4) > 0: A 600, C 130, D 120 (B 0, E 50-50 = 0: out) -> base 850
    # now A 600, C 80, D 240; B came back (320) but is not in the cohort
    assert r["nrr"] == pytest.approx((600 + 80 + 240) / 850)
    assert r["grr"] == pytest.approx((600 + 80 + 120) / 850)
    assert r["partial"]  # computed, but flagged


def test_nrr_point_basis_and_setting():
    df = retention(portfolio(), S, basis="point")
    # point basis needs Q-4 >= 2022Q1: defined from 2023Q1
    assert by_label(df, "2022Q4")["nrr"] is None
    r = by_label(df, "2023Q1")
    # cohort = rev(2022Q1) > 0: A 100, B 50, C 40 = 190; now A 150, B 0, C 40 = 190
    assert r["nrr"] == pytest.approx(190 / 190)
    assert r["grr"] == pytest.approx((100 + 0 + 40) / 190)
    same = retention(portfolio(), Settings(retention_basis="point"))
    assert list(same["nrr"]) == list(df["nrr"])
    assert set(same["basis"]) == {"point"}
    with pytest.raises(ValueError):
        retention(portfolio(), S, basis="monthly")


def test_grouped_nrr_by_tier_with_zero_base_and_credit_note():
    df = retention(portfolio(), S, by="tier")
    assert set(df["group"]) == {"Tier 1", "Tier 2", "Tier 3"}
    t1 = by_label(df, "2024Q4", "Tier 1")
    # Tier 1 cohort: A only (B's TTM(2023Q4) = 0) -> 600 / 600
    assert t1["nrr"] == pytest.approx(1.0) and t1["grr"] == pytest.approx(1.0)
    t2 = by_label(df, "2024Q4", "Tier 2")
    # Tier 2 cohort: C 130, D 120 = 250; now C 80, D 240
    assert t2["nrr"] == pytest.approx((80 + 240) / 250)
    assert t2["grr"] == pytest.approx((80 + 120) / 250)
    # Tier 3 in 2024Q4: E's TTM(2023Q4) = 50 - 50 = 0 -> empty cohort, zero base -> None
    t3 = by_label(df, "2024Q4", "Tier 3")
    assert t3["nrr"] is None and t3["grr"] is None and t3["cohort_accounts"] == 0
    # Tier 3 in 2024Q1: cohort E with TTM(2023Q1) = 50; TTM(2024Q1) = -50 + 0 + 0 + 0:
    # the credit note makes NRR negative, as the formula says
    t3 = by_label(df, "2024Q1", "Tier 3")
    assert t3["nrr"] == pytest.approx(-50 / 50) and t3["grr"] == pytest.approx(-50 / 50)
    # groups add up to the portfolio revenue
    total = retention(portfolio(), S)
    for label in ("2023Q4", "2024Q4"):
        assert df[df["label"] == label]["revenue"].sum() == by_label(total, label)["revenue"]


def test_grouped_by_team_and_orphan_revenue():
    team = [{"owner": "Ann", "team": "North"}, {"owner": "Bob", "team": "South"}]
    rev = portfolio_revenue() + lines("Z", {"2024Q1": 5})  # no account row for Z
    con = canonical_db(accounts=ACCOUNTS, revenue=rev, team=team)
    df = retention(con, S, by="team")
    # Cat (E) has no team, Z has no account: both under "(none)"
    assert set(df["group"]) == {"North", "South", "(none)"}
    assert by_label(df, "2024Q1", "(none)")["revenue"] == 5
    assert by_label(df, "2024Q1", "North")["revenue"] == 150 + 20  # A, C (Ann)


def test_fiscal_year_starting_february():
    fy2 = Settings(fiscal_year_start_month=2)
    rev = [
        {"account_id": "X", "date": "2023-02-10", "amount": 100},  # FY2024 Q1 (Feb-Apr 2023)
        {"account_id": "X", "date": "2024-01-20", "amount": 999},  # FY2024 Q4 (Nov-Jan)
        {"account_id": "X", "date": "2024-02-10", "amount": 120},  # FY2025 Q1
    ]
    con = canonical_db(accounts=[{"account_id": "X", "account_name": "X"}], revenue=rev)
    df = retention(con, fy2, basis="point")
    assert list(df["label"]) == ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1"]
    assert list(df["revenue"]) == [100, 0, 0, 999, 120]
    # point NRR(FY2025Q1) = rev(FY2025Q1) / rev(FY2024Q1) = 120 / 100 (calendar quarters would
    # compare 999 + 120 with 100)
    r = by_label(df, "2025Q1")
    assert r["nrr"] == pytest.approx(1.2)
    assert r["partial"]  # as of 2024-02-10, the quarter ends in April


def test_no_revenue_table_is_missing():
    con = canonical_db(accounts=ACCOUNTS)
    assert retention(con, S) == Missing(
        "revenue", "no revenue in this extract: retention not shown"
    )
    assert account_growth(con, S).table == "revenue"
    assert revenue_bridge(con, S, Q("2023Q4"), Q("2024Q4")).table == "revenue"
    groups = pd.DataFrame({"account_id": ["A"], "tier": ["Tier 1"]})
    assert cohort_retention(con, S, groups, Q("2024Q4")).table == "revenue"
    # a revenue table without a row: no quarter, no figure, but nothing missing
    empty = canonical_db(accounts=ACCOUNTS, revenue=[])
    assert retention(empty, S).empty and account_growth(empty, S).empty


def test_bridge_ttm_sums_exactly():
    b = revenue_bridge(portfolio(), S, Q("2023Q4"), Q("2024Q4"), kind="ttm")
    per = b.accounts.set_index("account_id")
    # start TTM(2023Q4): A 600, B 0, C 130, D 120, E 0; end TTM(2024Q4): A 600, B 320, C 80,
    # D 240, E 30
    assert per.loc["A", "category"] == "unchanged"
    assert per.loc["B", "category"] == "reactivation"  # revenue in 2022, none in the start TTM
    assert per.loc["C", "category"] == "contraction"
    assert per.loc["D", "category"] == "expansion"
    assert per.loc["E", "category"] == "new"  # nothing before 2023Q1; start TTM nets to 0
    assert b.totals == {
        "start": 850.0,
        "new": 30.0,
        "expansion": 120.0,
        "reactivation": 320.0,
        "contraction": 50.0,
        "churn": 0.0,
        "end": 1270.0,
    }
    e = b.exact
    assert (
        e["start"] + e["new"] + e["expansion"] + e["reactivation"] - e["contraction"] - e["churn"]
        == e["end"]
    )
    assert b.start_label == "2023Q4" and b.end_label == "2024Q4"


def test_bridge_quarters_churn_new():
    b = revenue_bridge(portfolio(), S, Q("2022Q4"), Q("2023Q4"), kind="quarter")
    # start 2022Q4: A 100, B 50, C 40; end 2023Q4: A 150, C 10, D 60
    assert dict(zip(b.accounts["account_id"], b.accounts["category"], strict=True)) == {
        "A": "expansion",
        "B": "churn",
        "C": "contraction",
        "D": "new",
    }
    assert b.totals["churn"] == 50 and b.totals["new"] == 60
    # 190 + 60 + 50 - 30 - 50 = 220
    assert b.totals["start"] == 190 and b.totals["end"] == 220
    assert b.counts()["churn"] == 1


def test_bridge_negative_amounts_each_account_one_category():
    rev = [
        {"account_id": "F", "date": "2024-02-01", "amount": 100},  # start 100
        {"account_id": "F", "date": "2024-05-01", "amount": -20},  # end: net credit -20
        {"account_id": "G", "date": "2023-11-01", "amount": 10},  # earlier revenue
        {"account_id": "G", "date": "2024-05-01", "amount": -10},  # dormant, credit in end
        {"account_id": "H", "date": "2024-02-01", "amount": -5},  # start -5, never before
        {"account_id": "H", "date": "2024-05-01", "amount": 20},
    ]
    b = revenue_bridge(canonical_db(revenue=rev), S, Q("2024Q1"), Q("2024Q2"), kind="quarter")
    cat = dict(zip(b.accounts["account_id"], b.accounts["category"], strict=True))
    # F: s 100 > 0, e -20 <= 0 -> churn of s - e = 120; G: s 0, e -10 -> contraction 10;
    # H: s -5 <= 0, e 20 > 0, no earlier revenue -> new of e - s = 25
    assert cat == {"F": "churn", "G": "contraction", "H": "new"}
    t = b.totals
    assert (t["churn"], t["contraction"], t["new"]) == (120, 10, 25)
    # start 100 + 0 - 5 = 95; end -20 - 10 + 20 = -10; 95 + 25 - 10 - 120 = -10
    assert (t["start"], t["end"]) == (95, -10)


def test_bridge_exact_with_awkward_floats():
    rng = random.Random(7)
    rev = [
        {
            "account_id": f"A{rng.randrange(60)}",
            "date": f"202{rng.randrange(2, 5)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 28):02d}",
            "amount": rng.choice([0.1, 0.2, 0.3, -0.7, 1e-7, 12345.6789]) * rng.randrange(-3, 9),
        }
        for _ in range(2000)
    ]
    con = canonical_db(revenue=rev)
    for kind in ("quarter", "ttm"):
        b = revenue_bridge(con, S, Q("2023Q2"), Q("2024Q3"), kind=kind)
        e = b.exact
        assert isinstance(e["start"], Decimal)
        lhs = e["start"] + e["new"] + e["expansion"] + e["reactivation"]
        assert lhs - e["contraction"] - e["churn"] == e["end"]  # exactly, not approximately
        assert b.accounts["account_id"].is_unique  # one category per account
        assert min(e[k] for k in ("new", "expansion", "reactivation", "contraction", "churn")) >= 0


def test_bridge_rejects_bad_periods():
    with pytest.raises(ValueError):
        revenue_bridge(portfolio(), S, Q("2024Q1"), Q("2023Q1"))
    with pytest.raises(ValueError):
        revenue_bridge(portfolio(), S, Q("2023Q1"), Q("2024Q1"), kind="month")


def test_account_growth_attention_list():
    df = account_growth(portfolio(), S)  # last complete quarter: 2024Q3 (2024Q4 is partial)
    # TTM(2024Q3) = 2023Q4..2024Q3; TTM(2023Q3) = 2022Q4..2023Q3; E nets to 0 in both: absent
    assert list(df["account_id"]) == ["A", "B", "D", "C"]  # ttm desc, then id (B, D tie 240)
    got = df.set_index("account_id")
    assert got.loc["A", "ttm_now"] == 600 and got.loc["A", "ttm_prev"] == 100 + 3 * 150
    assert got.loc["B", "growth"] == pytest.approx(3 * 80 / 50)
    assert got.loc["C", "ttm_now"] == 10 + 3 * 20
    assert got.loc["C", "growth"] == pytest.approx(70 / 160)
    assert got.loc["D", "growth"] == pytest.approx(240 / 60)
    assert list(df["shrinking"]) == [False, False, False, True]  # 0.4375 < 0.9
    assert got.loc["A", "account_name"] == "Acme"


def test_account_growth_history_too_short():
    df = account_growth(portfolio(), S, qi=Q("2023Q2"))  # needs 2021Q3..: before the data
    assert df["ttm_prev"].isna().all() and df["growth"].isna().all()
    assert not df["shrinking"].any()
