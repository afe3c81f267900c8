"""The Portfolio page's "accounts needing attention" list.

An account needs attention when any of these holds (each from its own metric module):

- shrinking: TTM(Q) / TTM(Q-4) < settings.shrinking_ratio (Q = the last complete quarter,
  TTM(Q-4) > 0, full history; `retention.account_growth`) -> "shrinking: TTM −23% vs a year ago"
- single-threaded: at most one active contact (`relationships`) -> "single-threaded" (with
  "(no active contact)" when there is none)
- stale plan: days since plan_updated beyond the tier cadence (`qbr.plan_freshness`) ->
  "plan stale (214 days)" / "plan stale (no plan date)"
- red QBR: the latest QBR score is in the red band (`qbr.latest_qbr`) -> "red QBR (2.3)"

A missing table (or column) drops its reason type and is listed in `missing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from kamdash.core.db import frame, has_table
from kamdash.core.missing import Missing, require
from kamdash.core.settings import Settings
from kamdash.metrics import qbr as qbr_mod
from kamdash.metrics import relationships as rel_mod
from kamdash.metrics.retention import account_growth

COLUMNS = ["account_id", "account_name", "owner", "tier", "ttm", "reasons"]


@dataclass
class Attention:
    """table: account_id, account_name, owner, tier, ttm, reasons (list of plain strings),
    only accounts with at least one reason, sorted by ttm desc then account_id.
    missing: the reason types not checked, as `Missing` (table, message)."""

    table: pd.DataFrame
    missing: list[Missing] = field(default_factory=list)


def _pct(x: float) -> str:
    p = round(x * 100)
    return f"−{-p}%" if p < 0 else f"+{p}%"


def needing_attention(
    con: duckdb.DuckDBPyConnection, settings: Settings, qi: int | None = None
) -> Attention | Missing:
    """The attention list for quarter `qi` (default: the last complete quarter)."""
    miss = require(con, "accounts", "the attention list")
    if miss:
        return miss
    missing: list[Missing] = []
    base = frame(
        con,
        "SELECT account_id, account_name, owner, tier FROM accounts ORDER BY account_id",
    )
    base = base.drop_duplicates("account_id").set_index("account_id")
    reasons: list[pd.Series] = []

    # shrinking: TTM(Q) / TTM(Q-4) < shrinking_ratio
    if has_table(con, "revenue"):
        g = account_growth(con, settings, qi=qi).drop_duplicates("account_id")
        g = g.set_index("account_id").reindex(base.index)
        base["ttm"] = g["ttm_now"].astype(float).fillna(0.0)
        growth = pd.to_numeric(g["growth"], errors="coerce")
        shrink = g["shrinking"].fillna(False).astype(bool)
        pct = pd.Series("", index=base.index, dtype=object)
        pct[shrink] = [_pct(x) if pd.notna(x) else "" for x in growth[shrink] - 1]
        reasons.append(("shrinking: TTM " + pct.astype(str) + " vs a year ago").where(shrink, None))
    else:
        base["ttm"] = 0.0
        missing.append(Missing("revenue", "no revenue in this extract: shrinking not checked"))

    # single-threaded: active contacts (strength >= active_strength_min) <= 1
    r = rel_mod.relationships(con, settings)
    if isinstance(r, Missing):
        missing.append(r)
    else:
        r = r.drop_duplicates("account_id").set_index("account_id").reindex(base.index)
        active = r["active"].fillna(0)
        st = r["single_threaded"].fillna(True).astype(bool)
        txt = pd.Series(
            np.where(active == 0, "single-threaded (no active contact)", "single-threaded"),
            index=base.index,
        )
        reasons.append(txt.where(st, None))

    # plan stale: days since plan_updated > cadence of the assigned tier
    p = qbr_mod.plan_freshness(con, settings)
    if isinstance(p, Missing):
        missing.append(p)
    else:
        p = p.drop_duplicates("account_id").set_index("account_id").reindex(base.index)
        stale = p["stale"].fillna(False).astype(bool)
        reasons.append(("plan " + p["status"].astype(str)).where(stale, None))

    # red QBR: the latest QBR score < rag_amber_min
    q = qbr_mod.latest_qbr(con, settings)
    if isinstance(q, Missing):
        missing.append(q)
    else:
        q = q.drop_duplicates("account_id").set_index("account_id").reindex(base.index)
        red = (q["rag"] == "red").fillna(False).astype(bool)
        score = pd.Series("", index=base.index, dtype=object)
        score[red] = [f"{x:.1f}" if pd.notna(x) else "" for x in q["score"][red]]
        txt = "red QBR (" + score.astype(str) + ")"
        reasons.append(txt.where(red, None))

    if reasons:
        cols = list(zip(*(s.tolist() for s in reasons), strict=True))
        base["reasons"] = [[x for x in row if isinstance(x, str) and x] for row in cols]
    else:
        base["reasons"] = [[] for _ in range(len(base))]
    out = base[base["reasons"].map(len) > 0].reset_index()
    out = out.sort_values(["ttm", "account_id"], ascending=[False, True])
    return Attention(out[COLUMNS].reset_index(drop=True), missing)
