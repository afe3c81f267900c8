"""metrics_summary: the CLI JSON shape and its figures (portfolio of tests/test_retention.py)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from kamdash.core.missing import require
from kamdash.core.periods import PeriodContext
from kamdash.core.periods import label_to_quarter as Q
from kamdash.core.settings import Settings
from kamdash.views import summary
from kamdash.views.summary import default_bridge_start, metrics_summary, page_summary
from tests.helpers import ACCOUNTS, canonical_db, portfolio_revenue

S = Settings()
WALLET = [{"account_id": "A", "wallet": 1200}, {"account_id": "C", "year": 2024, "wallet": 400}]


def db(**kw):
    return canonical_db(accounts=ACCOUNTS, revenue=portfolio_revenue(), **kw)


def q(summary, label):
    return next(x for x in summary["quarters"] if x["quarter"] == label)


def test_shape_and_figures():
    s = metrics_summary(db(wallet=WALLET), S)
    assert set(s) == {"snapshot", "as_of", "quarters", "concentration"}
    assert s["snapshot"] == "test" and s["as_of"] == "2024-11-15"
    assert len(s["quarters"]) == 12
    for x in s["quarters"]:
        assert set(x) == {"quarter", "revenue", "nrr", "grr", "share_of_wallet", "partial"}
    assert q(s, "2023Q3")["nrr"] is None  # history too short on the TTM basis
    last = q(s, "2024Q4")
    assert last["partial"] is True and last["revenue"] == 340.0
    assert last["nrr"] == pytest.approx(920 / 850) and last["grr"] == pytest.approx(800 / 850)
    # share of wallet 2024Q4: A 600 / 1200 (undated), C 80 / 400 (year 2024)
    assert last["share_of_wallet"] == pytest.approx((600 + 80) / (1200 + 400))
    assert q(s, "2023Q4")["share_of_wallet"] == pytest.approx(600 / 1200)  # C: 2024 estimate
    c = s["concentration"]
    assert set(c) == {"period", "top10_share", "top20_share", "hhi"}
    # 2024Q3 (last complete): A 600, B 240, D 240, C 70 -> T 1150; m10 = 1, m20 = round(0.8) = 1
    assert c["period"] == "2024Q3"
    assert c["top10_share"] == pytest.approx(600 / 1150)
    assert c["top20_share"] == pytest.approx(600 / 1150)
    assert c["hhi"] == pytest.approx(10_000 * (600**2 + 2 * 240**2 + 70**2) / 1150**2)
    text = json.dumps(s)  # plain JSON types
    assert '"nrr": null' in text and "NaN" not in text


def test_no_wallet_table_share_is_null():
    s = metrics_summary(db(), S)
    assert all(x["share_of_wallet"] is None for x in s["quarters"])


def test_point_basis_from_settings():
    s = metrics_summary(db(), Settings(retention_basis="point"))
    # point NRR(2023Q1) = (150 + 0 + 40) / (100 + 50 + 40)
    assert q(s, "2023Q1")["nrr"] == pytest.approx(1.0)


def test_grouped_by_tier():
    s = metrics_summary(db(wallet=WALLET), S, by="tier")
    assert set(s) == {"snapshot", "as_of", "by", "groups"} and s["by"] == "tier"
    assert [g["group"] for g in s["groups"]] == ["Tier 1", "Tier 2", "Tier 3"]
    t2 = s["groups"][1]
    assert set(t2) == {"group", "quarters", "concentration"}
    assert q(t2, "2024Q4")["nrr"] == pytest.approx(320 / 250)
    assert q(t2, "2024Q4")["share_of_wallet"] == pytest.approx(80 / 400)
    assert t2["concentration"]["top10_share"] == pytest.approx(240 / (240 + 70))
    t3 = s["groups"][2]
    assert q(t3, "2024Q4")["nrr"] is None  # zero base
    # E has no active TTM in 2024Q3: no concentration figures
    assert t3["concentration"] == {
        "period": "2024Q3",
        "top10_share": None,
        "top20_share": None,
        "hhi": None,
    }
    json.dumps(s)


def test_empty_snapshot_without_revenue():
    s = metrics_summary(canonical_db(accounts=ACCOUNTS), S)
    assert s["quarters"] == [] and s["as_of"] is None
    assert s["concentration"]["top10_share"] is None


# -- page_summary: what the pages show (bridge, retention by group, tiers, whitespace, QBR) ------
# The portfolio above plus F (no tier, no revenue). TTM 2023Q3 (2022Q4..2023Q3): A 550, B 50,
# C 160, D 60, E 0; TTM 2024Q3 (2023Q4..2024Q3, the last complete quarter): A 600, B 240, C 70,
# D 240, E 0.
PAGE_ACCOUNTS = [*ACCOUNTS, {"account_id": "F", "account_name": "Fox", "owner": "Cat"}]
# expansion_potential (weight 30) + current revenue (weight 20, TTM 2024Q3 quintile among the 4
# active accounts: A 5, B 4, D 4, C 2; E and F 1): score = (30 ep + 20 q) / 50
SCORES = [
    {"account_id": "A", "expansion_potential": 5},  # (150 + 100) / 50 = 5.0 -> Tier 1, match
    {"account_id": "B", "expansion_potential": 1},  # (30 + 80) / 50 = 2.2 -> Tier 3, over-served
    {"account_id": "C", "expansion_potential": 5},  # (150 + 40) / 50 = 3.8 -> Tier 1, under-served
    {"account_id": "D", "expansion_potential": 3},  # (90 + 80) / 50 = 3.4 -> Tier 2, match
    {"account_id": "F", "expansion_potential": 5},  # (150 + 20) / 50 = 3.4 -> Tier 2, unassigned
]  # E: current revenue only, 1.0 -> Tier 3, match


def qbr_row(account, date, depth, pipeline, plan):
    return {
        "account_id": account,
        "date": date,
        "relationship_depth": depth,
        "pipeline_coverage": pipeline,
        "plan_currency": plan,
    }


QBRS = [
    qbr_row("A", "2024-01-10", 5, 4, 4),
    qbr_row("A", "2024-06-10", 3, 3, 3),  # A's latest: 3.0, amber
    qbr_row("B", "2024-05-01", 2, 2, 2),  # 2.0, red
    qbr_row("C", "2024-04-01", 4, 4, 5),  # 13/3, green
]
TEAM = [{"owner": "Ann", "team": "North"}, {"owner": "Bob", "team": "South"}]


def page_db(**kw):
    return canonical_db(accounts=PAGE_ACCOUNTS, revenue=portfolio_revenue(), **kw)


def test_page_summary_bridge_default_pair():
    b = page_summary(page_db(), S)["bridge"]
    # the Retention page's default: last complete quarter vs four quarters earlier, TTM
    assert (b["kind"], b["start"], b["end"]) == ("ttm", "2023Q3", "2024Q3")
    # A 550 -> 600 expansion 50, B 50 -> 240 expansion 190, C 160 -> 70 contraction 90,
    # D 60 -> 240 expansion 180; E 0 -> 0 is not in the bridge
    assert b["totals"] == {
        "start": 820.0,
        "new": 0.0,
        "expansion": 420.0,
        "reactivation": 0.0,
        "contraction": 90.0,
        "churn": 0.0,
        "end": 1150.0,
    }
    assert b["accounts"] == {
        "new": 0,
        "expansion": 3,
        "reactivation": 0,
        "contraction": 1,
        "churn": 0,
        "unchanged": 0,
    }


def test_default_bridge_start_falls_back_to_the_earliest_window():
    ctx = PeriodContext(None, first=Q("2023Q1"), current=Q("2024Q3"), last_complete=Q("2024Q3"))
    # 2023Q3's TTM window would start in 2022Q4, before the data: the first full one is 2023Q4
    assert default_bridge_start(ctx, Q("2024Q3")) == Q("2023Q4")
    assert default_bridge_start(ctx, Q("2024Q3"), kind="quarter") == Q("2023Q3")
    assert default_bridge_start(ctx, Q("2023Q4")) is None


def test_page_summary_retention_by_dimension():
    r = page_summary(page_db(team=TEAM), S)["retention_by"]
    assert (r["quarter"], r["basis"]) == ("2024Q3", "ttm")
    assert list(r["dimensions"]) == ["tier", "owner", "region", "industry", "team"]
    t1, t2, t3 = r["dimensions"]["tier"]
    # Tier 1 (A, B): NRR (600 + 240) / (550 + 50), GRR (550 + 50) / 600
    assert t1 == {
        "group": "Tier 1",
        "nrr": pytest.approx(840 / 600),
        "grr": pytest.approx(1.0),
        "ttm_revenue": 840.0,
        "cohort_accounts": 2,
    }
    # Tier 2 (C, D): NRR (70 + 240) / (160 + 60), GRR (70 + 60) / 220
    assert t2["nrr"] == pytest.approx(310 / 220) and t2["grr"] == pytest.approx(130 / 220)
    assert t2["ttm_revenue"] == 310.0 and t2["cohort_accounts"] == 2
    # Tier 3 (E): empty cohort
    assert t3 == {
        "group": "Tier 3",
        "nrr": None,
        "grr": None,
        "ttm_revenue": 0.0,
        "cohort_accounts": 0,
    }
    north, south, none = r["dimensions"]["team"]  # Ann's A, C; Bob's B, D; Cat's E: no team
    assert (north["group"], south["group"], none["group"]) == ("North", "South", "(none)")
    assert north["nrr"] == pytest.approx((600 + 70) / (550 + 160))
    assert south["grr"] == pytest.approx(1.0)
    # no industry on any account: one group of everything
    assert r["dimensions"]["industry"] == [
        {
            "group": "(none)",
            "nrr": pytest.approx(1150 / 820),
            "grr": pytest.approx((550 + 50 + 70 + 60) / 820),
            "ttm_revenue": 1150.0,
            "cohort_accounts": 4,
        }
    ]
    # without a team sheet the page offers no team split
    plain = page_summary(page_db(), S)["retention_by"]["dimensions"]["team"]
    assert plain == {"missing": "no team sheet in this extract: retention by team not shown"}


def test_page_summary_tiers():
    t = page_summary(page_db(scores=SCORES), S)["tiers"]
    assert t["quarter"] == "2024Q3"
    assert t["assigned"] == {"Tier 1": 2, "Tier 2": 2, "Tier 3": 1, "Unassigned": 1}
    assert t["suggested"] == {"Tier 1": 2, "Tier 2": 2, "Tier 3": 2}
    assert t["fit"] == {"match": 3, "under-served": 1, "over-served": 1, "unassigned": 1}
    assert t["mismatches"] == [
        {
            "assigned": "Tier 1",
            "suggested": "Tier 3",
            "fit": "over-served",
            "count": 1,
            "account_ids": ["B"],
        },
        {
            "assigned": "Tier 2",
            "suggested": "Tier 1",
            "fit": "under-served",
            "count": 1,
            "account_ids": ["C"],
        },
        {
            "assigned": "Unassigned",
            "suggested": "Tier 2",
            "fit": "unassigned",
            "count": 1,
            "account_ids": ["F"],
        },
    ]


def test_page_summary_whitespace(monkeypatch):
    # one quarter (2024Q1, complete: as of 2024-03-15), no industry: every other active account
    # is a peer. X: P1 100, P2 200, P4 40; Y: P1 50, P3 30.
    accounts = [{"account_id": f"P{i}", "account_name": f"P{i}"} for i in range(1, 5)]
    spend = [("P1", "X", 100), ("P1", "Y", 50), ("P2", "X", 200), ("P3", "Y", 30), ("P4", "X", 40)]
    revenue = [
        {"account_id": a, "date": "2024-03-15", "amount": v, "product": p} for a, p, v in spend
    ]
    opps = [{"account_id": "P4", "product": "Y", "amount": 10, "stage": "Proposal"}]
    con = canonical_db(accounts=accounts, revenue=revenue, opportunities=opps)
    few = dataclasses.replace(S, min_peers=1)  # medians of 2-3 buyers (withheld by default)
    w = page_summary(con, few)["whitespace"]
    # empty cells: P3-X median(100, 200, 40) = 100; P2-Y and P4-Y median(50, 30) = 40, the
    # bigger account (P2, TTM 200) first
    assert w["quarter"] == "2024Q1" and w["opportunities"] == 3
    assert [(x["account_id"], x["product"], x["potential"]) for x in w["top"]] == [
        ("P3", "X", 100.0),
        ("P2", "Y", 40.0),
        ("P4", "Y", 40.0),
    ]
    assert w["top"][1] == {
        "account_id": "P2",
        "product": "Y",
        "potential": 40.0,
        "reason": "no industry; 2 of 3 portfolio accounts buy it; median $40",
        "in_pipeline": False,
    }
    assert w["top"][2]["in_pipeline"] is True
    monkeypatch.setattr(summary, "TOP_OPPORTUNITIES", 2)
    w = page_summary(con, few)["whitespace"]
    assert len(w["top"]) == 2 and w["opportunities"] == 3


def test_page_summary_qbr():
    s = page_summary(page_db(qbr=QBRS), S)["qbr"]
    # latest QBRs: A 3.0 amber, B 2.0 red, C 13/3 green; D, E, F have none
    assert s == {
        "accounts": 3,
        "rag": {"green": 1, "amber": 1, "red": 1},
        "average_score": pytest.approx((3 + 2 + 13 / 3) / 3),
        "without_qbr": 3,
    }


def test_page_summary_missing_tables():
    # no wallet, scores, QBR, products or opportunities: each section says what it misses
    s = page_summary(page_db(), S)
    assert s["qbr"] == {"missing": "no QBR sheet in this extract: QBR scorecards not shown"}
    assert s["whitespace"] == {
        "missing": "whitespace needs a product column in the revenue sheet: this extract has none"
    }
    # no scores sheet: tiers from revenue alone (issue 14), TTM 2024Q3 rank among 4 active
    # accounts (A 600, B 240, D 240, C 70): top 10% = max(1, round(0.4)) = 1 (A), next 20%
    # = round(1.2) - 1 = 0, the rest B, C, D and E, F (no TTM revenue)
    assert s["tiers"]["suggested"] == {"Tier 1": 1, "Tier 2": 0, "Tier 3": 5}
    # revenue without an accounts sheet: no grouping, no tiers
    bare = page_summary(canonical_db(revenue=portfolio_revenue()), S)
    assert bare["tiers"] == {"missing": "no accounts sheet in this extract: tiers not shown"}
    assert bare["retention_by"]["dimensions"]["tier"] == {
        "missing": "no accounts sheet in this extract: retention by tier not shown"
    }
    assert bare["bridge"]["totals"]["end"] == 1150.0
    assert bare["qbr"]["missing"].startswith("no QBR sheet")
    # no revenue at all
    con = canonical_db(accounts=PAGE_ACCOUNTS)
    empty = page_summary(con, S)
    assert empty["bridge"] == {"missing": require(con, "revenue", "revenue bridge").message}
    assert empty["retention_by"] == {
        "missing": require(con, "revenue", "retention by group").message
    }
    assert "NaN" not in json.dumps(s) and "Infinity" not in json.dumps(s)
