"""QBR scorecards and plan freshness.

Definitions (design brief, "QBR score"; settings.qbr_weights, rag_green_min, rag_amber_min,
plan_cadence_days):

- QBR score of one review = sum_d w_d * s_d / sum_d w_d over the 1-5 dimensions d present
  (relationship_depth, pipeline_coverage, plan_currency, or any other qbr column given a
  weight). Several rows for one account and date are one review (dimension means, commitment
  sums).
- RAG: green when score >= rag_green_min (4), amber when >= rag_amber_min (3), red below
  (compared after rounding to 9 decimals, so 4.0 computed as 3.9999999999 is green).
- Trend = score - the account's previous QBR score (None for its first QBR).
- Commitments: commitments_done / commitments_due as given, rate = done / due.
- Latest QBR as of a date: the account's last QBR dated on or before it (default: the as-of
  date, `periods.as_of`); a QBR dated later is history not yet written at that date.
- Plan freshness = days from accounts.plan_updated to the as-of date (`periods.as_of`: the
  user-set as-of date, else the latest revenue date; a plan updated after it counts 0 days).
  Stale when beyond the cadence of the account's assigned tier (plan_cadence_days; accounts
  with no or an unknown tier use the Tier 3 cadence); an account with no plan date is stale
  ("no plan date").
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from kamdash.core.db import columns, frame, has_table, numeric_columns, quote_ident, rows
from kamdash.core.missing import Missing, require
from kamdash.core.periods import as_of
from kamdash.core.settings import Settings

RAG = ("green", "amber", "red")


def rag(score: float | None, settings: Settings) -> str | None:
    """RAG band of a QBR score (None for no score)."""
    return rags(pd.Series([score], dtype="float64"), settings).iloc[0]


def rags(scores: pd.Series, settings: Settings) -> pd.Series:
    """RAG band of every score of a Series (None where there is no score); scores are
    rounded to 9 decimals first, so 3.9999999999999996 is green at a green minimum of 4."""
    s = pd.to_numeric(scores, errors="coerce").astype(float).round(9)
    out = np.select(
        [s >= settings.rag_green_min, s >= settings.rag_amber_min, s.notna()],
        ["green", "amber", "red"],
        default=None,
    )
    return pd.Series(out, index=scores.index)


def _dimensions(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[str]:
    """Weighted dimensions the qbr table has values for."""
    cols = set(columns(con, "qbr"))
    dims = [d for d, w in settings.qbr_weights.items() if w > 0 and d in cols]
    return numeric_columns(con, "qbr", dims)


def qbr_scores(
    con: duckdb.DuckDBPyConnection, settings: Settings, upto: dt.date | None = None
) -> pd.DataFrame | Missing:
    """One row per (account, QBR date): account_id, account_name, owner, tier, date, one column
    per dimension (1-5, NaN when absent), dimensions (number present), score, rag, previous,
    trend, commitments_done, commitments_due, commitments_rate, notes. Sorted by account, date.
    Only QBRs dated on or before `upto` when given."""
    miss = require(con, "qbr", "QBR scorecards")
    if miss:
        return miss
    dims = _dimensions(con, settings)
    if not dims:
        return Missing("qbr", "the QBR sheet has no scored dimension: QBR scores not shown")
    w = settings.qbr_weights
    avg = ", ".join(f"avg(TRY_CAST({quote_ident(d)} AS DOUBLE)) AS {quote_ident(d)}" for d in dims)
    num = " + ".join(f"coalesce({w[d]!r} * {quote_ident(d)}, 0)" for d in dims)
    den = " + ".join(f"CASE WHEN {quote_ident(d)} IS NULL THEN 0 ELSE {w[d]!r} END" for d in dims)
    cnt = " + ".join(f"({quote_ident(d)} IS NOT NULL)::INT" for d in dims)
    join = (
        "LEFT JOIN accounts a USING (account_id)"
        if has_table(con, "accounts")
        else "LEFT JOIN (SELECT NULL::VARCHAR AS account_id, NULL::VARCHAR AS account_name, "
        "NULL::VARCHAR AS owner, NULL::VARCHAR AS tier WHERE false) a USING (account_id)"
    )
    # QBR score = Σ_d w_d·s_d / Σ_d w_d over the dimensions d present; trend = score - previous
    sql = f"""
        WITH r AS (
            SELECT account_id, date, {avg},
                   sum(commitments_done) AS commitments_done,
                   sum(commitments_due) AS commitments_due,
                   string_agg(notes, ' / ') AS notes
            FROM qbr WHERE account_id IS NOT NULL AND date IS NOT NULL
            GROUP BY account_id, date
        ),
        s AS (
            SELECT *, ({num}) / nullif({den}, 0) AS score, {cnt} AS dimensions FROM r
        )
        SELECT s.account_id, a.account_name, a.owner, a.tier, s.date,
               {", ".join("s." + quote_ident(d) for d in dims)}, s.dimensions, s.score,
               lag(s.score) OVER (PARTITION BY s.account_id ORDER BY s.date) AS previous,
               s.score - lag(s.score) OVER (PARTITION BY s.account_id ORDER BY s.date) AS trend,
               s.commitments_done, s.commitments_due,
               s.commitments_done / nullif(s.commitments_due, 0) AS commitments_rate, s.notes
        FROM s {join}
        WHERE ?::DATE IS NULL OR s.date <= ?::DATE
        ORDER BY s.account_id, s.date
    """
    df = frame(con, sql, [upto, upto])
    df["rag"] = rags(df["score"], settings)
    df["trend"] = df["trend"].astype(object).where(df["trend"].notna(), None)
    cols = [c for c in df.columns if c not in ("rag", "previous", "trend")]
    at = cols.index("score") + 1
    return df[cols[:at] + ["rag", "previous", "trend"] + cols[at:]]


def latest_qbr(
    con: duckdb.DuckDBPyConnection, settings: Settings, upto: dt.date | None = None
) -> pd.DataFrame | Missing:
    """Each account's latest QBR dated on or before `upto` (default: the as-of date), same
    columns as `qbr_scores`, sorted by score asc."""
    df = qbr_scores(con, settings, upto or as_of(con, settings).date)
    if isinstance(df, Missing):
        return df
    last = df.groupby("account_id", sort=False).tail(1)
    return last.sort_values(["score", "account_id"], na_position="last").reset_index(drop=True)


def plan_freshness(con: duckdb.DuckDBPyConnection, settings: Settings) -> pd.DataFrame | Missing:
    """One row per account: account_id, account_name, owner, tier, plan_updated,
    days_since_plan, cadence_days, stale, status ('fresh', 'stale (214 days)', 'no plan date').
    Missing when the accounts sheet has no plan date at all, or there is no as-of date."""
    miss = require(con, "accounts", "plan freshness")
    if miss:
        return miss
    at = as_of(con, settings).date
    if at is None:
        return Missing("revenue", "no revenue date and no as-of date set: plan freshness not shown")
    if not rows(con, "SELECT 1 FROM accounts WHERE plan_updated IS NOT NULL LIMIT 1"):
        return Missing(
            "accounts.plan_updated",
            "no plan date (plan_updated) in the accounts sheet: plan freshness not shown",
        )
    cadence = dict(settings.plan_cadence_days)
    default = cadence.get("Tier 3", max(cadence.values()) if cadence else 183)
    values = ", ".join("(?, ?)" for _ in cadence) or "(NULL, NULL)"
    params: list = [x for t, d in cadence.items() for x in (t, int(d))]
    # days since plan = as_of - plan_updated (a later plan counts 0 days); stale when beyond
    # the cadence of the assigned tier (else Tier 3)
    sql = f"""
        WITH c(tier, days) AS (VALUES {values})
        SELECT a.account_id, a.account_name, a.owner, a.tier, a.plan_updated,
               date_diff('day', a.plan_updated, ?::DATE) AS days_since_plan,
               coalesce(c.days, ?)::INT AS cadence_days
        FROM accounts a LEFT JOIN c ON c.tier = a.tier
        ORDER BY a.account_id
    """
    df = frame(con, sql, [*params, at, default])
    days = df["days_since_plan"].clip(lower=0)
    df["days_since_plan"] = days.astype("Int64")
    df["stale"] = days.isna() | (days > df["cadence_days"])
    df["status"] = "fresh"
    df.loc[df["stale"], "status"] = (
        "stale (" + days[df["stale"]].astype("Int64").astype(str) + " days)"
    )
    df.loc[days.isna(), "status"] = "no plan date"
    return df
