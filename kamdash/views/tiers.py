"""What the Tiers page shows, as plain data: the tier heatmap, the scorecard of the largest
accounts, assigned vs suggested tiers and the what-if re-weighting. Scores, tiers and moves
come from metrics.tiering; this module only chooses what is shown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from kamdash.core.fmt import tier_key
from kamdash.core.missing import Missing
from kamdash.core.settings import Settings
from kamdash.metrics.tiering import FIT_TEXT, TierScores, tier_heatmap, tier_moves, tier_scores

HEATMAP_COLUMNS = 12  # the heatmap draws the largest columns only, to stay readable
OFF_TIER_SHOWN = 15  # assigned vs suggested: the largest accounts whose tiers differ


@dataclass(frozen=True)
class Heatmap:
    grid: pd.DataFrame  # `tier_heatmap`, cut to the HEATMAP_COLUMNS largest columns (+ "All")
    columns: int  # columns before the cut


def heatmap(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    dimension: str,
    value: str,
    ts: TierScores | Missing,
    suggested: bool,
    qi: int | None,
) -> Heatmap | Missing:
    """The tier x `dimension` heatmap of `value`, by assigned or suggested tier. Columns kept:
    the largest by revenue / count, for NRR those with the most defined cells."""
    if suggested and isinstance(ts, Missing):
        return ts
    grid = tier_heatmap(con, settings, dimension, value, tiers=ts if suggested else None, qi=qi)
    if isinstance(grid, Missing):
        return grid
    cells = grid.drop(columns=[c for c in grid.columns if c == "All"])
    size = cells.notna().sum() if value == "nrr" else cells.fillna(0).abs().sum()
    keep = set(size.nlargest(HEATMAP_COLUMNS).index)
    return Heatmap(grid[[c for c in grid.columns if c in keep or c == "All"]], len(cells.columns))


def default_basis(ts: TierScores | Missing) -> str:
    """The heatmap's tier shown first: "assigned", unless no account has an assigned tier and
    the accounts are scored ("suggested": a heatmap of one "Unassigned" row says nothing)."""
    if isinstance(ts, Missing) or ts.table["assigned_tier"].notna().any():
        return "assigned"
    return "suggested"


def scorecard(ts: TierScores, n: int) -> pd.DataFrame:
    """The `n` largest accounts by TTM revenue (ties by account ID)."""
    return ts.table.sort_values(["ttm", "account_id"], ascending=[False, True]).head(n)


def suggested_mix(ts: TierScores) -> pd.DataFrame:
    """Accounts and TTM revenue per suggested tier, in tier order: tier, accounts, revenue
    (what the revenue-alone rule gives: e.g. 10% of accounts carrying 60% of revenue)."""
    g = ts.table.groupby(ts.table["suggested_tier"].fillna("not scored"))
    out = pd.DataFrame({"accounts": g.size(), "revenue": g["ttm"].sum()}).reset_index()
    out = out.rename(columns={"suggested_tier": "tier"})
    return out.iloc[sorted(range(len(out)), key=lambda i: tier_key(out["tier"].iloc[i]))]


def fit_counts(ts: TierScores) -> dict[str, int]:
    """Accounts per fit of assigned vs suggested tier (every fit of FIT_TEXT)."""
    counts = ts.table["fit"].value_counts()
    return {fit: int(counts.get(fit, 0)) for fit in FIT_TEXT}


def off_tier(ts: TierScores, n: int | None = OFF_TIER_SHOWN) -> pd.DataFrame:
    """The `n` largest accounts (None: all of them) whose assigned tier is not the suggested
    one, largest TTM first."""
    off = ts.table[ts.table["fit"].isin([f for f in FIT_TEXT if f != "match"])]
    off = off.sort_values("ttm", ascending=False)
    return off if n is None else off.head(n)


@dataclass(frozen=True)
class WhatIf:
    scores: TierScores  # with the new weights (the settings' scores when nothing changed)
    moves: pd.DataFrame  # `tier_moves` from the settings' weights to the new ones
    changed: bool  # whether any weight differs from the settings'

    @property
    def moved(self) -> int:
        return int(self.moves["count"].sum()) if len(self.moves) else 0


def what_if(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    ts: TierScores,
    weights: Mapping[str, float],
) -> WhatIf | Missing:
    """Re-score with `weights` on the quarter of `ts` (nothing is saved)."""
    changed = any(w != ts.weights.get(c, 0) for c, w in weights.items())
    new = tier_scores(con, settings, weights=weights, qi=ts.quarter) if changed else ts
    if isinstance(new, Missing):
        return new
    return WhatIf(new, tier_moves(ts, new), changed)
