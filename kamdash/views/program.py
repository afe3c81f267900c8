"""What the KAM program page shows, as plain data: a row per KAM (and per team when the extract
has a team table) with the program metrics and growth goals of `metrics.program`, the totals
over everything in view, the trend of the measures with dated history; and one account's
growth goal for the QBR page.

Tables are given as the page lays them out: numbers stay numbers (so a click on a header sorts
them; rates as fractions, money in the snapshot's currency, coverage as a multiple), `FORMATS`
says how each reads (`ui.table` formats) and `COLUMN_HELP` what it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from kamdash.core.db import table_exists
from kamdash.core.fmt import UNTIERED, as_float, tier_key
from kamdash.core.missing import Missing
from kamdash.core.periods import PeriodContext
from kamdash.core.settings import Settings
from kamdash.metrics import goals as goals_mod
from kamdash.metrics.definitions import BY_KEY
from kamdash.metrics.grid import NO_GROUP
from kamdash.metrics.program import (
    CURRENT_ONLY,
    TREND_MEASURES,
    Memo,
    kam_program,
    program_trend,
)

NO_OWNER = "(no owner)"  # the row of accounts without an owner
NO_TEAM = "(no team)"
TIER_COLUMNS = ("Tier 1", "Tier 2", "Tier 3")
# display column -> (figure of `metrics.program`, how it reads: a `ui.table` format)
_COLUMNS = {
    "Accounts": ("accounts", "integer"),
    "Revenue TTM": ("ttm_revenue", "money"),
    "NRR": ("nrr", "percent"),
    "GRR": ("grr", "percent"),
    "Share of wallet": ("share_of_wallet", "percent"),
    "Plans fresh": ("plan_fresh_rate", "percent"),
    "QBR cadence": ("qbr_adherence", "percent"),
    "Multithreaded": ("multithreaded_rate", "percent"),
    "Exec access": ("exec_access_rate", "percent"),
    "Attainment": ("attainment", "percent"),
    "Projected": ("projected_attainment", "percent"),
    "Gap to goal": ("gap", "money"),
    "Pipeline this FY": ("pipeline", "money"),
    "Coverage ×": ("coverage", "score"),
}
FORMATS = {c: k for c, (_, k) in _COLUMNS.items()} | {t: "integer" for t in TIER_COLUMNS}
COLUMN_HELP = {
    "Accounts": BY_KEY["kam_book"].text,
    "Revenue TTM": "Revenue in the twelve months to the quarter.",
    "NRR": BY_KEY["nrr"].text,
    "GRR": BY_KEY["grr"].text,
    "Share of wallet": BY_KEY["share_of_wallet"].text,
    "Plans fresh": BY_KEY["plan_freshness_rate"].text,
    "QBR cadence": BY_KEY["qbr_cadence_adherence"].text,
    "Multithreaded": BY_KEY["multithreading"].text,
    "Exec access": "Share of the book's accounts with an executive-level contact at the "
    "active strength. Current only.",
    "Attainment": BY_KEY["attainment"].text,
    "Projected": BY_KEY["projection"].text,
    "Gap to goal": BY_KEY["gap_and_coverage"].text,
    "Pipeline this FY": "Open pipeline of the accounts with a target: known amounts, expected "
    "to close after the as-of date and by the end of the fiscal year.",
    "Coverage ×": "Pipeline this FY / gap to goal: how many times the pipeline covers the gap. "
    "Empty when the goal is met.",
}


@dataclass
class ProgramView:
    """The KAM page's data for `quarter`, grouped `by` ("owner": a row per KAM; "team": the
    team roll-up): `table` as laid out (first column the KAM or team, then TIER_COLUMNS and the
    `_COLUMNS`), `groups` the KAM / team name of each row (None for the row of accounts
    without one), `total` the figures over everything in view (`metrics.program` names),
    `missing` what is not shown."""

    quarter: int
    as_of: dt.date | None
    by: str
    table: pd.DataFrame
    groups: list[str | None]
    total: dict
    missing: list[Missing] = field(default_factory=list)
    goal_year: goals_mod.GoalYear | None = None
    extra_tiers: list[str] = field(default_factory=list)  # tier labels beyond Tier 1-3


GROUPINGS = {"owner": "KAM", "team": "Team"}


def groupings(con: duckdb.DuckDBPyConnection) -> list[str]:
    """How the page can group its rows: by KAM, and by team when there is a team table."""
    return ["owner", "team"] if table_exists(con, "team") else ["owner"]


def _display(table: pd.DataFrame, first: str, none_label: str) -> tuple[pd.DataFrame, list]:
    groups = [None if g == NO_GROUP else g for g in table["group"]]
    out = pd.DataFrame({first: [none_label if g is None else g for g in groups]})
    labels = sorted({t for d in table["tiers"] for t in d}, key=tier_key)
    for t in [*TIER_COLUMNS, *(t for t in labels if t not in TIER_COLUMNS)]:
        name = UNTIERED if t == NO_GROUP else t
        out[name] = [int(d.get(t, 0)) for d in table["tiers"]]
    for col, (src, kind) in _COLUMNS.items():
        vals = table[src].astype(int) if kind == "integer" else [as_float(v) for v in table[src]]
        out[col] = pd.Series(vals, dtype="int64" if kind == "integer" else "float64")
    return out, groups


def program_view(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    ctx: PeriodContext,
    qi: int | None,
    by: str = "owner",
    memo: Memo | None = None,
) -> ProgramView | Missing:
    """The KAM program for quarter `qi` on cursor `con` (the viewer's scope and filters): a
    row per KAM (`by="owner"`) or per team (`by="team"`, the team roll-up). `memo`: one per
    page run, shared with `trend` (`metrics.program.Memo`)."""
    p = kam_program(con, settings, qi=qi, ctx=ctx, by=by, memo=memo)
    if isinstance(p, Missing):
        return p
    none = NO_OWNER if by == "owner" else NO_TEAM
    table, groups = _display(p.table, GROUPINGS[by], none)
    extra = [c for c in table.columns[1:] if c not in _COLUMNS and c not in TIER_COLUMNS]
    return ProgramView(
        p.quarter, p.as_of, by, table, groups, p.total, p.missing, p.goal_year, extra
    )


def trend(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    ctx: PeriodContext,
    qi: int | None,
    by: str = "owner",
    memo: Memo | None = None,
) -> pd.DataFrame | Missing:
    """The measures with dated history per KAM (or team) and quarter, the eight quarters to
    `qi` (`metrics.program.program_trend`), for the TREND_GROUPS groups with most TTM revenue
    in the last of them (`attrs["groups"]`: how many there are in all); the group of accounts
    without one is labelled."""
    df = program_trend(con, settings, qi=qi, ctx=ctx, by=by, memo=memo)
    if isinstance(df, Missing):
        return df
    last = df[df["quarter"] == df["quarter"].max()].sort_values(
        ["ttm_revenue", "group"], ascending=[False, True]
    )
    drawn = list(last["group"].head(TREND_GROUPS))
    none = NO_OWNER if by == "owner" else NO_TEAM
    out = df[df["group"].isin(drawn)].reset_index(drop=True)
    out = out.assign(group=[none if g == NO_GROUP else g for g in out["group"]])
    out.attrs["groups"] = int(df["group"].nunique())
    return out


MEASURES = TREND_MEASURES  # what the trend can show (the others: CURRENT_ONLY)
TREND_GROUPS = 10  # lines drawn: the largest books (a legend of ten stays readable)
CURRENT_ONLY_TEXT = (
    ", ".join(CURRENT_ONLY.values()) + ": current only (an extract holds the latest plan date, "
    "today's contacts and today's pipeline, not their history)."
)


def coverage_text(coverage, goal_met: bool) -> str:
    """Pipeline coverage as a page writes it: "1.4×", "Goal met", or "–" when undefined."""
    if goal_met:
        return "Goal met"
    cov = as_float(coverage)
    return "–" if cov is None else f"{cov:.1f}×"


@dataclass(frozen=True)
class AccountGoal:
    """One account's growth goal for the fiscal year of the as-of date (`metrics.goals`)."""

    year: str  # "FY2026"
    as_of: dt.date
    target: float | None  # None: no target for the year
    fytd: float
    attainment: float | None
    projection: float
    projected_attainment: float | None
    gap: float | None
    pipeline: float | None  # None without an opportunities table
    coverage: float | None  # None when the goal is met or without pipeline
    goal_met: bool


def account_goal(
    con: duckdb.DuckDBPyConnection, settings: Settings, account_id: str
) -> AccountGoal | Missing:
    """The goal figures of `account_id` (target None when it has no target for the year)."""
    g = goals_mod.account_goals(con, settings, account_id)
    if isinstance(g, Missing):
        return g
    row = g.accounts[g.accounts["account_id"] == account_id]
    y = g.year
    if row.empty:
        return AccountGoal(y.label, y.as_of, None, 0.0, None, 0.0, None, None, None, None, False)
    r = row.iloc[0]
    return AccountGoal(
        y.label,
        y.as_of,
        as_float(r["target"]),
        float(r["fytd"]),
        as_float(r["attainment"]),
        float(r["projection"]),
        as_float(r["projected_attainment"]),
        as_float(r["gap"]),
        as_float(r["pipeline"]),
        as_float(r["coverage"]),
        bool(r["goal_met"]),
    )
