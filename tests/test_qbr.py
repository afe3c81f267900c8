"""QBR scores, RAG bands and plan freshness by hand (equal QBR weights, green >= 4, amber >= 3;
plan cadence Tier 1 31 days, Tier 2 92, Tier 3 183). As of 2024-03-31 (latest revenue date)."""

from __future__ import annotations

import datetime as dt

import pytest

from kamdash.core.missing import Missing
from kamdash.core.settings import Settings
from kamdash.metrics import qbr
from tests.helpers import canonical_db

ACCOUNTS = [
    {"account_id": "A", "account_name": "Acme", "tier": "Tier 1"},
    {"account_id": "B", "account_name": "Bolt", "tier": "Tier 2"},
]
REVENUE = [{"account_id": "A", "date": "2024-03-31", "amount": 1}]
QBRS = [
    {"account_id": "A", "date": "2023-09-01", "relationship_depth": 4, "pipeline_coverage": 4,
     "plan_currency": 4},
    {"account_id": "A", "date": "2023-12-01", "relationship_depth": 3, "pipeline_coverage": 3,
     "plan_currency": 3, "commitments_due": 4, "commitments_done": 3},
    {"account_id": "A", "date": "2024-03-01", "relationship_depth": 3, "pipeline_coverage": 2},
    {"account_id": "B", "date": "2024-03-01", "relationship_depth": 5, "pipeline_coverage": 3,
     "plan_currency": 4},
]  # fmt: skip


def scores(settings=None):
    con = canonical_db(accounts=ACCOUNTS, revenue=REVENUE, qbr=QBRS)
    return qbr.qbr_scores(con, settings or Settings())


def test_scores_rag_at_the_exact_boundaries_and_trend():
    s = scores()
    a = s[s["account_id"] == "A"].reset_index(drop=True)
    # (4+4+4)/3 = 4.0 -> green (>= 4.0); (3+3+3)/3 = 3.0 -> amber (>= 3.0);
    # plan_currency missing: (3+2)/2 = 2.5 -> red
    assert list(a["score"]) == [4.0, 3.0, 2.5]
    assert list(a["rag"]) == ["green", "amber", "red"]
    assert list(a["dimensions"]) == [3, 3, 2]
    # trend = change since the previous QBR: none for the first, 3.0-4.0, 2.5-3.0
    assert a.loc[0, "trend"] is None
    assert list(a["trend"][1:]) == [-1.0, -0.5]
    assert (a.loc[1, "commitments_done"], a.loc[1, "commitments_due"]) == (3, 4)
    assert a.loc[1, "commitments_rate"] == 0.75
    # B: (5+3+4)/3 = 4.0 -> green
    b = s[s["account_id"] == "B"].iloc[0]
    assert b["score"] == pytest.approx(4.0) and b["rag"] == "green"


def test_weights_from_settings_and_float_noise_at_the_boundary():
    # B with weights 2/1/1: (2*5 + 3 + 4) / 4 = 17/4 = 4.25
    s = scores(
        Settings(qbr_weights={"relationship_depth": 2, "pipeline_coverage": 1, "plan_currency": 1})
    )
    assert s[s["account_id"] == "B"]["score"].iloc[0] == pytest.approx(4.25)
    # weights 0.1/0.7/0.3: A's (4, 4, 4) and (3, 3, 3) score exactly 4.0 and 3.0, but in
    # floats (0.1*4 + 0.7*4 + 0.3*4) / (0.1 + 0.7 + 0.3) = 3.999999999999999 (and 2.99...):
    # still green and amber
    st = Settings(
        qbr_weights={"relationship_depth": 0.1, "pipeline_coverage": 0.7, "plan_currency": 0.3}
    )
    a = qbr.qbr_scores(canonical_db(accounts=ACCOUNTS, qbr=QBRS), st).iloc[:2]
    assert list(a["score"]) == pytest.approx([4.0, 3.0])
    assert list(a["rag"]) == ["green", "amber"]
    assert qbr.rag(3.9999999999999996, Settings()) == "green"
    assert qbr.rag(3.99, Settings()) == "amber"
    assert qbr.rag(2.99, Settings()) == "red"
    assert qbr.rag(None, Settings()) is None


def test_latest_qbr_per_account():
    con = canonical_db(accounts=ACCOUNTS, revenue=REVENUE, qbr=QBRS)
    last = qbr.latest_qbr(con, Settings())
    assert list(last["account_id"]) == ["A", "B"]  # by score asc: 2.5, 4.0
    assert last.iloc[0]["score"] == 2.5 and last.iloc[0]["rag"] == "red"
    assert last.iloc[0]["trend"] == -0.5


def test_latest_qbr_as_of_a_date():
    later = QBRS + [  # held after the as-of date 2024-03-31: not yet the latest one
        {"account_id": "B", "date": "2024-04-15", "relationship_depth": 1, "pipeline_coverage": 1}
    ]
    con = canonical_db(accounts=ACCOUNTS, revenue=REVENUE, qbr=later)
    last = qbr.latest_qbr(con, Settings()).set_index("account_id")
    assert last.loc["B", "score"] == pytest.approx(4.0)  # 2024-03-01, not 1.0 of 2024-04-15
    # as of 2023-12-31: A's QBR of 2023-12-01 (3.0, amber, trend -1.0); B has none yet
    last = qbr.latest_qbr(con, Settings(), upto=dt.date(2023, 12, 31))
    assert last[["account_id", "score", "rag", "trend"]].values.tolist() == [
        ["A", 3.0, "amber", -1.0]
    ]
    assert len(qbr.qbr_scores(con, Settings(), upto=dt.date(2023, 12, 1))) == 2  # A's first two
    assert len(qbr.qbr_scores(con, Settings())) == 5  # no date: every QBR


def test_plan_freshness_by_tier_cadence():
    accounts = [
        {"account_id": "t1_30", "tier": "Tier 1", "plan_updated": "2024-03-01"},  # 30 <= 31
        {"account_id": "t1_31", "tier": "Tier 1", "plan_updated": "2024-02-29"},  # 31 <= 31
        {"account_id": "t1_32", "tier": "Tier 1", "plan_updated": "2024-02-28"},  # 32 > 31
        {"account_id": "t2_90", "tier": "Tier 2", "plan_updated": "2024-01-01"},  # 90 <= 92
        # no tier: Tier 3 cadence 183; 2023-09-30 -> 31+30+31+31+29+31 = 183 days
        {"account_id": "nt_183", "plan_updated": "2023-09-30"},
        {"account_id": "nt_184", "plan_updated": "2023-09-29"},  # 184 > 183
        {"account_id": "t3_none", "tier": "Tier 3"},  # no plan date
    ]
    con = canonical_db(accounts=accounts, revenue=REVENUE)
    p = qbr.plan_freshness(con, Settings()).set_index("account_id")
    days = p["days_since_plan"]
    assert [days[k] for k in ["t1_30", "t1_31", "t1_32", "t2_90", "nt_183", "nt_184"]] == [
        30, 31, 32, 90, 183, 184
    ]  # fmt: skip
    assert p["cadence_days"].to_dict() == {
        "t1_30": 31, "t1_31": 31, "t1_32": 31, "t2_90": 92,
        "nt_183": 183, "nt_184": 183, "t3_none": 183,
    }  # fmt: skip
    assert p["stale"].to_dict() == {
        "t1_30": False, "t1_31": False, "t1_32": True, "t2_90": False,
        "nt_183": False, "nt_184": True, "t3_none": True,
    }  # fmt: skip
    assert p.loc["t1_32", "status"] == "stale (32 days)"
    assert p.loc["t3_none", "status"] == "no plan date"
    assert p.loc["t1_30", "status"] == "fresh"


def test_plan_updated_after_the_as_of_date_counts_zero_days():
    accounts = [
        {"account_id": "late", "tier": "Tier 1", "plan_updated": "2024-04-20"},
        {"account_id": "old", "tier": "Tier 1", "plan_updated": "2024-01-31"},  # 60 > 31
    ]
    con = canonical_db(accounts=accounts, revenue=REVENUE)
    p = qbr.plan_freshness(con, Settings()).set_index("account_id")
    # counted to the as-of date 2024-03-31 (the late plan never moves it)
    assert p["days_since_plan"].to_dict() == {"late": 0, "old": 60}
    assert p.loc["late", "status"] == "fresh" and p.loc["old", "status"] == "stale (60 days)"
    # no revenue and no as-of date: nothing to count to
    out = qbr.plan_freshness(canonical_db(accounts=accounts), Settings())
    assert isinstance(out, Missing) and out.table == "revenue"
    p = qbr.plan_freshness(canonical_db(accounts=accounts), Settings(as_of="2024-02-10"))
    assert p.set_index("account_id")["days_since_plan"].to_dict() == {"late": 0, "old": 10}


def test_missing_qbr_and_plan_dates():
    con = canonical_db(accounts=ACCOUNTS, revenue=REVENUE)
    out = qbr.qbr_scores(con, Settings())
    assert out == Missing("qbr", "no QBR sheet in this extract: QBR scorecards not shown")
    assert isinstance(qbr.latest_qbr(con, Settings()), Missing)
    # accounts without any plan date: freshness not shown rather than everything "stale"
    fresh = qbr.plan_freshness(con, Settings())
    assert isinstance(fresh, Missing) and fresh.table == "accounts.plan_updated"
    # a QBR sheet with no scored dimension
    con = canonical_db(accounts=ACCOUNTS, qbr=[{"account_id": "A", "date": "2024-01-01"}])
    assert isinstance(qbr.qbr_scores(con, Settings()), Missing)
