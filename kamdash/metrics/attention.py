"""The Portfolio page's "accounts needing attention" list.

An account needs attention when any of these holds (each from its own metric module), for
quarter Q (default: the last complete quarter):

- shrinking: TTM(Q) / TTM(Q-4) < settings.shrinking_ratio (TTM(Q-4) > 0, full history;
  `retention.account_growth`) -> "shrinking: TTM −23% YoY"
- single-threaded: at most one active contact (`relationships`) -> "single-threaded" (with
  "(no active contact)" when there is none), only where it matters (settings): accounts of an
  assigned tier in `single_thread_tiers` (default Tier 1 and Tier 2), or with TTM(Q) at least
  `single_thread_min_revenue` (0: no revenue rule). A Tier 3 account with one contact is
  programmatic coverage, not a risk.
- stale plan: days since plan_updated beyond the tier cadence (`qbr.plan_freshness`) ->
  "plan stale (214 days)" / "plan stale (no plan date)"
- red QBR: the latest QBR dated on or before Q's as-of date is in the red band
  (`qbr.latest_qbr`) -> "red QBR (2.3)"

Plans and QBRs are looked at as of Q's as-of date (`periods.quarter_as_of`: the end of Q for
a quarter before the last complete one, else the extract's as-of date), as on the QBR page.
Revenue at risk of an account = its TTM(Q) (design brief); the list is ranked by it (ties by
account ID) and the page shows the `settings.attention_rows` first.

A check that cannot run (its table or column is missing, no year-ago window for shrinking,
no tier and no revenue rule for single-threaded) is "not checked": listed in `not_checked`
(kind -> why) and `missing`, never read as "nothing found".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from kamdash.core.db import frame, has_table, scalar, unfiltered
from kamdash.core.missing import Missing, require
from kamdash.core.periods import period_context, quarter_as_of
from kamdash.core.settings import Settings
from kamdash.metrics import qbr as qbr_mod
from kamdash.metrics import relationships as rel_mod
from kamdash.metrics.retention import account_growth

COLUMNS = ["account_id", "account_name", "owner", "tier", "ttm", "reasons"]
REASON_LABELS = {
    "shrinking": "Shrinking",
    "single_threaded": "Single-threaded",
    "stale_plan": "Stale plan",
    "red_qbr": "Red QBR",
}
CHECK_NAMES = {  # a check's name inside a sentence
    "shrinking": "shrinking",
    "single_threaded": "single-threaded",
    "stale_plan": "plan freshness",
    "red_qbr": "red QBR",
}


@dataclass(frozen=True)
class Reason:
    kind: str  # a key of REASON_LABELS
    text: str  # plain words for the page: "shrinking: TTM −23% YoY"


@dataclass
class Attention:
    """table: account_id, account_name, owner, tier, ttm (= the account's revenue at risk),
    reasons (list of `Reason`), only accounts with at least one reason, sorted by ttm desc
    then account_id.
    missing: the reason kinds not checked, as `Missing` (table, "<why>: <kind> not checked").
    not_checked: kind -> why (plain words); checked: the kinds that ran, in REASON_LABELS
    order; single_thread_rule: which accounts single-threading counts for (plain words)."""

    table: pd.DataFrame
    missing: list[Missing] = field(default_factory=list)
    not_checked: dict[str, str] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)
    single_thread_rule: str = ""

    @property
    def revenue_at_risk(self) -> float:
        """Σ TTM(Q) of the flagged accounts."""
        return float(self.table["ttm"].sum()) if len(self.table) else 0.0


def _pct(x: float) -> str:
    p = round(x * 100)
    return f"−{-p}%" if p < 0 else f"+{p}%"


def _per_account(df: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    return df.drop_duplicates("account_id").set_index("account_id").reindex(index)


def _shrinking(g: pd.DataFrame) -> list[Reason | None]:
    shrink = g["shrinking"].fillna(False).astype(bool)
    growth = pd.to_numeric(g["growth"], errors="coerce")
    return [
        Reason("shrinking", f"shrinking: TTM {_pct(x - 1) if pd.notna(x) else ''} YoY")
        if s
        else None
        for s, x in zip(shrink, growth, strict=True)
    ]


def single_thread_matters(tier: pd.Series, ttm: pd.Series, settings: Settings) -> pd.Series:
    """Whether single-threading counts for each account: its assigned tier is one of
    `settings.single_thread_tiers`, or its TTM revenue is at least
    `settings.single_thread_min_revenue` (when that is above 0)."""
    by_tier = tier.isin(list(settings.single_thread_tiers))
    if settings.single_thread_min_revenue > 0:
        by_tier |= ttm.fillna(0.0) >= settings.single_thread_min_revenue
    return by_tier.fillna(False).astype(bool)


def single_thread_rule(settings: Settings, money=None) -> str:
    """The single-threaded rule in plain words: "Tier 1 and Tier 2 accounts (or TTM ≥ $500k)"."""
    tiers = list(settings.single_thread_tiers)
    parts = []
    if tiers:
        parts.append(" and ".join([", ".join(tiers[:-1]), tiers[-1]] if len(tiers) > 1 else tiers))
        parts[-1] += " accounts"
    if settings.single_thread_min_revenue > 0:
        amount = (
            money(settings.single_thread_min_revenue)
            if money
            else f"{settings.single_thread_min_revenue:,.0f}"
        )
        parts.append(f"accounts with TTM revenue of at least {amount}")
    return " or ".join(parts) if parts else "no account"


def _single_threaded(r: pd.DataFrame, matters: pd.Series) -> list[Reason | None]:
    single = r["single_threaded"].fillna(True).astype(bool) & matters.to_numpy()
    active = r["active"].fillna(0)
    return [
        Reason("single_threaded", "single-threaded" + (" (no active contact)" if n == 0 else ""))
        if s
        else None
        for s, n in zip(single, active, strict=True)
    ]


def _why(m: Missing) -> str:
    """The reason part of a metric's Missing ("no QBR sheet in this extract: QBR scorecards not
    shown" -> "no QBR sheet in this extract")."""
    text = str(m)
    head, sep, tail = text.rpartition(": ")
    return head if sep and tail.endswith("not shown") else text


def _stale_plan(p: pd.DataFrame) -> list[Reason | None]:
    stale = p["stale"].fillna(False).astype(bool)
    return [
        Reason("stale_plan", f"plan {status}") if s else None
        for s, status in zip(stale, p["status"], strict=True)
    ]


def _red_qbr(q: pd.DataFrame) -> list[Reason | None]:
    red = (q["rag"] == "red").fillna(False).astype(bool)
    return [
        Reason("red_qbr", f"red QBR ({f'{x:.1f}' if pd.notna(x) else ''})") if r else None
        for r, x in zip(red, q["score"], strict=True)
    ]


def needing_attention(
    con: duckdb.DuckDBPyConnection, settings: Settings, qi: int | None = None
) -> Attention | Missing:
    """The attention list for quarter `qi` (default: the last complete quarter)."""
    miss = require(con, "accounts", "the attention list")
    if miss:
        return miss
    not_checked: dict[str, tuple[str, str]] = {}  # kind -> (table, why)
    base = frame(
        con, "SELECT account_id, account_name, owner, tier FROM accounts ORDER BY account_id"
    )
    base = base.drop_duplicates("account_id").set_index("account_id")
    found: list[list[Reason | None]] = []
    ctx = period_context(con, settings)
    qi = ctx.last_complete if qi is None else qi
    at = quarter_as_of(ctx, qi) if qi is not None else None
    then = settings if at is None else dataclasses.replace(settings, as_of=at.isoformat())

    base["ttm"] = 0.0
    if has_table(con, "revenue"):
        g = _per_account(account_growth(con, settings, qi=qi, ctx=ctx), base.index)
        base["ttm"] = g["ttm_now"].astype(float).fillna(0.0)
        if qi is not None and ctx.first is not None and qi - 7 >= ctx.first:
            found.append(_shrinking(g))
        else:  # TTM a year before needs quarters Q-7..Q-4 inside the data
            why = "the extract does not reach back to the twelve months a year before"
            not_checked["shrinking"] = ("revenue", why)
    else:
        not_checked["shrinking"] = ("revenue", "no revenue in this extract")

    rel = rel_mod.relationships(con, settings)
    matters = single_thread_matters(base["tier"], base["ttm"], settings)
    if isinstance(rel, Missing):
        not_checked["single_threaded"] = (rel.table, _why(rel))
    elif settings.single_thread_min_revenue <= 0 and not _any_tier(con):
        why = (
            "no account has an assigned tier to say where it matters "
            "(set single_thread_min_revenue to check accounts above a revenue)"
        )
        not_checked["single_threaded"] = ("accounts.tier", why)
    else:
        found.append(_single_threaded(_per_account(rel, base.index), matters))
    checks = (
        ("stale_plan", qbr_mod.plan_freshness(con, then), _stale_plan),
        ("red_qbr", qbr_mod.latest_qbr(con, settings, upto=at), _red_qbr),
    )
    for kind, df, reasons in checks:
        if isinstance(df, Missing):
            not_checked[kind] = (df.table, _why(df))
        else:
            found.append(reasons(_per_account(df, base.index)))

    per_account = zip(*found, strict=True) if found else [()] * len(base)
    base["reasons"] = [[r for r in row if r is not None] for row in per_account]
    out = base[base["reasons"].map(len) > 0].reset_index()
    # ranked by revenue at risk: the flagged account's TTM(Q)
    out = out.sort_values(["ttm", "account_id"], ascending=[False, True])
    missing = [
        Missing(t, f"{why}: {CHECK_NAMES[k]} not checked") for k, (t, why) in not_checked.items()
    ]
    return Attention(
        out[COLUMNS].reset_index(drop=True),
        missing,
        {k: why for k, (_, why) in not_checked.items()},
        [k for k in REASON_LABELS if k not in not_checked],
        single_thread_rule(settings),
    )


def _any_tier(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the portfolio (unfiltered) assigns any tier: a filter to Tier 3 still checks."""
    return bool(scalar(con, f"SELECT count(tier) FROM {unfiltered(con, 'accounts')}"))
