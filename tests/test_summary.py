"""metrics_summary: the CLI JSON shape and its figures (portfolio of tests/test_retention.py)."""

from __future__ import annotations

import json

import pytest

from kamdash.core.settings import Settings
from kamdash.views.summary import metrics_summary
from tests.helpers import canonical_db
from tests.test_retention import ACCOUNTS, portfolio_revenue

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
