"""Views: what each page shows, as plain data, without a browser. Hand-built snapshots for the
arithmetic the views do (year-on-year changes, the year-ago window, cuts), the published
sample for the wiring."""

from __future__ import annotations

import pytest

from kamdash.core.missing import Missing
from kamdash.core.periods import label_to_quarter, period_context
from kamdash.core.settings import Settings
from kamdash.metrics.attention import REASON_LABELS
from kamdash.metrics.retention import retention
from kamdash.metrics.tiering import tier_heatmap, tier_scores
from kamdash.metrics.whitespace import whitespace as whitespace_metric
from kamdash.store.snapshots import SnapshotStore, open_snapshot
from kamdash.views import portfolio, tiers, whitespace
from kamdash.views import retention as ret_view
from kamdash.views.definitions import settings_table, snapshot
from tests.helpers import canonical_db

S = Settings()
Q = label_to_quarter("2024Q4")
QUARTER_ENDS = ("03-15", "06-15", "09-15", "12-15")  # inside each quarter's last month


def revenue(account: str, years: dict[int, float]) -> list[dict]:
    """`amount` in each quarter of each year."""
    return [
        {"account_id": account, "date": f"{y}-{d}", "amount": amount}
        for y, amount in years.items()
        for d in QUARTER_ENDS
    ]


def book(first_year_quarters: tuple[str, ...] = QUARTER_ENDS, tiered: bool = True):
    """A: 100 a quarter in 2023, 150 in 2024 (Tier 1); B: 25 a quarter in 2023 only (Tier 2);
    C: 10 a quarter both years (Tier 2). 2023 starts at the first of `first_year_quarters`."""
    rows = (
        revenue("A", {2023: 100, 2024: 150})
        + revenue("B", {2023: 25})
        + revenue("C", {2023: 10, 2024: 10})
    )
    rows = [
        r for r in rows if not r["date"].startswith("2023") or r["date"][5:] in first_year_quarters
    ]
    accounts = [
        {"account_id": a, "account_name": a.lower(), "tier": t if tiered else None}
        for a, t in (("A", "Tier 1"), ("B", "Tier 2"), ("C", "Tier 2"))
    ]
    return canonical_db(accounts=accounts, revenue=rows)


def test_headline_against_a_year_ago():
    con = book()
    ctx = period_context(con, S)
    h = portfolio.headline(con, S, ctx, Q)
    # TTM 2024Q4 = A 600 + C 40; a year ago (2023Q4) = A 400 + B 100 + C 40
    assert h.ttm == 640
    assert h.ttm_growth == pytest.approx(640 / 540 - 1)
    # NRR = (600 + 0 + 40) / 540; GRR = (400 + 0 + 40) / 540; at 2023Q4 there is no NRR yet
    assert h.nrr == pytest.approx(640 / 540) and h.grr == pytest.approx(440 / 540)
    assert h.nrr_change is None and h.grr_change is None
    assert h.active == 2 and h.active_change == 2 - 3
    assert isinstance(h.share_of_wallet, Missing) and h.share_of_wallet.table == "wallet"
    assert h.share_change is None


def test_no_change_without_a_full_year_ago_window():
    # data from 2023Q3: the TTM window a year before 2024Q4 (2023Q1..Q4) is not all there
    con = book(first_year_quarters=("09-15", "12-15"))
    ctx = period_context(con, S)
    h = portfolio.headline(con, S, ctx, Q)
    assert h.ttm == 640
    assert h.ttm_growth is None and h.active_change is None
    t = tiers_of(con, ctx)
    assert t["accounts_change"].tolist() == [None, None]


def tiers_of(con, ctx):
    t = portfolio.tiers(con, S, ctx, Q)
    assert not isinstance(t, Missing)
    return t


def test_accounts_by_tier():
    con = book()
    t = tiers_of(con, period_context(con, S))
    assert t["tier"].tolist() == ["Tier 1", "Tier 2"]
    assert t["accounts"].tolist() == [1, 1]  # B is no longer active
    assert t["revenue"].tolist() == [600, 40]
    assert t["accounts_change"].tolist() == [0, 1 - 2]
    untiered = book(tiered=False)
    assert isinstance(portfolio.tiers(untiered, S, period_context(untiered, S), Q), Missing)


def test_no_revenue_is_one_missing():
    con = canonical_db(accounts=[{"account_id": "A", "account_name": "a"}])
    ctx = period_context(con, S)
    assert portfolio.headline(con, S, ctx, ctx.last_complete) is ret_view.NO_REVENUE
    assert ret_view.trend(con, S, ctx, ctx.last_complete) is ret_view.NO_REVENUE


def test_bridge_starts():
    ctx = period_context(book(), S)
    starts, default = ret_view.bridge_starts(ctx, Q, "ttm")
    # a TTM window must lie inside the data (from 2023Q1): 2023Q4 .. 2024Q3, newest first
    assert [ctx.label(q) for q in starts] == ["2024Q3", "2024Q2", "2024Q1", "2023Q4"]
    assert ctx.label(default) == "2023Q4"
    starts, _ = ret_view.bridge_starts(ctx, Q, "quarter")
    assert ctx.label(starts[-1]) == "2023Q1" and len(starts) == 7
    assert ret_view.bridge_starts(ctx, label_to_quarter("2023Q1"), "quarter") == ([], None)


def test_bridge_movements_are_named():
    con = book()
    b = ret_view.bridge(con, S, Q - 4, Q, "ttm")
    assert b.counts["expansion"] == 1 and b.counts["churn"] == 1
    top = b.movements.set_index("account_id")
    assert top.loc["A", "account_name"] == "a" and float(top.loc["A", "change"]) == 200
    assert float(top.loc["B", "change"]) == -100


def test_groups_drawn_are_the_largest(monkeypatch):
    con = book()
    ctx = period_context(con, S)
    g = ret_view.by_group(con, S, ctx, Q, "tier")
    assert g.groups == 2 and set(g.table["group"]) == {"Tier 1", "Tier 2"}
    monkeypatch.setattr(ret_view, "GROUPS_DRAWN", 1)
    g = ret_view.by_group(con, S, ctx, Q, "tier")
    assert g.groups == 2 and set(g.table["group"]) == {"Tier 1"}  # TTM 600 vs 40


def test_wallet_view_passes_missing_through():
    con = book()
    w = ret_view.wallet(con, S, period_context(con, S), Q)
    assert isinstance(w, Missing)
    assert str(w) == "no wallet sheet in this extract: share of wallet not shown"


# ----------------------------------------------------------------------- on the published sample


@pytest.fixture(scope="module")
def sample(sample_data_dir):
    store = SnapshotStore(sample_data_dir)
    sid = store.current_id()
    con = open_snapshot(str(store.path(sid))).cursor()
    return con, period_context(con, S), store.manifest(sid)


def test_headline_is_the_retention_figure(sample):
    con, ctx, _ = sample
    q = ctx.last_complete
    h = portfolio.headline(con, S, ctx, q)
    row = retention(con, S, ctx=ctx).set_index("quarter").loc[q]
    assert h.ttm == pytest.approx(row["ttm_revenue"]) and h.nrr == pytest.approx(row["nrr"])
    assert 0 < h.share_of_wallet < 1.5


def test_attention_kinds(sample):
    con, ctx, _ = sample
    att = portfolio.attention(con, S, ctx.last_complete)
    assert set(att.counts) <= set(REASON_LABELS) and att.counts
    kind = next(iter(att.counts))
    rows, n, at_risk = att.shown([kind])
    assert n == att.counts[kind]
    assert at_risk == pytest.approx(att.at_risk[kind])
    assert all(kind in [r.kind for r in reasons] for reasons in rows["reasons"])
    assert len(rows) == min(n, S.attention_rows)
    everything, total, all_at_risk = att.shown()
    assert total == len(att.table) >= n
    assert all_at_risk == pytest.approx(att.table["ttm"].sum())
    # ranked by revenue at risk (the account's TTM)
    assert list(everything["ttm"]) == sorted(everything["ttm"], reverse=True)
    # the sample has every table: every check ran
    assert att.not_checked == {} and att.checked == list(REASON_LABELS)


def test_heatmap_draws_the_largest_columns(sample, monkeypatch):
    con, ctx, _ = sample
    ts = tier_scores(con, S, qi=ctx.last_complete)
    monkeypatch.setattr(tiers, "HEATMAP_COLUMNS", 3)  # of the sample's 10 owners
    heat = tiers.heatmap(con, S, "owner", "count", ts, False, ctx.last_complete)
    drawn = [c for c in heat.grid.columns if c != "All"]
    assert heat.columns == 10 and len(drawn) == 3
    counts = tier_heatmap(con, S, "owner", "count", qi=ctx.last_complete).drop(columns="All").sum()
    assert counts[drawn].min() >= counts.drop(drawn).max()
    off = tiers.off_tier(ts)
    assert len(off) <= tiers.OFF_TIER_SHOWN and "match" not in set(off["fit"])
    assert sum(tiers.fit_counts(ts).values()) == ts.table["fit"].notna().sum()


def test_what_if_moves(sample):
    con, ctx, _ = sample
    ts = tier_scores(con, S, qi=ctx.last_complete)
    same = tiers.what_if(con, S, ts, dict(ts.weights))
    assert not same.changed and same.moved == 0 and same.scores is ts
    only_revenue = {c: (100 if c == "current_revenue" else 0) for c in ts.criteria}
    w = tiers.what_if(con, S, ts, only_revenue)
    assert w.changed and w.moved == int(w.moves["count"].sum()) > 0


def test_whitespace_grid_and_opportunities(sample):
    con, ctx, _ = sample
    ws = whitespace_metric(con, S, qi=ctx.last_complete)
    industry = whitespace.industries(ws)[0]
    g = whitespace.account_grid(ws, industry, 5)
    assert len(g.accounts) == 5 and set(g.accounts["industry"]) == {industry}
    assert list(g.ttm.index) == list(g.accounts["account_id"]) == list(g.potential.index)
    assert list(g.accounts["account_ttm"]) == sorted(g.accounts["account_ttm"], reverse=True)
    ranked = whitespace.opportunities(ws, industry)
    ids = set(whitespace.accounts(ws, industry)["account_id"])
    assert len(ranked) and set(ranked["account_id"]) <= ids
    assert len(whitespace.opportunities(ws)) > len(ranked)


def test_definitions_snapshot(sample):
    con, _, manifest = sample
    snap = snapshot(con, S, manifest)
    assert snap.source == "revenue" and snap.absent == []
    assert (
        snap.tables.set_index("Table").loc["accounts", "Rows"]
        == f"{manifest['row_counts']['accounts']:,}"
    )
    table = settings_table(S).set_index("Setting")["Value"]
    assert table["nrr_target"] == "1.1" and table["as_of"] == "(extract's latest date)"


def test_definitions_carry_the_settings_in_force():
    from kamdash.metrics.definitions import DEFINITIONS
    from kamdash.views.definitions import definitions

    shown = definitions(Settings(nrr_target=1.2))
    assert [d.name for d in shown] == [d.name for d in DEFINITIONS]
    i = [d.key for d in DEFINITIONS].index("nrr")
    assert "nrr_target = 1.2" in shown[i].settings and shown[i].text == DEFINITIONS[i].text
