"""Revenue concentration: top 10% / 20% share, HHI and the Pareto curve.

Definitions (design brief): on TTM revenue of a quarter (default: the last complete one), over
the active accounts (TTM > 0), n of them, total T = sum TTM:

- top-k% share (k in TOP_PERCENTS: 10, 20) = sum of the TTM of the m largest accounts / T,
  m = round(n * k%) half up (computed exactly as (k * n + 50) // 100), at least 1.
- HHI = sum over accounts of (100 * TTM(a) / T)^2, from ~0 (dispersed) to 10,000 (one account).
- Pareto curve: accounts ranked by TTM, cumulative share of accounts vs of revenue.

Ties: accounts are ranked by TTM desc, then account_id asc, so ranks are deterministic; the
top-m share does not depend on which of several equal-TTM accounts is picked at the cut.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from kamdash.core.db import frame
from kamdash.core.missing import Missing, require
from kamdash.core.periods import PeriodContext, period_context, quarter_label
from kamdash.core.settings import Settings
from kamdash.metrics.grid import account_quarters, grouped_grid, nullable

TOP_PERCENTS = (10, 20)  # the top shares of accounts whose revenue share is reported


def _ranked_sql(con, aq: str, qi: int, by: str | None) -> str:
    return f"""
    -- TTM(a, qi) = sum rev(a, qi-3..qi); active accounts only (TTM > 0)
    WITH t AS (SELECT grp, account_id, ttm FROM {grouped_grid(con, aq, by)}
               WHERE q = {qi} AND ttm > 0)
    SELECT grp, account_id, ttm,
        row_number() OVER (PARTITION BY grp ORDER BY ttm DESC, account_id) AS rank,
        count(*) OVER (PARTITION BY grp) AS n,
        sum(ttm) OVER (PARTITION BY grp) AS total
    FROM t
    """


def concentration(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    by: str | None = None,
    qi: int | None = None,
    ctx: PeriodContext | None = None,
) -> pd.DataFrame | Missing:
    """One row (per group of `by`): [group], quarter, period (label), accounts (n active),
    ttm_total, top10_accounts, top10_share, top20_accounts, top20_share, hhi.
    Without active accounts the portfolio row has n = 0 and None figures; without any
    quarter of data, no row. Missing without a revenue table."""
    miss = require(con, "revenue", "concentration")
    if miss:
        return miss
    ctx = ctx or period_context(con, settings)
    qi = ctx.last_complete if qi is None else qi
    tops = [c for p in TOP_PERCENTS for c in (f"top{p}_accounts", f"top{p}_share")]
    if qi is None:
        cols = ["quarter", "period", "accounts", "ttm_total", *tops, "hhi"]
        return pd.DataFrame(columns=(["group"] if by else []) + cols)
    aq = account_quarters(con, settings)
    # m_p = max(1, round_half_up(n * p / 100)); top p% share = sum TTM of ranks 1..m_p / T
    ms = ", ".join(f"greatest(1, ({p} * n + 50) // 100) AS m{p}" for p in TOP_PERCENTS)
    shares = ", ".join(
        f"any_value(m{p}) AS top{p}_accounts, "
        f"sum(ttm) FILTER (rank <= m{p}) / any_value(total) AS top{p}_share"
        for p in TOP_PERCENTS
    )
    sql = f"""
    WITH r AS ({_ranked_sql(con, aq, qi, by)}),
    m AS (SELECT *, {ms} FROM r)
    SELECT grp AS "group", any_value(n) AS accounts, any_value(total) AS ttm_total, {shares},
        -- HHI = sum (100 * TTM / T)^2
        sum(power(100 * ttm / total, 2)) AS hhi
    FROM m GROUP BY grp ORDER BY grp
    """
    df = frame(con, sql)
    if by is None:
        df = df.drop(columns="group")
        if df.empty:  # no active account: n = 0, nothing to share
            df.loc[0] = [0, 0.0, *[0, None] * len(TOP_PERCENTS), None]
    df.insert(1 if by else 0, "quarter", qi)
    df.insert(2 if by else 1, "period", quarter_label(qi, ctx.fy_start))
    for c in [*tops[1::2], "hhi"]:
        df[c] = nullable(df[c])
    return df.reset_index(drop=True)


def pareto(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    by: str | None = None,
    qi: int | None = None,
    ctx: PeriodContext | None = None,
) -> pd.DataFrame | Missing:
    """Pareto curve points (per group of `by`): [group], rank (1 = largest TTM), account_id,
    ttm, cum_accounts_share = rank / n, cum_revenue_share = sum TTM of ranks 1..rank / T.
    Missing without a revenue table."""
    miss = require(con, "revenue", "the Pareto curve")
    if miss:
        return miss
    ctx = ctx or period_context(con, settings)
    qi = ctx.last_complete if qi is None else qi
    cols = ["rank", "account_id", "ttm", "cum_accounts_share", "cum_revenue_share"]
    if qi is None:
        return pd.DataFrame(columns=(["group"] if by else []) + cols)
    aq = account_quarters(con, settings)
    sql = f"""
    WITH r AS ({_ranked_sql(con, aq, qi, by)})
    SELECT grp AS "group", rank, account_id, ttm,
        rank / n AS cum_accounts_share,
        -- cumulative revenue share = sum_{{rank' <= rank}} TTM / T
        sum(ttm) OVER (PARTITION BY grp ORDER BY rank) / total AS cum_revenue_share
    FROM r ORDER BY grp, rank
    """
    df = frame(con, sql)
    if by is None:
        df = df.drop(columns="group")
    return df
