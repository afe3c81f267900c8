"""The Portfolio page's "accounts needing attention" list.

An account needs attention when any of these holds (each from its own metric module), for
quarter Q (default: the last complete quarter):

- shrinking: TTM(Q) / TTM(Q-4) < settings.shrinking_ratio (TTM(Q-4) > 0, full history;
  `retention.account_growth`) -> "shrinking: TTM −23% vs a year ago"
- single-threaded: at most one active contact (`relationships`) -> "single-threaded" (with
  "(no active contact)" when there is none)
- stale plan: days since plan_updated beyond the tier cadence (`qbr.plan_freshness`) ->
  "plan stale (214 days)" / "plan stale (no plan date)"
- red QBR: the latest QBR dated on or before Q's as-of date is in the red band
  (`qbr.latest_qbr`) -> "red QBR (2.3)"

Plans and QBRs are looked at as of Q's as-of date (`periods.quarter_as_of`: the end of Q for
a quarter before the last complete one, else the extract's as-of date), as on the QBR page.
A missing table (or column) drops its reason kind and is listed in `missing`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from kamdash.core.db import frame, has_table
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
ROWS_SHOWN = 15  # the Portfolio page lists the largest flagged accounts, by TTM


@dataclass(frozen=True)
class Reason:
    kind: str  # a key of REASON_LABELS
    text: str  # plain words for the page: "shrinking: TTM −23% vs a year ago"


@dataclass
class Attention:
    """table: account_id, account_name, owner, tier, ttm, reasons (list of `Reason`), only
    accounts with at least one reason, sorted by ttm desc then account_id.
    missing: the reason kinds not checked, as `Missing` (table, message)."""

    table: pd.DataFrame
    missing: list[Missing] = field(default_factory=list)


def _pct(x: float) -> str:
    p = round(x * 100)
    return f"−{-p}%" if p < 0 else f"+{p}%"


def _per_account(df: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    return df.drop_duplicates("account_id").set_index("account_id").reindex(index)


def _shrinking(g: pd.DataFrame) -> list[Reason | None]:
    shrink = g["shrinking"].fillna(False).astype(bool)
    growth = pd.to_numeric(g["growth"], errors="coerce")
    return [
        Reason("shrinking", f"shrinking: TTM {_pct(x - 1) if pd.notna(x) else ''} vs a year ago")
        if s
        else None
        for s, x in zip(shrink, growth, strict=True)
    ]


def _single_threaded(r: pd.DataFrame) -> list[Reason | None]:
    single = r["single_threaded"].fillna(True).astype(bool)
    active = r["active"].fillna(0)
    return [
        Reason("single_threaded", "single-threaded" + (" (no active contact)" if n == 0 else ""))
        if s
        else None
        for s, n in zip(single, active, strict=True)
    ]


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
    missing: list[Missing] = []
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
        found.append(_shrinking(g))
    else:
        missing.append(Missing("revenue", "no revenue in this extract: shrinking not checked"))
    checks = (
        (rel_mod.relationships(con, settings), _single_threaded),
        (qbr_mod.plan_freshness(con, then), _stale_plan),
        (qbr_mod.latest_qbr(con, settings, upto=at), _red_qbr),
    )
    for df, reasons in checks:
        if isinstance(df, Missing):
            missing.append(df)
        else:
            found.append(reasons(_per_account(df, base.index)))

    per_account = zip(*found, strict=True) if found else [()] * len(base)
    base["reasons"] = [[r for r in row if r is not None] for row in per_account]
    out = base[base["reasons"].map(len) > 0].reset_index()
    out = out.sort_values(["ttm", "account_id"], ascending=[False, True])
    return Attention(out[COLUMNS].reset_index(drop=True), missing)
