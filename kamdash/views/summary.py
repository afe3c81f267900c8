"""The metric summary behind `python -m kamdash metrics --json`.

Shape (fractions, not percentages; None -> null where a figure is undefined):

    {"snapshot": "...", "as_of": "YYYY-MM-DD",
     "quarters": [{"quarter": "2019Q2", "revenue": 0.0, "nrr": 0.0, "grr": 0.0,
                   "share_of_wallet": 0.0, "partial": false}, ...],
     "concentration": {"period": "2020Q1", "top10_share": 0.0, "top20_share": 0.0, "hhi": 0.0}}

With `by` (tier, owner, region, industry, team):

    {"snapshot": ..., "as_of": ..., "by": "tier",
     "groups": [{"group": "Tier 1", "quarters": [...], "concentration": {...}}, ...]}

revenue = quarter revenue; nrr / grr on `settings.retention_basis`; share_of_wallet = the
group share of wallet (TTM basis); concentration on the last complete quarter.
"""

from __future__ import annotations

import duckdb

from kamdash.core.db import scalar, table_exists
from kamdash.core.fmt import as_float
from kamdash.core.periods import PeriodContext, period_context
from kamdash.core.settings import Settings
from kamdash.metrics.concentration import concentration
from kamdash.metrics.grid import NO_GROUP
from kamdash.metrics.retention import retention


def _quarters(ret) -> list[dict]:
    return [
        {
            "quarter": r.label,
            "revenue": float(r.revenue),
            "nrr": as_float(r.nrr),
            "grr": as_float(r.grr),
            "share_of_wallet": as_float(r.share_of_wallet),
            "partial": bool(r.partial),
        }
        for r in ret.itertuples(index=False)
    ]


def _concentration(row, period: str | None) -> dict:
    if row is None:
        return {"period": period, "top10_share": None, "top20_share": None, "hhi": None}
    return {
        "period": row["period"],
        "top10_share": as_float(row["top10_share"]),
        "top20_share": as_float(row["top20_share"]),
        "hhi": as_float(row["hhi"]),
    }


def metrics_summary(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    by: str | None = None,
    ctx: PeriodContext | None = None,
) -> dict:
    """The CLI's JSON summary (see the module docstring), portfolio-wide or per group of `by`.
    `ctx` (optional) saves recomputing the period context when the caller has it."""
    ctx = ctx or period_context(con, settings)
    snapshot = (
        scalar(con, "SELECT value FROM _meta WHERE key = 'snapshot_id'")
        if table_exists(con, "_meta")
        else None
    )
    out: dict = {"snapshot": snapshot, "as_of": ctx.as_of.isoformat() if ctx.as_of else None}
    ret = retention(con, settings, by=by, ctx=ctx, with_wallet=True)  # + share of wallet
    conc = concentration(con, settings, by=by, ctx=ctx)
    period = ctx.label(ctx.last_complete)
    if by is None:
        out["quarters"] = _quarters(ret)
        out["concentration"] = _concentration(
            conc.iloc[0] if len(conc) and conc.iloc[0]["accounts"] else None, period
        )
        return out
    out["by"] = by
    groups = sorted(set(ret["group"]), key=lambda g: (g == NO_GROUP, g))
    out["groups"] = []
    for g in groups:
        c = conc[conc["group"] == g]
        out["groups"].append(
            {
                "group": g,
                "quarters": _quarters(ret[ret["group"] == g]),
                "concentration": _concentration(c.iloc[0] if len(c) else None, period),
            }
        )
    return out
