"""Tiering against hand-computed scores (default weights: expansion potential 30, strategic fit
25, current revenue 20, executive access 15, reference value 10; Tier 1 >= 3.8, Tier 2 >= 2.8).

As of 2024-03-15 (the latest revenue date, in the last month of 2024Q1): 2024Q1 is complete,
TTM(2024Q1) covers 2023-04-01..2024-03-31 and TTM(2023Q1) covers 2022-04-01..2023-03-31.
"""

from __future__ import annotations

import math

import pytest

from kamdash.core.missing import Missing
from kamdash.core.settings import Settings
from kamdash.metrics import tiering
from kamdash.metrics.retention import retention
from tests.helpers import canonical_db

ACCOUNTS = [
    {"account_id": "A", "account_name": "Acme", "tier": "Tier 2", "region": "EU"},
    {"account_id": "B", "account_name": "Bolt", "tier": "Tier 2", "region": "EU"},
    {"account_id": "C", "account_name": "Cora", "tier": "Tier 1", "region": "US"},
    {"account_id": "D", "account_name": "Dyna", "tier": "Tier 3", "region": "US"},
    {"account_id": "E", "account_name": "Eon", "tier": "Tier 3", "region": "US"},
    {"account_id": "F", "account_name": "Fizz"},  # no tier, no region, no revenue
]
# TTM(2024Q1): A 500, B 400, C 300, D 200, E 100 -> quintiles 5, 4, 3, 2, 1 (n = 5 active)
REVENUE = [
    {"account_id": a, "date": "2024-03-15", "amount": x}
    for a, x in [("A", 500), ("B", 400), ("C", 300), ("D", 200), ("E", 100)]
] + [  # TTM(2023Q1): A 100 + 300 = 400, D 250 (B, C, E are new logos); revenue starts in
    # 2022Q2, so the year-ago TTM window (2022Q2..2023Q1) is fully inside the data
    {"account_id": "A", "date": "2022-05-15", "amount": 100},
    {"account_id": "A", "date": "2023-03-15", "amount": 300},
    {"account_id": "D", "date": "2023-03-15", "amount": 250},
]
SCORES = [
    # A: reference value missing -> weights renormalised over 90
    {"account_id": "A", "expansion_potential": 5, "strategic_fit": 4, "executive_access": 3},
    {
        "account_id": "B",
        "expansion_potential": 5,
        "strategic_fit": 2,
        "executive_access": 2,
        "reference_value": 2,
    },
]


def db(**extra):
    tables = {"accounts": ACCOUNTS, "revenue": REVENUE, "scores": SCORES}
    tables.update(extra)
    return canonical_db(**{k: v for k, v in tables.items() if v is not None})


def row(ts, account_id):
    return ts.table.set_index("account_id").loc[account_id]


def test_score_with_a_missing_criterion_renormalises_weights():
    ts = tiering.tier_scores(db(), Settings())
    a = row(ts, "A")
    # A: 30*5 + 25*4 + 20*5 (revenue quintile 5) + 15*3 = 150 + 100 + 100 + 45 = 395 over
    # weights 30 + 25 + 20 + 15 = 90 (reference value missing) -> 395 / 90 = 4.3889 -> Tier 1
    assert a["tier_score"] == pytest.approx(395 / 90)
    assert a["criteria"] == 4
    assert math.isnan(a["reference_value"])
    assert a["suggested_tier"] == "Tier 1"
    assert a["fit"] == "under-served"  # assigned Tier 2 < suggested Tier 1
    assert a["fit_text"] == "assigned lower than suggested"
    b = tiering.tier_breakdown(ts, "A")
    assert list(b["criterion"]) == [
        "expansion_potential",  # 30*5/90 = 1.667
        "strategic_fit",  # 25*4/90 = 1.111 (ties with current revenue; bigger weight first)
        "current_revenue",  # 20*5/90 = 1.111
        "executive_access",  # 15*3/90 = 0.5
    ]
    assert list(b["contribution"]) == pytest.approx([150 / 90, 100 / 90, 100 / 90, 45 / 90])
    assert b["contribution"].sum() == pytest.approx(395 / 90)
    assert list(b["share"]) == pytest.approx([30 / 90, 25 / 90, 20 / 90, 15 / 90])
    assert tiering.tier_explanation(ts, "A") == (
        "Tier 1 (score 4.39 ≥ 3.80): expansion potential 5 × 33% = 1.67 · "
        "strategic fit 4 × 28% = 1.11 · current revenue 5 × 22% = 1.11 · "
        "executive access 3 × 17% = 0.50; not scored: reference value (weights renormalised)"
    )


def test_all_criteria_tier_2_and_fits():
    ts = tiering.tier_scores(db(), Settings())
    # B: (30*5 + 25*2 + 20*4 + 15*2 + 10*2) / 100 = (150+50+80+30+20)/100 = 3.30 -> Tier 2
    assert row(ts, "B")["tier_score"] == pytest.approx(3.30)
    assert row(ts, "B")["suggested_tier"] == "Tier 2"
    assert row(ts, "B")["fit"] == "match"
    # C: no scores row: current revenue only, quintile 3 -> 3.0 -> Tier 2; assigned Tier 1
    assert row(ts, "C")["tier_score"] == 3.0
    assert row(ts, "C")["fit"] == "over-served"
    assert row(ts, "D")["tier_score"] == 2.0 and row(ts, "D")["suggested_tier"] == "Tier 3"
    assert row(ts, "D")["fit"] == "match"
    # F: no TTM revenue scores 1 on current revenue; no assigned tier
    assert row(ts, "F")["current_revenue"] == 1.0
    assert row(ts, "F")["fit"] == "unassigned"
    assert "Tier 2 (score 3.30 ≥ 2.80, < 3.80)" in tiering.tier_explanation(ts, "B")
    assert tiering.tier_explanation(ts, "D").startswith("Tier 3 (score 2.00 < 2.80)")
    assert list(ts.table["account_id"][:2]) == ["A", "B"]  # sorted by score desc


def test_revenue_quintile_boundaries():
    # 10 active accounts with TTM 1..10: quintile = ceil(5 k / 10), k = rank from the bottom
    # k:        1 2 3 4 5 6 7 8 9 10
    # quintile: 1 1 2 2 3 3 4 4 5 5
    accounts = [{"account_id": f"a{i:02d}", "account_name": f"n{i}"} for i in range(1, 11)]
    revenue = [{"account_id": f"a{i:02d}", "date": "2024-03-15", "amount": i} for i in range(1, 11)]
    accounts += [{"account_id": "neg", "account_name": "credit only"}]
    revenue += [{"account_id": "neg", "date": "2024-03-15", "amount": -5}]  # TTM <= 0: not active
    ts = tiering.tier_scores(canonical_db(accounts=accounts, revenue=revenue), Settings())
    q = ts.table.set_index("account_id")["current_revenue"]
    assert [q[f"a{i:02d}"] for i in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert q["neg"] == 1
    assert ts.notes == ["no scores sheet in this extract: tiers use current revenue only"]


def test_revenue_quintile_ties_share_the_higher_quintile():
    # TTM 10, 20, 20, 40 (n = 4): k = 1, 3, 3, 4 -> ceil(5/4)=2, ceil(15/4)=4, 4, ceil(20/4)=5
    accounts = [{"account_id": x, "account_name": x} for x in "wxyz"]
    revenue = [
        {"account_id": x, "date": "2024-03-15", "amount": a}
        for x, a in zip("wxyz", [10, 20, 20, 40], strict=True)
    ]
    ts = tiering.tier_scores(canonical_db(accounts=accounts, revenue=revenue), Settings())
    q = ts.table.set_index("account_id")["current_revenue"]
    assert [q[x] for x in "wxyz"] == [2, 4, 4, 5]


def test_what_if_weights_move_b_from_tier_2_to_tier_1_without_touching_settings():
    settings = Settings()
    con = db()
    out = tiering.what_if(con, settings, {"expansion_potential": 100})
    new, moves = out
    # B: (100*5 + 25*2 + 20*4 + 15*2 + 10*2) / (100+25+20+15+10) = 680 / 170 = 4.0 -> Tier 1
    assert row(new, "B")["tier_score"] == pytest.approx(4.0)
    assert row(new, "B")["suggested_tier"] == "Tier 1"
    # A: (500 + 100 + 100 + 45) / 160 = 4.656 stays Tier 1; C..F have no expansion score
    assert row(new, "A")["tier_score"] == pytest.approx(745 / 160)
    assert moves.to_dict("records") == [
        {
            "from_tier": "Tier 2",
            "to_tier": "Tier 1",
            "count": 1,
            "account_ids": ["B"],
            "accounts": ["Bolt"],
        }
    ]
    assert settings.tier_weights["expansion_potential"] == 30.0
    assert tiering.tier_moves(new, new).empty


def test_weight_for_an_optional_criterion_is_used_when_set():
    scores = [{"account_id": "A", "expansion_potential": 5, "competitive_position": 1}]
    con = db(scores=scores)
    base = tiering.tier_scores(con, Settings())
    # default weights do not include competitive_position: A = (150 + 100) / 50 = 5.0
    assert row(base, "A")["tier_score"] == pytest.approx(5.0)
    ts = tiering.tier_scores(con, Settings(), weights={"competitive_position": 50})
    # (30*5 + 20*5 + 50*1) / (30 + 20 + 50) = 300 / 100 = 3.0
    assert row(ts, "A")["tier_score"] == pytest.approx(3.0)
    assert "competitive_position" in ts.criteria


def test_missing_tables():
    # no scores and no revenue: nothing to score
    con = canonical_db(accounts=ACCOUNTS)
    out = tiering.tier_scores(con, Settings())
    assert isinstance(out, Missing) and out.table == "scores"
    assert isinstance(tiering.tier_scores(canonical_db(), Settings()), Missing)
    # scores only: revenue criterion dropped, weights renormalised over the sheet's criteria
    con = canonical_db(accounts=ACCOUNTS, scores=SCORES)
    ts = tiering.tier_scores(con, Settings())
    # A: (150 + 100 + 45) / 70 = 4.214
    assert row(ts, "A")["tier_score"] == pytest.approx(295 / 70)
    assert "current_revenue" not in ts.criteria
    assert math.isnan(row(ts, "F")["tier_score"]) and row(ts, "F")["fit"] is None
    hm = tiering.tier_heatmap(con, Settings(), "region", "revenue")
    assert isinstance(hm, Missing) and hm.table == "revenue"


def test_heatmap_revenue_count_and_nrr_by_assigned_tier():
    con = db()
    rev = tiering.tier_heatmap(con, Settings(), "region", "revenue")
    # Tier 2 x EU: A 500 + B 400 = 900; Tier 3 x US: D 200 + E 100 = 300; Tier 1 x US: C 300
    assert rev.loc["Tier 2", "EU"] == 900
    assert rev.loc["Tier 3", "US"] == 300
    assert rev.loc["Tier 1", "US"] == 300
    assert rev.loc["Unassigned", "(none)"] == 0  # F
    assert rev.loc["Tier 3", "All"] == 300
    assert list(rev.index) == ["Tier 1", "Tier 2", "Tier 3", "Unassigned"]
    cnt = tiering.tier_heatmap(con, Settings(), "region", "count")
    assert cnt.loc["Tier 3", "US"] == 2 and cnt.loc["Unassigned", "(none)"] == 1
    assert cnt.loc["Tier 2", "US"] == 0
    nrr = tiering.tier_heatmap(con, Settings(), "region", "nrr")
    # Tier 2 x EU: cohort {A} (B has no TTM a year ago): 500 / 400 = 1.25
    assert nrr.loc["Tier 2", "EU"] == pytest.approx(1.25)
    # Tier 3 x US: cohort {D} (E is new): 200 / 250 = 0.8
    assert nrr.loc["Tier 3", "US"] == pytest.approx(0.8)
    # Tier 1 x US: C has no TTM a year ago: no cohort -> NaN
    assert math.isnan(nrr.loc["Tier 1", "US"])
    # column All per tier: Tier 2 -> 1.25, Tier 3 -> 0.8, Tier 1 and Unassigned: no cohort
    assert nrr["All"].dropna().tolist() == pytest.approx([1.25, 0.8])


def test_heatmap_nrr_is_retentions_nrr():
    con = db()
    nrr = tiering.tier_heatmap(con, Settings(), "region", "nrr")
    by_tier = retention(con, Settings(), by="tier")
    q1 = by_tier[by_tier["label"] == "2024Q1"].set_index("group")["nrr"]
    assert q1["Tier 2"] == pytest.approx(1.25) and q1["Tier 3"] == pytest.approx(0.8)
    for tier in ("Tier 2", "Tier 3"):
        assert nrr.loc[tier, "All"] == pytest.approx(q1[tier])


def test_heatmap_nrr_honours_the_point_basis():
    point = Settings(retention_basis="point")
    nrr = tiering.tier_heatmap(db(), point, "region", "nrr")
    # rev(2024Q1) / rev(2023Q1): A 500 / 300 (its 2022-05-15 row is outside 2023Q1); D 200 / 250
    assert nrr.loc["Tier 2", "EU"] == pytest.approx(500 / 300)
    assert nrr.loc["Tier 3", "US"] == pytest.approx(0.8)


def test_heatmap_nrr_undefined_with_short_history():
    # without A's 2022 row, revenue starts in 2023Q1: TTM(2023Q1) is not a full year of data
    short = [r for r in REVENUE if r["date"] != "2022-05-15"]
    con = db(revenue=short)
    nrr = tiering.tier_heatmap(con, Settings(), "region", "nrr")
    assert nrr.isna().all().all()
    # the point basis only needs 2023Q1 itself: D 200 / 250
    point = tiering.tier_heatmap(con, Settings(retention_basis="point"), "region", "nrr")
    assert point.loc["Tier 3", "US"] == pytest.approx(0.8)


def test_heatmap_by_suggested_tier():
    con = db()
    ts = tiering.tier_scores(con, Settings())
    cnt = tiering.tier_heatmap(con, Settings(), "region", "count", tiers=ts)
    # suggested: A Tier 1 (EU), B Tier 2 (EU), C Tier 2 (US), D, E, F Tier 3
    assert cnt.loc["Tier 1", "EU"] == 1
    assert cnt.loc["Tier 2", "All"] == 2
    assert cnt.loc["Tier 3", "US"] == 2 and cnt.loc["Tier 3", "(none)"] == 1
    with pytest.raises(ValueError):
        tiering.tier_heatmap(con, Settings(), "account_name; drop table x", "count")


def test_filters_do_not_change_an_accounts_score():
    from kamdash.store.filters import Filters, scoped

    con = db()
    full = tiering.tier_scores(con, Settings()).table.set_index("account_id")
    us = tiering.tier_scores(scoped(con, Filters(regions=("US",))), Settings())
    # rows: US accounts only (C, D, E); quintiles still ranked in the whole portfolio
    assert sorted(us.table["account_id"]) == ["C", "D", "E"]
    for _, r in us.table.iterrows():
        assert r["current_revenue"] == full.loc[r["account_id"], "current_revenue"]
        assert r["tier_score"] == pytest.approx(full.loc[r["account_id"], "tier_score"])
    eu = tiering.tier_scores(scoped(con, Filters(regions=("EU",))), Settings())
    assert row(eu, "A")["tier_score"] == pytest.approx(395 / 90)


def test_weighted_score_skips_missing_criteria_per_account():
    scores = {
        "expansion_potential": [5, 5, float("nan")],
        "current_revenue": [5, 4, float("nan")],
        "reference_value": [float("nan"), 2, float("nan")],
        "unweighted": [1, 1, 1],  # no weight: ignored
    }
    weights = {"expansion_potential": 30, "current_revenue": 20, "reference_value": 10}
    out = tiering.weighted_score(scores, weights)
    # (30*5 + 20*5) / 50 = 5.0; (150 + 80 + 20) / 60 = 4.1667; no criterion: NaN
    assert out[:2] == pytest.approx([5.0, 250 / 60])
    assert math.isnan(out[2])


def test_revenue_quintile_ties_and_inactive_accounts():
    # active TTM 10, 20, 20, 40 -> 2, 4, 4, 5 (ties share the higher quintile); 0 and NaN -> 1
    out = tiering.revenue_quintile([10, 20, 20, 40, 0, float("nan")])
    assert out.tolist() == [2, 4, 4, 5, 1, 1]


# -- Tiers from revenue alone: Tier 1 = top 10%, Tier 2 = next 20%, Tier 3 = the rest --------


def revenue_only(amounts: dict[str, float]):
    accounts = [{"account_id": a, "account_name": f"Name {a}"} for a in amounts]
    revenue = [
        {"account_id": a, "date": "2024-03-15", "amount": x} for a, x in amounts.items() if x
    ]
    return canonical_db(accounts=accounts, revenue=revenue)


@pytest.mark.parametrize(
    ("n", "counts"),
    [
        # n1 = max(1, round(0.1 n)), n12 = round(0.3 n), half up: Tier 1, Tier 2, Tier 3
        (701, (70, 140, 491)),  # 70.1 -> 70; 210.3 -> 210
        (7, (1, 1, 5)),  # 0.7 -> 1; 2.1 -> 2
        (5, (1, 1, 3)),  # 0.5 -> 1; 1.5 -> 2
        (10, (1, 2, 7)),  # 1; 3
        (15, (2, 3, 10)),  # 1.5 -> 2; 4.5 -> 5
        (1, (1, 0, 0)),  # one account: Tier 1
        (0, (0, 0, 0)),
    ],
)
def test_revenue_tier_counts(n, counts):
    n1, n12 = tiering.revenue_tier_counts(n, 0.10, 0.20)
    assert (n1, n12 - n1, n - n12) == counts


def test_revenue_alone_tiers_seven_accounts_by_hand():
    # 7 active accounts (a..g: 700, 600, ..., 100) and h with no revenue: n1 = 1, n12 = 2
    amounts = dict(zip("abcdefgh", [700, 600, 500, 400, 300, 200, 100, 0], strict=True))
    ts = tiering.tier_scores(revenue_only(amounts), Settings())
    assert ts.revenue_alone and ts.basis == "revenue" and ts.criteria == ["current_revenue"]
    tier = ts.table.set_index("account_id")["suggested_tier"]
    assert tier.to_dict() == {
        "a": "Tier 1",
        "b": "Tier 2",
        **{x: "Tier 3" for x in "cdefgh"},
    }
    # the quintile score stays (current revenue 1-5) but does not set the tier: c scores 4
    assert row(ts, "c")["tier_score"] == 4 and row(ts, "c")["suggested_tier"] == "Tier 3"
    assert row(ts, "a")["revenue_rank"] == 1 and math.isnan(row(ts, "h")["revenue_rank"])
    assert ts.rule == (
        "Tiers from revenue alone: Tier 1 = the top 10% of accounts by TTM revenue (1), "
        "Tier 2 = the next 20% (1), Tier 3 = the rest (5 active, and accounts without TTM "
        "revenue)."
    )
    assert tiering.tier_explanation(ts, "b").startswith("Tier 2 (#2 by TTM revenue; revenue alone")
    # with a scores sheet the scorecard sets the tier, as before
    assert not tiering.tier_scores(db(), Settings()).revenue_alone


def test_revenue_alone_ties_share_the_higher_tier():
    # 10 active: n1 = 1, n12 = 3. a and b tie at the top (rank 1): both Tier 1; c rank 3: Tier 2;
    # d and e tie at rank 4: Tier 3
    amounts = dict(zip("abcdefghij", [90, 90, 80, 70, 70, 60, 50, 40, 30, 20], strict=True))
    tier = tiering.tier_scores(revenue_only(amounts), Settings()).table
    tier = tier.set_index("account_id")["suggested_tier"]
    assert [tier[x] for x in "abcde"] == ["Tier 1", "Tier 1", "Tier 2", "Tier 3", "Tier 3"]
    # the shares are settings
    wide = Settings(revenue_tier1_share=0.2, revenue_tier2_share=0.3)  # n1 = 2, n12 = 5
    tier = tiering.tier_scores(revenue_only(amounts), wide).table
    tier = tier.set_index("account_id")["suggested_tier"]
    assert [tier[x] for x in "abcdef"] == [
        "Tier 1",
        "Tier 1",
        "Tier 2",
        "Tier 2",
        "Tier 2",
        "Tier 3",
    ]


def test_revenue_alone_on_a_large_portfolio_puts_a_tenth_in_tier_1():
    # 701 accounts of distinct TTM (the 701-reseller workbook's size): 70 / 140 / 491
    amounts = {f"r{i:03d}": float(i) for i in range(1, 702)}
    ts = tiering.tier_scores(revenue_only(amounts), Settings())
    counts = ts.table["suggested_tier"].value_counts().to_dict()
    assert counts == {"Tier 1": 70, "Tier 2": 140, "Tier 3": 491}
    top = ts.table.set_index("account_id")["suggested_tier"]
    assert top["r701"] == top["r632"] == "Tier 1" and top["r631"] == "Tier 2"
    assert top["r492"] == "Tier 2" and top["r491"] == "Tier 3"
