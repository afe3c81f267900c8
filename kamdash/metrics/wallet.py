"""Share of wallet: our TTM revenue against the customer's wallet estimate.

Definitions (design brief): share of wallet of an account for quarter Q =
TTM(a, Q) / W(a, Q), W = the account's wallet estimate applying to Q; for a group,
SoW = sum TTM(a, Q) / sum W(a, Q) over the group's active accounts (TTM(a, Q) > 0) that have an
estimate. Active accounts without an estimate are excluded and counted.

Which estimate applies to quarter Q (our documented choices):

- An estimate's date is its `as_of`; without one, its `year` Y counts as dated the first day of
  fiscal year Y (Y-01-01 with a January fiscal start; FY2025 starting February is dated
  2024-02-01, fiscal years being named by the year they end in, as in periods.py).
- W(a, Q) = the latest dated estimate dated on or before the last day of Q (an estimate dated
  inside Q applies to Q). When the account has no dated estimate on or before Q, its undated
  estimate (neither as_of nor year) applies, if it has one; otherwise it has no estimate for Q.
- One estimate = the rows of an account with the same date: the row without `product` (a
  total) when there is one, else the sum over products; duplicated rows for the same account,
  date and product count once (the largest).
- An estimate <= 0 is treated as missing (a share of a zero wallet is undefined).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from kamdash.core.db import frame, table_exists
from kamdash.core.missing import Missing, require
from kamdash.core.periods import (
    PeriodContext,
    period_context,
)
from kamdash.core.settings import Settings
from kamdash.metrics.grid import NO_GROUP, account_quarters, nullable, wallet_by_quarter_sql
from kamdash.metrics.retention import retention

QUADRANTS = {
    (True, False): "Grow: large wallet, low share",
    (True, True): "Defend: large wallet, high share",
    (False, True): "Maintain: small wallet, high share",
    (False, False): "Monitor: small wallet, low share",
}


def share_of_wallet(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    by: str | None = None,
    ctx: PeriodContext | None = None,
) -> pd.DataFrame | Missing:
    """Per quarter (every quarter of the period context), portfolio-wide or per group of `by`.

    Columns: [group], quarter, label, partial, share_of_wallet (= ttm_covered / wallet_covered,
    None without any covered account, and None before the first full TTM window), ttm_covered
    (sum TTM of active accounts with an estimate), wallet_covered (their sum of estimates), accounts_with_estimate,
    accounts_without_estimate (active accounts excluded for want of an estimate: "12 accounts
    without a wallet estimate"). Missing without a revenue or a wallet table.
    """
    miss = require(con, "revenue", "share of wallet") or require(con, "wallet", "share of wallet")
    if miss:
        return miss
    ctx = ctx or period_context(con, settings)
    quarters = ctx.quarters()
    cols = ["quarter", "label", "partial", "share_of_wallet", "ttm_covered", "wallet_covered"]
    cols += ["accounts_with_estimate", "accounts_without_estimate"]
    if not quarters:
        return pd.DataFrame(columns=(["group"] if by else []) + cols)
    # the share-of-wallet aggregates are computed with the retention figures, in one pass
    df = retention(con, settings, by=by, ctx=ctx, with_wallet=True)
    # TTM(Q) needs quarters Q-3..Q inside the data: before that the share would understate
    # (a partial year over a yearly wallet), so it is undefined (None), never misleading
    short = df["quarter"] < ctx.first + 3
    df["share_of_wallet"] = df["share_of_wallet"].astype(object).where(~short, None)
    return df[(["group"] if by else []) + cols].reset_index(drop=True)


def account_share(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    qi: int | None = None,
    ctx: PeriodContext | None = None,
) -> pd.DataFrame | Missing:
    """Per account for quarter qi (default: the last complete quarter): account_id,
    account_name, ttm, wallet (the applying estimate, None if none usable), wallet_date (None
    for an undated estimate), share (= ttm / wallet, None without an estimate), active
    (ttm > 0). Accounts with TTM != 0 or an estimate; sorted by ttm desc, account_id.
    Missing without a revenue or a wallet table."""
    miss = require(con, "revenue", "share of wallet") or require(con, "wallet", "share of wallet")
    if miss:
        return miss
    ctx = ctx or period_context(con, settings)
    qi = ctx.last_complete if qi is None else qi
    cols = ["account_id", "account_name", "ttm", "wallet", "wallet_date", "share", "active"]
    if qi is None:
        return pd.DataFrame(columns=cols)
    aq = account_quarters(con, settings)
    names = (
        "SELECT account_id, min(account_name) AS account_name FROM accounts GROUP BY ALL"
        if table_exists(con, "accounts")
        else "SELECT NULL::VARCHAR AS account_id, NULL::VARCHAR AS account_name WHERE false"
    )
    sql = f"""
    WITH bounds AS (SELECT {int(qi)} AS lo, {int(qi)} AS hi),
    wq AS ({wallet_by_quarter_sql(settings, "bounds")}),
    aw AS (
        SELECT coalesce(t.account_id, wq.account_id) AS account_id,
            coalesce(t.ttm, 0) AS ttm, wq.wallet, wq.wallet_date
        FROM (SELECT account_id, ttm FROM {aq} WHERE q = {int(qi)}) t
        FULL JOIN wq ON wq.account_id = t.account_id
    )
    SELECT aw.account_id, n.account_name, ttm, wallet, wallet_date,
        ttm / wallet AS share,  -- SoW(a) = TTM(a, qi) / W(a, qi)
        ttm > 0 AS active
    FROM aw LEFT JOIN ({names}) n USING (account_id)
    WHERE ttm <> 0 OR wallet IS NOT NULL
    ORDER BY ttm DESC, aw.account_id
    """
    df = frame(con, sql)
    for c in ("wallet", "share"):
        df[c] = nullable(df[c])
    d = pd.to_datetime(df["wallet_date"])
    df["wallet_date"] = d.dt.date.astype(object).where(d.notna(), None)
    return df


def wallet_quadrants(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    qi: int | None = None,
    ctx: PeriodContext | None = None,
) -> pd.DataFrame | Missing:
    """Wallet size vs share of wallet, per active account with an estimate (quarter qi,
    default the last complete one): account_id, account_name, wallet, ttm, share, quadrant.

    Split lines: the medians of wallet and share over these accounts (DuckDB `median`, the
    mean of the two middle values for an even count), in `df.attrs["wallet_median"]` and
    `df.attrs["share_median"]`. A value equal to the median counts as large / high.
    Quadrants: "Grow: large wallet, low share", "Defend: large wallet, high share",
    "Maintain: small wallet, high share", "Monitor: small wallet, low share".
    """
    acc = account_share(con, settings, qi, ctx)
    if isinstance(acc, Missing):
        return acc
    acc = acc[acc["active"].astype(bool) & acc["wallet"].notna()].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "account_id": acc["account_id"],
            "account_name": acc["account_name"],
            "wallet": acc["wallet"].astype(float),
            "ttm": acc["ttm"].astype(float),
            "share": acc["share"].astype(float),
        }
    )
    if out.empty:
        out["quadrant"] = pd.Series(dtype=object)
        out.attrs.update(wallet_median=None, share_median=None)
        return out
    wm, sm = float(out["wallet"].median()), float(out["share"].median())
    out["quadrant"] = [
        QUADRANTS[(w >= wm, s >= sm)] for w, s in zip(out["wallet"], out["share"], strict=True)
    ]
    out.attrs.update(wallet_median=wm, share_median=sm)
    return out


__all__ = [
    "NO_GROUP",
    "QUADRANTS",
    "account_share",
    "share_of_wallet",
    "wallet_quadrants",
]
