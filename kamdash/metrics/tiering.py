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
- Fit: assigned tier vs suggested: "match"; "under-served" (assigned lower than suggested,
  e.g. assigned Tier 3, suggested Tier 1); "over-served" (assigned higher than suggested);
  "unassigned" (no assigned tier); None when the account has no score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from kamdash.core.db import columns, frame, has_table, quote_ident, rows, unfiltered
from kamdash.core.missing import Missing
from kamdash.core.periods import period_context, ttm_bounds
from kamdash.core.settings import Settings

TIERS = ("Tier 1", "Tier 2", "Tier 3")
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
    parts: pd.DataFrame
    weights: dict[str, float]
    criteria: list[str]  # criteria scored (weight > 0 and data present), in weight order
    quarter: int | None  # quarter index of the TTM used for current_revenue
    tier1_min: float
    tier2_min: float
    notes: list[str] = field(default_factory=list)


def _weights(settings: Settings, override: Mapping[str, float] | None) -> dict[str, float]:
    w = dict(settings.tier_weights)
    if override:
        w.update({k: float(v) for k, v in override.items()})
    return w


def tier_scores(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    weights: Mapping[str, float] | None = None,
    qi: int | None = None,
) -> TierScores | Missing:
    """Score every account. `weights` overrides (some of) `settings.tier_weights` for a what-if
    (nothing is written); `qi` is the quarter whose TTM scores current revenue (default: the
    last complete quarter)."""
    if not has_table(con, "accounts"):
        return Missing("accounts", "no accounts sheet in this extract: tiers not shown")
    w = _weights(settings, weights)
    notes: list[str] = []
    score_cols = (
        list(dict.fromkeys(c for c in columns(con, "scores") if c != "account_id"))
        if has_table(con, "scores")
        else []
    )
    if score_cols:  # only criteria the extract provides (a canonical column may be all NULL)
        counts = rows(
            con,
            "SELECT "
            + ", ".join(f"count(TRY_CAST({quote_ident(c)} AS DOUBLE))" for c in score_cols)
            + " FROM scores",
        )[0]
        score_cols = [c for c, n in zip(score_cols, counts, strict=True) if n]
    if not score_cols:
        notes.append(
            "no tiering criteria in the scores sheet: tiers use current revenue only"
            if has_table(con, "scores")
            else "no scores sheet in this extract: tiers use current revenue only"
        )
    use_revenue = w.get(CURRENT_REVENUE, 0) > 0 and has_table(con, "revenue")
    if use_revenue and qi is None:
        qi = period_context(con, settings).last_complete
    if w.get(CURRENT_REVENUE, 0) > 0 and (not use_revenue or qi is None):
        use_revenue = False
        notes.append("no revenue for a complete quarter: current revenue is not scored")
    crit = [
        c
        for c, wt in sorted(w.items(), key=lambda kv: -kv[1])
        if wt > 0 and (c in score_cols or (c == CURRENT_REVENUE and use_revenue))
    ]
    unknown = [c for c, wt in w.items() if wt > 0 and c not in score_cols and c != CURRENT_REVENUE]
    if unknown and score_cols:
        notes.append(
            "weighted but not in the scores sheet: " + ", ".join(label(c) for c in sorted(unknown))
        )
    if not crit:
        return Missing("scores", "no scores sheet and no revenue in this extract: tiers not shown")

    sheet_crit = [c for c in crit if c != CURRENT_REVENUE]
    ctes, parts_sql = [], []
    if use_revenue:
        start, end = ttm_bounds(qi, settings.fiscal_year_start_month)
        # TTM(a) = Σ amount dated in Q-3..Q, over the whole portfolio (unfiltered) so that a
        # filter never changes an account's quintile
        ctes.append(
            f"ttm AS (SELECT account_id, sum(amount) AS ttm FROM {unfiltered(con, 'revenue')} "
            f"WHERE date >= DATE '{start}' AND date <= DATE '{end}' GROUP BY account_id)"
        )
        ctes.append(
            "act AS (SELECT account_id, ttm, count(*) OVER (ORDER BY ttm) AS k, "
            "count(*) OVER () AS n FROM ttm WHERE ttm > 0)"
        )
        parts_sql.append(
            f"SELECT a.account_id, '{CURRENT_REVENUE}' AS criterion, "
            "coalesce((5 * act.k + act.n - 1) // act.n, 1)::DOUBLE AS score "
            "FROM accounts a LEFT JOIN act USING (account_id)"
        )
    else:
        ctes.append("ttm AS (SELECT NULL::VARCHAR AS account_id, NULL::DOUBLE AS ttm WHERE false)")
    if sheet_crit:
        avgs = ", ".join(
            f"avg(TRY_CAST({quote_ident(c)} AS DOUBLE)) AS {quote_ident(c)}" for c in sheet_crit
        )
        ctes.append(f"sc AS (SELECT account_id, {avgs} FROM scores GROUP BY account_id)")
        on = ", ".join(quote_ident(c) for c in sheet_crit)
        parts_sql.append(
            "SELECT account_id, criterion, score FROM "
            f"(UNPIVOT sc ON {on} INTO NAME criterion VALUE score) WHERE score IS NOT NULL"
        )
    values = ", ".join("(?, ?)" for _ in crit)
    params: list = [x for c in crit for x in (c, float(w[c]))]
    ctes.append(f"w(criterion, weight) AS (VALUES {values})")
    ctes.append(f"crit AS ({' UNION ALL '.join(parts_sql)})")
    # tier score(a) = Σ_i w_i·s_i / Σ_i w_i over the criteria i account a has (current revenue
    # s = ceil(5·k/n) by TTM rank among active accounts, 1 without TTM); contribution_i = w_i·s_i/Σw
    sql = f"""
        WITH {", ".join(ctes)},
        parts AS (
            SELECT c.account_id, c.criterion, c.score, w.weight,
                   w.weight / sum(w.weight) OVER (PARTITION BY c.account_id) AS share
            FROM crit c JOIN w USING (criterion)
        )
        SELECT a.account_id, a.account_name, a.owner, a.region, a.industry,
               a.tier AS assigned_tier, coalesce(t.ttm, 0) AS ttm,
               p.criterion, p.score, p.weight, p.share, p.share * p.score AS contribution,
               sum(p.share * p.score) OVER (PARTITION BY a.account_id) AS tier_score
        FROM accounts a
        LEFT JOIN ttm t USING (account_id)
        LEFT JOIN parts p USING (account_id)
    """
    long = frame(con, sql, params)
    return _assemble(long, w, crit, qi if use_revenue else None, settings, notes)


def _suggest(score: pd.Series, t1: float, t2: float) -> pd.Series:
    s = score.round(9)
    out = pd.Series(None, index=score.index, dtype=object)
    out[s >= t1] = "Tier 1"
    out[(s >= t2) & (s < t1)] = "Tier 2"
    out[s < t2] = "Tier 3"
    return out


def _assemble(
    long: pd.DataFrame,
    w: dict[str, float],
    crit: list[str],
    qi: int | None,
    settings: Settings,
    notes: list[str],
) -> TierScores:
    info_cols = [
        "account_id",
        "account_name",
        "owner",
        "region",
        "industry",
        "assigned_tier",
        "ttm",
        "tier_score",
    ]
    table = long[info_cols].drop_duplicates("account_id").set_index("account_id")
    parts = long[long["criterion"].notna()][
        ["account_id", "criterion", "score", "weight", "share", "contribution"]
    ].copy()
    parts.insert(2, "label", parts["criterion"].map(label))
    wide = parts.pivot_table(
        index="account_id", columns="criterion", values="score", aggfunc="first"
    )
    for c in crit:
        table[c] = wide[c] if c in wide.columns else float("nan")
    table["criteria"] = parts.groupby("account_id").size().reindex(table.index).fillna(0)
    table["criteria"] = table["criteria"].astype(int)
    table["tier_score"] = table.pop("tier_score").astype(float)
    table["suggested_tier"] = _suggest(table["tier_score"], settings.tier1_min, settings.tier2_min)
    rank = {t: i for i, t in enumerate(TIERS, 1)}
    a = table["assigned_tier"].map(rank)
    s = table["suggested_tier"].map(rank)
    fit = pd.Series(None, index=table.index, dtype=object)
    fit[a.isna()] = "unassigned"
    fit[a == s] = "match"
    fit[a > s] = "under-served"
    fit[a < s] = "over-served"
    fit[s.isna()] = None
    table["fit"] = fit
    table["fit_text"] = fit.map(FIT_TEXT)
    table = table.reset_index().sort_values(
        ["tier_score", "ttm", "account_id"], ascending=[False, False, True], na_position="last"
    )
    parts = parts.sort_values(["account_id", "contribution"], ascending=[True, False])
    return TierScores(
        table=table.reset_index(drop=True),
        parts=parts.reset_index(drop=True),
        weights={c: w[c] for c in crit},
        criteria=crit,
        quarter=qi,
        tier1_min=settings.tier1_min,
        tier2_min=settings.tier2_min,
        notes=notes,
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
    column 'All'. Values: 'revenue' = Σ TTM(Q); 'nrr' = Σ TTM(Q) / Σ TTM(Q-4) over the cell's
    accounts with TTM(Q-4) > 0 (NaN without such accounts); 'count' = number of accounts.
    Tier: the assigned one, or the suggested one when `tiers` (a TierScores) is given."""
    if dimension not in HEATMAP_DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(HEATMAP_DIMENSIONS)}")
    if value not in HEATMAP_VALUES:
        raise ValueError(f"value must be one of {', '.join(HEATMAP_VALUES)}")
    if not has_table(con, "accounts"):
        return Missing("accounts", "no accounts sheet in this extract: tier heatmap not shown")
    need_rev = value != "count"
    if need_rev and not has_table(con, "revenue"):
        return Missing("revenue", "no revenue in this extract: tier heatmap by revenue not shown")
    fy = settings.fiscal_year_start_month
    if need_rev:
        if qi is None:
            qi = tiers.quarter if tiers is not None and tiers.quarter is not None else None
        if qi is None:
            qi = period_context(con, settings).last_complete
        if qi is None:
            return Missing("revenue", "no complete quarter of revenue: tier heatmap not shown")
        s0, e0 = ttm_bounds(qi, fy)
        s1, e1 = ttm_bounds(qi - 4, fy)
        # TTM(Q) = Σ amount in Q-3..Q; TTM(Q-4) = Σ amount in Q-7..Q-4 (one scan of revenue)
        rev = (
            "SELECT account_id, sum(amount) FILTER (WHERE date >= ? AND date <= ?) AS ttm, "
            "sum(amount) FILTER (WHERE date >= ? AND date <= ?) AS ttm_prev FROM revenue "
            "WHERE date >= ? AND date <= ? GROUP BY account_id"
        )
        params = [s0, e0, s1, e1, s1, e0]
    else:
        rev = "SELECT NULL::VARCHAR AS account_id, 0.0 AS ttm, 0.0 AS ttm_prev WHERE false"
        params = []
    d = quote_ident(dimension)
    # per account: its tier, its dimension value, TTM(Q), TTM(Q-4)
    df = frame(
        con,
        f"SELECT a.account_id, a.tier, coalesce(nullif(trim(a.{d}), ''), '{NONE_LABEL}') AS dim, "
        "coalesce(r.ttm, 0) AS ttm, coalesce(r.ttm_prev, 0) AS ttm_prev "
        f"FROM accounts a LEFT JOIN ({rev}) r USING (account_id)",
        params,
    )
    if tiers is not None:
        df["tier"] = df["account_id"].map(tiers.table.set_index("account_id")["suggested_tier"])
    df["tier"] = df["tier"].fillna(UNASSIGNED)
    # NRR cell = Σ TTM(Q) / Σ TTM(Q-4) over the cell's accounts with TTM(Q-4) > 0
    cohort = df["ttm_prev"] > 0
    df["num"] = df["ttm"].where(cohort, 0.0)
    df["den"] = df["ttm_prev"].where(cohort, 0.0)
    all_df = df.assign(dim="All")
    both = pd.concat([df, all_df], ignore_index=True)
    g = both.groupby(["tier", "dim"])
    if value == "revenue":
        cell = g["ttm"].sum()
    elif value == "count":
        cell = g.size()
    else:
        sums = g[["num", "den"]].sum()
        cell = (sums["num"] / sums["den"].where(sums["den"] > 0)).astype(float)
    out = cell.unstack("dim")
    dims = sorted(c for c in out.columns if c not in ("All", NONE_LABEL))
    dims += [c for c in (NONE_LABEL, "All") if c in out.columns]
    order = [t for t in (*TIERS, UNASSIGNED) if t in out.index]
    order += sorted(t for t in out.index if t not in order)
    out = out.reindex(index=order, columns=dims)
    if value in ("revenue", "count"):
        out = out.fillna(0)
        if value == "count":
            out = out.astype(int)
    out.index.name = "tier"
    out.columns.name = dimension
    return out
