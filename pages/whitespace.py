"""Whitespace: accounts x products (or one account's business units x products), and the
biggest opportunities with their reasons."""

import streamlit as st

from kamdash import ui
from kamdash.core import fmt
from kamdash.metrics.whitespace import business_unit_grid, whitespace
from kamdash.present import figures
from kamdash.views import whitespace as view

CONFIDENCE_LABELS = {"high": "High", "low": "Low"}
WHY_CHARS = 34  # a reason longer than this wraps (the "Why" column is 250 px wide)

f = ui.page("Whitespace")
s = f.settings
ws = whitespace(f.con, s, qi=f.quarter)
if ui.is_missing(ws):
    ui.missing(ws)
    st.stop()
st.caption(
    f"TTM to **{f.quarter_label()}**. Filled cells (blue): what the account buys. Empty cells "
    "(orange, +amount): potential = what comparable accounts (same industry, similar size) "
    "spend on that product, the peer median. ◆ marks open pipeline."
)
for n in ws.notes:
    ui.missing(n)

modes = {"accounts": "Accounts × products", "account": "One account: business units × products"}
mode = st.radio(
    "Grid",
    list(modes),
    format_func=modes.get,
    horizontal=True,
    key="ws_mode",
    bind="query-params",
    persist_state="session",
    label_visibility="collapsed",
)

industry = None
if mode == "accounts":
    c1, c2 = st.columns([2, 3])
    chosen = c1.selectbox(
        "Industry",
        ["All", *view.industries(ws)],
        key="ws_industry",
        bind="query-params",
        persist_state="session",
        help="The group of accounts in the grid (the sidebar filters apply too).",
    )
    industry = None if chosen == "All" else chosen
    n_max = len(view.accounts(ws, industry))
    top_n = ui.count_slider(
        "Accounts shown (largest by TTM revenue)",
        n_max,
        view.GRID_ROWS,
        "ws_top",
        hi=view.GRID_ROWS_MAX,
        where=c2,
    )
    g = view.account_grid(ws, industry, top_n)
    fig = figures.whitespace_grid(
        g.ttm,
        g.potential,
        g.pipeline,
        f.labels(g.accounts["account_id"], g.accounts["account_name"]),
        f"Accounts × products{'' if industry is None else ' · ' + industry}",
        f.currency,
    )
    ui.plot(fig, key="ws_grid")
    if n_max > top_n:
        ui.note(f"The {top_n} largest of {n_max:,} accounts by TTM revenue are shown.")
else:
    every = view.accounts(ws)
    ids = list(every["account_id"])
    names = dict(zip(every["account_id"], every["account_name"], strict=True))
    acc = st.selectbox(
        "Account",
        ids,
        format_func=lambda a: (
            f.name(a, names.get(a)) if f.anonymous else f"{names.get(a) or a} ({a})"
        ),
        key="ws_account",
        persist_state="session",
    )
    bu = business_unit_grid(f.con, s, acc, ws=ws)
    if ui.is_missing(bu):
        ui.missing(bu)
    else:
        for n in bu.notes:
            ui.missing(n)
        g = bu.grid("ttm")
        ui.plot(
            figures.whitespace_grid(
                g,
                bu.grid("potential"),
                bu.pipeline_grid(),
                [f.text(str(x)) for x in g.index],
                f"{f.name(acc, names.get(acc))}: business units × products",
                f.currency,
            ),
            key="bu_grid",
        )
        st.page_link(
            "pages/qbr.py",
            label="Open this account's QBR scorecard",
            query_params={"account": acc},
            icon=":material/arrow_forward:",
        )

st.subheader("Biggest opportunities")
c1, c2 = st.columns([3, 2])
n_top = c2.slider("Show", 5, 50, view.OPPORTUNITIES_SHOWN, step=5, key="ws_rank_n")
ranked = view.opportunities(ws, industry)
c1.caption(
    f"{len(ranked):,} empty cells with potential"
    + ("" if industry is None else f" in {fmt.md(industry)}")
    + f"; the {min(n_top, len(ranked))} largest, estimates from industry peers first:"
)
top = ranked.head(n_top)
if top.empty:
    ui.missing("no empty cell with potential for these accounts")
else:
    every = ranked.reset_index(drop=True)  # the downloads hold every cell with potential
    ui.table(
        {
            "Account ID": every["account_id"],
            "Account": every["account_name"].fillna(every["account_id"]),
            "Product": every["product"],
            "Potential": every["potential"],
            "Confidence": every["confidence"].map(CONFIDENCE_LABELS),
            "Open pipeline": every["in_pipeline"].astype(bool),
            "Pipeline amount": every["pipeline"].where(every["in_pipeline"].astype(bool)),
            "Why": every["reason"],
        },
        "Biggest opportunities",
        names=f.names,
        rows=len(top),
        formats={"Potential": "money", "Pipeline amount": "money"},
        currency=f.currency,
        qbr_link=True,
        width="stretch",
        # widths that fit 1280x720 with the sidebar open; "Why" wraps onto a second and
        # third line when the shown reasons are long (Streamlit wraps above a 64 px row)
        row_height=66 if top["reason"].str.len().max() > WHY_CHARS else None,
        column_config={
            "Account": st.column_config.TextColumn(width=140),
            "QBR": st.column_config.LinkColumn("QBR", display_text="Open →", width=58),
            "Product": st.column_config.TextColumn(width=100),
            "Potential": st.column_config.NumberColumn(width=64),
            "Confidence": st.column_config.TextColumn(
                width=78,
                help="High: the median of industry peers of similar size. Low: the whole "
                "portfolio's median (too few industry peers of similar size); listed after "
                "every high-confidence estimate.",
            ),
            "Open pipeline": st.column_config.CheckboxColumn("Pipeline", width=58),
            "Pipeline amount": st.column_config.NumberColumn("Amount", width=62),
            "Why": st.column_config.TextColumn(
                width=250, help="Who buys it among the peers, and their median."
            ),
        },
    )
