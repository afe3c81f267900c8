"""The attention list by hand. As of 2024-03-31 (latest revenue date): Q = 2024Q1 (complete),
TTM(Q) = 2023-04-01..2024-03-31, TTM(Q-4) = 2022-04-01..2023-03-31; revenue starts in 2022Q2,
so the year-ago TTM is fully inside the data. shrinking_ratio 0.9."""

from __future__ import annotations

from kamdash.core.missing import Missing
from kamdash.core.settings import Settings
from kamdash.metrics.attention import (
    REASON_LABELS,
    Reason,
    needing_attention,
    single_thread_rule,
)
from tests.helpers import canonical_db

ACCOUNTS = [
    {"account_id": "A", "account_name": "Acme", "owner": "kim", "tier": "Tier 1",
     "plan_updated": "2024-03-15"},  # 16 days <= 31: fresh
    {"account_id": "B", "account_name": "Bolt", "owner": "lee", "tier": "Tier 2",
     "plan_updated": "2023-06-01"},  # 304 days > 92: stale
    {"account_id": "C", "account_name": "Cora", "owner": "kim",
     "plan_updated": "2024-03-01"},  # no tier: 30 days <= 183
    {"account_id": "D", "account_name": "Dyna", "owner": "lee", "tier": "Tier 3",
     "plan_updated": "2024-03-01"},
]  # fmt: skip
REVENUE = [
    # A: TTM(Q-4) = 100 + 100 = 200, TTM(Q) = 154 -> 154/200 = 0.77 < 0.9: shrinking, -23%
    {"account_id": "A", "date": "2022-04-15", "amount": 100},
    {"account_id": "A", "date": "2023-02-01", "amount": 100},
    {"account_id": "A", "date": "2024-03-31", "amount": 154},
    # B: 900 -> 1000 (growing)
    {"account_id": "B", "date": "2023-03-01", "amount": 900},
    {"account_id": "B", "date": "2024-03-01", "amount": 1000},
    # C: new logo (no TTM a year ago): never shrinking
    {"account_id": "C", "date": "2024-03-01", "amount": 500},
    # D: flat 50 -> 50
    {"account_id": "D", "date": "2023-03-01", "amount": 50},
    {"account_id": "D", "date": "2024-03-01", "amount": 50},
]
CONTACTS = [
    {"account_id": "A", "name": "a1", "strength": 4},
    {"account_id": "A", "name": "a2", "strength": 3},
    {"account_id": "B", "name": "b1", "strength": 5},  # one active: single-threaded
    {"account_id": "B", "name": "b2", "strength": 1},
    {"account_id": "C", "name": "c1", "strength": 2},  # none active
    {"account_id": "D", "name": "d1", "strength": 3},
    {"account_id": "D", "name": "d2", "strength": 3},
]
QBRS = [
    {"account_id": "A", "date": "2024-03-01", "relationship_depth": 4, "pipeline_coverage": 4},
    # B: (2 + 2.6) / 2 = 2.3 < 3: red
    {"account_id": "B", "date": "2024-03-01", "relationship_depth": 2, "pipeline_coverage": 2.6},
]


def texts(att) -> dict[str, list[str]]:
    return {
        a: [x.text for x in rs]
        for a, rs in zip(att.table["account_id"], att.table["reasons"], strict=True)
    }


def test_reasons_and_order():
    con = canonical_db(accounts=ACCOUNTS, revenue=REVENUE, stakeholders=CONTACTS, qbr=QBRS)
    out = needing_attention(con, Settings())
    assert out.missing == [] and out.not_checked == {}
    assert out.checked == list(REASON_LABELS)
    t = out.table
    # D has no reason; C (no tier) has no active contact, but single-threading counts only
    # for Tier 1-2 by default; the rest by revenue at risk (TTM) desc: B 1000, A 154
    assert list(t["account_id"]) == ["B", "A"]
    assert list(t["ttm"]) == [1000, 154]
    assert out.revenue_at_risk == 1000 + 154
    assert t.columns.tolist() == ["account_id", "account_name", "owner", "tier", "ttm", "reasons"]
    r = dict(zip(t["account_id"], t["reasons"], strict=True))
    assert r["B"] == [
        Reason("single_threaded", "single-threaded"),
        Reason("stale_plan", "plan stale (304 days)"),
        Reason("red_qbr", "red QBR (2.3)"),
    ]
    assert r["A"] == [Reason("shrinking", "shrinking: TTM −23% YoY")]
    assert {x.kind for rs in t["reasons"] for x in rs} == set(REASON_LABELS)
    assert t.set_index("account_id").loc["B", "owner"] == "lee"


def test_single_threaded_counts_where_the_settings_say():
    con = canonical_db(accounts=ACCOUNTS, revenue=REVENUE, stakeholders=CONTACTS, qbr=QBRS)

    def single(settings):
        out = needing_attention(con, settings)
        return [
            a
            for a, rs in zip(out.table["account_id"], out.table["reasons"], strict=True)
            if "single_threaded" in [x.kind for x in rs]
        ]

    # default Tier 1-2: B (Tier 2, one active contact); A (Tier 1) has two, C has no tier
    assert single(Settings()) == ["B"]
    # or at least 500 of TTM revenue: C (TTM 500, no active contact) too, ranked by TTM
    assert single(Settings(single_thread_min_revenue=500)) == ["B", "C"]
    assert single(Settings(single_thread_min_revenue=500.01)) == ["B"]
    # Tier 1 only: B (Tier 2) no longer
    assert single(Settings(single_thread_tiers=("Tier 1",))) == []
    # every tier and any revenue: D (Tier 3) has two active contacts, never flagged
    every = Settings(
        single_thread_tiers=("Tier 1", "Tier 2", "Tier 3"), single_thread_min_revenue=1
    )
    assert single(every) == ["B", "C"]
    out = needing_attention(con, Settings(single_thread_min_revenue=500))
    assert dict(zip(out.table["account_id"], out.table["ttm"], strict=True)) == {
        "B": 1000,
        "C": 500,
        "A": 154,
    }
    assert out.revenue_at_risk == 1654
    assert single_thread_rule(Settings()) == "Tier 1 and Tier 2 accounts"
    assert single_thread_rule(Settings(single_thread_min_revenue=500), lambda x: f"${x:,.0f}") == (
        "Tier 1 and Tier 2 accounts or accounts with TTM revenue of at least $500"
    )


def test_checks_that_cannot_run_say_not_checked():
    # accounts + revenue only: single-threaded and red QBR cannot be checked
    con = canonical_db(accounts=ACCOUNTS, revenue=REVENUE)
    out = needing_attention(con, Settings())
    assert out.checked == ["shrinking", "stale_plan"]
    assert out.not_checked == {
        "single_threaded": "no stakeholder sheet in this extract",
        "red_qbr": "no QBR sheet in this extract",
    }
    assert [m.message for m in out.missing] == [
        "no stakeholder sheet in this extract: single-threaded not checked",
        "no QBR sheet in this extract: red QBR not checked",
    ]
    # contacts, but no account has a tier and no revenue rule: where would it matter?
    untiered = [{k: v for k, v in a.items() if k != "tier"} for a in ACCOUNTS]
    con = canonical_db(accounts=untiered, revenue=REVENUE, stakeholders=CONTACTS, qbr=QBRS)
    out = needing_attention(con, Settings())
    assert list(out.not_checked) == ["single_threaded"]
    assert "no account has an assigned tier" in out.not_checked["single_threaded"]
    assert "single_threaded" not in {x.kind for rs in out.table["reasons"] for x in rs}
    # ... with a revenue rule it runs: C (500, no active contact) and B (1000, one)
    out = needing_attention(con, Settings(single_thread_min_revenue=500))
    assert out.not_checked == {}
    flagged = {
        a for a, rs in zip(out.table["account_id"], out.table["reasons"], strict=True)
        if "single_threaded" in [x.kind for x in rs]
    }  # fmt: skip
    assert flagged == {"B", "C"}


def test_shrinking_is_not_checked_without_a_year_ago():
    # revenue from 2023-03 only: TTM(2024Q1 - 4) is not inside the data
    recent = [r for r in REVENUE if r["date"] >= "2023-03-01"]
    con = canonical_db(accounts=ACCOUNTS, revenue=recent, stakeholders=CONTACTS, qbr=QBRS)
    out = needing_attention(con, Settings())
    assert "shrinking" in out.not_checked and "shrinking" not in out.checked
    assert "does not reach back" in out.not_checked["shrinking"]


def test_missing_tables_drop_their_reasons():
    con = canonical_db(accounts=ACCOUNTS, revenue=REVENUE)
    out = needing_attention(con, Settings())
    assert [m.table for m in out.missing] == ["stakeholders", "qbr"]
    assert texts(out) == {
        "B": ["plan stale (304 days)"],
        "A": ["shrinking: TTM −23% YoY"],
    }
    # no revenue either: TTM 0 everywhere, shrinking not checked
    out = needing_attention(canonical_db(accounts=ACCOUNTS), Settings())
    # and no as-of date: plan freshness cannot be counted either
    assert [m.table for m in out.missing] == ["revenue", "stakeholders", "revenue", "qbr"]
    assert out.missing[2].message == (
        "no revenue date and no as-of date set: plan freshness not checked"
    )
    assert isinstance(needing_attention(canonical_db(), Settings()), Missing)


def test_an_empty_portfolio_gives_empty_results_not_errors():
    from kamdash.metrics import whitespace

    con = canonical_db(
        accounts=[],
        revenue=[{"account_id": "A", "date": "2024-03-15", "amount": 1, "product": "X"}],
        stakeholders=[],
        qbr=[],
    )
    assert needing_attention(con, Settings()).table.empty
    assert whitespace.whitespace(con, Settings()).cells.empty


def test_qbr_and_plan_are_looked_at_as_of_the_chosen_quarter():
    # the QBR page's rule: for 2023Q3 (before the last complete quarter 2024Q1) the review is
    # as of 2023-09-30, so the QBRs and plans are as they were then
    qbrs = QBRS + [
        # B: green on 2023-09-01, red (2.3) only from 2024-03-01
        {"account_id": "B", "date": "2023-09-01", "relationship_depth": 4, "pipeline_coverage": 4},
        # A: red (2.0) on 2023-08-01, green (4.0) on 2024-03-01
        {"account_id": "A", "date": "2023-08-01", "relationship_depth": 2, "pipeline_coverage": 2},
        # D: red after the as-of date 2024-03-31: not yet held at any quarter of the data
        {"account_id": "D", "date": "2024-04-15", "relationship_depth": 1, "pipeline_coverage": 1},
    ]
    con = canonical_db(accounts=ACCOUNTS, revenue=REVENUE, stakeholders=CONTACTS, qbr=qbrs)
    now = texts(needing_attention(con, Settings()))
    assert now["B"][-1] == "red QBR (2.3)" and "D" not in now  # 2024Q1: as of 2024-03-31
    then = texts(needing_attention(con, Settings(), qi=2023 * 4 + 2))  # 2023Q3
    # B: latest QBR on or before 2023-09-30 is green; plan 2023-06-01 is 121 days old (> 92)
    assert then["B"] == ["single-threaded", "plan stale (121 days)"]
    # A: red QBR of 2023-08-01; plan updated 2024-03-15, after 2023-09-30: 0 days, fresh
    assert then["A"] == ["red QBR (2.0)"]
    assert "D" not in then
