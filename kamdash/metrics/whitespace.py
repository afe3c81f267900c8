"""Whitespace: account x product adoption, the potential of empty cells, open pipeline marks.

Definitions (design brief, "Whitespace potential"; settings.peer_size_factor, peer_min_count):

- Cell value: TTM revenue of the account on the product for quarter Q (default: the last
  complete quarter), TTM = sum of amounts dated in quarters Q-3..Q. A cell is filled when that
  TTM is > 0, empty otherwise.
- Product universe: the `products` table when present and non-empty, plus any product with
  TTM revenue (so a filled cell never disappears); else the distinct revenue products.
- Rows: the accounts of `accounts` (filtered when the cursor is); peers and portfolio figures
  always come from the whole portfolio (the unfiltered snapshot), so filters never change a
  potential.
- Peers of account a: other active accounts (TTM > 0) of the same industry whose total TTM is
  within a factor f = peer_size_factor either side (TTM(a)/f <= TTM(p) <= TTM(a)*f). When a has
  fewer than peer_min_count such peers (or no industry, or no TTM), the peers are all other
  active accounts of the portfolio, and the reason says so.
- Potential of an empty (a, product) cell = median TTM spend on the product among the peers
  who buy it (spend > 0); 0 when none of them does. Reason: "14 of 20 Retail peers buy it;
  median $120k".
- Confidence of a potential (empty cells with potential > 0): "high" when it is the median of
  industry peers of similar size, "low" when the account fell back to the whole portfolio (the
  same portfolio-wide median for every such account). A median of fewer buyers than
  settings.min_peers is withheld (potential 0, "too few to estimate"). Ranking (`ranked`):
  high-confidence estimates first, then fallbacks, each by potential desc, so portfolio
  medians never crowd the top of the list.
- Pipeline: sum of open opportunities (`is_open`) of the account on the product (and, in the
  business-unit grid, on the business unit; an open opportunity without a business unit marks
  every business unit row of its product).
- Business-unit grid of one account: cells are TTM per (business_unit, product); an empty
  cell's potential is the median TTM of that product across the account's units that buy it
  ("2 of 5 units of this account buy it; median $40k"), else the account-level potential.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from kamdash.core.db import frame, has_table, scalar, unfiltered
from kamdash.core.fmt import money
from kamdash.core.missing import Missing, require
from kamdash.core.periods import period_context, ttm_bounds
from kamdash.core.settings import Settings
from kamdash.metrics import grid

NO_BU = "(no business unit)"


@dataclass
class Whitespace:
    """cells: one row per (account, product) of the universe: account_id, account_name,
    industry, account_ttm, product, ttm (TTM revenue on the product, 0 when none), filled,
    potential (empty cells only; NaN on filled ones), peers (peer count), buyers (peers buying
    it; empty cells only), peer_group ('industry' / 'portfolio'), confidence ('high': industry
    peers, 'low': portfolio fallback; empty cells with potential only, None else), reason,
    pipeline (open amount, 0 when none), in_pipeline."""

    cells: pd.DataFrame
    products: list[str]
    quarter: int
    notes: list[str] = field(default_factory=list)

    def grid(self, values: str = "ttm", account_ids: list[str] | None = None) -> pd.DataFrame:
        """Account x product table of `values` (ttm, potential or pipeline), index account_id;
        only the rows of `account_ids` (in that order) when given: a page draws a few of
        hundreds of thousands of cells, so they are picked before the pivot."""
        cells = self.cells
        if account_ids is not None:
            cells = cells[cells["account_id"].isin(account_ids)]
        g = cells.pivot(index="account_id", columns="product", values=values)
        g = g.reindex(columns=self.products)
        return g if account_ids is None else g.reindex(account_ids)

    def pipeline_grid(self, account_ids: list[str] | None = None) -> pd.DataFrame:
        """The open pipeline amount of each cell in pipeline (0: amounts unknown), NaN else."""
        amount = self.grid("pipeline", account_ids)
        return amount.where(self.grid("in_pipeline", account_ids).eq(True))

    def ranked(self, n: int | None = None) -> pd.DataFrame:
        """The biggest opportunities: empty cells with potential > 0, high confidence (industry
        peers) first, then low (portfolio fallback), each by potential desc (ties: bigger
        account first): account_id, account_name, product, potential, confidence, reason,
        in_pipeline, pipeline."""
        e = self.cells[~self.cells["filled"] & (self.cells["potential"] > 0)]
        e = e.assign(_low=e["confidence"] != "high").sort_values(
            ["_low", "potential", "account_ttm", "account_id", "product"],
            ascending=[True, False, False, True, True],
        )
        cols = [
            "account_id",
            "account_name",
            "product",
            "potential",
            "confidence",
            "reason",
            "in_pipeline",
            "pipeline",
        ]
        e = e[cols].reset_index(drop=True)
        return e if n is None else e.head(n)


def _checks(con: duckdb.DuckDBPyConnection) -> Missing | None:
    miss = require(con, "accounts", "whitespace") or require(con, "revenue", "whitespace")
    if miss:
        return miss
    if not scalar(con, "SELECT count(product) FROM revenue WHERE trim(product) <> ''"):
        return Missing(
            "revenue.product",
            "whitespace needs a product column in the revenue sheet: this extract has none",
        )
    return None


def _universe_sql(con: duckdb.DuckDBPyConnection) -> str:
    base = "SELECT DISTINCT product FROM ap WHERE product IS NOT NULL AND spend > 0"
    if has_table(con, "products") and scalar(con, "SELECT count(product) FROM products"):
        return f"SELECT DISTINCT trim(product) AS product FROM products WHERE trim(product) <> '' UNION {base}"
    return "SELECT DISTINCT product FROM ap WHERE product IS NOT NULL"


def _pipeline_sql(con: duckdb.DuckDBPyConnection, with_bu: bool) -> str:
    """Open pipeline per account and product (and business unit): the sum of the known
    amounts, and the number of open deals (an early-stage deal often has no amount yet: it
    still puts the cell in pipeline)."""
    bu = ", business_unit" if with_bu else ""
    if not has_table(con, "opportunities"):
        none_bu = ", NULL::VARCHAR AS business_unit" if with_bu else ""
        return (
            f"SELECT NULL::VARCHAR AS account_id, NULL::VARCHAR AS product{none_bu}, "
            "0.0 AS pipeline, 0 AS open_deals WHERE false"
        )
    bu_expr = ", nullif(trim(business_unit), '') AS business_unit" if with_bu else ""
    return (
        f"SELECT account_id, trim(product) AS product{bu_expr}, "
        "coalesce(sum(amount), 0) AS pipeline, count(*) AS open_deals "
        "FROM opportunities WHERE is_open AND trim(product) <> '' "
        f"GROUP BY account_id, trim(product){bu}"
    )


COLUMNS = [
    "account_id",
    "account_name",
    "industry",
    "account_ttm",
    "product",
    "ttm",
    "filled",
    "potential",
    "peers",
    "buyers",
    "peer_group",
    "confidence",
    "reason",
    "pipeline",
    "in_pipeline",
]
CONFIDENCE_TEXT = {
    "high": "median of industry peers of similar size",
    "low": "portfolio-wide median (too few industry peers of similar size)",
}


def whitespace(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    qi: int | None = None,
    account_ids: list[str] | None = None,
) -> Whitespace | Missing:
    """The account x product whitespace of quarter `qi` (default: the last complete one), for
    the accounts of `accounts` (filtered when the cursor is), only `account_ids` if given.

    Read from the cells precomputed when the snapshot was published (`precompute.py`) when they
    were built for this quarter and these settings, else computed here (same SQL); for a
    snapshot opened read-only, every account's cells are then kept in memory (the last few
    quarter/settings combinations) and each view filters them."""
    miss = _checks(con)
    if miss:
        return miss
    if qi is None:
        qi = period_context(con, settings).last_complete
    if qi is None:
        return Missing("revenue", "no complete quarter of revenue: whitespace not shown")
    keep, params = "account_id IN (SELECT account_id FROM accounts)", []
    if account_ids is not None:
        keep += " AND account_id IN (SELECT unnest(?::VARCHAR[]))"
        params.append([str(a) for a in account_ids])
    built_with = storage_params(settings, qi)
    stored = grid.lookup(con, "whitespace", built_with)
    snap = _snapshot_key(con)
    key = None if snap is None else (snap, tuple(sorted(built_with.items())))
    full = None if key is None else _cache_get(key)
    if full is None and stored is not None and (key is None or account_ids is not None):
        # precomputed: a few accounts' rows (the QBR page) are cheaper to read than all of them
        df = frame(con, f"SELECT * FROM {stored} WHERE {keep} ORDER BY account_id, product", params)
    elif key is not None:
        # a read-only snapshot never changes: its cells for these settings are kept in memory
        # (read from the precomputed table, or computed), then filtered for this view
        if full is None:
            full = _cache_put(
                key,
                frame(con, f"SELECT * FROM {stored} ORDER BY account_id, product")
                if stored is not None
                else cells_frame(con, settings, qi),
            )
        ids = set(frame(con, f"SELECT account_id FROM accounts WHERE {keep}", params)["account_id"])
        df = full[full["account_id"].isin(ids)].reset_index(drop=True)
    else:
        df = cells_frame(con, settings, qi, keep, params)
    products = sorted(df["product"].dropna().unique().tolist())
    df["in_pipeline"] = df["open_deals"] > 0
    empty = ~df["filled"]
    df["potential"] = np.where(empty, df["med"].fillna(0.0), np.nan)
    df["buyers"] = df["buyers"].astype("Int64").mask(~empty)  # peers buying: empty cells only
    has_pot = (empty & (df["potential"] > 0)).to_numpy()
    by_ind = (df["peer_group"] == "industry").to_numpy()
    df["confidence"] = np.where(has_pot, np.where(by_ind, "high", "low"), None)
    notes = []
    if not has_table(con, "opportunities"):
        notes.append("no opportunities sheet in this extract: open pipeline not marked")
    return Whitespace(df[COLUMNS].reset_index(drop=True), products, qi, notes)


# Every account's whitespace cells per read-only snapshot file, quarter and settings (read from
# the precomputed table or computed): the last few, most recently used last. ~50 MB each at
# 27k accounts x 10 products.
_CACHE: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_CACHE_SIZE = 3
_CACHE_LOCK = threading.Lock()


def _snapshot_key(con: duckdb.DuckDBPyConnection) -> tuple | None:
    """(file path, snapshot id) of a snapshot opened read-only; None for anything writable or
    in memory, whose tables may change."""
    found = con.execute(
        "SELECT path, readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    if not found or not found[0][0] or not found[0][1]:
        return None
    try:
        sid = scalar(con, "SELECT value FROM _meta WHERE key = 'snapshot_id'")
    except duckdb.CatalogException:
        sid = None
    return (found[0][0], sid)


def _cache_get(key: tuple) -> pd.DataFrame | None:
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    return None


def _cache_put(key: tuple, df: pd.DataFrame) -> pd.DataFrame:
    with _CACHE_LOCK:
        _CACHE[key] = df
        _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return df


def storage_params(settings: Settings, qi: int) -> dict:
    """What precomputed cells depend on (besides the snapshot): quarter and settings."""
    return {
        "quarter": int(qi),
        "fy": int(settings.fiscal_year_start_month),
        "peer_size_factor": float(settings.peer_size_factor),
        "peer_min_count": int(settings.peer_min_count),
        "min_peers": int(settings.min_peers),
        "currency": settings.currency,
    }


def cells_frame(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    qi: int,
    keep: str = "true",
    params: list | None = None,
) -> pd.DataFrame:
    """The whitespace cells of quarter `qi` before presentation: one row per (account,
    product) for the accounts matching the SQL condition `keep` (over `account_id`), with the
    peer figures (peer_group, n_ind, peers, buyers, med), pipeline and the reason text.
    Peers always come from the whole portfolio, so a row does not depend on `keep`."""
    start, end = ttm_bounds(qi, settings.fiscal_year_start_month)
    sql = f"""
        WITH {_peers_sql(con, settings)},
        out AS (
            SELECT g.account_id, g.account_name, g.industry, g.ttm AS account_ttm, g.product,
                   coalesce(g.spend, 0) AS ttm, coalesce(g.spend, 0) > 0 AS filled,
                   CASE WHEN g.by_industry THEN 'industry' ELSE 'portfolio' END AS peer_group,
                   g.n_ind,
                   CASE WHEN g.by_industry THEN g.n_ind
                        ELSE (SELECT n FROM n_active) - (g.ttm > 0)::INT END AS peers,
                   coalesce(CASE WHEN g.by_industry THEN i.buyers ELSE ps.buyers END, 0) AS buyers,
                   CASE WHEN g.by_industry THEN i.med ELSE ps.med END AS med,
                   coalesce(pp.pipeline, 0) AS pipeline,
                   coalesce(pp.open_deals, 0) AS open_deals
            FROM cells g
            LEFT JOIN ind_stats i ON i.account_id = g.account_id AND i.product = g.product
            LEFT JOIN port_stats ps ON ps.product = g.product
            LEFT JOIN pipe pp ON pp.account_id = g.account_id AND pp.product = g.product
        )
        SELECT * FROM out WHERE {keep} ORDER BY account_id, product
    """
    df = frame(con, sql, [start, end, *(params or [])])
    # a median of fewer buyers than min_peers is withheld: it would be another account's spend
    df["med"] = df["med"].mask(df["buyers"] < settings.min_peers)
    df["reason"] = _reasons(df, ~df["filled"], settings)
    return df


def _peers_sql(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """The CTEs of `cells_frame` up to the peer figures: ap (account x product TTM spend;
    two parameters, the TTM window's first and last day), acct, active, n_active, prod,
    npeers, grp, cells (account x product of the universe), ind_stats, port_stats, pipe."""
    # |ln TTM(p) - ln TTM(a)| <= ln f, with a hair of slack so exact factor bounds are peers
    lf = repr(math.log(float(settings.peer_size_factor)) + 1e-12)
    k = int(settings.peer_min_count)
    # TTM(a, p) = Σ amount of a on product p dated in Q-3..Q; TTM(a) = Σ_p TTM(a, p).
    # peers(a) = other active accounts of a's industry with TTM(a)/f <= TTM(peer) <= TTM(a)*f
    # (a RANGE window over ln TTM per industry and product: no account x account join),
    # else (fewer than peer_min_count) all other active accounts; potential(a, p) = median
    # TTM(peer, p) over the peers with TTM(peer, p) > 0.
    return f"""
        ap AS (
            SELECT account_id, nullif(trim(product), '') AS product, sum(amount) AS spend
            FROM {unfiltered(con, "revenue")}
            WHERE date >= ? AND date <= ? AND amount IS NOT NULL
            GROUP BY account_id, nullif(trim(product), '')
        ),
        tot AS (SELECT account_id, sum(spend) AS ttm FROM ap GROUP BY account_id),
        acct AS (
            SELECT a.account_id, a.account_name, nullif(trim(a.industry), '') AS industry,
                   coalesce(t.ttm, 0) AS ttm
            FROM {unfiltered(con, "accounts")} a LEFT JOIN tot t USING (account_id)
        ),
        active AS (SELECT * FROM acct WHERE ttm > 0),
        n_active AS (SELECT count(*) AS n FROM active),
        prod AS ({_universe_sql(con)}),
        npeers AS (
            SELECT account_id, count(*) OVER w - 1 AS n FROM active
            WHERE industry IS NOT NULL
            WINDOW w AS (PARTITION BY industry ORDER BY ln(ttm)
                         RANGE BETWEEN {lf} PRECEDING AND {lf} FOLLOWING)
        ),
        grp AS (
            SELECT acct.*, coalesce(np.n, 0) >= {k} AS by_industry, coalesce(np.n, 0) AS n_ind
            FROM acct LEFT JOIN npeers np USING (account_id)
        ),
        cells AS (
            SELECT g.*, pr.product, s.spend
            FROM grp g CROSS JOIN prod pr
            LEFT JOIN ap s ON s.account_id = g.account_id AND s.product = pr.product
        ),
        ind_stats AS (
            SELECT account_id, product, count(buy) OVER w AS buyers, median(buy) OVER w AS med
            FROM (SELECT *, CASE WHEN spend > 0 THEN spend END AS buy FROM cells
                  WHERE ttm > 0 AND industry IS NOT NULL)
            WINDOW w AS (PARTITION BY industry, product ORDER BY ln(ttm)
                         RANGE BETWEEN {lf} PRECEDING AND {lf} FOLLOWING)
        ),
        port_stats AS (
            SELECT s.product, count(*) AS buyers, median(s.spend) AS med
            FROM ap s JOIN active USING (account_id)
            WHERE s.spend > 0 AND s.product IS NOT NULL GROUP BY s.product
        ),
        pipe AS ({_pipeline_sql(con, False)})
    """


def _reasons(df: pd.DataFrame, empty: pd.Series, settings: Settings) -> pd.Series:
    """Plain-language reason per empty cell ('' on filled cells), built column-wise over the
    empty cells only."""
    out = pd.Series("", index=df.index, dtype=object)
    d = df[empty]
    if d.empty:
        return out.astype("str")
    cur = settings.currency
    uniq = d["med"].dropna().unique()
    med = d["med"].map(dict(zip(uniq, (money(x, cur) for x in uniq), strict=True)))
    med = med.astype(object).fillna("").astype(str)
    buyers = d["buyers"].astype(int).map("{:,}".format)
    peers = d["peers"].astype(int).map("{:,}".format)
    ind = d["industry"].fillna("").astype(str)
    by_ind = d["peer_group"] == "industry"
    none_buy = d["buyers"] == 0
    few = (d["buyers"] > 0) & d["med"].isna()  # fewer buyers than min_peers: no median shown
    median = np.where(
        few, f"; too few to estimate (fewer than {settings.min_peers})", "; median " + med
    )
    # industry peers
    r_ind = np.where(
        none_buy,
        "none of " + peers + " " + ind + " peers buy it",
        buyers + " of " + peers + " " + ind + " peers buy it" + median,
    )
    # portfolio fallback: why, then the portfolio figures
    why = np.where(
        d["account_ttm"] <= 0,
        "no TTM revenue to size peers",
        np.where(
            d["industry"].isna(),
            "no industry",
            np.where(
                d["n_ind"] == 0,
                "no " + ind + " peer of similar size",
                "only "
                + d["n_ind"].astype(int).astype(str)
                + " "
                + ind
                + np.where(d["n_ind"] == 1, " peer", " peers")
                + " of similar size",
            ),
        ),
    )
    r_port = np.where(
        none_buy,
        why + "; none of " + peers + " portfolio accounts buy it",
        why + "; " + buyers + " of " + peers + " portfolio accounts buy it" + median,
    )
    out[d.index] = np.where(by_ind, r_ind, r_port)
    return out.astype("str")


@dataclass
class BusinessUnitGrid:
    """cells: one row per (business_unit, product): business_unit, product, ttm, filled,
    potential (empty cells), reason, pipeline, in_pipeline."""

    account_id: str
    cells: pd.DataFrame
    products: list[str]
    notes: list[str] = field(default_factory=list)

    def grid(self, values: str = "ttm") -> pd.DataFrame:
        """Business unit x product table of `values` (ttm, potential or pipeline)."""
        g = self.cells.pivot(index="business_unit", columns="product", values=values)
        return g.reindex(columns=self.products)

    def pipeline_grid(self) -> pd.DataFrame:
        """The open pipeline amount of each cell in pipeline (0: amounts unknown), NaN else."""
        return self.grid("pipeline").where(self.grid("in_pipeline").eq(True))


def business_unit_grid(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    account_id: str,
    qi: int | None = None,
    ws: Whitespace | None = None,
) -> BusinessUnitGrid | Missing:
    """One account's business_unit x product grid (pass `ws` to reuse a computed whitespace)."""
    if ws is None:
        ws = whitespace(con, settings, qi)
    if isinstance(ws, Missing):
        return ws
    start, end = ttm_bounds(ws.quarter, settings.fiscal_year_start_month)
    acct = ws.cells[ws.cells["account_id"] == account_id]
    if acct.empty:
        return Missing("accounts", f"account {account_id} is not in this portfolio")
    notes = []
    if not scalar(
        con,
        "SELECT count(business_unit) FROM revenue WHERE account_id = ? AND trim(business_unit) <> ''",
        [account_id],
    ):
        notes.append("no business unit in this account's revenue: one row for the whole account")
    # TTM(bu, p) = Σ amount of the account on product p in business unit bu, dated in Q-3..Q;
    # rows: the account's units with revenue in the TTM window or in open pipeline
    sql = f"""
        WITH bp AS (
            SELECT coalesce(nullif(trim(business_unit), ''), '{NO_BU}') AS business_unit,
                   nullif(trim(product), '') AS product, sum(amount) AS spend
            FROM revenue WHERE account_id = ? AND date >= ? AND date <= ? AND amount IS NOT NULL
            GROUP BY ALL
        ),
        pipe AS (SELECT * FROM ({_pipeline_sql(con, True)}) WHERE account_id = ?),
        units AS (
            SELECT business_unit FROM bp
            UNION SELECT business_unit FROM pipe WHERE business_unit IS NOT NULL
        )
        SELECT u.business_unit, pr.product, coalesce(b.spend, 0) AS ttm,
               coalesce(b.spend, 0) > 0 AS filled,
               (SELECT count(*) FROM units) AS units,
               (SELECT count(*) FROM bp x WHERE x.product = pr.product AND x.spend > 0) AS buyers,
               (SELECT median(x.spend) FROM bp x WHERE x.product = pr.product AND x.spend > 0)
                   AS med,
               coalesce((SELECT sum(pipeline) FROM pipe q WHERE q.product = pr.product
                   AND (q.business_unit = u.business_unit OR q.business_unit IS NULL)), 0)
                   AS pipeline,
               coalesce((SELECT sum(open_deals) FROM pipe q WHERE q.product = pr.product
                   AND (q.business_unit = u.business_unit OR q.business_unit IS NULL)), 0)
                   AS open_deals
        FROM units u CROSS JOIN (SELECT unnest(?::VARCHAR[]) AS product) pr
        LEFT JOIN bp b ON b.business_unit = u.business_unit AND b.product = pr.product
        ORDER BY u.business_unit, pr.product
    """
    df = frame(con, sql, [account_id, start, end, account_id, ws.products])
    acct_pot = acct.set_index("product")
    empty = ~df["filled"]
    within = df["buyers"] > 0
    df["potential"] = np.where(
        empty,
        np.where(within, df["med"], df["product"].map(acct_pot["potential"]).fillna(0.0)),
        np.nan,
    )
    med = df["med"].map(lambda x: money(x, settings.currency)).astype(str)
    r_within = (
        df["buyers"].astype(str)
        + " of "
        + df["units"].astype(str)
        + " units of this account buy it; median "
        + med
    )
    acct_reason = df["product"].map(acct_pot["reason"]).fillna("")
    acct_filled = df["product"].map(acct_pot["filled"]).fillna(False).astype(bool)
    r_acct = np.where(acct_filled, "", "account level: " + acct_reason)
    df["reason"] = np.where(empty, np.where(within, r_within, r_acct), "")
    df["in_pipeline"] = df["open_deals"] > 0
    cols = ["business_unit", "product", "ttm", "filled", "potential", "reason", "pipeline"]
    return BusinessUnitGrid(
        account_id, df[[*cols, "in_pipeline"]].reset_index(drop=True), ws.products, notes
    )
