"""What the Retention & wallet page shows, as plain data: the NRR / GRR trend, retention by
group, the revenue bridge and share of wallet. Every figure comes from metrics.retention and
metrics.wallet; this module only chooses periods, groups and rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from kamdash.core.db import frame, has_table, scalar
from kamdash.core.fmt import tier_key
from kamdash.core.missing import Missing, require
from kamdash.core.periods import PeriodContext
from kamdash.core.settings import Settings
from kamdash.metrics.grid import NO_GROUP, group_sql
from kamdash.metrics.retention import RevenueBridge, retention, revenue_bridge
from kamdash.metrics.wallet import share_of_wallet, wallet_quadrants

NO_REVENUE = Missing(
    "revenue", "no revenue in this extract (no revenue sheet and no won opportunities)"
)
DIMENSIONS = ("tier", "region", "industry", "owner", "team")
GROUPS_DRAWN = 8  # retention by group: the largest groups by TTM revenue
MOVEMENTS_SHOWN = 10  # the bridge's largest account movements
BRIDGE_KINDS = ("ttm", "quarter")
MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")


def trend(
    con: duckdb.DuckDBPyConnection, settings: Settings, ctx: PeriodContext, qi: int | None
) -> pd.DataFrame | Missing:
    """Portfolio NRR / GRR per quarter up to `qi` (the `retention` rows)."""
    if qi is None:
        return NO_REVENUE
    ret = retention(con, settings, ctx=ctx)
    return ret[ret["quarter"] <= qi]


def dimensions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The dimensions retention can be split by (team needs a team table)."""
    return [d for d in DIMENSIONS if d != "team" or has_table(con, "team")]


def default_dimension(con: duckdb.DuckDBPyConnection, dims: list[str]) -> str | None:
    """The split shown first: the first of `dims` whose accounts (as filtered) carry more than
    one value (a split by a dimension the extract leaves blank, or with one value, is one line
    repeating the total); the first of `dims` when none has two."""
    for d in dims:
        n = scalar(con, f"SELECT count(DISTINCT grp) FROM ({group_sql(con, d)}) WHERE grp <> ''")
        if (n or 0) > 1:
            return d
    return dims[0] if dims else None


@dataclass(frozen=True)
class GroupTrend:
    table: pd.DataFrame  # the `retention(by=...)` rows of the groups drawn, up to the quarter
    groups: int  # groups in the data (those drawn: at most GROUPS_DRAWN)
    order: list[str] = field(default_factory=list)  # groups drawn, in legend order
    accounts: dict[str, int] = field(default_factory=dict)  # cohort accounts, last quarter
    too_few: list[str] = field(default_factory=list)  # below min_accounts: not comparable
    min_accounts: int = 0  # settings.min_group_accounts


def by_group(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    ctx: PeriodContext,
    qi: int,
    by: str,
    metric: str = "nrr",
) -> GroupTrend:
    """Retention per group of `by` up to `qi`: the GROUPS_DRAWN groups with the largest TTM
    revenue in the last quarter where `metric` is defined; in legend order (tiers: Tier 1,
    Tier 2, Tier 3, then no tier; else largest first), each with its cohort's account count in
    that quarter; groups of fewer than settings.min_group_accounts are listed in `too_few`."""
    df = retention(con, settings, by=by, ctx=ctx)
    df = df[df["quarter"] <= qi]
    known = df[df[metric].notna()]
    last = known[known["quarter"] == known["quarter"].max()]
    keep = list(last.sort_values("ttm_revenue", ascending=False)["group"].head(GROUPS_DRAWN))
    if by == "tier":
        keep = sorted(keep, key=lambda g: tier_key(None if g == NO_GROUP else g))
    n = dict(zip(last["group"], last["cohort_accounts"].fillna(0).astype(int), strict=True))
    counts = {g: int(n.get(g, 0)) for g in keep}
    few = [g for g in keep if counts[g] < settings.min_group_accounts]
    return GroupTrend(
        known[known["group"].isin(keep)],
        int(df["group"].nunique()),
        keep,
        counts,
        few,
        int(settings.min_group_accounts),
    )


def bridge_starts(ctx: PeriodContext, qi: int, kind: str) -> tuple[list[int], int | None]:
    """The periods a bridge to `qi` can start from (newest first) and the default one (a year
    before, else the oldest). A TTM window must lie fully inside the data."""
    starts = [
        q for q in reversed(ctx.quarters()) if q < qi and (kind == "quarter" or q - 3 >= ctx.first)
    ]
    if not starts:
        return [], None
    return starts, qi - 4 if qi - 4 in starts else starts[-1]


@dataclass(frozen=True)
class Bridge:
    bridge: RevenueBridge
    counts: dict[str, int]  # accounts per category
    movements: pd.DataFrame  # the largest: account_id, account_name, start, end, change, category


def bridge(
    con: duckdb.DuckDBPyConnection, settings: Settings, start: int, end: int, kind: str
) -> Bridge:
    """The revenue bridge from `start` to `end` and its MOVEMENTS_SHOWN largest accounts."""
    b = revenue_bridge(con, settings, start, end, kind=kind)
    top = b.accounts.head(MOVEMENTS_SHOWN)
    if has_table(con, "accounts"):
        names = frame(
            con, "SELECT account_id, min(account_name) AS account_name FROM accounts GROUP BY ALL"
        )
        top = top.merge(names, on="account_id", how="left")
    else:
        top = top.assign(account_name=None)
    return Bridge(b, b.counts(), top)


@dataclass(frozen=True)
class Wallet:
    trend: pd.DataFrame  # `share_of_wallet` rows up to the quarter with a full TTM window
    without_estimate: int  # active accounts left out of the share in the chosen quarter
    quadrants: pd.DataFrame  # `wallet_quadrants` (medians in attrs)


def wallet_share(
    con: duckdb.DuckDBPyConnection, settings: Settings, ctx: PeriodContext
) -> pd.DataFrame | Missing:
    """`share_of_wallet` per quarter, or why it cannot be shown."""
    return require(con, "wallet", "share of wallet") or share_of_wallet(con, settings, ctx=ctx)


def wallet(
    con: duckdb.DuckDBPyConnection, settings: Settings, ctx: PeriodContext, qi: int
) -> Wallet | Missing:
    """Share of wallet up to `qi` (drawn from the first quarter with twelve months of data:
    an incomplete TTM window would understate it) and the wallet quadrants of `qi`."""
    sow = wallet_share(con, settings, ctx)
    if isinstance(sow, Missing):
        return sow
    sow = sow[(sow["quarter"] <= qi) & (sow["quarter"] - 3 >= ctx.first)]
    last = sow[sow["quarter"] == qi]
    without = int(last["accounts_without_estimate"].iloc[0]) if len(last) else 0
    return Wallet(sow, without, wallet_quadrants(con, settings, qi=qi, ctx=ctx))
