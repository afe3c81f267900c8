"""Concentration against hand-computed figures."""

from __future__ import annotations

import pytest

from kamdash.core.periods import label_to_quarter as Q
from kamdash.core.settings import Settings
from kamdash.metrics.concentration import concentration, pareto
from tests.helpers import canonical_db

S = Settings()

# TTM of 2024Q3 (each account has one row in 2024Q2): 12 active accounts, ties at 300, 100, 50,
# 25; M nets to 0 and N is negative (credit note): both inactive, excluded.
TTM = {
    "A": 500,
    "C": 300,
    "B": 300,
    "D": 100,
    "E": 100,
    "F": 100,
    "G": 100,
    "H": 50,
    "I": 50,
    "J": 50,
    "K": 25,
    "L": 25,
}
TOTAL = 500 + 2 * 300 + 4 * 100 + 3 * 50 + 2 * 25  # 1700


def db(ttm=TTM, tiers=None):
    rev = [{"account_id": a, "date": "2024-05-10", "amount": v} for a, v in ttm.items()]
    rev += [
        {"account_id": "M", "date": "2024-05-10", "amount": 10},
        {"account_id": "M", "date": "2024-06-10", "amount": -10},
        {"account_id": "N", "date": "2024-05-10", "amount": -40},
        {"account_id": "A", "date": "2024-09-30", "amount": 0},  # as of: 2024Q3 complete
    ]
    accounts = [
        {"account_id": a, "account_name": a, "tier": (tiers or {}).get(a)} for a in [*ttm, "M", "N"]
    ]
    return canonical_db(accounts=accounts, revenue=rev)


def test_top_shares_and_hhi():
    r = concentration(db(), S).iloc[0]
    assert r["period"] == "2024Q3" and r["accounts"] == 12 and r["ttm_total"] == TOTAL
    # top 10%: round(12 * 0.1) = round(1.2) = 1 account -> A
    assert r["top10_accounts"] == 1 and r["top10_share"] == pytest.approx(500 / 1700)
    # top 20%: round(2.4) = 2 accounts: A and one of the two 300s (same share either way)
    assert r["top20_accounts"] == 2 and r["top20_share"] == pytest.approx((500 + 300) / 1700)
    # HHI = 10,000 * sum(x^2) / T^2; sum x^2 = 500^2 + 2*300^2 + 4*100^2 + 3*50^2 + 2*25^2
    sum_sq = 250_000 + 2 * 90_000 + 4 * 10_000 + 3 * 2_500 + 2 * 625  # 478,750
    assert r["hhi"] == pytest.approx(10_000 * sum_sq / 1700**2)


def test_ties_rank_by_ttm_then_account_id():
    p = pareto(db(), S)
    assert list(p["account_id"][:3]) == ["A", "B", "C"]  # B before C: equal TTM, id asc
    assert list(p["account_id"][3:7]) == ["D", "E", "F", "G"]
    assert list(p["rank"]) == list(range(1, 13))
    assert p["cum_accounts_share"].iloc[1] == pytest.approx(2 / 12)
    assert p["cum_revenue_share"].iloc[1] == pytest.approx(800 / 1700)
    assert p["cum_revenue_share"].iloc[-1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("n", "m10", "m20"),
    [
        (4, 1, 1),  # 0.4 -> 0 -> at least 1; 0.8 -> 1
        (5, 1, 1),  # 0.5 -> 1 (half up); 1.0
        (15, 2, 3),  # 1.5 -> 2 (half up); 3.0
        (25, 3, 5),  # 2.5 -> 3; 5.0
        (34, 3, 7),  # 3.4 -> 3; 6.8 -> 7
    ],
)
def test_top_count_rounding_half_up(n, m10, m20):
    equal = {f"X{i:02d}": 10 for i in range(n)}
    r = concentration(db(equal), S).iloc[0]
    assert (r["top10_accounts"], r["top20_accounts"]) == (m10, m20)
    assert r["top10_share"] == pytest.approx(m10 / n) and r["top20_share"] == pytest.approx(m20 / n)
    assert r["hhi"] == pytest.approx(10_000 / n)  # n equal shares


def test_single_account_hhi_is_10000():
    r = concentration(db({"A": 5}), S).iloc[0]
    assert r["hhi"] == pytest.approx(10_000) and r["top10_share"] == pytest.approx(1.0)


def test_partial_quarter_uses_last_complete():
    rev = [
        {"account_id": "A", "date": "2024-05-10", "amount": 60},
        {"account_id": "B", "date": "2024-05-10", "amount": 40},
        {"account_id": "B", "date": "2024-07-05", "amount": 900},  # 2024Q3 is partial (July)
    ]
    con = canonical_db(revenue=rev)
    r = concentration(con, S).iloc[0]
    assert r["period"] == "2024Q2"  # TTM(2024Q2): A 60, B 40
    assert r["top10_share"] == pytest.approx(0.6)
    assert r["hhi"] == pytest.approx(60**2 + 40**2)
    later = concentration(con, S, qi=Q("2024Q3")).iloc[0]  # asked for explicitly
    assert later["top10_share"] == pytest.approx(940 / 1000)


def test_grouped_by_tier():
    tiers = {a: ("Tier 1" if TTM[a] >= 300 else "Tier 2") for a in TTM}
    df = concentration(db(tiers=tiers), S, by="tier").set_index("group")
    # Tier 1: A 500, B 300, C 300 -> n 3, top10 = top20 = 1 account: 500/1100
    assert df.loc["Tier 1", "accounts"] == 3
    assert df.loc["Tier 1", "top10_share"] == pytest.approx(500 / 1100)
    assert df.loc["Tier 1", "hhi"] == pytest.approx(10_000 * (500**2 + 2 * 300**2) / 1100**2)
    # Tier 2: 9 accounts, total 600; round(0.9) = 1, round(1.8) = 2 -> 100, 100 + 100
    assert df.loc["Tier 2", "top10_share"] == pytest.approx(100 / 600)
    assert df.loc["Tier 2", "top20_share"] == pytest.approx(200 / 600)
    assert "(none)" not in df.index  # M and N are inactive


def test_no_active_accounts():
    con = canonical_db(revenue=[{"account_id": "A", "date": "2024-05-10", "amount": -5}])
    r = concentration(con, S, qi=Q("2024Q2")).iloc[0]
    assert r["accounts"] == 0 and r["top10_share"] is None and r["hhi"] is None
    assert pareto(con, S, qi=Q("2024Q2")).empty


def test_no_revenue_table_is_missing():
    con = canonical_db(accounts=[{"account_id": "A", "account_name": "Acme"}])
    assert concentration(con, S).message == "no revenue in this extract: concentration not shown"
    assert pareto(con, S).table == "revenue"
