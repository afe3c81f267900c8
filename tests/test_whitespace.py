"""Whitespace against hand-computed peer medians (peer_size_factor 3, peer_min_count 5).

All revenue is dated 2024-03-15, so TTM(2024Q1) is simply each account's amounts.
"""

from __future__ import annotations

import math

import pytest

from kamdash.core.missing import Missing
from kamdash.core.settings import Settings
from kamdash.metrics import whitespace as ws_mod
from tests.helpers import canonical_db

SPEND = {  # account: (industry, {product: TTM})
    "R1": ("Retail", {"X": 100}),  # TTM 100: buys neither Y nor Z
    "R2": ("Retail", {"X": 50, "Y": 30}),  # 80
    "R3": ("Retail", {"X": 100, "Y": 60}),  # 160
    "R4": ("Retail", {"X": 100, "Y": 120}),  # 220
    "R5": ("Retail", {"X": 200}),  # 200
    "R6": ("Retail", {"X": 250, "Y": 50}),  # 300 (= 100 * 3: still R1's peer)
    "R7": ("Retail", {"X": 1000, "Y": 900}),  # 1900: too big to be R1's peer
    "K1": ("Bank", {"X": 100, "Z": 40}),  # 140
    "K2": ("Bank", {"X": 120}),  # 120
    "N1": ("Retail", {}),  # no revenue
}


def db(products=True, opportunities=None):
    accounts = [
        {"account_id": a, "account_name": f"Name {a}", "industry": ind}
        for a, (ind, _) in SPEND.items()
    ]
    revenue = [
        {"account_id": a, "date": "2024-03-15", "amount": x, "product": p}
        for a, (_, sp) in SPEND.items()
        for p, x in sp.items()
    ]
    tables = {"accounts": accounts, "revenue": revenue}
    if products:
        tables["products"] = [{"product": p} for p in ("X", "Y", "Z")]
    if opportunities is not None:
        tables["opportunities"] = opportunities
    return canonical_db(**tables)


def cell(ws, account, product):
    c = ws.cells
    return c[(c["account_id"] == account) & (c["product"] == product)].iloc[0]


def test_peer_median_and_reason():
    ws = ws_mod.whitespace(db(), Settings(min_peers=1))
    assert ws.products == ["X", "Y", "Z"]
    y = cell(ws, "R1", "Y")
    # R1 (TTM 100): Retail peers with TTM in [100/3, 300]: R2 80, R3 160, R4 220, R5 200,
    # R6 300 -> 5 peers (>= peer_min_count 5). Y buyers: R2 30, R3 60, R4 120, R6 50 -> 4 of 5,
    # median of (30, 50, 60, 120) = (50 + 60) / 2 = 55
    assert not y["filled"]
    assert y["peer_group"] == "industry"
    assert (y["peers"], y["buyers"]) == (5, 4)
    assert y["potential"] == pytest.approx(55)
    assert y["reason"] == "4 of 5 Retail peers buy it; median $55"
    # nobody among R1's peers buys Z: potential 0
    z = cell(ws, "R1", "Z")
    assert z["potential"] == 0 and z["reason"] == "none of 5 Retail peers buy it"
    # a filled cell carries its TTM, no potential
    x = cell(ws, "R1", "X")
    assert x["filled"] and x["ttm"] == 100 and math.isnan(x["potential"]) and x["reason"] == ""
    assert ws.grid().loc["R4", "Y"] == 120


def test_a_median_of_fewer_buyers_than_min_peers_is_withheld():
    """The 4 Retail buyers of Y behind R1's median ($55) are fewer than min_peers (5): no
    figure, which would reveal other accounts' spend; the reason says why."""
    y = cell(ws_mod.whitespace(db(), Settings()), "R1", "Y")
    assert (y["peers"], y["buyers"]) == (5, 4)
    assert y["potential"] == 0
    assert y["reason"] == "4 of 5 Retail peers buy it; too few to estimate (fewer than 5)"
    assert "55" not in y["reason"]
    # K1's Y rests on 5 portfolio buyers: shown (see below)
    assert cell(ws_mod.whitespace(db(), Settings()), "K1", "Y")["potential"] == 60


def test_fallback_to_the_portfolio():
    ws = ws_mod.whitespace(db(), Settings())
    y = cell(ws, "K1", "Y")
    # K1 (Bank, 140): 1 Bank peer (K2) < 5 -> all other active accounts: R1..R7, K2 = 8.
    # Y buyers: R2 30, R3 60, R4 120, R6 50, R7 900 -> 5 of 8; median of the five = 60
    assert y["peer_group"] == "portfolio"
    assert (y["peers"], y["buyers"]) == (8, 5)
    assert y["potential"] == pytest.approx(60)
    assert y["reason"] == (
        "only 1 Bank peer of similar size; 5 of 8 portfolio accounts buy it; median $60"
    )
    # R7 (1900): no Retail account within [633, 5700] -> portfolio; Z bought by K1 only (40)
    z = cell(ws, "R7", "Z")
    assert z["reason"] == (
        "no Retail peer of similar size; 1 of 8 portfolio accounts buy it; "
        "too few to estimate (fewer than 5)"
    )
    assert z["potential"] == 0
    # N1 has no TTM revenue: all 9 active accounts are its peers
    n = cell(ws, "N1", "Y")
    assert (
        n["reason"] == "no TTM revenue to size peers; 5 of 9 portfolio accounts buy it; median $60"
    )


def test_pipeline_mark_and_ranking():
    opps = [
        {"account_id": "R1", "amount": 75, "product": "Z", "stage": "Proposal"},
        {"account_id": "R1", "amount": 25, "product": "Z", "stage": "Negotiation"},
        {"account_id": "R1", "amount": 500, "product": "Y", "stage": "Closed Won"},
    ]
    ws = ws_mod.whitespace(db(opportunities=opps), Settings())
    z = cell(ws, "R1", "Z")
    assert z["in_pipeline"] and z["pipeline"] == 100  # 75 + 25 open
    y = cell(ws, "R1", "Y")
    assert not y["in_pipeline"] and y["pipeline"] == 0  # won is not open pipeline
    top = ws.ranked()
    assert list(top["potential"]) == sorted(top["potential"], reverse=True)
    assert (top["potential"] > 0).all()
    # biggest: X at N1 (no revenue at all): portfolio X spend of the 9 active accounts
    # 50, 100, 100, 100, 100, 120, 200, 250, 1000 -> median 100; then Y at 60 (portfolio
    # median, see above) for K1 (TTM 140), K2 (120), N1 (0): ties by account TTM desc
    assert top.iloc[0][["account_id", "product", "potential"]].tolist() == ["N1", "X", 100]
    assert top.iloc[0]["reason"] == (
        "no TTM revenue to size peers; 9 of 9 portfolio accounts buy it; median $100"
    )
    assert top.iloc[1:4][["account_id", "product", "potential"]].values.tolist() == [
        ["K1", "Y", 60],
        ["K2", "Y", 60],
        ["N1", "Y", 60],
    ]
    assert list(top.columns) == [
        "account_id",
        "account_name",
        "product",
        "potential",
        "confidence",
        "reason",
        "in_pipeline",
        "pipeline",
    ]
    # every estimate here is a portfolio fallback (industry medians rest on fewer than 5)
    assert set(top["confidence"]) == {"low"}
    assert len(ws.ranked(3)) == 3
    assert ws.notes == []


def test_open_deals_without_an_amount_put_the_cell_in_pipeline():
    opps = [
        {"account_id": "R1", "product": "Z", "stage": "Prospecting"},  # amount unknown
        {"account_id": "R1", "amount": 40, "product": "Y", "stage": "Proposal"},
        {"account_id": "R1", "product": "Y", "stage": "Qualification"},
    ]
    ws = ws_mod.whitespace(db(opportunities=opps), Settings())
    z, y = cell(ws, "R1", "Z"), cell(ws, "R1", "Y")
    assert z["in_pipeline"] and z["pipeline"] == 0  # in pipeline, amount unknown
    assert y["in_pipeline"] and y["pipeline"] == 40  # the known amount only
    grid = ws.pipeline_grid()
    assert grid.at["R1", "Z"] == 0 and grid.at["R1", "Y"] == 40
    assert math.isnan(grid.at["R1", "X"])  # not in pipeline


def test_product_universe_without_products_table():
    ws = ws_mod.whitespace(db(products=False), Settings())
    assert ws.products == ["X", "Y", "Z"]
    assert ws.notes == ["no opportunities sheet in this extract: open pipeline not marked"]


def test_no_product_column_or_no_revenue_is_missing():
    con = canonical_db(
        accounts=[{"account_id": "A", "account_name": "a"}],
        revenue=[{"account_id": "A", "date": "2024-03-15", "amount": 1}],
    )
    out = ws_mod.whitespace(con, Settings())
    assert isinstance(out, Missing) and "product column" in out.message
    out = ws_mod.whitespace(canonical_db(accounts=[{"account_id": "A"}]), Settings())
    assert isinstance(out, Missing) and out.table == "revenue"


def test_business_unit_grid():
    # R3 again, now split by business unit: X 100 in Stores, Y 60 in Online
    con = db(
        opportunities=[
            {
                "account_id": "R3",
                "amount": 30,
                "product": "Z",
                "stage": "Open",
                "business_unit": "Online",
            },
            {"account_id": "R3", "amount": 10, "product": "Y", "stage": "Open"},
        ]
    )
    con.execute(
        "UPDATE revenue SET business_unit = 'Stores' WHERE account_id = 'R3' AND product = 'X'"
    )
    con.execute(
        "UPDATE revenue SET business_unit = 'Online' WHERE account_id = 'R3' AND product = 'Y'"
    )
    g = ws_mod.business_unit_grid(con, Settings(), "R3")
    c = g.cells.set_index(["business_unit", "product"])
    assert c.loc[("Stores", "X"), "ttm"] == 100 and c.loc[("Online", "Y"), "ttm"] == 60
    # Stores x Y: 1 of the account's 2 units buys Y, median 60
    assert c.loc[("Stores", "Y"), "potential"] == 60
    assert c.loc[("Stores", "Y"), "reason"] == "1 of 2 units of this account buy it; median $60"
    # Z: no unit buys it -> the account-level potential. R3 (160) peers: Retail in
    # [53.3, 480] = R1, R2, R4, R5, R6 -> 5; none buys Z -> 0
    assert c.loc[("Online", "Z"), "potential"] == 0
    assert c.loc[("Online", "Z"), "reason"] == "account level: none of 5 Retail peers buy it"
    # pipeline: Z in Online only; Y without a business unit marks every unit row of Y
    assert c.loc[("Online", "Z"), "pipeline"] == 30 and c.loc[("Stores", "Z"), "pipeline"] == 0
    assert c.loc[("Stores", "Y"), "pipeline"] == 10 and c.loc[("Online", "Y"), "pipeline"] == 10
    assert g.grid().loc["Online", "Y"] == 60
    assert isinstance(ws_mod.business_unit_grid(con, Settings(), "nope"), Missing)


def test_filters_keep_peers_from_the_whole_portfolio():
    from kamdash.store.filters import Filters, scoped

    con = db()
    con.execute("UPDATE accounts SET owner = 'kim' WHERE account_id IN ('R1', 'K1')")
    ws = ws_mod.whitespace(scoped(con, Filters(owners=("kim",))), Settings(min_peers=1))
    assert sorted(ws.cells["account_id"].unique()) == ["K1", "R1"]
    assert cell(ws, "R1", "Y")["reason"] == "4 of 5 Retail peers buy it; median $55"
    assert cell(ws, "K1", "Y")["potential"] == 60


def test_reason_counts_have_thousands_separators():
    """Large portfolios: '1,852 of 2,578 portfolio accounts', not '1852 of 2578'."""
    import pandas as pd

    row = {
        "account_ttm": 5000.0,
        "industry": "Technology",
        "peer_group": "portfolio",
        "n_ind": 0,
        "peers": 2578,
        "buyers": 1852,
        "med": 11_000.0,
        "filled": False,
    }
    df = pd.DataFrame([row])
    reason = ws_mod._reasons(df, ~df["filled"], Settings())[0]
    assert reason == (
        "no Technology peer of similar size; 1,852 of 2,578 portfolio accounts buy it; median $11k"
    )


def test_grid_of_some_accounts_is_the_full_grid_cut_to_them():
    ws = ws_mod.whitespace(db(), Settings())
    ids = ["R1", "N1"]
    for values in ("ttm", "potential", "pipeline"):
        part, full = ws.grid(values, ids), ws.grid(values).reindex(ids)
        assert part.equals(full), values
    assert ws.pipeline_grid(ids).equals(ws.pipeline_grid().reindex(ids))


def test_confidence_and_fallbacks_below_industry_peer_estimates():
    """min_peers 1 (every median shown): R1 and R5 get Retail-peer medians for Y (55: see
    test_peer_median_and_reason; R5 at TTM 200 has the same five peers R1..R4, R6), high
    confidence; every other estimate is a portfolio fallback, low. The list puts both Retail
    estimates first although N1's X (portfolio median 100) and K1's Y (60) are bigger."""
    ws = ws_mod.whitespace(db(), Settings(min_peers=1))
    top = ws.ranked()
    assert top[["account_id", "product", "potential", "confidence"]].values.tolist()[:4] == [
        ["R5", "Y", 55, "high"],  # ties: bigger account first (R5 200 > R1 100)
        ["R1", "Y", 55, "high"],
        ["N1", "X", 100, "low"],
        ["K1", "Y", 60, "low"],
    ]
    assert set(top["confidence"][2:]) == {"low"}
    # within each confidence, by potential desc
    low = top[top["confidence"] == "low"]["potential"]
    assert list(low) == sorted(low, reverse=True)
    # confidence only on empty cells with potential: filled cells and zero potential have none
    assert cell(ws, "R1", "X")["confidence"] not in ("high", "low")  # filled
    assert cell(ws, "R1", "Z")["confidence"] not in ("high", "low")  # none buy it: potential 0
    assert set(ws_mod.CONFIDENCE_TEXT) == {"high", "low"}
