"""Share of wallet against hand-computed figures.

Revenue: every account has the same amount in every quarter of 2023 and 2024 (as of
2024-11-15, so 2024Q4 is partial; the last complete quarter is 2024Q3), TTM = 4 x that amount:

  W1 100 (TTM 400)  estimates: year 2023 = 1000, year 2024 = 2000, as_of 2024-08-31 = 4000
  W2  50 (TTM 200)  one undated estimate 800 (no year, no as_of)
  W3  30 (TTM 120)  no estimate
  W4  25 (TTM 100)  year 2024 by product: p1 300, p2 200 (+ a duplicated p1 row) -> 500
  W5   -            year 2024 = 1000, but no revenue (not active)
  W6  10 (TTM  40)  only an estimate dated after: as_of 2025-06-30 = 999
  W7  10 (TTM  40)  year 2024 = 600
"""

from __future__ import annotations

import pytest

from kamdash.core.missing import Missing
from kamdash.core.periods import label_to_quarter as Q
from kamdash.core.settings import Settings
from kamdash.metrics.retention import retention
from kamdash.metrics.wallet import account_share, share_of_wallet, wallet_quadrants
from tests.helpers import canonical_db

S = Settings()
PER_QUARTER = {"W1": 100, "W2": 50, "W3": 30, "W4": 25, "W6": 10, "W7": 10}
DAYS = ["02-15", "05-15", "08-15", "11-15"]


def revenue():
    return [
        {"account_id": a, "date": f"{y}-{d}", "amount": amt}
        for a, amt in PER_QUARTER.items()
        for y in (2023, 2024)
        for d in DAYS
    ]


ACCOUNTS = [
    {
        "account_id": a,
        "account_name": a.lower(),
        "tier": "Tier 1" if a in ("W1", "W2") else "Tier 2",
    }
    for a in ("W1", "W2", "W3", "W4", "W5", "W6", "W7")
]
WALLET = [
    {"account_id": "W1", "year": 2023, "wallet": 1000},
    {"account_id": "W1", "year": 2024, "wallet": 2000},
    {"account_id": "W1", "as_of": "2024-08-31", "wallet": 4000},
    {"account_id": "W2", "wallet": 800},
    {"account_id": "W4", "year": 2024, "product": "p1", "wallet": 300},
    {"account_id": "W4", "year": 2024, "product": "p1", "wallet": 300},
    {"account_id": "W4", "year": 2024, "product": "p2", "wallet": 200},
    {"account_id": "W5", "year": 2024, "wallet": 1000},
    {"account_id": "W6", "as_of": "2025-06-30", "wallet": 999},
    {"account_id": "W7", "year": 2024, "wallet": 600},
]


def db(**kw):
    return canonical_db(accounts=ACCOUNTS, revenue=revenue(), **kw)


def row(df, label, group=None):
    sel = df[df["label"] == label]
    if group is not None:
        sel = sel[sel["group"] == group]
    assert len(sel) == 1
    return sel.iloc[0]


def test_account_share_latest_estimate_on_or_before():
    df = account_share(db(wallet=WALLET), S).set_index("account_id")  # 2024Q3
    # W1: as_of 2024-08-31 is inside 2024Q3 -> 4000; TTM 400
    assert df.loc["W1", "wallet"] == 4000 and df.loc["W1", "share"] == pytest.approx(400 / 4000)
    assert str(df.loc["W1", "wallet_date"]) == "2024-08-31"
    assert df.loc["W2", "share"] == pytest.approx(200 / 800)  # undated estimate
    assert df.loc["W2", "wallet_date"] is None
    assert df.loc["W3", "wallet"] is None and df.loc["W3", "share"] is None  # no estimate
    assert df.loc["W4", "wallet"] == 300 + 200  # products summed, the duplicate once
    assert df.loc["W5", "share"] == 0 and not df.loc["W5", "active"]  # no revenue
    assert df.loc["W6", "wallet"] is None  # its only estimate is dated later
    # 2024Q2: the as_of estimate is not there yet, year 2024 (dated 2024-01-01) applies
    q2 = account_share(db(wallet=WALLET), S, qi=Q("2024Q2")).set_index("account_id")
    assert q2.loc["W1", "wallet"] == 2000
    q4 = account_share(db(wallet=WALLET), S, qi=Q("2023Q4")).set_index("account_id")
    assert q4.loc["W1", "wallet"] == 1000 and q4.loc["W4", "wallet"] is None


def test_group_share_of_wallet_per_quarter():
    df = share_of_wallet(db(wallet=WALLET), S)
    r = row(df, "2024Q3")
    # active with estimate: W1 400/4000, W2 200/800, W4 100/500, W7 40/600
    assert r["share_of_wallet"] == pytest.approx((400 + 200 + 100 + 40) / (4000 + 800 + 500 + 600))
    assert r["accounts_with_estimate"] == 4
    assert r["accounts_without_estimate"] == 2  # W3 (none), W6 (dated later); W5 not active
    r = row(df, "2024Q2")  # W1 at 2000 (year 2024)
    assert r["share_of_wallet"] == pytest.approx(740 / (2000 + 800 + 500 + 600))
    r = row(df, "2023Q4")
    # W1 1000 (year 2023), W2 800; W3, W4, W6, W7 have no estimate yet
    assert r["share_of_wallet"] == pytest.approx((400 + 200) / (1000 + 800))
    assert r["accounts_without_estimate"] == 4
    # 2023Q1..2023Q3: the TTM window reaches before the first data quarter (2023Q1), so a
    # share would compare part of a year with a yearly wallet: undefined
    assert [row(df, q)["share_of_wallet"] for q in ("2023Q1", "2023Q2", "2023Q3")] == [None] * 3
    assert bool(row(df, "2024Q4")["partial"])


def test_grouped_share_of_wallet():
    df = share_of_wallet(db(wallet=WALLET), S, by="tier")
    t1 = row(df, "2024Q3", "Tier 1")
    assert t1["share_of_wallet"] == pytest.approx((400 + 200) / (4000 + 800))
    t2 = row(df, "2024Q3", "Tier 2")
    assert t2["share_of_wallet"] == pytest.approx((100 + 40) / (500 + 600))
    assert t2["accounts_without_estimate"] == 2


def test_no_wallet_table_is_missing():
    expected = Missing("wallet", "no wallet sheet in this extract: share of wallet not shown")
    assert share_of_wallet(db(), S) == expected
    assert account_share(db(), S) == expected
    assert wallet_quadrants(db(), S) == expected
    # retention's wallet columns still say how many active accounts lack an estimate
    r = row(retention(db(), S, with_wallet=True), "2024Q3")
    assert r["share_of_wallet"] is None
    assert r["accounts_without_estimate"] == 6 and r["accounts_with_estimate"] == 0


def test_wallet_year_with_february_fiscal_year():
    fy2 = Settings(fiscal_year_start_month=2)
    # FY2025 runs Feb 2024 - Jan 2025: its estimate is dated 2024-02-01
    con = canonical_db(
        accounts=[{"account_id": "X", "account_name": "x"}],
        revenue=[
            {"account_id": "X", "date": "2024-01-10", "amount": 10},  # FY2024 Q4
            {"account_id": "X", "date": "2024-03-10", "amount": 20},  # FY2025 Q1
            {"account_id": "X", "date": "2024-06-10", "amount": 30},
        ],
        wallet=[{"account_id": "X", "year": 2025, "wallet": 1000}],
    )
    before = account_share(con, fy2, qi=Q("2024Q4", 2))
    assert before.iloc[0]["wallet"] is None
    q1 = account_share(con, fy2, qi=Q("2025Q1", 2))
    # TTM(FY2025Q1) = 10 + 20
    assert q1.iloc[0]["wallet"] == 1000 and q1.iloc[0]["share"] == pytest.approx(30 / 1000)


def test_quadrants_split_on_medians():
    df = wallet_quadrants(db(wallet=WALLET), S).set_index("account_id")
    # wallets 4000, 800, 500, 600 -> median (600 + 800) / 2 = 700
    # shares 0.1, 0.25, 0.2, 40/600 -> median (0.1 + 0.2) / 2 = 0.15
    assert df.attrs["wallet_median"] == pytest.approx(700)
    assert df.attrs["share_median"] == pytest.approx(0.15)
    assert df.loc["W1", "quadrant"] == "Grow: large wallet, low share"
    assert df.loc["W2", "quadrant"] == "Defend: large wallet, high share"
    assert df.loc["W4", "quadrant"] == "Maintain: small wallet, high share"
    assert df.loc["W7", "quadrant"] == "Monitor: small wallet, low share"
    assert set(df.index) == {"W1", "W2", "W4", "W7"}  # active with an estimate only
