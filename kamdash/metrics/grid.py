"""The account x quarter grid every retention, wallet, concentration and attention figure
reads, the wallet estimate applying to each quarter, grouping by a dimension, and the lookup of
aggregates precomputed into a snapshot at publish (`precompute.py`).

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
import json

import duckdb
import numpy as np
import pandas as pd

from kamdash.core.db import quote_ident, rows, scalar, table_exists
from kamdash.core.periods import quarter_of, quarter_sql, ttm_bounds
from kamdash.core.settings import Settings

# Bump when the SQL (or the reason texts) of a precomputed aggregate changes: snapshots
# published before are then computed on the fly instead of read from a stale table.
VERSION = 5
REGISTRY = "_kd_derived"


def key(params: dict) -> str:
    return json.dumps({"version": VERSION, **params}, sort_keys=True)


def lookup(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> str | None:
    """The SQL name of the precomputed `name` built with `params`, or None."""
    try:
        found = con.execute(f"SELECT params FROM {REGISTRY} WHERE name = ?", [name]).fetchall()
    except duckdb.CatalogException:
        return None
    if not found or found[0][0] != key(params):
        return None
    cat = scalar(con, "SELECT current_database()")
    return f"{quote_ident(cat)}.main.{quote_ident('_kd_' + name)}"


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
    wallet_cte, wallet_join, wallet_col = _wallet_sql(con, settings)
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


def _wallet_sql(con: duckdb.DuckDBPyConnection, settings: Settings) -> tuple[str, str, str]:
    """The grid's wallet parts: extra CTEs, the join and the `wallet` column expression
    (NULL without a wallet table). The CTEs read the grid's `ids` and `bounds`."""
    fy = int(settings.fiscal_year_start_month)
    if not table_exists(con, "wallet"):
        return "", "", "NULL::DOUBLE"
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
    return wallet_cte, wallet_join, wallet_col


def _from_precomputed(con: duckdb.DuckDBPyConnection, name: str, fy: int) -> bool:
    """Make `temp.main.<name>` from the grid precomputed at publish (`precompute.py`), when the
    snapshot has one for fiscal start `fy`. Unfiltered cursor: a view of it. Cursor scoped by
    `filters.scoped`: its rows for the filtered accounts, up to the last quarter with revenue
    rows of those accounts (what the grid built from the filtered `revenue` holds). Any other
    cursor whose `revenue` or `wallet` is shadowed by a temp object: False (build from them)."""
    stored = lookup(con, "account_quarters", {"fy": fy})
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
    # column-wise: a Python loop over 27k accounts cost 20 ms per column on every page run
    # and in numpy: a masked assignment into an object Series cost 0.8 ms per call (75 calls
    # on the KAM program page)
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    f = np.asarray(pd.to_numeric(s, errors="coerce"), dtype=float)
    out = f.astype(object)
    out[np.isnan(f)] = None
    return pd.Series(out, index=s.index, dtype=object, name=s.name)


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


def wallet_by_quarter_sql(settings: Settings, bounds: str) -> str:
    """SQL `SELECT account_id, q, wallet, wallet_date`: the estimate applying to each quarter q
    in [lo, hi] of the one-row relation `bounds(lo, hi)`, per account with an estimate; wallet
    is NULL where the applying estimate is <= 0, wallet_date NULL for an undated estimate.

    An estimate dated d applies to quarter q when d is on or before q's last day, i.e.
    quarter_of(d) <= q; the latest such one wins (computed as validity intervals per account,
    no per-row search). The undated estimate fills the quarters no dated one covers."""
    fy = int(settings.fiscal_year_start_month)
    return f"""
    WITH est AS ({estimates_sql(settings)}),
    -- the latest estimate per account and quarter of its date
    dq AS (
        SELECT account_id, {quarter_sql("d", fy)} AS qd, arg_max(wallet, d) AS wallet,
            max(d) AS d
        FROM est WHERE d IS NOT NULL GROUP BY ALL
    ),
    -- W(a, q) = the estimate of quarter qd for qd <= q < the next estimate's quarter
    iv AS (
        SELECT *, lead(qd) OVER (PARTITION BY account_id ORDER BY qd) AS qnext FROM dq
    ),
    dated AS (
        SELECT account_id, wallet, d,
            unnest(range(greatest(qd, lo), least(coalesce(qnext, hi + 1), hi + 1))) AS q
        FROM iv, {bounds}
    ),
    undated AS (
        SELECT account_id, max(wallet) AS wallet, unnest(range(any_value(lo), any_value(hi) + 1)) AS q
        FROM est, {bounds} WHERE d IS NULL GROUP BY account_id
    )
    SELECT coalesce(dt.account_id, u.account_id) AS account_id, coalesce(dt.q, u.q) AS q,
        CASE WHEN coalesce(dt.wallet, u.wallet) > 0 THEN coalesce(dt.wallet, u.wallet) END
            AS wallet,
        dt.d AS wallet_date
    FROM dated dt FULL JOIN undated u ON u.account_id = dt.account_id AND u.q = dt.q
    """
