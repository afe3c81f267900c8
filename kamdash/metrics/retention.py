"""Retention: quarter and TTM revenue, NRR / GRR (portfolio, per group, per cohort of
accounts), the revenue bridge, account growth.

Definitions (design brief, "Metric definitions"):

- Quarter revenue rev(a, Q) = sum of account a's amounts dated in fiscal quarter Q.
- TTM(a, Q) = rev(a, Q-3) + rev(a, Q-2) + rev(a, Q-1) + rev(a, Q).
- NRR(Q), TTM basis: cohort = accounts with TTM(a, Q-4) > 0;
  NRR = sum_cohort TTM(a, Q) / sum_cohort TTM(a, Q-4).
- GRR(Q) = sum_cohort min(TTM(a, Q), TTM(a, Q-4)) / sum_cohort TTM(a, Q-4).
- Point-in-time basis: the same with rev(a, Q) and rev(a, Q-4) instead of TTM.
- Defined only where the history exists: TTM basis, quarters Q-7..Q all on or after the first
  quarter with data; point basis, Q-4 on or after it. Undefined (None) otherwise, and for an
  empty cohort.

Every figure reads the account x quarter grid of `grid.account_quarters`. NRR / GRR are
computed here only: the tier heatmap asks `cohort_retention`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pandas as pd

from kamdash.core.db import frame, rows
from kamdash.core.missing import Missing, require
from kamdash.core.periods import (
    PeriodContext,
    is_partial,
    period_context,
    quarter_label,
)
from kamdash.core.settings import Settings
from kamdash.metrics.grid import account_quarters, grouped_grid, nullable, table_exists

BASES = ("ttm", "point")


def resolve_basis(settings: Settings, basis: str | None = None) -> str:
    b = (basis or settings.retention_basis or "ttm").lower()
    if b not in BASES:
        raise ValueError(f'retention basis "{b}": use one of {", ".join(BASES)}')
    return b


def _basis(b: str) -> tuple[str, str, int]:
    """The grid's value and year-ago columns of basis `b`, and how many quarters before Q the
    comparison reads (the history guard)."""
    return ("ttm", "ttm_prev", 7) if b == "ttm" else ("rev", "rev_prev", 4)


def _cohort_sums(b: str) -> str:
    """SQL aggregates over grid rows: n, base, now, kept of the cohort (see the module doc)."""
    v, base, _ = _basis(b)
    # cohort(Q) = accounts with base = v(a, Q-4) > 0 (v = TTM or quarter revenue)
    return f"""count(*) FILTER ({base} > 0) AS n, sum({base}) FILTER ({base} > 0) AS base,
        sum({v}) FILTER ({base} > 0) AS now,
        sum(least({v}, {base})) FILTER ({base} > 0) AS kept"""


def _ratios(history_ok: str) -> str:
    """SQL: NRR = now / base, GRR = kept / base, where the history exists and base > 0."""
    return f"""CASE WHEN {history_ok} AND base > 0 THEN now / base END AS nrr,
        CASE WHEN {history_ok} AND base > 0 THEN kept / base END AS grr"""


WALLET_COLUMNS = ("share_of_wallet", "ttm_covered", "wallet_covered")
_COHORT_COLUMNS = ("nrr", "grr", "cohort_base", "cohort_now", "cohort_kept")


def retention(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    by: str | None = None,
    basis: str | None = None,
    ctx: PeriodContext | None = None,
    with_wallet: bool = False,
) -> pd.DataFrame | Missing:
    """Per quarter (every quarter of the period context), portfolio-wide or per group of `by`.

    Columns: [group], quarter (index), label, partial, revenue (quarter revenue), ttm_revenue,
    nrr, grr, cohort_accounts, cohort_base, cohort_now, cohort_kept, basis; with `with_wallet`
    also the share-of-wallet columns of `wallet.share_of_wallet` (same query, one pass).

    basis: "ttm" or "point" (default `settings.retention_basis`), see the module doc. A group
    is the account's value of `by`; accounts with no value (or revenue without an account row)
    are grouped under "(none)". `partial` marks the quarter containing a partial as-of date:
    its figures are computed from the data so far, never silently passed off as complete.
    Missing without a revenue table; no rows without any quarter of data.
    """
    b = resolve_basis(settings, basis)
    miss = require(con, "revenue", "retention")
    if miss:
        return miss
    ctx = ctx or period_context(con, settings)
    quarters = ctx.quarters()
    if not quarters:
        return _empty_retention(by, with_wallet)
    aq = account_quarters(con, settings)
    first, current = quarters[0], quarters[-1]
    lag = _basis(b)[2]
    sql = f"""
    WITH agg AS (
        SELECT grp, q, sum(rev) AS revenue, sum(ttm) AS ttm_revenue, {_cohort_sums(b)},
            -- group SoW(q) = sum TTM / sum W over active accounts (TTM > 0) with an estimate
            sum(ttm) FILTER (ttm > 0 AND wallet IS NOT NULL) AS ttm_covered,
            sum(wallet) FILTER (ttm > 0 AND wallet IS NOT NULL) AS wallet_covered,
            count(*) FILTER (ttm > 0 AND wallet IS NOT NULL) AS accounts_with_estimate,
            count(*) FILTER (ttm > 0 AND wallet IS NULL) AS accounts_without_estimate
        FROM {grouped_grid(con, aq, by)} WHERE q BETWEEN {first} AND {current} GROUP BY ALL
    ),
    grid AS (SELECT grp, range AS q FROM (SELECT DISTINCT grp FROM agg), range({first}, {current + 1}))
    SELECT grp AS "group", q AS quarter,
        coalesce(revenue, 0) AS revenue, coalesce(ttm_revenue, 0) AS ttm_revenue,
        {_ratios(f"q - {lag} >= {first}")},
        coalesce(n, 0) AS cohort_accounts, base AS cohort_base, now AS cohort_now,
        kept AS cohort_kept,
        ttm_covered / wallet_covered AS share_of_wallet, ttm_covered, wallet_covered,
        coalesce(accounts_with_estimate, 0) AS accounts_with_estimate,
        coalesce(accounts_without_estimate, 0) AS accounts_without_estimate
    FROM grid LEFT JOIN agg USING (grp, q)
    ORDER BY grp, q
    """
    return _shape(frame(con, sql), ctx, b, by, with_wallet)


def _empty_retention(by: str | None, with_wallet: bool = False) -> pd.DataFrame:
    cols = ["quarter", "label", "partial", "revenue", "ttm_revenue", "nrr", "grr"]
    cols += ["cohort_accounts", "cohort_base", "cohort_now", "cohort_kept", "basis"]
    if with_wallet:
        cols += [*WALLET_COLUMNS, "accounts_with_estimate", "accounts_without_estimate"]
    return pd.DataFrame(columns=(["group"] if by else []) + cols)


def _shape(
    df: pd.DataFrame, ctx: PeriodContext, b: str, by: str | None, with_wallet: bool
) -> pd.DataFrame:
    """Labels, partial flags and the basis; undefined figures as None; the wallet columns
    last (or dropped)."""
    fy = ctx.fy_start
    df.insert(2, "label", [quarter_label(int(q), fy) for q in df["quarter"]])
    df.insert(3, "partial", [bool(is_partial(int(q), ctx.as_of, fy)) for q in df["quarter"]])
    df["basis"] = b
    wallet_cols = [*WALLET_COLUMNS, "accounts_with_estimate", "accounts_without_estimate"]
    if with_wallet:
        df = df[[c for c in df.columns if c not in wallet_cols] + wallet_cols]
    else:
        df = df.drop(columns=wallet_cols)
    for c in _COHORT_COLUMNS + (WALLET_COLUMNS if with_wallet else ()):
        df[c] = nullable(df[c])
    if by is None:
        df = df.drop(columns="group")
    return df.reset_index(drop=True)


def cohort_retention(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    groups: pd.DataFrame,
    qi: int,
    basis: str | None = None,
    ctx: PeriodContext | None = None,
) -> pd.DataFrame | Missing:
    """NRR / GRR of quarter `qi` for any grouping of accounts (the tier heatmap's cells).

    `groups`: account_id and one or more text key columns; an account may sit in several
    groups (one row each). Returns the key columns, nrr, grr, cohort_accounts, cohort_base,
    cohort_now, cohort_kept per group with revenue in the grid, on the same definitions,
    basis and history guard as `retention`."""
    b = resolve_basis(settings, basis)
    miss = require(con, "revenue", "retention")
    if miss:
        return miss
    ctx = ctx or period_context(con, settings)
    keys = [c for c in groups.columns if c != "account_id"]
    if ctx.first is None or groups.empty:
        return pd.DataFrame(columns=[*keys, "nrr", "grr", "cohort_accounts", *_COHORT_COLUMNS[2:]])
    aq = account_quarters(con, settings)
    k = [f"k{i}" for i in range(len(keys))]  # the keys in SQL, whatever their names
    unnest = ", ".join(f"unnest(?::VARCHAR[]) AS {n}" for n in ["_id", *k])
    history_ok = qi - _basis(b)[2] >= ctx.first
    sql = f"""
    WITH g AS (SELECT {unnest}),
    agg AS (
        SELECT {", ".join(k)}, {_cohort_sums(b)}
        FROM g JOIN {aq} x ON x.account_id = g._id WHERE x.q = {int(qi)} GROUP BY ALL
    )
    SELECT {", ".join(k)}, {_ratios(str(history_ok))}, n AS cohort_accounts,
        base AS cohort_base, now AS cohort_now, kept AS cohort_kept
    FROM agg
    """
    params = [[None if pd.isna(v) else str(v) for v in groups[c]] for c in ["account_id", *keys]]
    df = frame(con, sql, params).rename(columns=dict(zip(k, keys, strict=True)))
    for c in _COHORT_COLUMNS:
        df[c] = nullable(df[c])
    return df


BRIDGE_CATEGORIES = ("new", "expansion", "reactivation", "contraction", "churn", "unchanged")


@dataclass(frozen=True)
class RevenueBridge:
    kind: str  # "quarter" or "ttm"
    start: int  # quarter index (TTM: the window ending with it)
    end: int
    start_label: str
    end_label: str
    exact: dict[str, Decimal]  # start, new, expansion, reactivation, contraction, churn, end
    accounts: pd.DataFrame  # account_id, start, end, change, category

    @property
    def totals(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.exact.items()}

    def counts(self) -> dict[str, int]:
        vc = self.accounts["category"].value_counts()
        return {c: int(vc.get(c, 0)) for c in BRIDGE_CATEGORIES}


def revenue_bridge(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    start: int,
    end: int,
    kind: str = "ttm",
) -> RevenueBridge | Missing:
    """Revenue bridge from period `start` to period `end` (quarter indexes, start < end).

    kind "quarter": s = rev(a, start), e = rev(a, end); kind "ttm": s = TTM(a, start),
    e = TTM(a, end). Per-account values are rounded to 6 decimals (DECIMAL(38, 6)) so that all
    sums are exact. "Earlier" = any quarter before the start period with rev(a, q) > 0.
    Every account with s != 0 or e != 0 lands in exactly one category (amounts >= 0):

    - s > 0, e <= 0          churn        = s - e  (= s when e = 0; a net credit adds to it)
    - s > 0, e > s           expansion    = e - s
    - s > 0, 0 < e < s       contraction  = s - e
    - s > 0, e = s           unchanged    (0)
    - s <= 0, e > 0, earlier reactivation = e - s
    - s <= 0, e > 0, never   new          = e - s
    - s <= 0, e <= 0, e != s dormant account moved by credit notes: expansion (e > s) or
                             contraction (e < s) by |e - s|; e = s: unchanged

    so start + new + expansion + reactivation - contraction - churn = end, exactly.
    """
    if kind not in ("quarter", "ttm"):
        raise ValueError(f'bridge kind "{kind}": use "quarter" or "ttm"')
    if start >= end:
        raise ValueError("the bridge's start period must come before its end period")
    miss = require(con, "revenue", "the revenue bridge")
    if miss:
        return miss
    aq = account_quarters(con, settings)
    per_sql = _bridge_sql(aq, start, end, kind)
    # one small query for the exact totals (and the last quarter of the data), one for the rows
    totals = rows(
        con,
        f"""
        WITH b AS ({per_sql})
        SELECT (SELECT max(q) FROM {aq}), coalesce(sum(s), 0), coalesce(sum(e), 0),
            coalesce(sum(e - s) FILTER (category = 'new'), 0),
            coalesce(sum(e - s) FILTER (category = 'expansion'), 0),
            coalesce(sum(e - s) FILTER (category = 'reactivation'), 0),
            coalesce(sum(s - e) FILTER (category = 'contraction'), 0),
            coalesce(sum(s - e) FILTER (category = 'churn'), 0)
        FROM b
        """,
    )[0]
    if totals[0] is None or end > totals[0]:
        raise ValueError("the bridge's end period is after the last quarter of the data")
    names = ("start", "end", "new", "expansion", "reactivation", "contraction", "churn")
    exact = dict(zip(names, (Decimal(v) for v in totals[1:]), strict=True))
    exact = {k: exact[k] for k in ("start", *BRIDGE_CATEGORIES[:5], "end")}
    per = frame(
        con,
        f'SELECT account_id, s AS "start", e AS "end", change, category '
        f"FROM ({per_sql}) ORDER BY abs(change) DESC, account_id",
    )
    fy = settings.fiscal_year_start_month
    return RevenueBridge(
        kind, start, end, quarter_label(start, fy), quarter_label(end, fy), exact, per
    )


def _bridge_sql(aq: str, start: int, end: int, kind: str) -> str:
    """SQL: one row per account moved between the periods: account_id, s, e, change, category
    (the categories of `revenue_bridge`)."""
    w = 3 if kind == "ttm" else 0  # quarters before the end quarter inside the window
    col = "ttm" if kind == "ttm" else "rev"
    return f"""
    SELECT account_id, s, e, e - s AS change,
        CASE WHEN s > 0 AND e <= 0 THEN 'churn'
             WHEN s > 0 AND e > s THEN 'expansion'
             WHEN s > 0 AND e < s THEN 'contraction'
             WHEN s > 0 THEN 'unchanged'
             WHEN e > 0 AND earlier THEN 'reactivation'
             WHEN e > 0 THEN 'new'
             WHEN e > s THEN 'expansion'
             WHEN e < s THEN 'contraction'
             ELSE 'unchanged' END AS category
    FROM (
        -- s = v(a, start), e = v(a, end), v = TTM or quarter revenue; earlier = any quarter
        -- before the start window with rev > 0
        SELECT account_id,
            CAST(coalesce(max({col}) FILTER (q = {start}), 0) AS DECIMAL(38, 6)) AS s,
            CAST(coalesce(max({col}) FILTER (q = {end}), 0) AS DECIMAL(38, 6)) AS e,
            coalesce(min(first_pos) < {start - w}, false) AS earlier
        FROM {aq} WHERE q IN ({start}, {end}) GROUP BY account_id
    ) WHERE s <> 0 OR e <> 0
    """


def account_growth(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    qi: int | None = None,
    ctx: PeriodContext | None = None,
) -> pd.DataFrame | Missing:
    """The "attention" table: per account with revenue, TTM now vs a year before.

    qi defaults to the last complete quarter. Columns: account_id, account_name, owner, tier,
    ttm_now = TTM(a, qi), ttm_prev = TTM(a, qi-4) (None when quarters qi-7..qi-4 are not all
    inside the data), growth = ttm_now / ttm_prev (None when ttm_prev is None or <= 0),
    shrinking = growth < settings.shrinking_ratio. Sorted by ttm_now desc, account_id.
    """
    miss = require(con, "revenue", "account growth")
    if miss:
        return miss
    cols = ["account_id", "account_name", "owner", "tier", "ttm_now", "ttm_prev", "growth"]
    ctx = ctx or period_context(con, settings)
    qi = ctx.last_complete if qi is None else qi
    if qi is None or ctx.first is None:
        return pd.DataFrame(columns=[*cols, "shrinking"])
    aq = account_quarters(con, settings)
    prev_ok = qi - 7 >= ctx.first
    names = (
        "SELECT account_id, min(account_name) AS account_name, min(owner) AS owner, "
        "min(tier) AS tier FROM accounts GROUP BY account_id"
        if table_exists(con, "accounts")
        else "SELECT NULL::VARCHAR account_id, NULL::VARCHAR account_name, "
        "NULL::VARCHAR owner, NULL::VARCHAR tier WHERE false"
    )
    sql = f"""
    SELECT t.account_id, n.account_name, n.owner, n.tier, ttm AS ttm_now,
        CASE WHEN {prev_ok} THEN ttm_prev END AS ttm_prev,
        -- growth = TTM(qi) / TTM(qi-4), defined when TTM(qi-4) > 0
        CASE WHEN {prev_ok} AND ttm_prev > 0 THEN ttm / ttm_prev END AS growth
    FROM {aq} t LEFT JOIN ({names}) n ON n.account_id = t.account_id
    WHERE t.q = {qi} AND (ttm <> 0 OR ttm_prev <> 0)
    ORDER BY ttm DESC, t.account_id
    """
    df = frame(con, sql)
    for c in ("ttm_prev", "growth"):
        df[c] = nullable(df[c])
    df["shrinking"] = [g is not None and g < settings.shrinking_ratio for g in df["growth"]]
    return df
