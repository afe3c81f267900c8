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
- `account_quarters(con, settings)` -> name of a per-cursor TEMP table: the dense
  account x quarter grid `(account_id, q, rev, ttm, rev_prev, ttm_prev, first_pos,
  wallet)`, built once per cursor (one scan of `revenue`) and reused by every metric, so a
  page's whole metric set costs about one scan-and-group of the revenue table. Snapshots are
  immutable; if you mutate `revenue`/`wallet` on a cursor, call `clear_cache(con)`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pandas as pd

from kamdash.db import frame, rows
from kamdash.periods import (
    PeriodContext,
    is_partial,
    period_context,
    quarter_label,
    quarter_of,
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


def _aq_name(settings: Settings) -> tuple[str, int | None]:
    fy = int(settings.fiscal_year_start_month)
    upto = quarter_of(dt.date.fromisoformat(settings.as_of), fy) if settings.as_of else None
    return f"_kd_aq_{fy}" + ("" if upto is None else f"_{upto}"), upto


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether `name` (one of our own table names, never user text) resolves on this cursor:
    a base table, or the temp view / temp table shadowing it. Cheaper than
    information_schema (a metric page asks this often)."""
    try:
        con.execute(f"SELECT 1 FROM {name} LIMIT 0").fetchall()
        return True
    except duckdb.CatalogException:
        return False


def account_quarters(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """Name (`temp.main._kd_aq_<fy>[_<as-of quarter>]`) of the per-cursor account x quarter grid.

    Rows: (account, quarter) pairs, for quarters from the first quarter with data to the last
    (or the user-set as-of quarter if later), where any of the values below comes from a
    revenue row; a missing pair has all of them 0. Columns: account_id VARCHAR, q BIGINT
    (quarter index, see periods.py), rev DOUBLE = rev(a, q), ttm = TTM(a, q),
    rev_prev = rev(a, q-4), ttm_prev = TTM(a, q-4), first_pos = the account's first quarter
    with rev > 0 (NULL if none), wallet DOUBLE = the wallet estimate applying to q (see
    wallet.py; NULL when none or no wallet table).
    Built on first use with one scan of `revenue` (rows with a NULL account, date or amount are
    ignored), then reused by every metric on the same cursor.
    """
    name, upto = _aq_name(settings)
    if table_exists(con, f"temp.main.{name}"):  # built earlier on this cursor
        return f"temp.main.{name}"
    fy = int(settings.fiscal_year_start_month)
    if upto is None and _from_precomputed(con, name, fy):
        return f"temp.main.{name}"
    q = quarter_sql("date", fy)
    hi = "max(q)" if upto is None else f"greatest(max(q), {int(upto)})"
    if table_exists(con, "wallet"):
        from kamdash.wallet import estimates_sql  # (import cycle)

        # W(a, q) = the estimate of the latest quarter qd <= q with a dated estimate (the
        # latest one of that quarter), valid until the account's next such quarter; else the
        # account's undated estimate; <= 0 counts as missing (see wallet.py)
        wallet_cte = f""",
        est AS ({estimates_sql(settings)}),
        dq AS (
            SELECT ids.aid, {quarter_sql("d", fy)} AS qd, arg_max(wallet, d) AS wallet
            FROM est JOIN ids USING (account_id) WHERE d IS NOT NULL GROUP BY ALL
        ),
        wq AS (
            SELECT aid, wallet, unnest(range(greatest(qd, lo), coalesce(least(qnext, hi + 1), hi + 1))) AS q
            FROM (
                SELECT *, lead(qd) OVER (PARTITION BY aid ORDER BY qd) AS qnext
                FROM dq
            ), bounds
        ),
        ud AS (
            SELECT ids.aid, max(wallet) AS wallet
            FROM est JOIN ids USING (account_id) WHERE d IS NULL GROUP BY ALL
        )"""
        wallet_join = "LEFT JOIN wq ON wq.aid = f.aid AND wq.q = f.q LEFT JOIN ud ON ud.aid = f.aid"
        wallet_col = (
            "CASE WHEN coalesce(wq.wallet, ud.wallet) > 0 THEN coalesce(wq.wallet, ud.wallet) END"
        )
    else:
        wallet_cte, wallet_join, wallet_col = "", "", "NULL::DOUBLE"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {name} AS
        -- rev(a, q) = sum(amount) of a's rows dated in quarter q: the one scan of `revenue`;
        -- everything after it works on this small (account, quarter) table, with integer
        -- account keys
        WITH raw AS (
            SELECT account_id, {q} AS q, sum(amount) AS rev FROM revenue
            WHERE account_id IS NOT NULL AND date IS NOT NULL AND amount IS NOT NULL
            GROUP BY ALL
        ),
        bounds AS (SELECT min(q) AS lo, {hi} AS hi FROM raw),
        -- aid = integer key of the account; first_pos = its first quarter with rev > 0
        ids AS (
            SELECT account_id, CAST(row_number() OVER () AS INTEGER) AS aid,
                min(q) FILTER (rev > 0) AS first_pos
            FROM raw GROUP BY account_id
        ),
        r AS (SELECT ids.aid, raw.q, raw.rev FROM raw JOIN ids USING (account_id)),
        -- each rev(a, q) feeds rev(a, q) and TTM(a, q..q+3):
        -- TTM(a, Q) = rev(a, Q-3) + ... + rev(a, Q)
        cur AS (
            SELECT aid, q + k AS q,
                coalesce(sum(rev) FILTER (k = 0), 0) AS rev, sum(rev) AS ttm,
                count(*) FILTER (k = 0) > 0 AS has_rows
            FROM r, bounds, range(4) t(k) WHERE q + k <= hi GROUP BY ALL
        ),
        -- and, four quarters later, rev_prev(a, q+4) and TTM_prev(a, q+4)
        fan AS (
            SELECT coalesce(c.aid, p.aid) AS aid, coalesce(c.q, p.q + 4) AS q,
                coalesce(c.rev, 0) AS rev, coalesce(c.ttm, 0) AS ttm,
                coalesce(p.rev, 0) AS rev_prev, coalesce(p.ttm, 0) AS ttm_prev,
                coalesce(c.has_rows, false) AS has_rows
            FROM cur c FULL JOIN
                (SELECT cur.* FROM cur, bounds WHERE q + 4 <= hi) p
                ON p.aid = c.aid AND p.q + 4 = c.q
        )
        {wallet_cte}
        SELECT ids.account_id, f.q, f.rev, f.ttm, f.rev_prev, f.ttm_prev, ids.first_pos,
            {wallet_col} AS wallet, f.has_rows
        FROM fan f JOIN ids ON ids.aid = f.aid {wallet_join}
        """
    )
    return f"temp.main.{name}"


def _from_precomputed(con: duckdb.DuckDBPyConnection, name: str, fy: int) -> bool:
    """Make `temp.main.<name>` from the grid precomputed at publish (`derived.py`), when the
    snapshot has one for fiscal start `fy`. Unfiltered cursor: a view of it. Cursor scoped by
    `filters.scoped`: its rows for the filtered accounts, up to the last quarter with revenue
    rows of those accounts (what the grid built from the filtered `revenue` holds). Any other
    cursor whose `revenue` or `wallet` is shadowed by a temp object: False (build from them)."""
    from kamdash import derived  # (import cycle)

    stored = derived.lookup(con, "account_quarters", {"fy": fy})
    if stored is None:
        return False
    shadowed = {
        r[0]
        for r in rows(
            con,
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = 'temp' AND table_name IN ('revenue', 'wallet', '_kd_accounts')",
        )
    }
    cols = "account_id, q, rev, ttm, rev_prev, ttm_prev, first_pos, wallet, has_rows"
    if not shadowed:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {cols} FROM {stored}")
        return True
    if "_kd_accounts" not in shadowed:
        return False
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {name} AS
        WITH g AS (
            SELECT {cols} FROM {stored}
            WHERE account_id IN (SELECT account_id FROM temp.main._kd_accounts)
        )
        SELECT * FROM g WHERE q <= (SELECT max(q) FROM g WHERE has_rows)
        """
    )
    return True


def clear_cache(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the cached per-cursor aggregates (only needed if `revenue` changed on this cursor)."""
    for name, kind in rows(
        con,
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_catalog = 'temp' AND table_name LIKE '\\_kd\\_aq\\_%' ESCAPE '\\'",
    ):
        what = "VIEW" if kind == "VIEW" else "TABLE"
        con.execute(f"DROP {what} IF EXISTS temp.main.{name}")


def nullable(values) -> pd.Series:
    """A float column as an object Series with None (not NaN) where undefined."""
    idx = values.index if isinstance(values, pd.Series) else None
    return pd.Series(
        [None if v is None or pd.isna(v) else float(v) for v in values], index=idx, dtype=object
    )


def resolve_basis(settings: Settings, basis: str | None = None) -> str:
    b = (basis or settings.retention_basis or "ttm").lower()
    if b not in BASES:
        raise ValueError(f'retention basis "{b}": use one of {", ".join(BASES)}')
    return b


def group_sql(con: duckdb.DuckDBPyConnection, by: str) -> str:
    """SQL `SELECT account_id, grp`: each account's value of dimension `by` (NULL when unset).

    tier / owner / region / industry come from `accounts`; team from the `team` table through
    the account's owner (an owner listed in several teams counts in the first, alphabetically).
    One row per account_id (duplicated account rows: the smallest value).
    """
    if by not in DIMENSIONS:
        raise ValueError(f'group by "{by}": use one of {", ".join(DIMENSIONS)}')
    if not table_exists(con, "accounts"):
        return "SELECT NULL::VARCHAR AS account_id, NULL::VARCHAR AS grp WHERE false"
    if by == "team":
        if not table_exists(con, "team"):
            return "SELECT account_id, NULL::VARCHAR AS grp FROM accounts GROUP BY account_id"
        return (
            "SELECT a.account_id, min(tm.team) AS grp FROM accounts a LEFT JOIN "
            "(SELECT owner, min(team) AS team FROM team GROUP BY owner) tm ON tm.owner = a.owner "
            "GROUP BY a.account_id"
        )
    return f"SELECT account_id, min({by}) AS grp FROM accounts GROUP BY account_id"


def grouped_grid(con: duckdb.DuckDBPyConnection, aq: str, by: str | None) -> str:
    """SQL subquery: the grid `aq` with a `grp` column = the account's value of `by`
    (NO_GROUP when unset or the account has no row in `accounts`); '' when `by` is None."""
    if by is None:
        return f"(SELECT *, '' AS grp FROM {aq})"
    return (
        f"(SELECT x.*, coalesce(gm.grp, '{NO_GROUP}') AS grp FROM {aq} x "
        f"LEFT JOIN ({group_sql(con, by)}) gm ON gm.account_id = x.account_id)"
    )


WALLET_COLUMNS = ("share_of_wallet", "ttm_covered", "wallet_covered")


def _empty_retention(by: str | None, with_wallet: bool = False) -> pd.DataFrame:
    cols = ["quarter", "label", "partial", "revenue", "ttm_revenue", "nrr", "grr"]
    cols += ["cohort_accounts", "cohort_base", "cohort_now", "cohort_kept", "basis"]
    if with_wallet:
        cols += [*WALLET_COLUMNS, "accounts_with_estimate", "accounts_without_estimate"]
    return pd.DataFrame(columns=(["group"] if by else []) + cols)


def retention(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    by: str | None = None,
    basis: str | None = None,
    ctx: PeriodContext | None = None,
    with_wallet: bool = False,
) -> pd.DataFrame:
    """Per quarter (every quarter of the period context), portfolio-wide or per group of `by`.

    Columns: [group], quarter (index), label, partial, revenue (quarter revenue), ttm_revenue,
    nrr, grr, cohort_accounts, cohort_base, cohort_now, cohort_kept, basis; with `with_wallet`
    also the share-of-wallet columns of `wallet.share_of_wallet` (same query, one pass).

    basis "ttm" (default, `settings.retention_basis`): cohort = accounts with TTM(a, Q-4) > 0,
    NRR = sum TTM(a, Q) / sum TTM(a, Q-4), GRR = sum min(TTM(a, Q), TTM(a, Q-4)) / sum TTM(a, Q-4).
    basis "point": the same with quarter revenue rev(a, Q) vs rev(a, Q-4).
    NRR / GRR are None when the history is too short (TTM: quarters Q-7..Q must all be on/after
    the first quarter with data; point: Q-4 on/after it) or the cohort is empty. A group is the
    account's value of `by`; accounts with no value (or revenue without an account row) are
    grouped under "(none)". `partial` marks the quarter containing a partial as-of date: its
    figures are computed from the data so far, never silently passed off as complete.
    """
    b = resolve_basis(settings, basis)
    ctx = ctx or period_context(con, settings)
    quarters = ctx.quarters()
    if not quarters or not table_exists(con, "revenue"):
        return _empty_retention(by, with_wallet)
    aq = account_quarters(con, settings)
    first, current = quarters[0], quarters[-1]
    lag_needed = 7 if b == "ttm" else 4  # oldest quarter the comparison reads, counted back from Q
    v, base = ("ttm", "ttm_prev") if b == "ttm" else ("rev", "rev_prev")
    sql = f"""
    WITH agg AS (
        -- cohort(Q) = accounts with base = v(a, Q-4) > 0 (v = TTM or quarter revenue);
        -- NRR = sum_cohort v(a, Q) / sum_cohort base; GRR = sum_cohort min(v, base) / sum base
        SELECT grp, q, sum(rev) AS revenue, sum(ttm) AS ttm_revenue,
            count(*) FILTER ({base} > 0) AS n, sum({base}) FILTER ({base} > 0) AS base,
            sum({v}) FILTER ({base} > 0) AS now,
            sum(least({v}, {base})) FILTER ({base} > 0) AS kept,
            -- group SoW(q) = sum TTM / sum W over active accounts (TTM > 0) with an estimate
            sum(ttm) FILTER (ttm > 0 AND wallet IS NOT NULL) AS ttm_covered,
            sum(wallet) FILTER (ttm > 0 AND wallet IS NOT NULL) AS wallet_covered,
            count(*) FILTER (ttm > 0 AND wallet IS NOT NULL) AS accounts_with_estimate,
            count(*) FILTER (ttm > 0 AND wallet IS NULL) AS accounts_without_estimate
        FROM {grouped_grid(con, aq, by)} WHERE q BETWEEN {first} AND {current} GROUP BY ALL
    ),
    grid AS (SELECT grp, range AS q FROM (SELECT DISTINCT grp FROM agg), range({first}, {current + 1}))
    SELECT grid.grp AS "group", grid.q AS quarter,
        coalesce(agg.revenue, 0) AS revenue, coalesce(agg.ttm_revenue, 0) AS ttm_revenue,
        CASE WHEN grid.q - {lag_needed} >= {first} AND agg.base > 0 THEN agg.now / agg.base END AS nrr,
        CASE WHEN grid.q - {lag_needed} >= {first} AND agg.base > 0 THEN agg.kept / agg.base END AS grr,
        coalesce(agg.n, 0) AS cohort_accounts, agg.base AS cohort_base, agg.now AS cohort_now,
        agg.kept AS cohort_kept,
        agg.ttm_covered / agg.wallet_covered AS share_of_wallet,
        agg.ttm_covered, agg.wallet_covered,
        coalesce(agg.accounts_with_estimate, 0) AS accounts_with_estimate,
        coalesce(agg.accounts_without_estimate, 0) AS accounts_without_estimate
    FROM grid LEFT JOIN agg USING (grp, q)
    ORDER BY grid.grp, grid.q
    """
    df = frame(con, sql)
    fy = ctx.fy_start
    df.insert(2, "label", [quarter_label(int(q), fy) for q in df["quarter"]])
    df.insert(3, "partial", [bool(is_partial(int(q), ctx.as_of, fy)) for q in df["quarter"]])
    df["basis"] = b
    wallet_cols = [*WALLET_COLUMNS, "accounts_with_estimate", "accounts_without_estimate"]
    if with_wallet:
        df = df[[c for c in df.columns if c not in wallet_cols] + wallet_cols]
    else:
        df = df.drop(columns=wallet_cols)
    for c in ("nrr", "grr", "cohort_base", "cohort_now", "cohort_kept") + (
        WALLET_COLUMNS if with_wallet else ()
    ):
        df[c] = nullable(df[c])
    if by is None:
        df = df.drop(columns="group")
    return df.reset_index(drop=True)


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
) -> RevenueBridge:
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
    w = 3 if kind == "ttm" else 0  # quarters before the end quarter inside the window
    fy = settings.fiscal_year_start_month
    cols = ["account_id", "start", "end", "change", "category"]
    zero = Decimal("0")
    if not table_exists(con, "revenue"):
        per = pd.DataFrame(columns=cols)
        exact = dict.fromkeys(("start", *BRIDGE_CATEGORIES[:5], "end"), zero)
        return RevenueBridge(
            kind, start, end, quarter_label(start, fy), quarter_label(end, fy), exact, per
        )
    aq = account_quarters(con, settings)
    col = "ttm" if kind == "ttm" else "rev"
    per_sql = f"""
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
    s, e, new, exp, react, contr, churn = (Decimal(v) for v in totals[1:])
    exact = {
        "start": s,
        "new": new,
        "expansion": exp,
        "reactivation": react,
        "contraction": contr,
        "churn": churn,
        "end": e,
    }
    per = frame(
        con,
        f'SELECT account_id, s AS "start", e AS "end", change, category '
        f"FROM ({per_sql}) ORDER BY abs(change) DESC, account_id",
    )
    return RevenueBridge(
        kind, start, end, quarter_label(start, fy), quarter_label(end, fy), exact, per
    )


def account_growth(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    qi: int | None = None,
    ctx: PeriodContext | None = None,
) -> pd.DataFrame:
    """The "attention" table: per account with revenue, TTM now vs a year before.

    qi defaults to the last complete quarter. Columns: account_id, account_name, owner, tier,
    ttm_now = TTM(a, qi), ttm_prev = TTM(a, qi-4) (None when quarters qi-7..qi-4 are not all
    inside the data), growth = ttm_now / ttm_prev (None when ttm_prev is None or <= 0),
    shrinking = growth < settings.shrinking_ratio. Sorted by ttm_now desc, account_id.
    """
    cols = ["account_id", "account_name", "owner", "tier", "ttm_now", "ttm_prev", "growth"]
    ctx = ctx or period_context(con, settings)
    qi = ctx.last_complete if qi is None else qi
    if qi is None or ctx.first is None or not table_exists(con, "revenue"):
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
