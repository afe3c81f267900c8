"""Retention: quarter and TTM revenue, NRR / GRR, the revenue bridge, the attention list.

Definitions (design brief, "Metric definitions"):

- Quarter revenue rev(a, Q) = sum of account a's amounts dated in fiscal quarter Q.
- TTM(a, Q) = rev(a, Q-3) + rev(a, Q-2) + rev(a, Q-1) + rev(a, Q).
- NRR(Q), TTM basis: cohort = accounts with TTM(a, Q-4) > 0;
  NRR = sum_cohort TTM(a, Q) / sum_cohort TTM(a, Q-4).
- GRR(Q) = sum_cohort min(TTM(a, Q), TTM(a, Q-4)) / sum_cohort TTM(a, Q-4).
- Point-in-time basis: the same with rev(a, Q) and rev(a, Q-4) instead of TTM.

Public helpers other metric modules build on:

- `account_ttm(con, qi, settings)` -> SQL text `SELECT account_id, ttm ...`: TTM per account
  for quarter `qi`, straight from `revenue` (range predicates on `date`). Accounts without a
  revenue row in the window are absent (their TTM is 0). Embed it as a CTE/subquery; it runs
  on any cursor (it only names `revenue`, so it is filtered when the cursor is scoped).
- `account_quarters(con, settings)` -> name of a per-cursor TEMP table
  `(account_id, q, rev)` = quarter revenue per account, built once per cursor and fiscal
  start month and reused by every metric (one scan of `revenue`). Snapshots are immutable;
  if you mutate `revenue` on a cursor, call `clear_cache(con)`.
"""

from __future__ import annotations

import duckdb

from kamdash.db import rows
from kamdash.periods import (
    quarter_sql,
    ttm_bounds,
)
from kamdash.settings import Settings

BASES = ("ttm", "point")
# Dimensions a portfolio can be grouped by: dimension -> SQL expression over `accounts a` and the
# owner -> team map `tm` (see `group_sql`).
DIMENSIONS = ("tier", "owner", "region", "industry", "team")
NO_GROUP = "(none)"  # group label of accounts with no value for the dimension (or no account row)


def account_ttm(con: duckdb.DuckDBPyConnection, qi: int, settings: Settings) -> str:
    """SQL: `SELECT account_id, ttm` with TTM(a, qi) = sum of amounts dated in quarters qi-3..qi.

    Only accounts with a revenue row in the window appear (a missing account has TTM 0).
    `con` is not queried; it is part of the signature so callers can swap in a cached source.
    """
    start, end = ttm_bounds(qi, settings.fiscal_year_start_month)
    # TTM(a, qi) = sum(amount) over date in [start of qi-3, end of qi]
    return (
        "SELECT account_id, sum(amount) AS ttm FROM revenue "
        f"WHERE date >= DATE '{start.isoformat()}' AND date <= DATE '{end.isoformat()}' "
        "AND account_id IS NOT NULL AND amount IS NOT NULL GROUP BY account_id"
    )


def _aq_name(settings: Settings) -> str:
    return f"_kd_aq_{int(settings.fiscal_year_start_month)}"


def account_quarters(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """Name (`temp.main._kd_aq_<fy>`) of the per-cursor table of quarter revenue per account.

    Columns: account_id VARCHAR, q BIGINT (quarter index, see periods.py), rev DOUBLE.
    Built on first use with one scan of `revenue` (rows with a NULL account, date or amount are
    ignored), then reused by every metric on the same cursor.
    """
    name = _aq_name(settings)
    q = quarter_sql("date", settings.fiscal_year_start_month)
    # rev(a, Q) = sum(amount) of a's rows dated in Q
    con.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {name} AS "
        f"SELECT account_id, {q} AS q, sum(amount) AS rev FROM revenue "
        "WHERE account_id IS NOT NULL AND date IS NOT NULL AND amount IS NOT NULL "
        "GROUP BY ALL"
    )
    return f"temp.main.{name}"


def clear_cache(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the cached per-cursor aggregates (only needed if `revenue` changed on this cursor)."""
    for (name,) in rows(
        con,
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = 'temp' AND table_name LIKE '\\_kd\\_aq\\_%' ESCAPE '\\'",
    ):
        con.execute(f"DROP TABLE IF EXISTS temp.main.{name}")
