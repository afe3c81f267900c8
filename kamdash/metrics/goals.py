"""Growth goals: each account's revenue target for the fiscal year, attainment, projection, the
gap to goal and the open pipeline that could close it.

Definitions (design brief, "Growth goals"; the fiscal calendar of fiscal_year_start_month):

- A target's period is a fiscal year "FY2026" (named by the calendar year it ends in, as in
  periods.py) or a fiscal quarter "2026Q1" (the first quarter of FY2026). A load reads the
  ways exports write them ("FY 2026", "fy26", "Q1 2026"...) as these (ingest/contract.py).
- Rows of one account and period add up (a target per product line is one target).
- The year's target T(a) = the account's fiscal-year row; without one, the sum of its four
  quarters' rows when all four are given (quarters sum to their year); otherwise the account
  has no target for the year. Quarters that do not add up to the year's row, and quarters of
  a year with neither a year row nor all four quarters, are reported at load.
- The goal year Y = the fiscal year containing the as-of date D (`periods.as_of`: the latest
  revenue date, or the one set in the settings).
- FYTD(a) = a's revenue dated from the first day of Y to D, both included.
- attainment(a) = FYTD(a) / T(a).
- elapsed e = days from the first day of Y to D, both included; n = days in Y (365 or 366);
  projection(a) = FYTD(a) × n / e; projected attainment = projection / T(a).
- gap(a) = max(T(a) − FYTD(a), 0).
- pipeline(a) = the amounts of a's open deals with a known amount and an expected close date
  after D and on or before the last day of Y; coverage(a) = pipeline(a) / gap(a); a gap of
  0 is "goal met" (no coverage).
- A group (a KAM's book, a tier, the portfolio) counts only its accounts with a target:
  attainment = Σ FYTD / Σ T, projection = Σ FYTD × n / e, gap = max(Σ T − Σ FYTD, 0) (the goal
  is the group's: an account ahead offsets one behind), pipeline = Σ pipeline of those
  accounts, coverage = pipeline / gap. Its accounts with revenue in the year but no target are
  counted apart, with their FYTD revenue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from kamdash.core.db import frame, rows, table_exists
from kamdash.core.missing import Missing, missing, require
from kamdash.core.periods import (
    fiscal_year_bounds,
    fiscal_year_of,
    period_context,
    quarter_of,
)
from kamdash.core.settings import Settings
from kamdash.metrics.grid import NO_GROUP, account_quarters, nullable

ACCOUNT_COLUMNS = [
    "account_id",
    "account_name",
    "owner",
    "tier",
    "target",
    "fytd",
    "attainment",
    "projection",
    "projected_attainment",
    "gap",
    "pipeline",
    "coverage",
    "goal_met",
]
GROUP_COLUMNS = [
    "group",
    "accounts_with_target",
    "accounts_without_target",
    "fytd_without_target",
    "target",
    "fytd",
    "attainment",
    "projection",
    "projected_attainment",
    "gap",
    "pipeline",
    "coverage",
    "goal_met",
]


@dataclass(frozen=True)
class GoalYear:
    """The fiscal year the goals are measured in, as of `as_of`."""

    year: int  # 2026
    start: dt.date
    end: dt.date
    as_of: dt.date
    days: int  # n: days in the fiscal year
    elapsed: int  # e: days from its start to the as-of date, both included

    @property
    def label(self) -> str:
        return f"FY{self.year}"

    @property
    def quarters(self) -> tuple[str, ...]:
        return tuple(f"{self.year}Q{i}" for i in range(1, 5))


def goal_year(con: duckdb.DuckDBPyConnection, settings: Settings) -> GoalYear | Missing:
    """The fiscal year containing the as-of date, its bounds and the days elapsed."""
    d = period_context(con, settings).as_of  # the as-of date of `periods.as_of`
    if d is None:
        return Missing("revenue", "no revenue date and no as-of date set: growth goals not shown")
    fy = settings.fiscal_year_start_month
    year = fiscal_year_of(d, fy)
    start, end = fiscal_year_bounds(year, fy)
    return GoalYear(year, start, end, d, (end - start).days + 1, (d - start).days + 1)


@dataclass
class Goals:
    """`accounts`: ACCOUNT_COLUMNS, one row per account with a target for the year or revenue
    in it (sorted by account_id); None where undefined (no target; coverage when the goal is
    met). `pipeline_missing`: why pipeline and coverage are not shown (no opportunities)."""

    year: GoalYear
    accounts: pd.DataFrame
    pipeline_missing: Missing | None = None

    def summary(self, keys: pd.Series | None = None) -> pd.DataFrame:
        """The group figures (GROUP_COLUMNS) per value of `keys` (a Series of group labels
        aligned with `accounts`, e.g. `accounts["owner"]`; missing values are NO_GROUP), or one
        row for every account (group None) without keys."""
        return summarise(self.accounts, self.year, keys, self.pipeline_missing is None)


def account_goals(
    con: duckdb.DuckDBPyConnection, settings: Settings, account_id: str | None = None
) -> Goals | Missing:
    """Every account's goal figures for the fiscal year of the as-of date (module docstring),
    or only `account_id`'s (its row, if it has a target or revenue this year).

    Missing without a targets table, without an as-of date, or (for every account) when no
    account has a target for that year (the message names the periods the sheet holds)."""
    miss = require(con, "targets", "growth goals")
    if miss:
        return miss
    year = goal_year(con, settings)
    if isinstance(year, Missing):
        return year
    has_deals = table_exists(con, "opportunities")
    accounts = (
        "SELECT account_id, min(account_name) AS account_name, min(owner) AS owner, "
        "min(tier) AS tier FROM accounts GROUP BY account_id"
        if table_exists(con, "accounts")
        else "SELECT NULL::VARCHAR AS account_id, NULL::VARCHAR AS account_name, "
        "NULL::VARCHAR AS owner, NULL::VARCHAR AS tier WHERE false"
    )
    revenue = _fytd_sql(con, settings, year)
    pipeline = (
        "SELECT account_id, sum(amount) AS pipeline FROM opportunities WHERE is_open "
        "AND amount IS NOT NULL AND close_date > $as_of AND close_date <= $end GROUP BY 1"
        if has_deals
        else "SELECT NULL::VARCHAR AS account_id, NULL::DOUBLE AS pipeline WHERE false"
    )
    # T(a) = the year row, else the sum of all four quarter rows; rows of one account and
    # period add up. FYTD = revenue dated start..as_of; pipeline = open deals with an amount
    # closing after as_of, up to the year's end.
    sql = f"""
    WITH t AS (
        SELECT account_id, period, sum(target) AS target FROM targets
        WHERE account_id IS NOT NULL AND target > 0
            AND (period = $fy OR period IN (SELECT unnest($quarters::VARCHAR[])))
        GROUP BY ALL
    ),
    y AS (
        SELECT account_id,
            CASE WHEN count(*) FILTER (period = $fy) > 0 THEN sum(target) FILTER (period = $fy)
                 WHEN count(*) FILTER (period <> $fy) = 4
                 THEN sum(target) FILTER (period <> $fy) END AS target
        FROM t GROUP BY account_id
    ),
    r AS ({revenue}),
    p AS ({pipeline})
    SELECT a.account_id, a.account_name, a.owner, a.tier, y.target,
        coalesce(r.fytd, 0) AS fytd, coalesce(p.pipeline, 0) AS pipeline
    FROM ({accounts}) a LEFT JOIN y USING (account_id) LEFT JOIN r USING (account_id)
        LEFT JOIN p USING (account_id)
    WHERE (y.target IS NOT NULL OR coalesce(r.fytd, 0) <> 0)
        AND ($account::VARCHAR IS NULL OR a.account_id = $account::VARCHAR)
    ORDER BY a.account_id
    """
    params = {
        "fy": year.label,
        "quarters": list(year.quarters),
        "start": year.start,
        "as_of": year.as_of,
        "end": year.end,
        "account": account_id,
    }
    df = frame(con, sql, {k: v for k, v in params.items() if f"${k}" in sql})
    if account_id is None and not df["target"].notna().any():
        found = [
            r[0] for r in rows(con, "SELECT DISTINCT period FROM targets WHERE period IS NOT NULL")
        ]
        held = f" (it holds {', '.join(sorted(found)[:6])}{'…' if len(found) > 6 else ''})"
        return Missing(
            "targets",
            f"no account has a target for {year.label} in the targets sheet"
            f"{held if found else ''}: growth goals not shown",
        )
    out = _account_figures(df, year)
    if not has_deals:
        out["pipeline"] = None
        out["coverage"] = None
        return Goals(year, out, missing("opportunities", "pipeline coverage of the goals"))
    return Goals(year, out)


def _fytd_sql(con: duckdb.DuckDBPyConnection, settings: Settings, year: GoalYear) -> str:
    """SQL `SELECT account_id, fytd`: each account's revenue dated from the year's first day to
    the as-of date. When the as-of date is the extract's own (no revenue after it), the sum of
    the account x quarter grid's quarters of the year so far (`grid.account_quarters`: no scan
    of the revenue lines); else the lines themselves."""
    if not table_exists(con, "revenue"):
        return "SELECT NULL::VARCHAR AS account_id, NULL::DOUBLE AS fytd WHERE false"
    if settings.as_of is None:
        fy = settings.fiscal_year_start_month
        q0, q1 = quarter_of(year.start, fy), quarter_of(year.as_of, fy)
        aq = account_quarters(con, settings)
        return (
            f"SELECT account_id, sum(rev) AS fytd FROM {aq} "
            f"WHERE q BETWEEN {int(q0)} AND {int(q1)} GROUP BY 1"
        )
    return (
        "SELECT account_id, sum(amount) AS fytd FROM revenue WHERE date >= $start "
        "AND date <= $as_of AND account_id IS NOT NULL AND amount IS NOT NULL GROUP BY 1"
    )


def _account_figures(df: pd.DataFrame, year: GoalYear) -> pd.DataFrame:
    target = pd.to_numeric(df["target"], errors="coerce").astype(float)
    fytd = df["fytd"].astype(float)
    has = target.notna()
    gap = (target - fytd).clip(lower=0)
    out = df[["account_id", "account_name", "owner", "tier"]].copy()
    out["target"] = nullable(target)
    out["fytd"] = fytd
    out["attainment"] = nullable(fytd / target)
    projection = fytd * year.days / year.elapsed
    out["projection"] = projection
    out["projected_attainment"] = nullable(projection / target)
    out["gap"] = nullable(gap)
    out["pipeline"] = df["pipeline"].astype(float)
    out["coverage"] = nullable((df["pipeline"].astype(float) / gap).where(has & (gap > 0)))
    out["goal_met"] = has & (gap <= 0)
    return out[ACCOUNT_COLUMNS].reset_index(drop=True)


def summarise(
    accounts: pd.DataFrame,
    year: GoalYear,
    keys: pd.Series | None = None,
    with_pipeline: bool = True,
) -> pd.DataFrame:
    """GROUP_COLUMNS per group of `keys` (or one row over all, group None): over the accounts
    with a target only; the others counted apart (module docstring)."""
    acc = accounts.reset_index(drop=True)
    if keys is None:
        grp = pd.Series([0] * len(acc), dtype=object)  # one group: all (None once summed)
    else:
        k = keys.reset_index(drop=True)
        grp = k.astype(object).where(k.notna(), NO_GROUP)
    target = pd.to_numeric(acc["target"], errors="coerce").astype(float)
    has = target.notna()
    fytd = acc["fytd"].astype(float)
    pipe = pd.to_numeric(acc["pipeline"], errors="coerce").astype(float)
    d = pd.DataFrame(
        {
            "group": grp,
            "with": has.astype(int),
            "without": ((~has) & (fytd != 0)).astype(int),
            "fytd_without": fytd.where(~has, 0.0),
            "target": target.where(has, 0.0),
            "fytd": fytd.where(has, 0.0),
            "pipeline": pipe.where(has, 0.0),
        }
    )
    g = d.groupby("group", sort=True).sum()
    out = pd.DataFrame({"group": [None if keys is None else x for x in g.index]})
    out["accounts_with_target"] = g["with"].to_numpy().astype(int)
    out["accounts_without_target"] = g["without"].to_numpy().astype(int)
    out["fytd_without_target"] = g["fytd_without"].to_numpy()
    tot, done = g["target"].to_numpy(), g["fytd"].to_numpy()
    any_target = out["accounts_with_target"].to_numpy() > 0
    gap = np.clip(tot - done, 0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        projection = done * year.days / year.elapsed
        out["target"] = nullable(np.where(any_target, tot, np.nan))
        out["fytd"] = nullable(np.where(any_target, done, np.nan))
        out["attainment"] = nullable(np.where(any_target, done / tot, np.nan))
        out["projection"] = nullable(np.where(any_target, projection, np.nan))
        out["projected_attainment"] = nullable(np.where(any_target, projection / tot, np.nan))
        out["gap"] = nullable(np.where(any_target, gap, np.nan))
        pipeline = g["pipeline"].to_numpy()
        ok = any_target & with_pipeline
        out["pipeline"] = nullable(np.where(ok, pipeline, np.nan))
        out["coverage"] = nullable(np.where(ok & (gap > 0), pipeline / gap, np.nan))
    out["goal_met"] = any_target & (gap <= 0)
    return out[GROUP_COLUMNS]
