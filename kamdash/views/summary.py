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

`page_summary`, added by the CLI without `by`: what the pages show, portfolio-wide, each asked
of the metric the page asks, on the quarter the pages open on (the last complete one); a
section the extract cannot feed is `{"missing": "<the metric's Missing message>"}`:

    "bridge": {"kind": "ttm", "start": "2025Q3", "end": "2026Q3",
               "totals": {"start", "new", "expansion", "reactivation", "contraction", "churn",
                          "end"}, "accounts": {category: count}}   (the Retention page default)
    "retention_by": {"quarter": "2026Q3", "basis": "ttm",
                     "dimensions": {"tier": [{"group", "nrr", "grr", "ttm_revenue",
                                              "cohort_accounts"}, ...], ... (or missing)}}
    "tiers": {"quarter": ..., "assigned": {tier: n}, "suggested": {tier: n}, "fit": {fit: n},
              "mismatches": [{"assigned", "suggested", "fit", "count", "account_ids"}, ...]}
    "whitespace": {"quarter": ..., "opportunities": n, "top": [{"account_id", "product",
                   "potential", "reason", "in_pipeline"}, ...]}   (the TOP_OPPORTUNITIES largest)
    "qbr": {"accounts": n, "rag": {"green": n, "amber": n, "red": n}, "average_score": x,
            "without_qbr": n}   (each account's latest QBR)
    "goals": {"fiscal_year": "FY2026", "as_of", "days", "elapsed",
              "total": {goal figures}, "by_tier": [{"group", ...}], "by_owner": [...]}
             (goal figures: accounts_with_target, accounts_without_target, fytd_without_target,
              target, fytd, attainment, projection, projected_attainment, gap, pipeline,
              coverage, goal_met; the Portfolio and KAM program pages)
    "program": {"quarter": "2026Q3", "kams": [{"kam", "accounts", "tiers": {tier: n},
                "ttm_revenue", "nrr", "grr", "share_of_wallet", "plan_fresh_rate",
                "qbr_adherence", "multithreaded_rate", "exec_access_rate", goal figures}, ...],
                "total": {the same over every account}, "missing": ["<why>", ...]}
               (the KAM program page)
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from kamdash.core.db import frame, scalar, table_exists
from kamdash.core.fmt import as_float
from kamdash.core.missing import Missing, require
from kamdash.core.periods import PeriodContext, period_context
from kamdash.core.settings import Settings
from kamdash.metrics.concentration import concentration
from kamdash.metrics.goals import GROUP_COLUMNS, account_goals
from kamdash.metrics.grid import DIMENSIONS, NO_GROUP
from kamdash.metrics.program import TABLE_COLUMNS, kam_program
from kamdash.metrics.qbr import RAG, latest_qbr
from kamdash.metrics.retention import resolve_basis, retention, revenue_bridge
from kamdash.metrics.tiering import FIT_TEXT, TIERS, UNASSIGNED, tier_scores
from kamdash.metrics.whitespace import whitespace

TOP_OPPORTUNITIES = 15  # the Whitespace page's default length of "Biggest opportunities"
NOT_SCORED = "not scored"


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
    # without revenue the shape stays: no quarters, no groups, null concentration figures
    ret, conc = (
        pd.DataFrame(columns=["group"]) if isinstance(x, Missing) else x for x in (ret, conc)
    )
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


def page_summary(
    con: duckdb.DuckDBPyConnection, settings: Settings, ctx: PeriodContext | None = None
) -> dict:
    """What the pages show, portfolio-wide: the bridge, retention_by, tiers, whitespace and qbr
    sections of the module docstring (apart from `metrics_summary`, whose cost the benchmark
    times on its own)."""
    ctx = ctx or period_context(con, settings)
    return {
        "bridge": _bridge(con, settings, ctx),
        "retention_by": _retention_by(con, settings, ctx),
        "tiers": _tiers(con, settings, ctx),
        "whitespace": _whitespace(con, settings, ctx),
        "qbr": _qbr(con, settings),
        "goals": _goals(con, settings),
        "program": _program(con, settings, ctx),
    }


def _num(x) -> float | None:
    """A finite float, else None (JSON has no NaN or Infinity)."""
    v = as_float(x)
    return v if v is not None and math.isfinite(v) else None


def _missing(m: Missing) -> dict:
    return {"missing": m.message}


def _no_quarter(con: duckdb.DuckDBPyConnection, what: str) -> Missing:
    return require(con, "revenue", what) or Missing(
        "revenue", f"no complete quarter of revenue: {what} not shown"
    )


def default_bridge_start(ctx: PeriodContext, end: int, kind: str = "ttm") -> int | None:
    """The Retention page's default "From" period of a bridge ending with `end`: four quarters
    earlier when the data reaches it, else the earliest period it can start from (a TTM window
    must lie inside the data); None when there is none."""
    earlier = [
        qi for qi in ctx.quarters() if qi < end and (kind == "quarter" or qi - 3 >= ctx.first)
    ]
    if not earlier:
        return None
    return end - 4 if end - 4 in earlier else earlier[0]


def _bridge(con: duckdb.DuckDBPyConnection, settings: Settings, ctx: PeriodContext) -> dict:
    end = ctx.last_complete
    if end is None:
        return _missing(_no_quarter(con, "revenue bridge"))
    start = default_bridge_start(ctx, end)
    if start is None:
        return _missing(
            Missing("revenue", "no earlier period to bridge from: revenue bridge not shown")
        )
    b = revenue_bridge(con, settings, start, end, kind="ttm")
    if isinstance(b, Missing):
        return _missing(b)
    return {
        "kind": b.kind,
        "start": b.start_label,
        "end": b.end_label,
        "totals": b.totals,
        "accounts": b.counts(),
    }


def _retention_groups(
    con: duckdb.DuckDBPyConnection, settings: Settings, ctx: PeriodContext, by: str, qi: int
) -> list[dict] | dict:
    # the Retention page offers team only with a team sheet; no dimension without accounts
    miss = require(con, "team" if by == "team" else "accounts", f"retention by {by}")
    if miss:
        return _missing(miss)
    ret = retention(con, settings, by=by, ctx=ctx)
    if isinstance(ret, Missing):
        return _missing(ret)
    ret = ret[ret["quarter"] == qi]
    return [
        {
            "group": r.group,
            "nrr": _num(r.nrr),
            "grr": _num(r.grr),
            "ttm_revenue": float(r.ttm_revenue),
            "cohort_accounts": int(r.cohort_accounts),
        }
        for r in sorted(ret.itertuples(index=False), key=lambda r: (r.group == NO_GROUP, r.group))
    ]


def _retention_by(con: duckdb.DuckDBPyConnection, settings: Settings, ctx: PeriodContext) -> dict:
    qi = ctx.last_complete
    if qi is None:
        return _missing(_no_quarter(con, "retention by group"))
    return {
        "quarter": ctx.label(qi),
        "basis": resolve_basis(settings),
        "dimensions": {by: _retention_groups(con, settings, ctx, by, qi) for by in DIMENSIONS},
    }


def _tier_counts(tiers: pd.Series) -> dict[str, int]:
    """Accounts per tier: Tier 1..3 first (even when empty), then any other label."""
    n = tiers.value_counts()
    return {t: int(n.get(t, 0)) for t in (*TIERS, *sorted(set(n.index) - set(TIERS)))}


def _tiers(con: duckdb.DuckDBPyConnection, settings: Settings, ctx: PeriodContext) -> dict:
    ts = tier_scores(con, settings, qi=ctx.last_complete)
    if isinstance(ts, Missing):
        return _missing(ts)
    t = ts.table.assign(
        assigned=ts.table["assigned_tier"].fillna(UNASSIGNED),
        suggested=ts.table["suggested_tier"].fillna(NOT_SCORED),
    )
    fit = t["fit"].value_counts()
    off = t[t["fit"].isin(["under-served", "over-served", "unassigned"])]
    groups = off.sort_values("account_id").groupby(["assigned", "suggested", "fit"], sort=True)
    return {
        "quarter": ctx.label(ts.quarter),
        "assigned": _tier_counts(t["assigned"]),
        "suggested": _tier_counts(t["suggested"]),
        "fit": {k: int(fit.get(k, 0)) for k in FIT_TEXT},
        "mismatches": [
            {
                "assigned": a,
                "suggested": s,
                "fit": f,
                "count": len(g),
                "account_ids": [str(x) for x in g["account_id"]],
            }
            for (a, s, f), g in groups
        ],
    }


def _whitespace(con: duckdb.DuckDBPyConnection, settings: Settings, ctx: PeriodContext) -> dict:
    ws = whitespace(con, settings, qi=ctx.last_complete)
    if isinstance(ws, Missing):
        return _missing(ws)
    ranked = ws.ranked()
    return {
        "quarter": ctx.label(ws.quarter),
        "opportunities": len(ranked),
        "top": [
            {
                "account_id": str(r.account_id),
                "product": r.product,
                "potential": _num(r.potential),
                "reason": r.reason,
                "in_pipeline": bool(r.in_pipeline),
            }
            for r in ranked.head(TOP_OPPORTUNITIES).itertuples(index=False)
        ],
    }


def _qbr(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict:
    last = latest_qbr(con, settings)
    if isinstance(last, Missing):
        return _missing(last)
    rag = last["rag"].value_counts()
    without = None
    if table_exists(con, "accounts"):
        ids = set(frame(con, "SELECT DISTINCT account_id FROM accounts")["account_id"].dropna())
        without = len(ids - set(last["account_id"]))
    return {
        "accounts": len(last),
        "rag": {r: int(rag.get(r, 0)) for r in RAG},
        "average_score": _num(last["score"].mean()),
        "without_qbr": without,
    }


def _figures(row: dict, cols: list[str]) -> dict:
    """JSON of a goal or program row: numbers as finite floats (None where undefined), counts
    as integers."""
    out = {}
    for c in cols:
        v = row.get(c)
        if isinstance(v, dict):
            out[c] = {str(k): int(n) for k, n in v.items()}
        elif isinstance(v, bool) or c == "goal_met":
            out[c] = bool(v)
        elif c in ("accounts", "plan_accounts", "qbr_due") or c.startswith("accounts_"):
            out[c] = int(v or 0)
        else:
            out[c] = _num(v)
    return out


def _goals(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict:
    g = account_goals(con, settings)
    if isinstance(g, Missing):
        return _missing(g)
    figures = GROUP_COLUMNS[1:]
    tiers = g.accounts["tier"]

    def groups(keys: pd.Series) -> list[dict]:
        df = g.summary(keys)
        df = df[df["accounts_with_target"] > 0]
        return [{"group": r["group"], **_figures(r, figures)} for r in df.to_dict("records")]

    return {
        "fiscal_year": g.year.label,
        "as_of": g.year.as_of.isoformat(),
        "days": g.year.days,
        "elapsed": g.year.elapsed,
        "total": _figures(g.summary().iloc[0].to_dict(), figures),
        "by_tier": groups(tiers),
        "by_owner": groups(g.accounts["owner"]),
        **({"pipeline": _missing(g.pipeline_missing)} if g.pipeline_missing else {}),
    }


def _program(con: duckdb.DuckDBPyConnection, settings: Settings, ctx: PeriodContext) -> dict:
    p = kam_program(con, settings, ctx=ctx)
    if isinstance(p, Missing):
        return _missing(p)
    figures = [c for c in TABLE_COLUMNS if c != "group"]
    return {
        "quarter": ctx.label(p.quarter),
        "kams": [{"kam": r["group"], **_figures(r, figures)} for r in p.table.to_dict("records")],
        "total": _figures(p.total, figures),
        "missing": [m.message for m in p.missing],
    }
