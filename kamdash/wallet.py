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

from kamdash.db import frame, has_table
from kamdash.periods import PeriodContext, is_partial, period_context, quarter_label
from kamdash.retention import NO_GROUP, account_groups_cte, account_quarters, nullable
from kamdash.settings import Settings

QUADRANTS = {
    (True, False): "Grow: large wallet, low share",
    (True, True): "Defend: large wallet, high share",
    (False, True): "Maintain: small wallet, high share",
    (False, False): "Monitor: small wallet, low share",
}


def estimates_sql(settings: Settings) -> str:
    """SQL `SELECT account_id, d, wallet`: one estimate per account and date (d NULL = undated)."""
    fy = int(settings.fiscal_year_start_month)
    shift = 0 if fy == 1 else 1  # fiscal year Y starts in month fy of year Y - shift
    return f"""
    SELECT account_id, d,
        CASE WHEN bool_or(product IS NULL) THEN max(wallet) FILTER (product IS NULL)
             ELSE sum(wallet) END AS wallet
    FROM (
        SELECT account_id, d, product, max(wallet) AS wallet FROM (
            SELECT account_id, product, wallet,
                coalesce(as_of, make_date(CAST(floor(year) AS INTEGER) - {shift}, {fy}, 1)) AS d
            FROM wallet WHERE account_id IS NOT NULL AND wallet IS NOT NULL
        ) GROUP BY ALL
    ) GROUP BY ALL
    """


def _next_quarter_start_sql(q: str, fy: int) -> str:
    # first day of quarter q+1: month index m = 3*(q+1) + fy (= 12*year + month)
    m = f"(3 * ({q} + 1) + {int(fy)} - 1)"
    return f"make_date(CAST({m} // 12 AS INTEGER), CAST({m} % 12 + 1 AS INTEGER), 1)"


def _account_wallet_sql(con, settings: Settings, aq: str, quarters: str) -> str:
    """SQL: per (account, q) for q in `quarters` (a SQL list/range), every account with
    TTM(a, q) != 0 or an estimate: ttm, wallet (usable estimate or NULL), wallet_date."""
    fy = settings.fiscal_year_start_month
    return f"""
    WITH est AS ({estimates_sql(settings)}),
    dated AS (SELECT * FROM est WHERE d IS NOT NULL),
    undated AS (SELECT account_id, max(wallet) AS wallet FROM est WHERE d IS NULL GROUP BY ALL),
    -- TTM(a, q) = sum rev(a, q-3..q)
    ttm AS (
        SELECT account_id, q + k AS q, sum(rev) AS ttm FROM {aq}, range(4) r(k)
        WHERE q + k IN (SELECT unnest({quarters})) GROUP BY ALL
    ),
    grid AS (
        SELECT account_id, q, coalesce(ttm, 0) AS ttm FROM ttm FULL JOIN (
            SELECT DISTINCT account_id, unnest({quarters}) AS q FROM est
        ) USING (account_id, q)
    ),
    g2 AS (SELECT *, {_next_quarter_start_sql("q", fy)} AS q_next FROM grid)
    -- W(a, q) = latest dated estimate with d < first day of q+1, else the undated one
    SELECT g2.account_id, g2.q, g2.ttm,
        CASE WHEN coalesce(dated.wallet, undated.wallet) > 0
             THEN coalesce(dated.wallet, undated.wallet) END AS wallet,
        dated.d AS wallet_date
    FROM g2 ASOF LEFT JOIN dated ON g2.account_id = dated.account_id AND g2.q_next > dated.d
    LEFT JOIN undated ON undated.account_id = g2.account_id
    """


def share_of_wallet(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    by: str | None = None,
    ctx: PeriodContext | None = None,
) -> pd.DataFrame:
    """Per quarter (every quarter of the period context), portfolio-wide or per group of `by`.

    Columns: [group], quarter, label, partial, share_of_wallet (= ttm_covered / wallet_covered,
    None without any covered account), ttm_covered (sum TTM of active accounts with an
    estimate), wallet_covered (their sum of estimates), accounts_with_estimate,
    accounts_without_estimate (active accounts excluded for want of an estimate: "12 accounts
    without a wallet estimate"). No `wallet` table: every share is None and every active
    account counts as without an estimate.
    """
    ctx = ctx or period_context(con, settings)
    quarters = ctx.quarters()
    cols = ["quarter", "label", "partial", "share_of_wallet", "ttm_covered", "wallet_covered"]
    cols += ["accounts_with_estimate", "accounts_without_estimate"]
    if not quarters or not has_table(con, "revenue"):
        return pd.DataFrame(columns=(["group"] if by else []) + cols)
    aq = account_quarters(con, settings)
    first, current = quarters[0], quarters[-1]
    qlist = f"range({first}, {current + 1})"
    if has_table(con, "wallet"):
        aw = _account_wallet_sql(con, settings, aq, qlist)
    else:  # active accounts, no estimate
        aw = (
            f"SELECT account_id, q + k AS q, sum(rev) AS ttm, NULL::DOUBLE AS wallet "
            f"FROM {aq}, range(4) r(k) WHERE q + k BETWEEN {first} AND {current} GROUP BY ALL"
        )
    sql = f"""
    WITH aw AS ({aw}),
    ag AS ({account_groups_cte(con, aq, by)}),
    sq AS (
        -- group SoW(q) = sum TTM / sum W over active accounts (TTM > 0) with an estimate
        SELECT grp, q,
            sum(ttm) FILTER (wallet IS NOT NULL) AS ttm_covered,
            sum(wallet) FILTER (wallet IS NOT NULL) AS wallet_covered,
            count(*) FILTER (wallet IS NOT NULL) AS accounts_with_estimate,
            count(*) FILTER (wallet IS NULL) AS accounts_without_estimate
        FROM aw JOIN ag USING (account_id) WHERE ttm > 0 GROUP BY ALL
    ),
    grid AS (SELECT grp, range AS q FROM (SELECT DISTINCT grp FROM ag), {qlist})
    SELECT grid.grp AS "group", grid.q AS quarter,
        sq.ttm_covered / sq.wallet_covered AS share_of_wallet,
        sq.ttm_covered, sq.wallet_covered,
        coalesce(sq.accounts_with_estimate, 0) AS accounts_with_estimate,
        coalesce(sq.accounts_without_estimate, 0) AS accounts_without_estimate
    FROM grid LEFT JOIN sq USING (grp, q) ORDER BY grid.grp, grid.q
    """
    df = frame(con, sql)
    fy = ctx.fy_start
    df.insert(2, "label", [quarter_label(int(q), fy) for q in df["quarter"]])
    df.insert(3, "partial", [bool(is_partial(int(q), ctx.as_of, fy)) for q in df["quarter"]])
    for c in ("share_of_wallet", "ttm_covered", "wallet_covered"):
        df[c] = nullable(df[c])
    if by is None:
        df = df.drop(columns="group")
    return df.reset_index(drop=True)


def account_share(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    qi: int | None = None,
    ctx: PeriodContext | None = None,
) -> pd.DataFrame:
    """Per account for quarter qi (default: the last complete quarter): account_id,
    account_name, ttm, wallet (the applying estimate, None if none usable), wallet_date (None
    for an undated estimate), share (= ttm / wallet, None without an estimate), active
    (ttm > 0). Accounts with TTM != 0 or an estimate; sorted by ttm desc, account_id."""
    ctx = ctx or period_context(con, settings)
    qi = ctx.last_complete if qi is None else qi
    cols = ["account_id", "account_name", "ttm", "wallet", "wallet_date", "share", "active"]
    if qi is None or not has_table(con, "revenue") or not has_table(con, "wallet"):
        return pd.DataFrame(columns=cols)
    aq = account_quarters(con, settings)
    names = (
        "SELECT account_id, min(account_name) AS account_name FROM accounts GROUP BY ALL"
        if has_table(con, "accounts")
        else "SELECT NULL::VARCHAR AS account_id, NULL::VARCHAR AS account_name WHERE false"
    )
    sql = f"""
    WITH aw AS ({_account_wallet_sql(con, settings, aq, f"[{int(qi)}]")})
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
    df["wallet_date"] = pd.Series(
        [None if pd.isna(v) else pd.Timestamp(v).date() for v in df["wallet_date"]], dtype=object
    )
    return df


def wallet_quadrants(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    qi: int | None = None,
    ctx: PeriodContext | None = None,
) -> pd.DataFrame:
    """Wallet size vs share of wallet, per active account with an estimate (quarter qi,
    default the last complete one): account_id, account_name, wallet, ttm, share, quadrant.

    Split lines: the medians of wallet and share over these accounts (DuckDB `median`, the
    mean of the two middle values for an even count), in `df.attrs["wallet_median"]` and
    `df.attrs["share_median"]`. A value equal to the median counts as large / high.
    Quadrants: "Grow: large wallet, low share", "Defend: large wallet, high share",
    "Maintain: small wallet, high share", "Monitor: small wallet, low share".
    """
    acc = account_share(con, settings, qi, ctx)
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
    "estimates_sql",
    "share_of_wallet",
    "wallet_quadrants",
]
