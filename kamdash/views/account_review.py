"""One account's review: every figure its QBR shows, as plain data, for the QBR page, the deck
and the benchmark alike (one assembly, many renderings).

Every number comes from the metrics engine: `grid.account_quarters` / `account_growth`
(quarter revenue, TTM, account NRR = TTM(Q) / TTM(Q-4)), `wallet.account_share`,
`tiering.tier_scores` (suggested tier), `qbr.qbr_scores`, `qbr.plan_freshness`,
`relationships.relationships` / `contacts`, `whitespace.whitespace`, and the open deals of
`opportunities`.

Quarter: Q defaults to the last complete quarter. The review is as of `periods.quarter_as_of`:
the end of Q for an earlier quarter (settings.as_of is moved there, so QBRs, plan freshness and
contact recency are as they were then), else the extract's as-of date (a partial quarter is
flagged). The latest QBR is the last one dated on or before that date, the attention list's
rule; contacts and plan updates dated later are shown as written and count 0 days.

Cursor: pass an unfiltered one. Figures are per account, but the history guard of account NRR
(Q-7 inside the data) and the whitespace peers and tier quintiles read the whole portfolio.
The account list of a page (`review_accounts`) takes the filtered one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from kamdash.core.db import frame, has_table
from kamdash.core.fmt import as_date, as_float
from kamdash.core.missing import Missing, require
from kamdash.core.periods import (
    PeriodContext,
    is_partial,
    label_to_quarter,
    period_context,
    quarter_as_of,
    quarter_label,
)
from kamdash.core.settings import Settings
from kamdash.metrics.grid import account_quarters
from kamdash.metrics.qbr import plan_freshness, qbr_scores
from kamdash.metrics.relationships import RelationshipMap, relationship_map, relationships
from kamdash.metrics.retention import account_growth
from kamdash.metrics.tiering import tier_scores
from kamdash.metrics.wallet import account_share
from kamdash.metrics.whitespace import Whitespace, whitespace

TREND_QUARTERS = 8  # quarterly revenue trend: Q-7..Q
TOP_WHITESPACE = 6
QBR_TREND_REVIEWS = 6  # reviews in the QBR trend chart
SENTIMENTS = ("champion", "supporter", "neutral", "detractor")
NOT_RECORDED = "not recorded"


class DeckError(ValueError):
    """A deck cannot be made (unknown account or owner, a quarter outside the data...)."""


@dataclass
class AccountQbrData:
    """Everything one account's QBR shows, straight from the metrics engine.

    A section the extract cannot feed is a `Missing` (its message is shown as is).
    qbr_history: the account's QBRs up to the as-of date, oldest first: date, one column per
        dimension, score, rag, previous, trend, commitments_done, commitments_due,
        commitments_rate, notes.
    revenue_trend: quarter, label, revenue (quarter revenue), partial; Q-7..Q (from the first
        quarter with data).
    relationship: the `relationships()` row as a dict; contacts: `contacts()` rows, with
        last_contact as a date;
    relationship_map: `relationships.relationship_map()` (contacts as in `contacts`, who
        reports to whom, the gaps);
    sentiment: sentiment, contacts (champion, supporter, neutral, detractor, not recorded).
    whitespace: the account's empty cells with potential > 0, biggest first: product,
        potential, reason, in_pipeline, pipeline.
    products_bought: the products it buys (filled whitespace cells), of products_total.
    pipeline: its open deals, biggest first: product, business_unit, amount, stage, close_date.
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
    region: str | None = None
    industry: str | None = None
    products_bought: list[str] | Missing = field(default_factory=list)
    products_total: int = 0
    pipeline: pd.DataFrame | Missing = field(default_factory=pd.DataFrame)
    relationship_map: RelationshipMap | Missing | None = None

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

    @property
    def qbr_trend(self) -> pd.DataFrame | Missing:
        """The last QBR_TREND_REVIEWS reviews, oldest first."""
        h = self.qbr_history
        return h if isinstance(h, Missing) else h.tail(QBR_TREND_REVIEWS)

    @property
    def pipeline_total(self) -> float | None:
        """Open pipeline: the sum of the known amounts of its open deals (None without one)."""
        p = self.pipeline
        if isinstance(p, Missing) or p["amount"].isna().all():
            return None
        return float(p["amount"].sum())

    @property
    def pipeline_unknown(self) -> int:
        """Open deals whose amount is unknown (early-stage deals): counted, never summed."""
        p = self.pipeline
        return 0 if isinstance(p, Missing) else int(p["amount"].isna().sum())


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
    at = quarter_as_of(ctx, qi)
    if at != ctx.as_of:
        settings = dataclasses.replace(settings, as_of=at.isoformat())
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


# ---------------------------------------------------------------------------------------------
# The account list of a review page
# ---------------------------------------------------------------------------------------------


def review_accounts(
    con: duckdb.DuckDBPyConnection, settings: Settings, quarter: int | str | None = None
) -> pd.DataFrame:
    """The accounts of `con` (filtered or not) a review can show, for its picker and previous /
    next: account_id, account_name, ttm (TTM(Q), NaN without revenue in the year), largest TTM
    first (the order of `account_growth`), then the others by ID."""
    if not has_table(con, "accounts"):
        return pd.DataFrame(columns=["account_id", "account_name", "ttm"])
    acc = frame(
        con,
        "SELECT account_id, min(account_name) AS account_name FROM accounts "
        "WHERE account_id IS NOT NULL GROUP BY account_id ORDER BY account_id",
    )
    acc["account_name"] = [_text(n) for n in acc["account_name"]]
    try:
        qi, _ = resolve_quarter(con, settings, quarter)
    except DeckError:  # no revenue in this view: by ID
        return acc.assign(ttm=float("nan"))
    g = account_growth(con, settings, qi=qi)
    rank = {a: i for i, a in enumerate(g["account_id"])}
    acc["ttm"] = acc["account_id"].map(dict(zip(g["account_id"], g["ttm_now"], strict=True)))
    acc["_rank"] = [rank.get(a, len(rank)) for a in acc["account_id"]]
    return acc.sort_values(["_rank", "account_id"]).drop(columns="_rank").reset_index(drop=True)


def pick_account(
    ids: Sequence[str], asked: str | None = None, remembered: str | None = None
) -> str | None:
    """The account a review page shows among `ids` (its filtered list): the one its address asks
    for (an ID, or 'Name (ID)' as the picker labels it), else the one chosen earlier in the
    session, else the first (largest); None without accounts."""
    for a in (find_account(ids, asked), remembered):
        if a is not None and a in ids:
            return a
    return ids[0] if len(ids) else None


def find_account(ids: Sequence[str], asked: str | None) -> str | None:
    """The account of `ids` a page address asks for (an ID, or 'Name (ID)'), or None: not
    there, or not in this viewer's book or filters (the two are never told apart)."""
    m = re.search(r"\(([^()]+)\)\s*$", asked or "")
    for a in (asked, m.group(1) if m else None):
        if a is not None and a in ids:
            return a
    return None


def step_account(ids: Sequence[str], current: str | None, delta: int) -> str:
    """The account `delta` places from `current` in `ids`, wrapping around (previous / next)."""
    i = list(ids).index(current) if current in ids else 0
    return ids[(i + delta) % len(ids)]


# ---------------------------------------------------------------------------------------------
# The figures of one account
# ---------------------------------------------------------------------------------------------


@dataclass
class _Portfolio:
    """The portfolio-wide results each account's review reads its rows from (computed once)."""

    qi: int
    settings: Settings
    ctx: PeriodContext
    accounts: pd.DataFrame
    growth: pd.DataFrame
    shares: pd.DataFrame | Missing
    tiers: object
    plans: pd.DataFrame | Missing
    scores: pd.DataFrame | Missing
    rels: pd.DataFrame | Missing
    ws: Whitespace | Missing
    grid: str | None  # the account x quarter grid, None without revenue
    dimensions: list[str]


def _portfolio(
    con: duckdb.DuckDBPyConnection, settings: Settings, ids: list[str], quarter
) -> _Portfolio:
    qi, s = resolve_quarter(con, settings, quarter)
    ctx = period_context(con, s)
    acc = frame(
        con,
        "SELECT account_id, min(account_name) AS account_name, min(owner) AS owner, "
        "min(tier) AS tier, min(region) AS region, min(industry) AS industry "
        "FROM accounts GROUP BY account_id",
    )
    scores = qbr_scores(con, s, upto=ctx.as_of)
    dims: list[str] = []
    if not isinstance(scores, Missing):
        cols = list(scores.columns)
        dims = cols[cols.index("date") + 1 : cols.index("dimensions")]
    return _Portfolio(
        qi=qi,
        settings=s,
        ctx=ctx,
        accounts=acc,
        growth=account_growth(con, s, qi=qi, ctx=ctx),
        shares=require(con, "wallet", "share of wallet") or account_share(con, s, qi=qi, ctx=ctx),
        tiers=tier_scores(con, s, qi=qi),
        plans=plan_freshness(con, s),
        scores=scores,
        rels=relationships(con, s),
        ws=whitespace(con, s, qi=qi, account_ids=ids),
        grid=account_quarters(con, s) if has_table(con, "revenue") else None,
        dimensions=dims,
    )


def _row(df: pd.DataFrame, account_id: str) -> dict | None:
    r = df[df["account_id"] == account_id]
    return None if r.empty else r.iloc[0].to_dict()


def _text(x) -> str | None:
    return x if isinstance(x, str) else None


def _trend(con: duckdb.DuckDBPyConnection, p: _Portfolio, aid: str) -> pd.DataFrame | Missing:
    """rev(a, q) for q in Q-7..Q from the engine's account x quarter grid (0 where none)."""
    if p.grid is None:
        return Missing("revenue", "no revenue in this extract: revenue trend not shown")
    fy, qi = p.settings.fiscal_year_start_month, p.qi
    lo = max(qi - TREND_QUARTERS + 1, p.ctx.first)
    got = frame(
        con,
        f"SELECT q, rev FROM {p.grid} WHERE account_id = ? AND q BETWEEN ? AND ?",
        [aid, lo, qi],
    )
    by_q = dict(zip(got["q"].astype(int), got["rev"].astype(float), strict=True))
    qs = list(range(lo, qi + 1))
    return pd.DataFrame(
        {
            "quarter": qs,
            "label": [quarter_label(q, fy) for q in qs],
            "revenue": [by_q.get(q, 0.0) for q in qs],
            "partial": [bool(is_partial(q, p.ctx.as_of, fy)) for q in qs],
        }
    )


def _history(p: _Portfolio, aid: str) -> pd.DataFrame | Missing:
    if isinstance(p.scores, Missing):
        return p.scores
    hist = p.scores[p.scores["account_id"] == aid].reset_index(drop=True)
    keep = ["date", *p.dimensions, "dimensions", "score", "rag", "previous", "trend"]
    return hist[[*keep, "commitments_done", "commitments_due", "commitments_rate", "notes"]]


def _sentiment(cts: pd.DataFrame) -> pd.DataFrame:
    lab = cts["sentiment"].where(cts["sentiment"].isin(SENTIMENTS), NOT_RECORDED)
    vc = lab.value_counts()
    order = [*SENTIMENTS] + ([NOT_RECORDED] if vc.get(NOT_RECORDED, 0) else [])
    return pd.DataFrame({"sentiment": order, "contacts": [int(vc.get(x, 0)) for x in order]})


def _stakeholders(con: duckdb.DuckDBPyConnection, p: _Portfolio, aid: str) -> tuple:
    """(relationship row, contacts with last_contact as dates, contacts by sentiment, the
    relationship map)."""
    if isinstance(p.rels, Missing):
        return p.rels, p.rels, p.rels, relationship_map(con, p.settings, aid)
    rel = _row(p.rels, aid) or Missing("accounts", "account not in the accounts sheet")
    rmap = relationship_map(con, p.settings, aid)
    if isinstance(rmap, Missing):
        return rel, rmap, rmap, rmap
    rmap.contacts["last_contact"] = [as_date(d) for d in rmap.contacts["last_contact"]]
    cts = rmap.contacts
    return rel, cts, _sentiment(cts), rmap


def _whitespace(p: _Portfolio, aid: str) -> tuple:
    """(its biggest gaps, the products it buys, the number of products)."""
    if isinstance(p.ws, Missing):
        return p.ws, p.ws, 0
    r = p.ws.ranked()
    gaps = r[r["account_id"] == aid].head(TOP_WHITESPACE).reset_index(drop=True)
    gaps = gaps[["product", "potential", "reason", "in_pipeline", "pipeline"]]
    cells = p.ws.cells
    bought = cells[(cells["account_id"] == aid) & cells["filled"]]["product"].tolist()
    return gaps, bought, len(p.ws.products)


def _pipeline(con: duckdb.DuckDBPyConnection, aid: str) -> pd.DataFrame | Missing:
    miss = require(con, "opportunities", "open pipeline")
    if miss:
        return miss
    return frame(
        con,
        "SELECT product, business_unit, amount, stage, close_date FROM opportunities "
        "WHERE account_id = ? AND is_open ORDER BY amount DESC NULLS LAST",
        [aid],
    )


def _review(con: duckdb.DuckDBPyConnection, p: _Portfolio, aid: str) -> AccountQbrData:
    s = p.settings
    a = _row(p.accounts, aid) or {}
    g = _row(p.growth, aid) or {}
    notes: list[str] = []
    if isinstance(p.shares, Missing):
        share: float | None | Missing = p.shares
        wallet: float | None | Missing = p.shares
    else:
        srow = _row(p.shares, aid) or {}
        share, wallet = as_float(srow.get("share")), as_float(srow.get("wallet"))
        if wallet is None:
            notes.append("no wallet estimate for this account")
    trow = None if isinstance(p.tiers, Missing) else _row(p.tiers.table, aid)
    if isinstance(p.plans, Missing):
        plan: dict | Missing = p.plans
    else:
        plan = _row(p.plans, aid) or Missing("accounts", "account not in the accounts sheet")
    rel, cts, sent, rmap = _stakeholders(con, p, aid)
    gaps, bought, n_products = _whitespace(p, aid)
    return AccountQbrData(
        account_id=aid,
        account_name=_text(a.get("account_name")),
        owner=_text(a.get("owner")),
        tier=_text(a.get("tier")),
        suggested_tier=trow.get("suggested_tier") if trow else None,
        quarter=p.qi,
        quarter_label=quarter_label(p.qi, s.fiscal_year_start_month),
        partial=bool(is_partial(p.qi, p.ctx.as_of, s.fiscal_year_start_month)),
        as_of=p.ctx.as_of,
        currency=s.currency,
        rag_green_min=s.rag_green_min,
        rag_amber_min=s.rag_amber_min,
        ttm=as_float(g.get("ttm_now")) if g else (0.0 if p.grid is not None else None),
        ttm_prev=as_float(g.get("ttm_prev")),
        nrr=as_float(g.get("growth")),
        wallet=wallet,
        share=share,
        plan=plan,
        dimensions=p.dimensions,
        weights={d: float(s.qbr_weights.get(d, 0)) for d in p.dimensions},
        qbr_history=_history(p, aid),
        revenue_trend=_trend(con, p, aid),
        relationship=rel,
        contacts=cts,
        sentiment=sent,
        whitespace=gaps,
        notes=notes,
        region=_text(a.get("region")),
        industry=_text(a.get("industry")),
        products_bought=bought,
        products_total=n_products,
        pipeline=_pipeline(con, aid),
        relationship_map=rmap,
    )


def account_qbr_data(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    account_ids: Sequence[str],
    quarter: int | str | None = None,
) -> list[AccountQbrData]:
    """The QBR figures of each account (in the order given), read from `con`: the viewer's
    scope (a KAM's book) without the sidebar filters. An account `con` cannot see is refused
    with a DeckError, the same whether it is in another book or in no book at all."""
    ids = list(dict.fromkeys(str(a) for a in account_ids))
    if has_table(con, "accounts"):
        seen = set(
            frame(
                con,
                "SELECT DISTINCT account_id FROM accounts WHERE account_id IN "
                "(SELECT unnest(?::VARCHAR[]))",
                [ids],
            )["account_id"]
        )
        unseen = [a for a in ids if a not in seen]
        if unseen:
            raise DeckError(f'account "{unseen[0]}" is not in your book or not in this snapshot')
    p = _portfolio(con, settings, ids, quarter)
    return [_review(con, p, aid) for aid in ids]
