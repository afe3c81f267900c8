"""Precomputed per-snapshot aggregates (derived.py): built at publish, used only when built
with the settings in force, and giving exactly the figures computed on the fly."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from kamdash.core.db import frame
from kamdash.core.missing import Missing
from kamdash.core.periods import label_to_quarter, period_context
from kamdash.core.settings import Settings
from kamdash.metrics import grid, precompute
from kamdash.metrics.attention import needing_attention
from kamdash.metrics.concentration import concentration
from kamdash.metrics.grid import account_quarters
from kamdash.metrics.retention import account_growth, retention
from kamdash.metrics.wallet import share_of_wallet
from kamdash.metrics.whitespace import whitespace
from kamdash.store.filters import Filters, filter_options, scoped
from kamdash.store.load import load_extract
from kamdash.store.snapshots import SnapshotStore
from tests.conftest import SAMPLE_CSV
from tests.helpers import canonical_db

S = Settings()


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal up to the last bits of a floating-point sum (DuckDB sums in parallel, in no
    fixed order, so even two on-the-fly runs may differ there)."""
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=1e-9)


@pytest.fixture
def computed(monkeypatch):
    """Call fn with the precomputed tables and the in-memory whitespace cells ignored (the
    on-the-fly path)."""
    from kamdash.metrics import whitespace as ws_mod

    def run(fn, *a, **k):
        with monkeypatch.context() as m:
            m.setattr(grid, "lookup", lambda *_a, **_k: None)
            m.setattr(ws_mod, "_snapshot_key", lambda con: None)
            return fn(*a, **k)

    return run


def _grid(con, settings=S) -> pd.DataFrame:
    aq = account_quarters(con, settings)
    return frame(
        con,
        f"SELECT account_id, q, rev, ttm, rev_prev, ttm_prev, first_pos, wallet, has_rows "
        f"FROM {aq} ORDER BY account_id, q",
    )


def _sample(sample_data_dir):
    store = SnapshotStore(sample_data_dir)
    return store.open(store.current_id())


def test_publish_builds_both_aggregates(sample_data_dir):
    con = _sample(sample_data_dir)
    q = period_context(con, S).last_complete
    from kamdash.metrics.whitespace import storage_params

    assert (
        grid.lookup(con, "account_quarters", {"fy": 1}) == '"snapshot".main."_kd_account_quarters"'
    )
    assert grid.lookup(con, "whitespace", storage_params(S, q)) is not None
    # other settings or another quarter: not usable
    assert grid.lookup(con, "account_quarters", {"fy": 2}) is None
    assert grid.lookup(con, "whitespace", storage_params(S, q - 1)) is None
    assert grid.lookup(con, "whitespace", storage_params(Settings(peer_min_count=2), q)) is None


def _filter_cases(con) -> list[Filters]:
    opts = filter_options(con)
    return [
        Filters(),
        Filters(tiers=(opts["tiers"][0],)),
        Filters(regions=tuple(opts["regions"][:2])),
        Filters(owners=(opts["owners"][3],), industries=tuple(opts["industries"])),
        Filters(teams=(opts["teams"][0],)),
        Filters(tiers=("no such tier",)),
    ]


def test_sample_figures_identical_both_ways(sample_data_dir, computed):
    con = _sample(sample_data_dir)
    for f in _filter_cases(con):
        pre, fly = scoped(con, f), scoped(con, f)
        same(_grid(pre), computed(_grid, fly))
        ctx = period_context(pre, S)
        q = ctx.last_complete
        same(retention(pre, S, ctx=ctx), computed(retention, fly, S, ctx=ctx))
        same(retention(pre, S, by="tier", ctx=ctx), computed(retention, fly, S, by="tier", ctx=ctx))
        same(share_of_wallet(pre, S, ctx=ctx), computed(share_of_wallet, fly, S, ctx=ctx))
        same(concentration(pre, S, qi=q, ctx=ctx), computed(concentration, fly, S, qi=q, ctx=ctx))
        same(account_growth(pre, S, qi=q, ctx=ctx), computed(account_growth, fly, S, qi=q, ctx=ctx))
        a, b = needing_attention(pre, S, qi=q), computed(needing_attention, fly, S, qi=q)
        same(a.table, b.table)
        w1, w2 = whitespace(pre, S, qi=q), computed(whitespace, fly, S, qi=q)
        if isinstance(w1, Missing):  # nothing matches the filter
            assert w1 == w2 and f == Filters(tiers=("no such tier",))
            continue
        same(w1.cells, w2.cells)
        assert w1.products == w2.products
        if len(w1.cells):
            some = sorted(set(w1.cells["account_id"]))[:3]
            w3 = whitespace(pre, S, qi=q, account_ids=some)
            same(w3.cells, w1.cells[w1.cells["account_id"].isin(some)].reset_index(drop=True))


def test_other_settings_are_computed_not_read(sample_data_dir, computed, monkeypatch):
    con = _sample(sample_data_dir)
    s = dataclasses.replace(S, fiscal_year_start_month=2, peer_size_factor=2.0)
    q = period_context(con.cursor(), s).last_complete
    same(_grid(con.cursor(), s), computed(_grid, con.cursor(), s))
    same(whitespace(con.cursor(), s, qi=q).cells, computed(whitespace, con.cursor(), s, qi=q).cells)
    # with an as-of date the grid is always built on the fly (its last quarter may lie
    # beyond the data)
    late = dataclasses.replace(S, as_of="2030-01-01")
    asked = []
    real = grid.lookup
    monkeypatch.setattr(grid, "lookup", lambda *a: asked.append(a[1]) or real(*a))
    same(_grid(con.cursor(), late), computed(_grid, con.cursor(), late))
    assert "account_quarters" not in asked


def test_filtered_grid_ends_with_the_filtered_accounts_revenue():
    """Region S's only account stopped buying after 2023Q4: filtered to S, the grid ends at
    2023Q4 (as when built from the filtered revenue), not at the portfolio's last quarter."""
    rev = [
        {"account_id": "A", "date": f"{y}-{m:02d}-15", "amount": 10.0}
        for y in (2023, 2024)
        for m in (2, 5, 8, 11)
    ]
    rev += [{"account_id": "B", "date": f"2023-{m:02d}-15", "amount": 5.0} for m in (2, 5, 8, 11)]
    con = canonical_db(
        accounts=[
            {"account_id": "A", "account_name": "Acme", "region": "N"},
            {"account_id": "B", "account_name": "Beta", "region": "S"},
        ],
        revenue=rev,
    )
    took = precompute.build(con, S)
    assert set(took) == {"account_quarters"}  # no product column: no whitespace
    g = _grid(scoped(con, Filters(regions=("S",))))
    # B: 5 per quarter 2023Q1..Q4 -> TTM 5, 10, 15, 20; nothing after 2023Q4
    assert g["account_id"].tolist() == ["B"] * 4
    assert g["q"].tolist() == [label_to_quarter(f"2023Q{i}", 1) for i in (1, 2, 3, 4)]
    assert g["ttm"].tolist() == [5.0, 10.0, 15.0, 20.0]
    # unfiltered, B's TTM trails off until 2024Q3 and its year-ago figures run to 2024Q4
    full = _grid(con.cursor())
    b = full[full["account_id"] == "B"]
    assert b["q"].max() == label_to_quarter("2024Q4", 1)
    assert b.set_index("q").loc[label_to_quarter("2024Q3", 1), "ttm"] == 5.0
    assert b.set_index("q").loc[label_to_quarter("2024Q4", 1), "ttm_prev"] == 20.0


def test_failed_precompute_still_publishes_and_says_so(tmp_path, monkeypatch):
    def boom(con, settings):
        con.execute(f"CREATE TABLE {grid.REGISTRY} (name VARCHAR, params VARCHAR)")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(precompute, "build", boom)
    paths = [SAMPLE_CSV / n for n in ("accounts.csv", "revenue.csv")]
    prepared = load_extract(paths, tmp_path)
    assert prepared.snapshot_id is not None
    msgs = [p.message for p in prepared.report.warnings if p.code == "precompute"]
    assert msgs and "disk on fire" in msgs[0] and "compute them on each view" in msgs[0]
    con = SnapshotStore(tmp_path).open()
    assert grid.lookup(con, "account_quarters", {"fy": 1}) is None
    assert retention(con.cursor(), S)["revenue"].notna().any()


def test_whitespace_without_precomputed_cells_is_computed_once_per_snapshot(
    sample_data_dir, monkeypatch
):
    """Another quarter than the precomputed one: computed on the first view, then kept in
    memory for that read-only snapshot, and filtered per view; same cells as computing."""
    from kamdash.metrics import whitespace as ws_mod

    con = _sample(sample_data_dir)
    q = period_context(con.cursor(), S).last_complete - 1
    calls = []
    real = ws_mod.cells_frame
    monkeypatch.setattr(ws_mod, "cells_frame", lambda *a, **k: calls.append(1) or real(*a, **k))
    ws_mod._CACHE.clear()
    first = whitespace(con.cursor(), S, qi=q)
    tier1 = scoped(con, Filters(tiers=("Tier 1",)))
    again = whitespace(tier1, S, qi=q)
    one = whitespace(con.cursor(), S, qi=q, account_ids=["ACC-00001"])
    assert len(calls) == 1
    monkeypatch.setattr(ws_mod, "_snapshot_key", lambda con: None)
    same(first.cells, whitespace(con.cursor(), S, qi=q).cells)
    same(again.cells, whitespace(scoped(con, Filters(tiers=("Tier 1",))), S, qi=q).cells)
    assert set(again.cells["account_id"]) < set(first.cells["account_id"])
    assert set(one.cells["account_id"]) == {"ACC-00001"}
    assert len(calls) == 3  # the two comparisons computed; nothing cached for them


def test_writable_or_in_memory_databases_are_never_cached():
    from kamdash.metrics import whitespace as ws_mod

    con = canonical_db(accounts=[{"account_id": "A", "account_name": "Acme"}])
    assert ws_mod._snapshot_key(con) is None


def test_status_says_what_is_precomputed_and_used(sample_data_dir):
    con = _sample(sample_data_dir)
    q = period_context(con.cursor(), S).last_complete
    from kamdash.core.periods import quarter_label

    label = quarter_label(q, 1)
    assert precompute.status(con, S) == (
        "Precomputed when this snapshot was published: the account × quarter grid (in use) "
        f"and the whitespace of {label} (in use)."
    )
    other = dataclasses.replace(S, fiscal_year_start_month=2, peer_min_count=3)
    said = precompute.status(con, other)
    assert "grid (not used: built for other period settings; computed on each view)" in said
    assert f"whitespace of {label} (not used: built for other settings" in said
    bare = canonical_db(accounts=[{"account_id": "A", "account_name": "Acme"}])
    assert precompute.status(bare, S).startswith("Nothing precomputed in this snapshot")
