"""What the Portfolio page shows, as plain data: headline figures against a year ago, accounts
by tier, revenue concentration and the accounts needing attention.

"A year ago" is the same TTM window four quarters earlier. Changes against it are given only
when that window lies fully inside the data (a window reaching before the first quarter would
understate the year-ago figure and overstate growth); NRR, GRR and share of wallet carry their
own history rule (None where undefined).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from kamdash.core.fmt import UNTIERED, as_float, tier_key
from kamdash.core.missing import Missing
from kamdash.core.periods import PeriodContext
from kamdash.core.settings import Settings
from kamdash.metrics.attention import REASON_LABELS, needing_attention
from kamdash.metrics.concentration import concentration, pareto
from kamdash.metrics.goals import GoalYear, account_goals
from kamdash.metrics.grid import NO_GROUP
from kamdash.metrics.retention import retention
from kamdash.views.retention import NO_REVENUE, wallet_share


@dataclass(frozen=True)
class Headline:
    """The headline figures of the TTM to `quarter`; *_change against `year_ago` (None where
    not comparable): ttm_growth = TTM / TTM a year ago - 1, the others differences."""

    quarter: int
    year_ago: int
    ttm: float | None
    ttm_growth: float | None
    nrr: float | None
    nrr_change: float | None
    grr: float | None
    grr_change: float | None
    share_of_wallet: float | Missing | None
    share_change: float | None
    active: int
    active_change: int | None


def full_year_ago(ctx: PeriodContext, qi: int) -> bool:
    """Whether the TTM window a year before `qi` lies fully inside the data."""
    return qi - 4 - 3 >= ctx.first


def _at(df: pd.DataFrame, qi: int, col: str) -> float | None:
    row = df[df["quarter"] == qi]
    return as_float(row[col].iloc[0]) if len(row) else None


def _diff(now, before):
    return None if now is None or before is None else now - before


def headline(
    con: duckdb.DuckDBPyConnection, settings: Settings, ctx: PeriodContext, qi: int | None
) -> Headline | Missing:
    """The Portfolio page's five headline figures for quarter `qi`."""
    if qi is None:
        return NO_REVENUE
    prev = qi - 4
    ret = retention(con, settings, ctx=ctx)
    sow = wallet_share(con, settings, ctx)
    full = full_year_ago(ctx, qi)
    ttm, ttm_prev = _at(ret, qi, "ttm_revenue"), _at(ret, prev, "ttm_revenue") if full else None
    nrr, grr = _at(ret, qi, "nrr"), _at(ret, qi, "grr")
    active = int(concentration(con, settings, qi=qi, ctx=ctx).iloc[0]["accounts"])
    active_prev = (
        int(concentration(con, settings, qi=prev, ctx=ctx).iloc[0]["accounts"]) if full else None
    )
    if isinstance(sow, Missing):
        share, share_change = sow, None
    else:
        share = _at(sow, qi, "share_of_wallet")
        share_change = _diff(share, _at(sow, prev, "share_of_wallet"))
    return Headline(
        quarter=qi,
        year_ago=prev,
        ttm=ttm,
        ttm_growth=ttm / ttm_prev - 1 if ttm is not None and ttm_prev else None,
        nrr=nrr,
        nrr_change=_diff(nrr, _at(ret, prev, "nrr")),
        grr=grr,
        grr_change=_diff(grr, _at(ret, prev, "grr")),
        share_of_wallet=share,
        share_change=share_change,
        active=active,
        active_change=_diff(active, active_prev),
    )


def tiers(
    con: duckdb.DuckDBPyConnection, settings: Settings, ctx: PeriodContext, qi: int
) -> pd.DataFrame | Missing:
    """Active accounts and TTM revenue per assigned tier, in tier order (`fmt.tier_key`): tier
    (label), accounts, revenue, accounts_change (against a year ago; None where not
    comparable)."""
    now = concentration(con, settings, by="tier", qi=qi, ctx=ctx)
    if now.empty or set(now["group"]) == {NO_GROUP}:
        return Missing(
            "accounts.tier", "no tier is assigned in the accounts sheet: accounts by tier not shown"
        )
    before = concentration(con, settings, by="tier", qi=qi - 4, ctx=ctx).set_index("group")
    full = full_year_ago(ctx, qi)
    now = now.iloc[sorted(range(len(now)), key=lambda i: tier_key(now["group"].iloc[i]))]
    return pd.DataFrame(
        {
            "tier": [UNTIERED if g == NO_GROUP else g for g in now["group"]],
            "accounts": now["accounts"].astype(int).tolist(),
            "revenue": now["ttm_total"].astype(float).tolist(),
            "accounts_change": pd.Series(
                [
                    int(n) - int(before.at[g, "accounts"]) if full and g in before.index else None
                    for g, n in zip(now["group"], now["accounts"], strict=True)
                ],
                dtype=object,
            ),
        }
    )


@dataclass(frozen=True)
class GrowthGoals:
    """The portfolio's growth goals (`metrics.goals`): `total` the group figures over every
    account in view, `by_tier` the same per assigned tier (tier label first, in tier order),
    `pipeline_missing` why pipeline coverage is not shown (no opportunities)."""

    year: GoalYear
    total: dict
    by_tier: pd.DataFrame
    pipeline_missing: Missing | None = None


def growth_goals(con: duckdb.DuckDBPyConnection, settings: Settings) -> GrowthGoals | Missing:
    """Attainment, projection, gap and pipeline coverage of the fiscal year to date, in total
    and by tier."""
    g = account_goals(con, settings)
    if isinstance(g, Missing):
        return g
    tiers = g.accounts["tier"].astype(object).where(g.accounts["tier"].notna(), UNTIERED)
    by = g.summary(tiers)
    by = by[by["accounts_with_target"] > 0]
    by = by.iloc[sorted(range(len(by)), key=lambda i: tier_key(by["group"].iloc[i]))]
    by = by.rename(columns={"group": "tier"}).reset_index(drop=True)
    return GrowthGoals(g.year, g.summary().iloc[0].to_dict(), by, g.pipeline_missing)


@dataclass(frozen=True)
class Concentration:
    summary: dict  # the `concentration` row: top10_share, top10_accounts, ..., hhi
    curve: pd.DataFrame  # `pareto`


def revenue_concentration(
    con: duckdb.DuckDBPyConnection, settings: Settings, ctx: PeriodContext, qi: int
) -> Concentration:
    return Concentration(
        concentration(con, settings, qi=qi, ctx=ctx).iloc[0].to_dict(),
        pareto(con, settings, qi=qi, ctx=ctx),
    )


@dataclass
class Flagged:
    """The attention list: `table` as `needing_attention` (reasons are `Reason` records, ranked
    by revenue at risk = the account's TTM) plus `kinds` (the reason kinds of each account);
    `counts` / `at_risk`: accounts / their TTM per kind (kinds present); `not_checked`: kind ->
    why a check could not run; `checked`: the kinds that ran; `rows`: how many the page lists
    (settings.attention_rows); `single_thread_rule`: which accounts single-threading counts for."""

    table: pd.DataFrame
    counts: dict[str, int]
    missing: list[Missing] = field(default_factory=list)
    at_risk: dict[str, float] = field(default_factory=dict)
    not_checked: dict[str, str] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)
    rows: int = 15
    single_thread_rule: str = ""

    def shown(self, kinds: Collection[str] = ()) -> tuple[pd.DataFrame, int, float]:
        """The `rows` accounts with the most revenue at risk having any of `kinds` (none: all),
        how many accounts have one, and their revenue at risk (Σ TTM)."""
        rows = self.table
        if kinds:
            rows = rows[[bool(set(k) & set(kinds)) for k in rows["kinds"]]]
        return rows.head(self.rows), len(rows), float(rows["ttm"].sum()) if len(rows) else 0.0

    def matching(self, kinds: Collection[str] = ()) -> pd.DataFrame:
        """Every flagged account with any of `kinds` (none: all), in the list's order: what the
        table's downloads hold (the page shows the first `rows`)."""
        if not kinds:
            return self.table
        return self.table[[bool(set(k) & set(kinds)) for k in self.table["kinds"]]]

    @property
    def all_clear(self) -> bool:
        """No account flagged AND every check ran: only then may a page say so."""
        return self.table.empty and not self.not_checked


def attention(con: duckdb.DuckDBPyConnection, settings: Settings, qi: int) -> Flagged | Missing:
    """The accounts needing attention in quarter `qi`, largest revenue at risk first."""
    att = needing_attention(con, settings, qi=qi)
    if isinstance(att, Missing):
        return att
    table = att.table.assign(kinds=[[r.kind for r in rs] for rs in att.table["reasons"]])
    counts = {k: sum(k in ks for ks in table["kinds"]) for k in REASON_LABELS}
    at_risk = {
        k: float(sum(t for t, ks in zip(table["ttm"], table["kinds"], strict=True) if k in ks))
        for k in REASON_LABELS
    }
    return Flagged(
        table,
        {k: n for k, n in counts.items() if n},
        att.missing,
        {k: v for k, v in at_risk.items() if counts[k]},
        att.not_checked,
        att.checked,
        max(1, int(settings.attention_rows)),
        att.single_thread_rule,
    )
