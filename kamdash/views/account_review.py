"""One account's review: every figure its QBR shows, as plain data, for the QBR page, the deck
and the benchmark alike (one assembly, many renderings).

Every number comes from the metrics engine: `grid.account_quarters` / `account_growth`
(quarter revenue, TTM, account NRR = TTM(Q) / TTM(Q-4)), `wallet.account_share`,
`tiering.tier_scores` (suggested tier), `qbr.qbr_scores`, `qbr.plan_freshness`,
`relationships.relationships` / `contacts`, `whitespace.whitespace`.

Quarter: Q defaults to the last complete quarter. For an earlier quarter the review is "as
of" the end of Q (settings.as_of is set to that date, so QBRs, plan freshness and contact
recency are as they were then); for the last complete or the current (partial) quarter it is
as of the extract's date (the partial quarter is flagged). QBRs dated after the as-of date
are left out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from kamdash.core.db import frame, has_table
from kamdash.core.fmt import as_float
from kamdash.core.missing import Missing
from kamdash.core.periods import (
    is_partial,
    label_to_quarter,
    period_context,
    quarter_end,
    quarter_label,
)
from kamdash.core.settings import Settings
from kamdash.metrics.grid import account_quarters
from kamdash.metrics.qbr import plan_freshness, qbr_scores
from kamdash.metrics.relationships import contacts, relationships
from kamdash.metrics.retention import account_growth
from kamdash.metrics.tiering import tier_scores
from kamdash.metrics.wallet import account_share
from kamdash.metrics.whitespace import whitespace

TREND_QUARTERS = 8  # quarterly revenue trend: Q-7..Q
TOP_WHITESPACE = 6
SENTIMENTS = ("champion", "supporter", "neutral", "detractor")
NOT_RECORDED = "not recorded"


class DeckError(ValueError):
    """A deck cannot be made (unknown account or owner, a quarter outside the data...)."""


# ---------------------------------------------------------------------------------------------
# The figures of one account (no PowerPoint here)
# ---------------------------------------------------------------------------------------------


@dataclass
class AccountQbrData:
    """Everything one account's QBR shows, straight from the metrics engine.

    A section the extract cannot feed is a `Missing` (its message is shown as is).
    qbr_history: the account's QBRs up to the as-of date, oldest first: date, one column per
        dimension, score, rag, previous, trend, commitments_done, commitments_due,
        commitments_rate, notes.
    revenue_trend: quarter, label, revenue (quarter revenue), partial; Q-7..Q (from the first
        quarter with data).
    relationship: the `relationships()` row as a dict; contacts: `contacts()` rows;
    sentiment: sentiment, contacts (champion, supporter, neutral, detractor, not recorded).
    whitespace: the account's empty cells with potential > 0, biggest first: product,
        potential, reason, in_pipeline, pipeline.
    """

    account_id: str
    account_name: str | None
    owner: str | None
    tier: str | None
    suggested_tier: str | None
    quarter: int
    quarter_label: str
    partial: bool
    as_of: dt.date
    currency: str
    rag_green_min: float
    rag_amber_min: float
    ttm: float | None
    ttm_prev: float | None
    nrr: float | None
    wallet: float | None | Missing
    share: float | None | Missing
    plan: dict | Missing
    dimensions: list[str]
    weights: dict[str, float]
    qbr_history: pd.DataFrame | Missing
    revenue_trend: pd.DataFrame | Missing
    relationship: dict | Missing
    contacts: pd.DataFrame | Missing
    sentiment: pd.DataFrame | Missing
    whitespace: pd.DataFrame | Missing
    notes: list[str] = field(default_factory=list)

    @property
    def latest(self) -> dict | None:
        """The latest QBR (a dict of the history row), None without one."""
        h = self.qbr_history
        if isinstance(h, Missing) or h.empty:
            return None
        return h.iloc[-1].to_dict()

    @property
    def rag(self) -> str | None:
        last = self.latest
        return None if last is None else last.get("rag")


def resolve_quarter(
    con: duckdb.DuckDBPyConnection, settings: Settings, quarter: int | str | None = None
) -> tuple[int, Settings]:
    """The deck's quarter index and the settings to compute it with (as_of moved to the end of
    an earlier quarter). `quarter`: an index, a label like '2026Q3', or None (last complete)."""
    ctx = period_context(con, settings)
    fy = settings.fiscal_year_start_month
    if ctx.current is None:
        raise DeckError("no revenue in this extract: a QBR deck needs a quarter of revenue")
    if quarter is None:
        qi = ctx.last_complete if ctx.last_complete is not None else ctx.current
    elif isinstance(quarter, str):
        try:
            qi = label_to_quarter(quarter.strip(), fy)
        except ValueError as e:
            raise DeckError(f'quarter "{quarter}": write it like 2026Q3') from e
    else:
        qi = int(quarter)
    first, last = ctx.label(ctx.first), ctx.label(ctx.current)
    if qi > ctx.current or qi < ctx.first:
        raise DeckError(f"quarter {quarter_label(qi, fy)} is outside the data ({first} to {last})")
    if ctx.last_complete is not None and qi < ctx.last_complete:
        settings = dataclasses.replace(settings, as_of=quarter_end(qi, fy).isoformat())
    return qi, settings


def accounts_for(
    con: duckdb.DuckDBPyConnection,
    account: str | Sequence[str] | None = None,
    owner: str | None = None,
) -> list[str]:
    """Account IDs of a deck: the given account(s) (an ID, or else an exact account name, case
    and spacing ignored), or every account of `owner` (a KAM's book), biggest TTM first."""
    if not has_table(con, "accounts"):
        raise DeckError("no accounts sheet in this extract: no QBR deck")
    if account is not None:
        wanted = [account] if isinstance(account, str) else list(account)
        out = []
        for a in wanted:
            hit = frame(
                con,
                "SELECT DISTINCT account_id FROM accounts WHERE account_id = trim(?) "
                "OR lower(regexp_replace(trim(account_name), '\\s+', ' ', 'g')) = "
                "lower(regexp_replace(trim(?), '\\s+', ' ', 'g')) ORDER BY account_id",
                [str(a), str(a)],
            )["account_id"].tolist()
            if not hit:
                raise DeckError(f'no account "{a}" in this extract (give its ID or exact name)')
            out.extend(h for h in hit if h not in out)
        return out
    if owner is not None:
        ids = frame(
            con,
            "SELECT account_id FROM accounts WHERE lower(trim(owner)) = lower(trim(?)) "
            "GROUP BY account_id ORDER BY account_id",
            [owner],
        )["account_id"].tolist()
        if not ids:
            owners = frame(
                con, "SELECT DISTINCT owner FROM accounts WHERE owner IS NOT NULL ORDER BY 1"
            )["owner"].tolist()
            raise DeckError(
                f'no account owned by "{owner}"; owners: {", ".join(owners) or "none recorded"}'
            )
        if has_table(con, "revenue"):
            ttm = frame(
                con,
                "SELECT account_id, sum(amount) AS t FROM revenue WHERE date > "
                "(SELECT max(date) FROM revenue) - INTERVAL 1 YEAR GROUP BY account_id",
            )
            order = dict(zip(ttm["account_id"], ttm["t"], strict=True))
            ids.sort(key=lambda i: (-(order.get(i) or 0.0), i))
        return ids
    raise DeckError("say which account (--account) or whose book (--owner)")


def _row(df: pd.DataFrame, account_id: str) -> dict | None:
    r = df[df["account_id"] == account_id]
    return None if r.empty else r.iloc[0].to_dict()


def account_qbr_data(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    account_ids: Sequence[str],
    quarter: int | str | None = None,
) -> list[AccountQbrData]:
    """The QBR figures of each account (in the order given). Use an unfiltered cursor."""
    qi, s = resolve_quarter(con, settings, quarter)
    fy = s.fiscal_year_start_month
    ctx = period_context(con, s)
    as_of = ctx.as_of
    partial = bool(is_partial(qi, as_of, fy))
    ids = list(dict.fromkeys(str(a) for a in account_ids))

    acc = frame(
        con,
        "SELECT account_id, min(account_name) AS account_name, min(owner) AS owner, "
        "min(tier) AS tier FROM accounts GROUP BY account_id",
    )
    growth = account_growth(con, s, qi=qi, ctx=ctx)
    if has_table(con, "wallet"):
        shares: pd.DataFrame | Missing = account_share(con, s, qi=qi, ctx=ctx)
    else:
        shares = Missing("wallet", "no wallet sheet in this extract: share of wallet not shown")
    tiers = tier_scores(con, s, qi=qi)
    plans = plan_freshness(con, s)
    scores = qbr_scores(con, s)
    rels = relationships(con, s)
    ws = whitespace(con, s, qi=qi, account_ids=ids)
    aq = account_quarters(con, s) if has_table(con, "revenue") else None
    dims: list[str] = []
    if not isinstance(scores, Missing):
        cols = list(scores.columns)
        dims = cols[cols.index("date") + 1 : cols.index("dimensions")]
        scores = scores[scores["date"].dt.date <= as_of]

    out = []
    for aid in ids:
        a = _row(acc, aid) or {"account_name": None, "owner": None, "tier": None}
        g = _row(growth, aid) or {}
        notes: list[str] = []
        # revenue trend: rev(a, q) for q in Q-7..Q from the engine's account x quarter grid
        if aq is None:
            trend: pd.DataFrame | Missing = Missing(
                "revenue", "no revenue in this extract: revenue trend not shown"
            )
        else:
            lo = max(qi - TREND_QUARTERS + 1, ctx.first)
            got = frame(
                con,
                f"SELECT q, rev FROM {aq} WHERE account_id = ? AND q BETWEEN ? AND ?",
                [aid, lo, qi],
            )
            by_q = dict(zip(got["q"].astype(int), got["rev"].astype(float), strict=True))
            qs = list(range(lo, qi + 1))
            trend = pd.DataFrame(
                {
                    "quarter": qs,
                    "label": [quarter_label(q, fy) for q in qs],
                    "revenue": [by_q.get(q, 0.0) for q in qs],
                    "partial": [bool(is_partial(q, as_of, fy)) for q in qs],
                }
            )
        if isinstance(shares, Missing):
            share: float | None | Missing = shares
            wallet: float | None | Missing = shares
        else:
            srow = _row(shares, aid) or {}
            share, wallet = as_float(srow.get("share")), as_float(srow.get("wallet"))
            if wallet is None:
                notes.append("no wallet estimate for this account")
        suggested = None
        if not isinstance(tiers, Missing):
            trow = _row(tiers.table, aid)
            suggested = trow.get("suggested_tier") if trow else None
        if isinstance(plans, Missing):
            plan: dict | Missing = plans
        else:
            plan = _row(plans, aid) or Missing("accounts", "account not in the accounts sheet")
        if isinstance(scores, Missing):
            hist: pd.DataFrame | Missing = scores
        else:
            hist = scores[scores["account_id"] == aid].reset_index(drop=True)
            keep = ["date", *dims, "dimensions", "score", "rag", "previous", "trend"]
            keep += ["commitments_done", "commitments_due", "commitments_rate", "notes"]
            hist = hist[keep]
        if isinstance(rels, Missing):
            rel: dict | Missing = rels
            cts: pd.DataFrame | Missing = rels
            sent: pd.DataFrame | Missing = rels
        else:
            rel = _row(rels, aid) or Missing("accounts", "account not in the accounts sheet")
            cts = contacts(con, s, aid)
            if isinstance(cts, Missing):
                sent = cts
            else:
                lab = cts["sentiment"].where(cts["sentiment"].isin(SENTIMENTS), NOT_RECORDED)
                vc = lab.value_counts()
                order = [*SENTIMENTS] + ([NOT_RECORDED] if vc.get(NOT_RECORDED, 0) else [])
                sent = pd.DataFrame(
                    {"sentiment": order, "contacts": [int(vc.get(x, 0)) for x in order]}
                )
        if isinstance(ws, Missing):
            wsp: pd.DataFrame | Missing = ws
        else:
            r = ws.ranked()
            wsp = r[r["account_id"] == aid].head(TOP_WHITESPACE).reset_index(drop=True)
            wsp = wsp[["product", "potential", "reason", "in_pipeline", "pipeline"]]
        out.append(
            AccountQbrData(
                account_id=aid,
                account_name=a.get("account_name"),
                owner=a.get("owner"),
                tier=a.get("tier"),
                suggested_tier=suggested,
                quarter=qi,
                quarter_label=quarter_label(qi, fy),
                partial=partial,
                as_of=as_of,
                currency=s.currency,
                rag_green_min=s.rag_green_min,
                rag_amber_min=s.rag_amber_min,
                ttm=as_float(g.get("ttm_now")) if g else (0.0 if aq is not None else None),
                ttm_prev=as_float(g.get("ttm_prev")),
                nrr=as_float(g.get("growth")),
                wallet=wallet,
                share=share,
                plan=plan,
                dimensions=dims,
                weights={d: float(s.qbr_weights.get(d, 0)) for d in dims},
                qbr_history=hist,
                revenue_trend=trend,
                relationship=rel,
                contacts=cts,
                sentiment=sent,
                whitespace=wsp,
                notes=notes,
            )
        )
    return out
