"""KAM program metrics: how each KAM's book (and each team's) is run, for leadership's quarterly
review: plan freshness, QBR cadence, multithreading, executive access, revenue, retention, share
of wallet and the growth goals, per group of accounts.

Definitions (design brief, "Program metrics"; settings in brackets):

- A group's book in quarter Q = its accounts (accounts.owner for a KAM, the owner's team in the
  team table for a team: `grid.group_sql`) that are active in Q: TTM(a, Q) > 0. Accounts with
  no owner form the "(none)" group. The figures below count the book's accounts; each rate is
  None for a book without any account it counts.
- Accounts by tier: the book's accounts per assigned tier.
- TTM revenue, NRR and GRR: `retention.retention` grouped the same way (NRR's cohort counts the
  group's accounts active a year before Q, whether or not they still are).
- Share of wallet: `wallet.share_of_wallet`'s figure grouped the same way (read from the same
  pass over the grid as retention's, `_share_of_wallet`).
- Plan freshness rate = book accounts whose plan is fresh / book accounts: updated within the
  cadence of the account's tier as of Q's as-of date (`qbr.plan_freshness`, plan_cadence_days;
  an account with no plan date is not fresh).
- QBR cadence adherence = book accounts with a QBR within their tier's QBR cadence / book
  accounts of tiers that have one (qbr_cadence_days; Tier 3 and untiered accounts have none by
  default and are not counted). An account's latest QBR on a date is the latest QBR-sheet date
  or accounts.last_qbr on or before it; within cadence when at most cadence days old. Before
  the QBR history starts (the QBR sheet's first date; without a sheet, the earliest last_qbr)
  it is undefined.
- Multithreading = book accounts with at least two active relationships / book accounts
  (`relationships.relationships`: not single-threaded; active_strength_min).
- Executive access = book accounts with an executive contact at active strength / book accounts.
- Growth goals (attainment, projection, gap, open pipeline and its coverage of the gap): the
  group's figures of `goals`, over all its accounts with a target, as of the as-of date.
- Quarters before the last complete one are seen as of their end (`periods.quarter_as_of`),
  as on the QBR page and the attention list.

Trend over quarters (`program_trend`): TTM revenue, NRR, GRR and share of wallet per group and
quarter, and QBR cadence adherence as of each quarter's as-of date over the accounts active in
it, with their current owner and tier. Plan freshness, multithreading, executive access and the
goals have no dated history in an extract (the latest plan date, today's contacts and
pipeline): current only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from kamdash.core.db import columns, frame, rows, table_exists, unfiltered
from kamdash.core.missing import Missing, missing, require
from kamdash.core.periods import PeriodContext, period_context, quarter_as_of
from kamdash.core.settings import Settings
from kamdash.metrics import goals as goals_mod
from kamdash.metrics.grid import NO_GROUP, account_quarters, group_sql, nullable
from kamdash.metrics.qbr import plan_freshness
from kamdash.metrics.relationships import relationships
from kamdash.metrics.retention import retention

GROUPINGS = ("owner", "team")
_ALL = "(all)"  # the group key of the total while it is assembled (never a KAM's row)
# measures of `program_trend`: column -> what the page calls it; the others are current only
TREND_MEASURES = {
    "ttm_revenue": "Revenue TTM",
    "nrr": "NRR",
    "grr": "GRR",
    "share_of_wallet": "Share of wallet",
    "qbr_adherence": "QBR cadence adherence",
}
CURRENT_ONLY = {
    "plan_fresh_rate": "Plan freshness",
    "multithreaded_rate": "Multithreading",
    "exec_access_rate": "Executive access",
    "attainment": "Goal attainment",
    "coverage": "Pipeline coverage",
}
TABLE_COLUMNS = [
    "group",
    "accounts",
    "tiers",  # {tier label: book accounts}
    "ttm_revenue",
    "nrr",
    "grr",
    "share_of_wallet",
    "plan_fresh_rate",
    "plan_accounts",
    "qbr_adherence",
    "qbr_due",
    "multithreaded_rate",
    "exec_access_rate",
    *goals_mod.GROUP_COLUMNS[1:],
]


@dataclass
class Program:
    """`table`: TABLE_COLUMNS, one row per group with a book or a target, largest TTM revenue
    first; `total`: the same figures over every account in view (group None); `missing`: the
    figures the extract cannot feed, as `Missing`; `goal_year`: the goals' fiscal year."""

    quarter: int
    as_of: dt.date | None
    table: pd.DataFrame
    total: dict
    missing: list[Missing] = field(default_factory=list)
    goal_year: goals_mod.GoalYear | None = None


def qbr_cadence(
    con: duckdb.DuckDBPyConnection, settings: Settings, at: dict[int, dt.date]
) -> pd.DataFrame | Missing:
    """Per quarter q of `at` (quarter -> the date it is seen as of) and account active in q
    (TTM > 0) whose tier has a QBR cadence: account_id, q, tier, cadence_days, last_qbr (the
    latest QBR on or before at[q], None without one), days_since_qbr, within (days_since_qbr
    <= cadence_days). A quarter seen as of a date before the QBR history starts (the first
    date of the QBR sheet; without one, the earliest last_qbr) has no rows. Missing when the
    extract has no QBR date at all."""
    has_sheet = table_exists(con, "qbr")
    has_last = table_exists(con, "accounts") and "last_qbr" in columns(con, "accounts")
    if has_last:
        has_last = bool(rows(con, "SELECT 1 FROM accounts WHERE last_qbr IS NOT NULL LIMIT 1"))
    if not (has_sheet or has_last):
        return require(con, "qbr", "QBR cadence adherence") or missing(
            "qbr", "QBR cadence adherence"
        )
    cols = ["account_id", "q", "tier", "cadence_days", "last_qbr", "days_since_qbr", "within"]
    cadence = {t: int(d) for t, d in settings.qbr_cadence_days.items() if d and int(d) > 0}
    if not cadence or not at or not table_exists(con, "accounts"):
        return pd.DataFrame(columns=cols)
    aq = account_quarters(con, settings)
    dates = []
    if has_sheet:
        dates.append("SELECT account_id, date AS d FROM qbr WHERE date IS NOT NULL")
    if has_last:
        dates.append("SELECT account_id, last_qbr AS d FROM accounts WHERE last_qbr IS NOT NULL")
    # the extract's QBR history starts with its first QBR date, whatever the filters
    first = (
        f"SELECT min(date) FROM {unfiltered(con, 'qbr')}"
        if has_sheet
        else f"SELECT min(last_qbr) FROM {unfiltered(con, 'accounts')}"
    )
    tiers = ", ".join("(?, ?)" for _ in cadence)
    quarters = ", ".join("(?, ?::DATE)" for _ in at)
    # latest QBR on or before the quarter's date; within when (date - latest) <= cadence
    sql = f"""
    WITH c(tier, days) AS (VALUES {tiers}),
    qs(q, seen) AS (VALUES {quarters}),
    acc AS (SELECT account_id, min(tier) AS tier FROM accounts GROUP BY account_id),
    dates AS ({" UNION ALL ".join(dates)}),
    -- a quarter seen before the QBR history starts is not counted
    book AS (
        SELECT g.account_id, g.q, qs.seen, acc.tier, c.days
        FROM {aq} g JOIN qs ON qs.q = g.q JOIN acc USING (account_id) JOIN c USING (tier)
        WHERE g.ttm > 0 AND qs.seen >= ({first})
    )
    SELECT b.account_id, b.q, b.tier, b.days AS cadence_days, b.seen,
        max(x.d) AS last_qbr
    FROM book b LEFT JOIN dates x ON x.account_id = b.account_id AND x.d <= b.seen
    GROUP BY ALL
    ORDER BY b.q, b.account_id
    """
    params = [v for t, d in cadence.items() for v in (t, d)]
    params += [v for q, d in at.items() for v in (int(q), d)]
    df = frame(con, sql, params)
    last = pd.to_datetime(df["last_qbr"])
    days = (pd.to_datetime(df["seen"]) - last).dt.days.clip(lower=0)
    df["last_qbr"] = last.dt.date.astype(object).where(last.notna(), None)
    df["days_since_qbr"] = days.astype("Int64")
    df["within"] = (days <= df["cadence_days"]).fillna(False).astype(bool)
    return df[cols].reset_index(drop=True)


def _groups(con: duckdb.DuckDBPyConnection, by: str) -> pd.DataFrame:
    """account_id, group (NO_GROUP when unset) of every account."""
    g = frame(con, group_sql(con, by))
    g["group"] = g["grp"].astype(object).where(g["grp"].notna(), NO_GROUP)
    return g[["account_id", "group"]]


def _book(con: duckdb.DuckDBPyConnection, settings: Settings, qi: int) -> pd.DataFrame:
    """account_id, tier of the accounts active in quarter qi (TTM > 0)."""
    aq = account_quarters(con, settings)
    acc = (
        "(SELECT account_id, min(tier) AS tier FROM accounts GROUP BY account_id)"
        if table_exists(con, "accounts")
        else "(SELECT NULL::VARCHAR AS account_id, NULL::VARCHAR AS tier WHERE false)"
    )
    return frame(
        con,
        f"SELECT g.account_id, a.tier FROM {aq} g LEFT JOIN {acc} a USING (account_id) "
        f"WHERE g.q = {int(qi)} AND g.ttm > 0 ORDER BY g.account_id",
    )


_FLAGS = {  # the book's per-account flags -> (rate, count of the accounts it counts)
    "plan_fresh": ("plan_fresh_rate", "plan_accounts"),
    "qbr_within": ("qbr_adherence", "qbr_due"),
    "multithreaded": ("multithreaded_rate", None),
    "exec_access": ("exec_access_rate", None),
}


def _rates(book: pd.DataFrame, key: str | None) -> pd.DataFrame:
    """The book's per-group counts and rates (one row, group _ALL, without `key`): a rate is
    the share of True among the accounts whose flag is known (None without any)."""
    g = pd.Series(_ALL, index=book.index) if key is None else book[key].astype(object)
    cols = TABLE_COLUMNS[:3] + TABLE_COLUMNS[7:13]
    if book.empty:
        return pd.DataFrame(columns=cols)
    flags = pd.DataFrame(
        {c: book[c].map({True: 1.0, False: 0.0}).astype(float) for c in _FLAGS}, index=book.index
    )
    agg = flags.groupby(g, sort=True).agg(["mean", "count"])
    tier = book["tier"].astype(object).where(book["tier"].notna(), NO_GROUP)
    tiers: dict = {}
    for (grp, t), n in pd.Series(1, index=book.index).groupby([g, tier]).sum().items():
        tiers.setdefault(grp, {})[str(t)] = int(n)
    out = pd.DataFrame({"group": agg.index.to_list()})
    out["accounts"] = g.value_counts().reindex(agg.index).to_numpy().astype(int)
    out["tiers"] = [tiers.get(grp, {}) for grp in agg.index]
    for c, (rate, count) in _FLAGS.items():
        n = agg[(c, "count")].to_numpy().astype(int)
        out[rate] = nullable(pd.Series(agg[(c, "mean")].to_numpy()).where(n > 0))
        if count:
            out[count] = n
    return out[cols]


def _flags(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    book: pd.DataFrame,
    qi: int,
    at: dt.date | None,
) -> tuple[pd.DataFrame, list[Missing]]:
    """The book with plan_fresh, qbr_within, multithreaded, exec_access per account (None
    where not counted or not known), and what could not be checked."""
    missing_: list[Missing] = []
    book = book.set_index("account_id")
    then = settings if at is None else dataclasses.replace(settings, as_of=at.isoformat())
    plans = plan_freshness(con, then)
    if isinstance(plans, Missing):
        missing_.append(plans)
        book["plan_fresh"] = None
    else:
        p = plans.drop_duplicates("account_id").set_index("account_id")["stale"]
        book["plan_fresh"] = (~p.astype(bool)).reindex(book.index).astype(object)
    cadence = qbr_cadence(con, settings, {qi: at} if at else {})
    if isinstance(cadence, Missing):
        missing_.append(cadence)
        book["qbr_within"] = None
    else:
        c = cadence.drop_duplicates("account_id").set_index("account_id")["within"]
        book["qbr_within"] = c.reindex(book.index).astype(object)
    rel = relationships(con, settings)
    if isinstance(rel, Missing):
        what = "multithreading and executive access"
        missing_.append(missing(rel.table, what) if rel.table == "stakeholders" else rel)
        book["multithreaded"] = None
        book["exec_access"] = None
    else:
        r = rel.drop_duplicates("account_id").set_index("account_id").reindex(book.index)
        # multithreaded = at least two active relationships (not single-threaded)
        book["multithreaded"] = (r["active"] >= 2).where(r["active"].notna()).astype(object)
        book["exec_access"] = r["executive_access"].astype(object)
    for c in ("plan_fresh", "qbr_within", "multithreaded", "exec_access"):
        book[c] = book[c].astype(object).where(book[c].notna(), None)
    return book.reset_index(), missing_


@dataclass
class Memo:
    """What the program table, its team roll-up and its trend share on one cursor in one page
    run (the groups, retention and share of wallet per grouping, the book's flags, the goals):
    pass one Memo to each call and each is computed once. Never kept across runs."""

    values: dict = field(default_factory=dict)

    def get(self, key: tuple, make):
        if key not in self.values:
            self.values[key] = make()
        return self.values[key]


def _at_quarter(df: pd.DataFrame | Missing, qi: int, cols: list[str], by: bool) -> pd.DataFrame:
    """The rows of a per-quarter metric frame at qi, keyed by group (None without `by`)."""
    if isinstance(df, Missing):
        return pd.DataFrame(columns=["group", *cols])
    d = df[df["quarter"] == qi]
    d = d.assign(group=d["group"] if by else _ALL)
    return d[["group", *cols]].reset_index(drop=True)


def kam_program(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    qi: int | None = None,
    ctx: PeriodContext | None = None,
    by: str = "owner",
    memo: Memo | None = None,
) -> Program | Missing:
    """The program table for quarter `qi` (default: the last complete one), one row per KAM
    (`by="owner"`) or team (`by="team"`), and its total over every account in view. `memo`:
    shared with the other calls of the same page run on `con` (see `Memo`)."""
    if by not in GROUPINGS:
        raise ValueError(f'program by "{by}": use one of {", ".join(GROUPINGS)}')
    miss = require(con, "revenue", "the KAM program") or require(con, "accounts", "the KAM program")
    if miss:
        return miss
    if by == "team":
        miss = require(con, "team", "the team roll-up")
        if miss:
            return miss
    ctx = ctx or period_context(con, settings)
    qi = ctx.last_complete if qi is None else qi
    if qi is None:
        return Missing("revenue", "no complete quarter of revenue: the KAM program not shown")
    memo = memo or Memo()
    at = quarter_as_of(ctx, qi)
    groups = memo.get(("groups", by), lambda: _groups(con, by))
    flagged, missing_ = memo.get(
        ("book", qi), lambda: _flags(con, settings, _book(con, settings, qi), qi, at)
    )
    missing_ = list(missing_)
    book = flagged.merge(groups, on="account_id", how="left")
    book["group"] = book["group"].fillna(NO_GROUP)
    per = {None: memo.get(("rates", qi), lambda: _rates(book, None)), by: _rates(book, "group")}

    ret = _retention(con, settings, ctx, by, memo)
    sow = _share_of_wallet(con, settings, ctx, by, memo)
    if isinstance(sow, Missing):
        missing_.append(sow)
    ret_q = _at_quarter(ret, qi, ["ttm_revenue", "nrr", "grr", *_COHORT], True)
    sow_q = _at_quarter(sow, qi, ["share_of_wallet", *_COVERED], True)
    goals = memo.get(("goals",), lambda: goals_mod.account_goals(con, settings))
    goal_rows: dict = {}
    if isinstance(goals, Missing):
        missing_.append(goals)
    else:
        if goals.pipeline_missing is not None:
            missing_.append(goals.pipeline_missing)
        keys = goals.accounts["account_id"].map(groups.set_index("account_id")["group"])
        goal_rows = {
            None: memo.get(("goal_total",), lambda: goals.summary().assign(group=_ALL)),
            by: goals.summary(keys),
        }

    money = {
        None: pd.DataFrame([_portfolio(ret_q, sow_q)]),
        by: ret_q[["group", "ttm_revenue", "nrr", "grr"]].merge(
            sow_q[["group", "share_of_wallet"]], on="group", how="left"
        ),
    }
    tables = {}
    for k in (None, by):
        t = per[k].merge(money[k], on="group", how="outer")
        g = goal_rows.get(k)
        if g is None:
            g = pd.DataFrame(columns=goals_mod.GROUP_COLUMNS)
        tables[k] = t.merge(g, on="group", how="outer")
    table = tables[by]
    # a group is listed when it has a book in the quarter or a target (retention alone lists
    # groups whose accounts all left)
    listed = table["accounts"].notna() | (
        pd.to_numeric(table["accounts_with_target"], errors="coerce").fillna(0) > 0
    )
    table = _shape(table[listed])
    total = _shape(tables[None]).iloc[0].to_dict() if len(tables[None]) else {}
    total["group"] = None
    year = None if isinstance(goals, Missing) else goals.year
    return Program(qi, at, table, total, missing_, year)


_COHORT = ["cohort_base", "cohort_now", "cohort_kept"]
_COVERED = ["ttm_covered", "wallet_covered"]


def _portfolio(ret_q: pd.DataFrame, sow_q: pd.DataFrame) -> dict:
    """TTM revenue, NRR, GRR and share of wallet of everything in view at the quarter, from its
    groups' parts (every account is in one group, so the sums are the portfolio's: NRR = the
    cohort's TTM now / its TTM a year before, share of wallet = covered TTM / covered wallet,
    as `retention` defines them; undefined where every group's is)."""

    def total(df: pd.DataFrame, c: str) -> float:
        return float(pd.to_numeric(df[c], errors="coerce").sum())

    def defined(df: pd.DataFrame, c: str) -> bool:
        return bool(pd.to_numeric(df[c], errors="coerce").notna().any())

    base = total(ret_q, "cohort_base")
    ok = defined(ret_q, "nrr") and base > 0
    wallet = total(sow_q, "wallet_covered")
    return {
        "group": _ALL,
        "ttm_revenue": total(ret_q, "ttm_revenue") if len(ret_q) else None,
        "nrr": total(ret_q, "cohort_now") / base if ok else None,
        "grr": total(ret_q, "cohort_kept") / base if ok else None,
        "share_of_wallet": total(sow_q, "ttm_covered") / wallet
        if defined(sow_q, "share_of_wallet") and wallet > 0
        else None,
    }


def _retention(con, settings: Settings, ctx: PeriodContext, by: str | None, memo: Memo):
    """`retention.retention` per group of `by` and quarter, with its share-of-wallet columns:
    one pass over the grid for both (`wallet.share_of_wallet` makes the same pass)."""
    return memo.get(
        ("retention", by),
        lambda: retention(con, settings, by=by, ctx=ctx, with_wallet=True),
    )


def _share_of_wallet(con, settings: Settings, ctx: PeriodContext, by: str | None, memo: Memo):
    """The group share of wallet per quarter as `wallet.share_of_wallet` gives it (its columns
    and its rule: undefined before the first full TTM window; tests/test_program.py checks they
    agree), from `_retention`'s pass; its Missing without a wallet table."""
    miss = require(con, "revenue", "share of wallet") or require(con, "wallet", "share of wallet")
    if miss:
        return miss
    ret = _retention(con, settings, ctx, by, memo)
    if isinstance(ret, Missing):
        return ret
    short = ret["quarter"] < ctx.first + 3  # TTM(Q) needs quarters Q-3..Q inside the data
    return ret.assign(share_of_wallet=ret["share_of_wallet"].astype(object).where(~short, None))


def _shape(t: pd.DataFrame) -> pd.DataFrame:
    """TABLE_COLUMNS in order, counts as integers, undefined figures as None, the groups with
    most TTM revenue first (then by name)."""
    t = t.copy()
    for c in ("accounts", "plan_accounts", "qbr_due", "accounts_with_target"):
        t[c] = pd.to_numeric(t[c], errors="coerce").fillna(0).astype(int)
    t["accounts_without_target"] = (
        pd.to_numeric(t["accounts_without_target"], errors="coerce").fillna(0).astype(int)
    )
    t["tiers"] = [x if isinstance(x, dict) else {} for x in t["tiers"]]
    t["goal_met"] = t["goal_met"].astype(object).where(t["goal_met"].notna(), False).astype(bool)
    for c in TABLE_COLUMNS:
        if c not in ("group", "tiers", "goal_met") and c not in (
            "accounts",
            "plan_accounts",
            "qbr_due",
            "accounts_with_target",
            "accounts_without_target",
        ):
            t[c] = nullable(t[c])
    rev = pd.to_numeric(t["ttm_revenue"], errors="coerce").fillna(0.0)
    t = t.assign(_rev=rev, _none=t["group"] == NO_GROUP)
    t = t.sort_values(["_none", "_rev", "group"], ascending=[True, False, True], na_position="last")
    return t[TABLE_COLUMNS].reset_index(drop=True)


def program_trend(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    qi: int | None = None,
    ctx: PeriodContext | None = None,
    by: str = "owner",
    quarters: int = 8,
    memo: Memo | None = None,
) -> pd.DataFrame | Missing:
    """The measures with dated history (TREND_MEASURES) per group and quarter, for the
    `quarters` quarters up to `qi` (default: the last complete one): group, quarter, label,
    partial, ttm_revenue, nrr, grr, share_of_wallet, qbr_adherence, qbr_due. None where
    undefined (NRR without the year-ago window; share of wallet without an estimate; QBR
    cadence without an account due). `memo`: as for `kam_program`."""
    if by not in GROUPINGS:
        raise ValueError(f'program by "{by}": use one of {", ".join(GROUPINGS)}')
    ctx = ctx or period_context(con, settings)
    qi = ctx.last_complete if qi is None else qi
    memo = memo or Memo()
    ret = _retention(con, settings, ctx, by, memo)
    if isinstance(ret, Missing):
        return ret
    if qi is None:
        return Missing("revenue", "no complete quarter of revenue: the KAM trend not shown")
    window = [q for q in ctx.quarters() if qi - quarters < q <= qi]
    df = ret[ret["quarter"].isin(window)][
        ["group", "quarter", "label", "partial", "ttm_revenue", "nrr", "grr"]
    ]
    sow = _share_of_wallet(con, settings, ctx, by, memo)
    if isinstance(sow, Missing):
        df = df.assign(share_of_wallet=None)
    else:
        df = df.merge(sow[["group", "quarter", "share_of_wallet"]], how="left")
    cadence = qbr_cadence(con, settings, {q: quarter_as_of(ctx, q) for q in window})
    if isinstance(cadence, Missing) or cadence.empty:
        df = df.assign(qbr_adherence=None, qbr_due=0)
    else:
        c = cadence.merge(
            memo.get(("groups", by), lambda: _groups(con, by)), on="account_id", how="left"
        )
        c["group"] = c["group"].fillna(NO_GROUP)
        agg = c.groupby(["group", "q"], sort=False)["within"].agg(["mean", "size"]).reset_index()
        agg.columns = ["group", "quarter", "qbr_adherence", "qbr_due"]
        df = df.merge(agg, on=["group", "quarter"], how="left")
        df["qbr_due"] = df["qbr_due"].fillna(0).astype(int)
    for c in ("nrr", "grr", "share_of_wallet", "qbr_adherence"):
        df[c] = nullable(df[c])
    return df.sort_values(["group", "quarter"]).reset_index(drop=True)
