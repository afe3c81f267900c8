"""QBR scorecard: one account at a time, big and clean, for a screen-shared review.

Layout only: every figure is the account review the deck renders
(`kamdash.views.account_review.account_qbr_data`), for the sidebar's quarter.
"""

import streamlit as st

from kamdash import ui
from kamdash.core import fmt
from kamdash.metrics.definitions import BY_KEY
from kamdash.present import figures
from kamdash.present.deck import book_heading, deck_filename, deck_title, qbr_deck
from kamdash.views.account_review import (
    AccountQbrData,
    DeckError,
    account_qbr_data,
    find_account,
    pick_account,
    review_accounts,
    step_account,
)
from kamdash.views.program import account_goal, coverage_text

# Not a widget key: widget state is dropped when another page runs, this is kept for the session.
REMEMBERED = "qbr_account"
DECK_MAX = 40
RAG_BADGE = {"green": "green", "amber": "orange", "red": "red"}

f = ui.page("QBR scorecard")
s = f.settings
accounts = ui.cached(f, review_accounts, s, f.quarter)
ids = accounts["account_id"].tolist()
names = dict(zip(ids, accounts["account_name"], strict=True))
if not ids:
    ui.missing("no account in this extract")
    st.stop()


def _keep(account: str) -> None:
    """Keep the account shown for the session and in the page address."""
    st.session_state[REMEMBERED] = account
    st.query_params["account"] = account


def _step(delta: int) -> None:
    """Previous / next account of the filtered book (largest TTM first)."""
    st.session_state["account"] = step_account(ids, st.session_state.get("account"), delta)
    _keep(st.session_state["account"])


def _label(a):
    return f.name(a, names.get(a)) if f.anonymous else f"{names.get(a) or a} ({a})"


def picker() -> str:
    """The account picker (with previous / next in presentation mode); the chosen account."""
    asked = st.query_params.get("account")
    if asked and find_account(ids, asked) is None:
        st.warning(
            fmt.md(f'"{asked}" is not in your book or not in the filters in the sidebar.'),
            icon=":material/lock:",
        )
    st.session_state["account"] = pick_account(ids, asked, st.session_state.get(REMEMBERED))
    where = st
    if f.present:
        prev_col, where, next_col = st.columns([1, 4, 1], vertical_alignment="center")
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
    account = where.selectbox(
        "Account",
        ids,
        key="account",
        format_func=_label,
        on_change=lambda: _keep(st.session_state["account"]),
        label_visibility="collapsed" if f.present else "visible",
        help="Largest accounts by TTM revenue first. The account is kept in the page address.",
    )
    _keep(account)
    return account


def header(d: AccountQbrData) -> None:
    head, badges = st.columns([3, 2], vertical_alignment="center")
    head.header(fmt.md(f.name(d.account_id, d.account_name)), anchor=False)
    bits = [f":blue-badge[{fmt.md(d.tier or fmt.UNTIERED)}]"]
    if d.rag:
        bits.append(f":{RAG_BADGE[d.rag]}-badge[QBR {fmt.RAG_LABELS[d.rag]}]")
    badges.markdown(" ".join(bits))
    meta = [
        f"KAM **{fmt.md(f.owner(d.owner))}**" if d.owner else None,
        fmt.md(d.region) if d.region else None,
        fmt.md(d.industry) if d.industry else None,
        f"as of **{f.quarter_label()}**",
        f"account {ids.index(d.account_id) + 1} of {len(ids)}" if f.present else None,
    ]
    st.caption(" · ".join(m for m in meta if m))


def headline(d: AccountQbrData) -> None:
    last, plan = d.latest or {}, d.plan
    trend = fmt.as_float(last.get("trend"))
    no_plan = ui.is_missing(plan)
    c = st.columns(5)
    c[0].metric(
        "QBR score",
        fmt.score(last.get("score")),
        None if trend is None else f"{trend:+.1f}",
        delta_description=None if trend is None else "vs prior",
        # a change that reads "+0.0" gets no arrow and no colour
        delta_arrow="off" if fmt.reads_as_zero(f"{trend or 0:+.1f}") else "auto",
        delta_color="off" if fmt.reads_as_zero(f"{trend or 0:+.1f}") else "normal",
        border=True,
        help=f"Weighted mean of the 1–5 dimensions; green ≥ {d.rag_green_min:g}, "
        f"amber ≥ {d.rag_amber_min:g}, red below.",
    )
    c[1].metric("Revenue TTM", f.money(d.ttm), border=True)
    c[2].metric(
        "Account NRR",
        fmt.pct(d.nrr),
        border=True,
        help="TTM now / TTM a year ago for this account.",
    )
    ui.fact(
        c[3],
        "Share of wallet",
        "–" if ui.is_missing(d.share) else fmt.pct(d.share),
        None if ui.is_missing(d.wallet) or d.wallet is None else f"wallet {f.money(d.wallet)}",
    )
    ui.fact(
        c[4],
        "Account plan",
        "–" if no_plan else ("Stale" if plan["stale"] else "Fresh"),
        None
        if no_plan or fmt.is_missing(plan["days_since_plan"])
        else f"{fmt.days(plan['days_since_plan'])} old",
        help="Days since the plan was last updated; stale beyond the cadence of its tier "
        + ", ".join(f"{t}: {n} days" for t, n in s.plan_cadence_days.items())
        + ".",
    )
    if no_plan:
        ui.missing(plan)
    elif plan["status"] == "no plan date":
        st.caption("No plan date for this account: its plan counts as stale.")
    if ui.is_missing(d.share):
        ui.missing(d.share)


def growth_goal(account_id: str) -> None:
    """One line: the account's growth goal for the fiscal year to date (`views.program`)."""
    cur = f.cursor()
    try:
        g = account_goal(cur, s, account_id)
    finally:
        cur.close()
    if ui.is_missing(g):
        ui.missing(g)
    elif g.target is None:
        st.caption(f"No growth goal set for this account in {g.year}.")
    else:
        pipeline = ""
        if g.pipeline == 0:
            pipeline = " · no pipeline closing this FY"
        elif g.pipeline is not None:
            cover = coverage_text(g.coverage, False)
            pipeline = f" · pipeline this FY {f.money(g.pipeline)} ({cover} the gap)"
        rest = "goal met" if g.goal_met else f"gap {f.money(g.gap)}{pipeline}"
        st.markdown(
            f"**Growth goal {g.year}**: {f.money(g.fytd)} of {f.money(g.target)} to "
            f"{fmt.day(g.as_of)}, **{fmt.pct(g.attainment)}** attained · projected "
            f"{fmt.pct(g.projected_attainment)} · {rest}",
            help=f"{BY_KEY['attainment'].text} {BY_KEY['projection'].text}",
        )


def qbr_trend(d: AccountQbrData) -> None:
    st.subheader("QBR scores over the last reviews")
    last = d.qbr_trend
    if ui.is_missing(last):
        ui.missing(last)
        return
    if last.empty:
        st.info("No QBR recorded for this account up to this quarter.", icon=":material/info:")
        return
    left, right = st.columns([3, 2])
    with left:
        fig = figures.qbr_trend(last, d.dimensions, d.rag_green_min, d.rag_amber_min)
        ui.plot(fig, key="qbr_trend")
    with right:
        r = d.latest
        st.markdown(f"**Latest QBR** · {r['date']:%d %b %Y}")
        for dim in d.dimensions:
            st.markdown(f"- {fmt.md(dim.replace('_', ' ').capitalize())}: **{fmt.score(r[dim])}**")
        if not fmt.is_missing(r["commitments_due"]) and r["commitments_due"]:
            st.markdown(
                f"- Commitments: **{int(r['commitments_done'] or 0)} of "
                f"{int(r['commitments_due'])}** done"
            )
        if isinstance(r["notes"], str) and r["notes"]:
            st.caption(f"Notes: {fmt.md(f.text(r['notes']))}")


def contacts_table(d: AccountQbrData) -> None:
    ct = d.contacts
    if ui.is_missing(ct) or ct.empty:
        return
    with st.expander(f"Contacts ({len(ct)})", expanded=len(ct) <= 8 and not f.present):
        ui.table(
            {
                "Account ID": d.account_id,
                "Name": ct["name"].tolist(),
                "Title": ct["title"].tolist(),
                "Level": ct["level"].tolist(),
                "Sentiment": ct["sentiment"].tolist(),
                "Strength": ct["strength"].tolist(),
                "Influence": ct["influence"].tolist(),
                "Last contact": ct["last_contact"].tolist(),
                "Days since": ct["days_since_contact"].tolist(),
            },
            "Contacts",
            names=f.names,
            formats={"Strength": "integer", "Influence": "integer", "Days since": "integer"},
            width="stretch",
        )


def relationship_map(d: AccountQbrData) -> None:
    """Who is who in the buying organisation: the map, and its gaps in plain sentences beside
    it (a Missing says what the extract lacks)."""
    st.subheader("Relationship map")
    m = d.relationship_map
    if m is None or ui.is_missing(m):
        ui.missing(m or "no stakeholder sheet in this extract: relationship map not shown")
        return
    left, right = st.columns([5, 2])
    with left:
        ui.plot(figures.relationship_map(m, f.names), key="relationship_map")
    with right:
        st.markdown("**Gaps**")
        if m.gaps:
            st.markdown("\n".join(f"- {fmt.md(g.text)}" for g in m.gaps))
        else:
            st.markdown(
                "No gap: executive access, and an active relationship in every buying role and "
                "level."
            )
        for n in m.notes:
            st.caption(fmt.md(n))
        st.caption(
            "Colour: sentiment · size: relationship strength (1–5) · line: reports to · faded: "
            f"no contact for more than {s.contact_stale_days} days. Hover a contact for its "
            "title, role and last contact; every contact is listed under Contacts."
        )


def stakeholders(d: AccountQbrData) -> None:
    st.subheader("Stakeholder coverage")
    r = d.relationship
    if ui.is_missing(r):
        ui.missing(r)
        relationship_map(d)
        return
    if int(r["mapped"]) == 0:
        st.warning(
            "No contact mapped for this account: single-threaded.", icon=":material/warning:"
        )
        return
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
    relationship_map(d)
    contacts_table(d)


def whitespace(d: AccountQbrData) -> None:
    if ui.is_missing(d.whitespace):
        ui.missing(d.whitespace)
        return
    st.markdown(
        f"Buys **{len(d.products_bought)} of {d.products_total}** products. "
        + ("Biggest gaps:" if len(d.whitespace) else "No gap with peer potential.")
    )
    for o in d.whitespace.itertuples(index=False):
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


def pipeline(d: AccountQbrData) -> None:
    op = d.pipeline
    if ui.is_missing(op):
        ui.missing(op)
        return
    unknown = f", {d.pipeline_unknown} amount unknown" if d.pipeline_unknown else ""
    ui.fact(
        st,
        "Open pipeline",
        f.money(d.pipeline_total),
        f"{len(op)} opportunit{'y' if len(op) == 1 else 'ies'}{unknown}",
    )
    if len(op):
        ui.table(
            {
                "Account ID": d.account_id,
                "Product": op["product"].tolist(),
                "Business unit": op["business_unit"].tolist(),
                "Amount": op["amount"].tolist(),
                "Stage": op["stage"].tolist(),
                "Close": op["close_date"].tolist(),
            },
            "Open pipeline",
            names=f.names,
            formats={"Amount": "money"},
            currency=f.currency,
            screen_hide=(ui.ACCOUNT_ID, "Business unit"),
            width="stretch",
            height=min(36 * (len(op) + 1) + 2, 230),
            column_config={"Close": st.column_config.DateColumn(format="MMM YYYY")},
        )


def _deck(account_ids, quarter: int, heading=None, total=None):
    hidden = f.names if f.anonymous else None

    def build():
        return qbr_deck(
            f.cursor(),
            s,
            account_ids,
            quarter=quarter,
            aliases=hidden,
            heading=heading,
            total=total,
        )

    return build


def decks(d: AccountQbrData) -> None:
    """This account's deck and the filtered book's (the DECK_MAX largest)."""
    st.subheader("QBR deck")
    book = ids[:DECK_MAX]
    # named for the filters that made it and what it holds: "Tier 1 · EMEA · 12 accounts"
    heading = book_heading(f.filters, f.owner)
    book_title = f.text(deck_title(heading, len(book), len(ids)))
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download QBR deck (PPTX)",
        _deck([d.account_id], d.quarter),
        file_name=deck_filename(f.name(d.account_id, d.account_name), d.quarter_label),
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        key="deck_account",
        on_click="ignore",
        icon=":material/slideshow:",
        width="stretch",
        help="This account's QBR deck for the quarter: title, scorecard, trends, relationships, "
        "whitespace, commitments; a section the extract cannot feed is left out and named in "
        "one closing line" + (" (names hidden)." if f.anonymous else "."),
    )
    c2.download_button(
        f"Download the book's decks (PPTX, {len(book)} accounts)",
        _deck(book, d.quarter, heading, len(ids)),
        file_name=deck_filename(book_title, d.quarter_label),
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        key="deck_book",
        on_click="ignore",
        icon=":material/library_books:",
        width="stretch",
        help=f"{book_title}: one deck for the accounts in the sidebar filters (largest TTM "
        "first), with an overview slide. Set the KAM filter for one KAM's book.",
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


account = picker()
try:
    # unfiltered, as the deck's: NRR's history guard reads the whole portfolio
    (review,) = ui.cached(f, account_qbr_data, s, (account,), f.quarter, unfiltered=True)
except DeckError as e:
    ui.missing(str(e))
    st.stop()
header(review)
headline(review)
growth_goal(review.account_id)
qbr_trend(review)
stakeholders(review)
st.subheader("Whitespace and open pipeline")
ws_col, pipe_col = st.columns([1, 1])
with ws_col:
    whitespace(review)
with pipe_col:
    pipeline(review)
if ui.is_missing(review.revenue_trend):
    ui.missing(review.revenue_trend)
else:
    ui.plot(figures.account_revenue(review.revenue_trend, f.currency), key="acc_rev")
decks(review)
