"""QBR scorecard: one account at a time, big and clean, for a screen-shared review."""

import re

import streamlit as st

from kamdash import ui
from kamdash.core import fmt
from kamdash.core.db import frame, has_table
from kamdash.core.periods import quarter_end, quarter_label
from kamdash.metrics.grid import account_quarters
from kamdash.metrics.qbr import plan_freshness, qbr_scores
from kamdash.metrics.relationships import contacts, relationships
from kamdash.metrics.retention import account_growth
from kamdash.metrics.wallet import account_share
from kamdash.metrics.whitespace import whitespace
from kamdash.present import figures
from kamdash.present.deck import deck_filename, qbr_deck

f = ui.page("QBR scorecard")
s, q, ctx = f.settings, f.quarter, f.periods

# -- The account: in the URL as ?account=<ID> (a link opens the same view) --------------------
ids, names_list = ui.account_names(f.con)
names = dict(zip(ids, names_list, strict=True))
if not ids:
    ui.missing("no account in this extract")
    st.stop()
ttm_order = account_growth(f.con, s, qi=q, ctx=ctx) if q is not None else None
if ttm_order is not None and len(ttm_order):
    ranked = [a for a in ttm_order["account_id"] if a in names]
    ids = ranked + [a for a in ids if a not in set(ranked)]


def _from_url(value):
    """An account ID from the URL: the ID itself, or 'Name (ID)' as a selectbox shows it."""
    if value in names:
        return value
    m = re.search(r"\(([^()]+)\)\s*$", value or "")
    return m.group(1) if m and m.group(1) in names else None


def _sync_url():
    st.query_params["account"] = st.session_state["account"]


def _step(delta: int):
    """Previous / next account of the filtered book (largest TTM first), kept in the URL."""
    cur = st.session_state.get("account")
    i = ids.index(cur) if cur in ids else 0
    st.session_state["account"] = ids[(i + delta) % len(ids)]
    _sync_url()


wanted = _from_url(st.query_params.get("account"))
if wanted is not None:
    st.session_state["account"] = wanted
elif st.session_state.get("account") not in names:
    st.session_state["account"] = ids[0]


def _label(a):
    return f.name(a, names.get(a)) if f.anonymous else f"{names.get(a) or a} ({a})"


if f.present:
    pos = ids.index(st.session_state["account"]) + 1
    prev_col, pick_col, next_col = st.columns([1, 4, 1], vertical_alignment="center")
    prev_col.button(
        "Previous",
        key="prev_account",
        icon=":material/arrow_back:",
        on_click=_step,
        args=(-1,),
        width="stretch",
        help="The previous account (larger TTM revenue).",
    )
    next_col.button(
        "Next",
        key="next_account",
        icon=":material/arrow_forward:",
        icon_position="right",
        on_click=_step,
        args=(1,),
        width="stretch",
        help="The next account (smaller TTM revenue).",
    )
    picker = pick_col
else:
    picker = st
account = picker.selectbox(
    "Account",
    ids,
    key="account",
    format_func=_label,
    on_change=_sync_url,
    label_visibility="collapsed" if f.present else "visible",
    help="Largest accounts by TTM revenue first. The account is kept in the page address.",
)
st.query_params["account"] = account

info = frame(
    f.con,
    "SELECT account_name, owner, region, industry, segment, tier FROM accounts "
    "WHERE account_id = ? LIMIT 1",
    [account],
).iloc[0]
tier = info["tier"] if isinstance(info["tier"], str) else None
as_of_q = quarter_end(q, s.fiscal_year_start_month) if q is not None else None

# -- Header: who, and the QBR score now ------------------------------------------------------
scores = qbr_scores(f.con, s)
mine = None
if not ui.is_missing(scores):
    mine = scores[scores["account_id"] == account]
    if as_of_q is not None:
        mine = mine[[d.date() <= as_of_q for d in mine["date"]]]
latest = mine.iloc[-1] if mine is not None and len(mine) else None
rag = latest["rag"] if latest is not None else None

head, badges = st.columns([3, 2], vertical_alignment="center")
head.header(fmt.md(f.name(account, info["account_name"])), anchor=False)
with badges:
    bits = [f":blue-badge[{fmt.md(tier or fmt.UNTIERED)}]"]
    if rag:
        color = {"green": "green", "amber": "orange", "red": "red"}[rag]
        bits.append(f":{color}-badge[QBR {fmt.RAG_LABELS[rag]}]")
    st.markdown(" ".join(bits))
meta = [
    f"KAM **{fmt.md(info['owner'])}**" if isinstance(info["owner"], str) else None,
    fmt.md(info["region"]) if isinstance(info["region"], str) else None,
    fmt.md(info["industry"]) if isinstance(info["industry"], str) else None,
    f"as of **{f.quarter_label()}**",
    f"account {ids.index(account) + 1} of {len(ids)}" if f.present else None,
]
st.caption(" · ".join(m for m in meta if m))

# -- Headline figures --------------------------------------------------------------------------
g = ttm_order[ttm_order["account_id"] == account] if ttm_order is not None else None
g = g.iloc[0] if g is not None and len(g) else None
share = None
if has_table(f.con, "wallet") and q is not None:
    sh = account_share(f.con, s, qi=q, ctx=ctx)
    sh = sh[sh["account_id"] == account]
    share = sh.iloc[0] if len(sh) else None
plans = plan_freshness(f.con, s)
plan = None
if not ui.is_missing(plans):
    pr = plans[plans["account_id"] == account]
    plan = pr.iloc[0] if len(pr) else None

c = st.columns(5)
c[0].metric(
    "QBR score",
    fmt.score(latest["score"]) if latest is not None else "–",
    None if latest is None or fmt.is_missing(latest["trend"]) else f"{float(latest['trend']):+.1f}",
    delta_description=None if latest is None or fmt.is_missing(latest["trend"]) else "vs prior",
    border=True,
    help=f"Weighted mean of the 1–5 dimensions; green ≥ {s.rag_green_min:g}, "
    f"amber ≥ {s.rag_amber_min:g}, red below.",
)
c[1].metric(
    "Revenue TTM",
    f.money(g["ttm_now"]) if g is not None else "–",
    border=True,
)
c[2].metric(
    "Account NRR",
    fmt.pct(g["growth"]) if g is not None else "–",
    border=True,
    help="TTM now / TTM a year ago for this account.",
)
c[3].metric(
    "Share of wallet",
    fmt.pct(share["share"]) if share is not None else "–",
    None
    if share is None or fmt.is_missing(share["wallet"])
    else f"wallet {f.money(share['wallet'])}",
    delta_color="off",
    delta_arrow="off",
    border=True,
)
c[4].metric(
    "Account plan",
    "–" if plan is None else ("Stale" if plan["stale"] else "Fresh"),
    None
    if plan is None or fmt.is_missing(plan["days_since_plan"])
    else f"{fmt.days(plan['days_since_plan'])} old",
    delta_color="off",
    delta_arrow="off",
    border=True,
    help="Days since the plan was last updated; stale beyond the cadence of its tier "
    + ", ".join(f"{t}: {d} days" for t, d in s.plan_cadence_days.items())
    + ".",
)
if ui.is_missing(plans):
    ui.missing(plans)
elif plan is not None and plan["status"] == "no plan date":
    st.caption("No plan date for this account: its plan counts as stale.")
if not has_table(f.con, "wallet"):
    ui.missing("no wallet sheet in this extract: share of wallet not shown")

# -- QBR trend ---------------------------------------------------------------------------------
st.subheader("QBR scores over the last reviews")
if ui.is_missing(scores):
    ui.missing(scores)
elif mine is None or mine.empty:
    st.info("No QBR recorded for this account up to this quarter.", icon=":material/info:")
else:
    last = mine.tail(6)
    dims = [d for d in s.qbr_weights if d in last.columns]
    left, right = st.columns([3, 2])
    with left:
        ui.plot(figures.qbr_trend(last, dims, s.rag_green_min, s.rag_amber_min), key="qbr_trend")
    with right:
        r = last.iloc[-1]
        st.markdown(f"**Latest QBR** · {r['date']:%d %b %Y}")
        for d in dims:
            st.markdown(f"- {d.replace('_', ' ').capitalize()}: **{fmt.score(r[d])}**")
        if not fmt.is_missing(r["commitments_due"]) and r["commitments_due"]:
            st.markdown(
                f"- Commitments: **{int(r['commitments_done'] or 0)} of "
                f"{int(r['commitments_due'])}** done"
            )
        if isinstance(r["notes"], str) and r["notes"]:
            st.caption(f"Notes: {fmt.md(f.text(r['notes']))}")

# -- Stakeholders ------------------------------------------------------------------------------
st.subheader("Stakeholder coverage")
rel = relationships(f.con, s)
if ui.is_missing(rel):
    ui.missing(rel)
else:
    rr = rel[rel["account_id"] == account]
    if rr.empty or int(rr.iloc[0]["mapped"]) == 0:
        st.warning(
            "No contact mapped for this account: single-threaded.", icon=":material/warning:"
        )
    else:
        r = rr.iloc[0]
        k = st.columns(5)
        k[0].metric("Contacts mapped", int(r["mapped"]))
        k[1].metric(
            "Active relationships",
            f"{int(r['active'])} ({fmt.pct(r['coverage'])})",
            help=f"Contacts with strength ≥ {s.active_strength_min:g}; 60–70% coverage works.",
        )
        k[2].metric("Champions", int(r["champions"]))
        k[3].metric("Detractors", int(r["detractors"]))
        k[4].metric("Executive access", "Yes" if r["executive_access"] else "No")
        if r["single_threaded"]:
            st.warning(
                f"Single-threaded: {int(r['active'])} active relationship"
                f"{'' if int(r['active']) == 1 else 's'}. If that contact leaves, the account "
                "has no sponsor.",
                icon=":material/warning:",
            )
        ct = contacts(f.con, s, account)
        if not ui.is_missing(ct) and len(ct):
            with st.expander(f"Contacts ({len(ct)})", expanded=len(ct) <= 8 and not f.present):
                ui.table(
                    {
                        "Name": [f.names.contact(n) for n in ct["name"]],
                        "Title": [f.text(t) for t in ct["title"]],
                        "Level": list(ct["level"]),
                        "Sentiment": list(ct["sentiment"]),
                        "Strength": list(ct["strength"]),
                        "Influence": list(ct["influence"]),
                        "Last contact": list(ct["last_contact"]),
                    },
                    "Contacts",
                    names=f.names,
                    width="stretch",
                )

# -- Whitespace and pipeline -------------------------------------------------------------------
st.subheader("Whitespace and open pipeline")
ws = whitespace(f.con, s, qi=q, account_ids=[account])
left, right = st.columns([1, 1])
with left:
    if ui.is_missing(ws):
        ui.missing(ws)
    else:
        mine_ws = ws.cells[ws.cells["account_id"] == account]
        bought = mine_ws[mine_ws["filled"]]
        opps = ws.ranked()
        opps = opps[opps["account_id"] == account].head(5)
        st.markdown(
            f"Buys **{len(bought)} of {len(ws.products)}** products. "
            + ("Biggest gaps:" if len(opps) else "No gap with peer potential.")
        )
        for o in opps.itertuples(index=False):
            pipe = f" · in pipeline {f.money(o.pipeline)}" if o.in_pipeline else ""
            st.markdown(
                f"- **{fmt.md(o.product)}**: \\+{fmt.md(f.money(o.potential))} "
                f"({fmt.md(f.text(o.reason))}){pipe}"
            )
        st.page_link(
            "pages/whitespace.py",
            label="Business units × products grid",
            query_params={"ws_mode": "account"},
            icon=":material/grid_view:",
        )
with right:
    if not has_table(f.con, "opportunities"):
        ui.missing("no opportunities sheet in this extract: open pipeline not shown")
    else:
        op = frame(
            f.con,
            "SELECT product, business_unit, amount, stage, close_date FROM opportunities "
            "WHERE account_id = ? AND is_open ORDER BY amount DESC NULLS LAST",
            [account],
        )
        st.metric(
            "Open pipeline",
            f.money(op["amount"].sum()) if len(op) else "–",
            f"{len(op)} opportunit{'y' if len(op) == 1 else 'ies'}",
            delta_color="off",
            delta_arrow="off",
        )
        if len(op):
            ui.table(
                {
                    "Product": list(op["product"]),
                    "Amount": [f.money(v) for v in op["amount"]],
                    "Stage": list(op["stage"]),
                    "Close": ["" if fmt.is_missing(d) else f"{d:%b %Y}" for d in op["close_date"]],
                },
                "Open pipeline",
                names=f.names,
                width="stretch",
                height=min(36 * (len(op) + 1) + 2, 230),
            )

# -- Revenue -----------------------------------------------------------------------------------
if q is not None and has_table(f.con, "revenue"):
    aq = account_quarters(f.con, s)
    rv = frame(
        f.con,
        f"SELECT q, rev AS revenue FROM {aq} WHERE account_id = ? AND q BETWEEN ? AND ? ORDER BY q",
        [account, q - 7, q],
    )
    rv["label"] = [quarter_label(int(x), s.fiscal_year_start_month) for x in rv["q"]]
    rv["partial"] = [f.is_partial(int(x)) for x in rv["q"]]
    ui.plot(figures.account_revenue(rv, f.currency), key="acc_rev")

# -- The deck to send afterwards ---------------------------------------------------------------
DECK_MAX = 40
st.subheader("QBR deck")
owners = list(f.filters.owners)
book = ids[:DECK_MAX]
book_label = f"Book of {owners[0]}" if len(owners) == 1 else f"{len(ids)} accounts in these filters"
hidden = f.names if f.anonymous else None
q_label = ctx.label(q) if q is not None else "latest"


def _deck(account_ids, heading=None):
    def build():
        return qbr_deck(f.cursor(), s, account_ids, quarter=q, aliases=hidden, heading=heading)

    return build


if q is None:
    ui.missing("no revenue in this extract: a QBR deck needs a quarter of revenue")
else:
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download QBR deck (PPTX)",
        _deck([account]),
        file_name=deck_filename(f.name(account, info["account_name"]), q_label),
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        key="deck_account",
        on_click="ignore",
        icon=":material/slideshow:",
        width="stretch",
        help="This account's QBR deck for the quarter: title, scorecard, trends, relationships, "
        "whitespace, commitments" + (" (names hidden)." if f.anonymous else "."),
    )
    c2.download_button(
        f"Download the book's decks (PPTX, {len(book)} accounts)",
        _deck(book, book_label),
        file_name=deck_filename(f.text(book_label), q_label),
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        key="deck_book",
        on_click="ignore",
        icon=":material/library_books:",
        width="stretch",
        help="One deck for every account in the sidebar filters (largest TTM first), with an "
        "overview slide. Set the KAM filter for one KAM's book.",
    )
    note = "Decks are built when you click (a few seconds per ten accounts)."
    if len(ids) > DECK_MAX:
        note += (
            f" The book deck holds the {DECK_MAX} largest of {len(ids):,} accounts by TTM "
            "revenue; narrow the sidebar filters for the others."
        )
    if f.anonymous:
        note += " Names are hidden in the decks too."
    ui.note(note)
