"""Tiering: the weighted 1-5 scorecard, the suggested tier, assigned vs suggested, what-if weights.

Definitions (design brief, "Metric definitions"; weights and thresholds from `Settings`):

- Tier score(a) = sum_i w_i * s_i / sum_i w_i over the criteria i that account a has (a score
  present, weight > 0). A criterion the account lacks is left out and the weights of the others
  are renormalised, so the score stays on the 1-5 scale.
- Criteria: every key of `settings.tier_weights` (or the override) that is a column of the
  `scores` table (expansion_potential, strategic_fit, executive_access, reference_value,
  competitive_position, or any other scores column given a weight), plus `current_revenue`.
- current_revenue is scored by TTM revenue quintile of quarter Q (default: the last complete
  quarter) among the portfolio's active accounts (TTM > 0; the whole portfolio even on a
  filtered cursor, so a filter never changes a score): s = ceil(5 * k / n), k = number of active accounts
  with TTM <= the account's TTM, n = number of active accounts. The top quintile scores 5,
  ties share a quintile, a portfolio of one active account scores it 5. Accounts with no TTM
  revenue (none, or TTM <= 0) score 1. Without a revenue table (or without any complete
  quarter) the criterion is not scored for anyone.
- Several `scores` rows for one account: their mean per criterion.
- Suggested tier: score >= tier1_min -> Tier 1, >= tier2_min -> Tier 2, else Tier 3 (compared
  after rounding to 9 decimals, so 3.8 computed as 3.7999999999 is still Tier 1).
- Revenue alone (current_revenue is the only criterion scored: no scores sheet, or no weighted
  criterion in it): a quintile score would put 40% of accounts in Tier 1, so the suggested tier
  follows the field's rule of thumb on TTM(Q) rank among the portfolio's n active accounts
  (whole portfolio, as the quintile): n1 = max(1, round(revenue_tier1_share * n)) accounts in
  Tier 1, n12 = max(n1, round((revenue_tier1_share + revenue_tier2_share) * n)) in Tier 1 or 2
  (round half up, counts cumulated so the shares add up); an account's rank = 1 + the number of
  active accounts with a larger TTM, so ties share the higher tier; Tier 1 when rank <= n1,
  Tier 2 when rank <= n12, else Tier 3; no TTM revenue: Tier 3. E.g. 701 accounts: 70, 140,
  491; 7 accounts: 1, 1, 5. `TierScores.basis` is "revenue" and `rule` says it in words.
- Fit: assigned tier vs suggested: "match"; "under-served" (assigned lower than suggested,
  e.g. assigned Tier 3, suggested Tier 1); "over-served" (assigned higher than suggested);
  "unassigned" (no assigned tier); None when the account has no score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from kamdash.core.db import columns, frame, has_table, numeric_columns, quote_ident, unfiltered
from kamdash.core.fmt import TIERS, tier_key
from kamdash.core.missing import Missing, require
from kamdash.core.periods import PeriodContext, period_context, ttm_bounds
from kamdash.core.settings import Settings
from kamdash.metrics.grid import account_quarters
from kamdash.metrics.retention import cohort_retention

UNASSIGNED = "Unassigned"
NONE_LABEL = "(none)"
CURRENT_REVENUE = "current_revenue"
FIT_TEXT = {
    "match": "assigned tier matches the suggested one",
    "under-served": "assigned lower than suggested",
    "over-served": "assigned higher than suggested",
    "unassigned": "no assigned tier",
}
HEATMAP_DIMENSIONS = ("region", "industry", "owner", "segment")
HEATMAP_VALUES = ("revenue", "nrr", "count")


def label(criterion: str) -> str:
    """'expansion_potential' -> 'expansion potential'."""
    return criterion.replace("_", " ")


@dataclass
class TierScores:
    """Tier scores for every account of `accounts` (filtered or not).

    table: one row per account: account_id, account_name, owner, region, industry,
        assigned_tier, ttm, one column per criterion used (its 1-5 score, NaN when absent;
        current_revenue is the TTM quintile), criteria (number scored), tier_score,
        suggested_tier, fit, fit_text. Sorted by tier_score desc.
    parts: one row per (account, criterion scored): account_id, criterion, label, score,
        weight, share (weight / sum of the account's weights), contribution (share * score;
        an account's contributions sum to its tier_score).
    """

    table: pd.DataFrame
    weights: dict[str, float]
    criteria: list[str]  # criteria scored (weight > 0 and data present), in weight order
    quarter: int | None  # quarter index of the TTM used for current_revenue
    tier1_min: float
    tier2_min: float
    notes: list[str] = field(default_factory=list)
    basis: str = "score"  # "score" (the weighted scorecard) or "revenue" (revenue alone)
    rule: str = ""  # how the suggested tier is set, in plain words

    @property
    def revenue_alone(self) -> bool:
        return self.basis == "revenue"

    @cached_property
    def parts(self) -> pd.DataFrame:
        # built on first use: most consumers (the QBR review, the deck) only read `table`
        return _parts(self.table.set_index("account_id"), self.weights, self.criteria)


def _weights(settings: Settings, override: Mapping[str, float] | None) -> dict[str, float]:
    w = dict(settings.tier_weights)
    if override:
        w.update({k: float(v) for k, v in override.items()})
    return w


def weighted_score(scores: Mapping[str, ArrayLike], weights: Mapping[str, float]) -> np.ndarray:
    """Tier score per account: sum_i w_i * s_i / sum_i w_i over the criteria i of `scores`
    with a weight > 0 where the account's score is not NaN (the others renormalised away);
    NaN for an account without any. `scores`: criterion -> 1-5 scores, one per account."""
    used = [c for c, wt in weights.items() if wt > 0 and c in scores]
    n = len(next(iter(scores.values()))) if scores else 0
    num, den = np.zeros(n), np.zeros(n)
    for c in used:
        s = np.asarray(scores[c], dtype=float)
        has = ~np.isnan(s)
        num += np.where(has, weights[c] * s, 0.0)
        den += np.where(has, weights[c], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def revenue_quintile(ttm: ArrayLike) -> np.ndarray:
    """The current-revenue score per account: ceil(5 k / n), n = active accounts (TTM > 0),
    k = active accounts with TTM <= the account's (ties share the higher quintile); 1 for an
    account with no TTM revenue (TTM <= 0 or NaN)."""
    t = np.asarray(ttm, dtype=float)
    active = np.sort(t[t > 0])
    n = active.size
    if n == 0:
        return np.ones(t.size)
    k = np.searchsorted(active, t, side="right")
    return np.where(t > 0, (5 * k + n - 1) // n, 1).astype(float)


def _half_up(x: float) -> int:
    return int(np.floor(x + 0.5))


def revenue_tier_counts(n: int, tier1_share: float, tier2_share: float) -> tuple[int, int]:
    """(n1, n12): how many of `n` active accounts the revenue-alone rule puts in Tier 1, and in
    Tier 1 or 2 (round half up, at least one account in Tier 1)."""
    if n <= 0:
        return 0, 0
    n1 = min(n, max(1, _half_up(tier1_share * n)))
    n12 = min(n, max(n1, _half_up((tier1_share + tier2_share) * n)))
    return n1, n12


def revenue_rank(ttm: ArrayLike) -> np.ndarray:
    """1 + the number of active accounts (TTM > 0) with a larger TTM (ties share a rank); NaN
    for an account without TTM revenue."""
    t = np.asarray(ttm, dtype=float)
    active = np.sort(t[t > 0])
    above = active.size - np.searchsorted(active, t, side="right")
    return np.where(t > 0, above + 1, np.nan)


def revenue_tiers(ttm: ArrayLike, tier1_share: float, tier2_share: float) -> np.ndarray:
    """The revenue-alone tier of each account: Tier 1 for rank <= n1, Tier 2 for rank <= n12,
    else Tier 3 (`revenue_tier_counts`, `revenue_rank`); Tier 3 without TTM revenue."""
    t = np.asarray(ttm, dtype=float)
    n1, n12 = revenue_tier_counts(int((t > 0).sum()), tier1_share, tier2_share)
    rank = revenue_rank(t)
    out = np.full(t.size, TIERS[2], dtype=object)
    out[rank <= n1] = TIERS[0]
    out[(rank > n1) & (rank <= n12)] = TIERS[1]
    return out


def revenue_rule(n: int, settings: Settings) -> str:
    """The revenue-alone rule in plain words, with this portfolio's counts."""
    s1, s2 = settings.revenue_tier1_share, settings.revenue_tier2_share
    n1, n12 = revenue_tier_counts(n, s1, s2)
    return (
        f"Tiers from revenue alone: Tier 1 = the top {s1:.0%} of accounts by TTM revenue "
        f"({n1:,}), Tier 2 = the next {s2:.0%} ({n12 - n1:,}), Tier 3 = the rest "
        f"({n - n12:,} active, and accounts without TTM revenue)."
    )


def _sheet_criteria(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Columns of the scores sheet with at least one numeric value (a canonical column may
    be all NULL)."""
    if not has_table(con, "scores"):
        return []
    cols = list(dict.fromkeys(c for c in columns(con, "scores") if c != "account_id"))
    return numeric_columns(con, "scores", cols)


def _portfolio_ttm(con: duckdb.DuckDBPyConnection, settings: Settings, qi: int) -> pd.Series:
    """TTM(a, qi) of every account with revenue in the window, from the whole portfolio
    (unfiltered), so that a filter never changes an account's quintile."""
    start, end = ttm_bounds(qi, settings.fiscal_year_start_month)
    df = frame(
        con,
        f"SELECT account_id, sum(amount) AS ttm FROM {unfiltered(con, 'revenue')} "
        "WHERE date >= ? AND date <= ? GROUP BY account_id",
        [start, end],
    )
    return df.set_index("account_id")["ttm"]


def _criteria(
    con: duckdb.DuckDBPyConnection, settings: Settings, w: dict[str, float], qi: int | None
) -> tuple[list[str], int | None, list[str]]:
    """The criteria scored (weight > 0 and data present, in weight order), the quarter whose
    TTM scores current revenue (None when not scored) and the notes saying what is left out."""
    notes: list[str] = []
    sheet = _sheet_criteria(con)
    if not sheet:
        notes.append(
            "no tiering criteria in the scores sheet: tiers use current revenue only"
            if has_table(con, "scores")
            else "no scores sheet in this extract: tiers use current revenue only"
        )
    wants_revenue = w.get(CURRENT_REVENUE, 0) > 0
    if wants_revenue and has_table(con, "revenue") and qi is None:
        qi = period_context(con, settings).last_complete
    if not (wants_revenue and has_table(con, "revenue")):
        qi = None
    if wants_revenue and qi is None:
        notes.append("no revenue for a complete quarter: current revenue is not scored")
    crit = [
        c
        for c, wt in sorted(w.items(), key=lambda kv: -kv[1])
        if wt > 0 and (c in sheet or (c == CURRENT_REVENUE and qi is not None))
    ]
    unknown = [c for c, wt in w.items() if wt > 0 and c not in sheet and c != CURRENT_REVENUE]
    if unknown and sheet:
        notes.append(
            "weighted but not in the scores sheet: " + ", ".join(label(c) for c in sorted(unknown))
        )
    return crit, qi, notes


def tier_scores(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    weights: Mapping[str, float] | None = None,
    qi: int | None = None,
) -> TierScores | Missing:
    """Score every account. `weights` overrides (some of) `settings.tier_weights` for a what-if
    (nothing is written); `qi` is the quarter whose TTM scores current revenue (default: the
    last complete quarter)."""
    miss = require(con, "accounts", "tiers")
    if miss:
        return miss
    w = _weights(settings, weights)
    crit, qi, notes = _criteria(con, settings, w, qi)
    if not crit:
        return Missing("scores", "no scores sheet and no revenue in this extract: tiers not shown")
    table = frame(
        con,
        "SELECT account_id, account_name, owner, region, industry, tier AS assigned_tier "
        "FROM accounts",
    ).drop_duplicates("account_id")
    table = table.set_index("account_id")
    table["ttm"] = 0.0
    by_revenue, rule = None, ""
    if qi is not None:
        ttm = _portfolio_ttm(con, settings, qi)
        table["ttm"] = ttm.reindex(table.index).fillna(0.0).astype(float)
        quintile = pd.Series(revenue_quintile(ttm.to_numpy()), index=ttm.index)
        table[CURRENT_REVENUE] = quintile.reindex(table.index).fillna(1.0)
        table["revenue_rank"] = pd.Series(revenue_rank(ttm.to_numpy()), index=ttm.index).reindex(
            table.index
        )
        if crit == [CURRENT_REVENUE]:
            s1, s2 = settings.revenue_tier1_share, settings.revenue_tier2_share
            tiers = pd.Series(revenue_tiers(ttm.to_numpy(), s1, s2), index=ttm.index)
            by_revenue = tiers.reindex(table.index).fillna(TIERS[2])
            rule = revenue_rule(int((ttm > 0).sum()), settings)
    sheet = [c for c in crit if c != CURRENT_REVENUE]
    if sheet:
        # several scores rows for one account: their mean per criterion
        avgs = ", ".join(
            f"avg(TRY_CAST({quote_ident(c)} AS DOUBLE)) AS {quote_ident(c)}" for c in sheet
        )
        sc = frame(con, f"SELECT account_id, {avgs} FROM scores GROUP BY account_id")
        table = table.join(sc.set_index("account_id"))
    table = table[[*table.columns.difference(crit, sort=False), *crit]]
    table[crit] = table[crit].astype(float)
    table["tier_score"] = weighted_score({c: table[c] for c in crit}, w)
    return _assemble(table, w, crit, qi, settings, notes, by_revenue, rule)


def _suggest(score: pd.Series, t1: float, t2: float) -> pd.Series:
    s = score.round(9)
    out = pd.Series(None, index=score.index, dtype=object)
    out[s >= t1] = "Tier 1"
    out[(s >= t2) & (s < t1)] = "Tier 2"
    out[s < t2] = "Tier 3"
    return out


def _parts(table: pd.DataFrame, w: dict[str, float], crit: list[str]) -> pd.DataFrame:
    """One row per (account, criterion scored); share = w_i / sum of the account's weights,
    contribution = share * score (an account's contributions sum to its tier score)."""
    long = table[crit].rename_axis("account_id").reset_index()
    long = long.melt(id_vars="account_id", var_name="criterion", value_name="score")
    long = long.dropna(subset=["score"])
    long.insert(2, "label", long["criterion"].map(label))
    long["weight"] = long["criterion"].map(w).astype(float)
    long["share"] = long["weight"] / long.groupby("account_id")["weight"].transform("sum")
    long["contribution"] = long["share"] * long["score"]
    long = long.sort_values(["account_id", "contribution"], ascending=[True, False])
    return long.reset_index(drop=True)


def _fit(assigned: pd.Series, suggested: pd.Series) -> pd.Series:
    rank = {t: i for i, t in enumerate(TIERS, 1)}
    a, s = assigned.map(rank), suggested.map(rank)
    fit = pd.Series(None, index=assigned.index, dtype=object)
    fit[a.isna()] = "unassigned"
    fit[a == s] = "match"
    fit[a > s] = "under-served"
    fit[a < s] = "over-served"
    fit[s.isna()] = None
    return fit


def _assemble(
    table: pd.DataFrame,
    w: dict[str, float],
    crit: list[str],
    qi: int | None,
    settings: Settings,
    notes: list[str],
    by_revenue: pd.Series | None = None,
    revenue_rule_text: str = "",
) -> TierScores:
    table["criteria"] = table[crit].notna().sum(axis=1).astype(int)
    table["tier_score"] = table.pop("tier_score").astype(float)
    if by_revenue is None:
        table["suggested_tier"] = _suggest(
            table["tier_score"], settings.tier1_min, settings.tier2_min
        )
        basis = "score"
        rule = (
            f"Suggested tier from the tier score: Tier 1 at {settings.tier1_min:g} or above, "
            f"Tier 2 at {settings.tier2_min:g} or above, else Tier 3."
        )
    else:
        table["suggested_tier"] = by_revenue.astype(object)
        basis, rule = "revenue", revenue_rule_text
    table["fit"] = _fit(table["assigned_tier"], table["suggested_tier"])
    table["fit_text"] = table["fit"].map(FIT_TEXT)
    table = table.rename_axis("account_id").reset_index()
    table = table.sort_values(
        ["tier_score", "ttm", "account_id"], ascending=[False, False, True], na_position="last"
    )
    return TierScores(
        table=table.reset_index(drop=True),
        weights={c: w[c] for c in crit},
        criteria=crit,
        quarter=qi,
        tier1_min=settings.tier1_min,
        tier2_min=settings.tier2_min,
        notes=notes,
        basis=basis,
        rule=rule,
    )


def tier_breakdown(ts: TierScores, account_id: str) -> pd.DataFrame:
    """Why an account gets its score: criterion, label, score, weight, share, contribution
    (points of the tier score), sorted by contribution desc. Empty when the account is unknown."""
    p = ts.parts[ts.parts["account_id"] == account_id].drop(columns="account_id")
    key = p.assign(_c=p["contribution"].round(9))  # equal contributions: bigger weight first
    key = key.sort_values(["_c", "weight"], ascending=False)
    return key.drop(columns="_c").reset_index(drop=True)


def _pts(x: float) -> str:
    return f"{x:.2f}"


def tier_explanation(ts: TierScores, account_id: str) -> str:
    """One line: 'Tier 1 (score 4.17 ≥ 3.80): expansion potential 5 × 33% = 1.67 · ...'."""
    row = ts.table[ts.table["account_id"] == account_id]
    if row.empty:
        return f"{account_id}: not in this portfolio"
    r = row.iloc[0]
    if pd.isna(r["tier_score"]):
        return f"{r['account_id']}: no tiering criteria scored"
    if ts.revenue_alone:
        rank = r.get("revenue_rank")
        where = "no TTM revenue" if pd.isna(rank) else f"#{int(rank):,} by TTM revenue"
        return f"{r['suggested_tier']} ({where}; revenue alone: {ts.rule})"
    score, tier = float(r["tier_score"]), r["suggested_tier"]
    t1, t2 = ts.tier1_min, ts.tier2_min
    if tier == "Tier 1":
        band = f"≥ {_pts(t1)}"
    elif tier == "Tier 2":
        band = f"≥ {_pts(t2)}, < {_pts(t1)}"
    else:
        band = f"< {_pts(t2)}"
    b = tier_breakdown(ts, account_id)
    terms = " · ".join(
        f"{lab} {s:g} × {sh:.0%} = {_pts(c)}"
        for lab, s, sh, c in zip(b["label"], b["score"], b["share"], b["contribution"], strict=True)
    )
    text = f"{tier} (score {_pts(score)} {band}): {terms}"
    absent = [c for c in ts.criteria if c not in set(b["criterion"])]
    if absent:
        text += f"; not scored: {', '.join(label(c) for c in absent)} (weights renormalised)"
    return text


def tier_moves(before: TierScores, after: TierScores) -> pd.DataFrame:
    """Accounts whose suggested tier differs between two scorings (e.g. settings vs what-if
    weights): from_tier, to_tier, count, account_ids, accounts (names), sorted by from, to."""
    cols = ["from_tier", "to_tier", "count", "account_ids", "accounts"]
    a = before.table[["account_id", "account_name", "suggested_tier"]]
    b = after.table[["account_id", "suggested_tier"]]
    m = a.merge(b, on="account_id", suffixes=("_from", "_to"))
    m["from_tier"] = m.pop("suggested_tier_from").fillna("not scored")
    m["to_tier"] = m.pop("suggested_tier_to").fillna("not scored")
    m = m[m["from_tier"] != m["to_tier"]]
    if m.empty:
        return pd.DataFrame(columns=cols)
    m = m.sort_values("account_id")
    m["name"] = m["account_name"].fillna(m["account_id"])
    g = m.groupby(["from_tier", "to_tier"], sort=True)
    out = g.agg(
        count=("account_id", "size"), account_ids=("account_id", list), accounts=("name", list)
    )
    return out.reset_index()[cols]


def what_if(
    con: duckdb.DuckDBPyConnection, settings: Settings, weights: Mapping[str, float]
) -> tuple[TierScores, pd.DataFrame] | Missing:
    """Re-score with `weights` (settings untouched); the scores and the moves vs the settings."""
    base = tier_scores(con, settings)
    if isinstance(base, Missing):
        return base
    new = tier_scores(con, settings, weights=weights, qi=base.quarter)
    if isinstance(new, Missing):
        return new
    return new, tier_moves(base, new)


def tier_heatmap(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    dimension: str = "region",
    value: str = "revenue",
    tiers: TierScores | None = None,
    qi: int | None = None,
) -> pd.DataFrame | Missing:
    """Tier x dimension table: index tier ('Tier 1'..'Tier 3', 'Unassigned'), one column per
    value of `dimension` (region / industry / owner / segment; '(none)' for blanks) and a last
    column 'All'. Values: 'revenue' = sum TTM(Q); 'nrr' = the cell's accounts' NRR(Q) from
    `retention.cohort_retention` (settings.retention_basis, NaN where undefined: no cohort or
    too short a history); 'count' = number of accounts. Q: `qi`, else the quarter `tiers`
    was scored on, else the last complete one. Tier: the assigned one, or the suggested one
    when `tiers` (a TierScores) is given."""
    if dimension not in HEATMAP_DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(HEATMAP_DIMENSIONS)}")
    if value not in HEATMAP_VALUES:
        raise ValueError(f"value must be one of {', '.join(HEATMAP_VALUES)}")
    miss = require(con, "accounts", "the tier heatmap")
    if value != "count":
        miss = miss or require(con, "revenue", f"the tier heatmap by {value}")
    if miss:
        return miss
    d = quote_ident(dimension)
    df = frame(
        con,
        f"SELECT account_id, tier, coalesce(nullif(trim({d}), ''), '{NONE_LABEL}') AS dim "
        "FROM accounts",
    )
    if tiers is not None:
        df["tier"] = df["account_id"].map(tiers.table.set_index("account_id")["suggested_tier"])
    df["tier"] = df["tier"].fillna(UNASSIGNED)
    both = pd.concat([df, df.assign(dim="All")], ignore_index=True)
    if value == "count":
        cell = both.groupby(["tier", "dim"]).size()
    else:
        if qi is None and tiers is not None:
            qi = tiers.quarter
        ctx = period_context(con, settings)
        qi = ctx.last_complete if qi is None else qi
        if qi is None:
            return Missing("revenue", "no complete quarter of revenue: tier heatmap not shown")
        cell = _revenue_cells(con, settings, both, qi, value, ctx)
        if isinstance(cell, Missing):
            return cell
    return _layout(cell.unstack("dim"), dimension, value)


def _revenue_cells(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    both: pd.DataFrame,
    qi: int,
    value: str,
    ctx: PeriodContext,
) -> pd.Series | Missing:
    """Per (tier, dim) of `both` (account_id, tier, dim): sum TTM(qi), or NRR(qi) asked of
    retention."""
    if value == "nrr":
        nrr = cohort_retention(con, settings, both, qi, ctx=ctx)
        if isinstance(nrr, Missing):
            return nrr
        cells = both[["tier", "dim"]].drop_duplicates().merge(nrr, how="left")
        return cells.set_index(["tier", "dim"])["nrr"].astype(float)
    ttm = frame(
        con, f"SELECT account_id, ttm FROM {account_quarters(con, settings)} WHERE q = ?", [qi]
    )
    both = both.merge(ttm, on="account_id", how="left").fillna({"ttm": 0.0})
    return both.groupby(["tier", "dim"])["ttm"].sum()


def _layout(out: pd.DataFrame, dimension: str, value: str) -> pd.DataFrame:
    """Tiers in the one tier order (`fmt.tier_key`: Tier 1-3, other labels, Unassigned);
    dimension values sorted, '(none)' and 'All' last."""
    dims = sorted(c for c in out.columns if c not in ("All", NONE_LABEL))
    dims += [c for c in (NONE_LABEL, "All") if c in out.columns]
    out = out.reindex(index=sorted(out.index, key=tier_key), columns=dims)
    if value in ("revenue", "count"):
        out = out.fillna(0)
        if value == "count":
            out = out.astype(int)
    out.index.name = "tier"
    out.columns.name = dimension
    return out
