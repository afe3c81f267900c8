"""Retention & wallet: NRR / GRR trends, the revenue bridge, share of wallet and the quadrant."""

import streamlit as st

from kamdash import ui
from kamdash.present import figures
from kamdash.views import retention as view

DIMENSIONS = {
    "tier": "Tier",
    "region": "Region",
    "industry": "Industry",
    "owner": "KAM (owner)",
    "team": "Team",
}
KINDS = {"ttm": "TTM vs TTM", "quarter": "Quarter vs quarter"}

f = ui.page("Retention & wallet")
q, s, ctx = f.quarter, f.settings, f.periods
ret = ui.cached(f, view.trend, s, ctx, q)
if ui.is_missing(ret):
    ui.missing(ret)
    st.stop()
basis = "trailing twelve months" if s.retention_basis == "ttm" else "quarter vs same quarter"
st.caption(f"Up to **{f.quarter_label()}** · retention on a {basis} basis.")

st.subheader("Net and gross revenue retention")
ui.plot(figures.retention_trend(ret, s.nrr_target), key="nrr_trend")
if ret["nrr"].notna().sum() == 0:
    st.caption("NRR needs eight quarters of history (TTM now vs TTM a year before).")
c1, c2 = st.columns([1, 1])
dims = view.dimensions(f.con)
by = c1.selectbox(
    "Split by",
    dims,
    index=dims.index(view.default_dimension(f.con, dims)),
    format_func=DIMENSIONS.get,
    key="ret_by",
    bind="query-params",
    persist_state="session",
)
metric = c2.radio(
    "Metric",
    ["nrr", "grr"],
    format_func=str.upper,
    horizontal=True,
    key="ret_metric",
    bind="query-params",
    persist_state="session",
)
grouped = ui.cached(f, view.by_group, s, ctx, q, by, metric)
by_kam = by == "owner" and f.anonymous  # KAMs hideable
table = grouped.table.assign(group=grouped.table["group"].map(f.owner)) if by_kam else grouped.table
shown_as = f.owner if by_kam else str  # a group's name on the chart
ui.plot(
    figures.retention_by_group(
        table,
        metric,
        DIMENSIONS[by].lower(),
        order=[shown_as(g) for g in grouped.order],
        accounts={shown_as(g): n for g, n in grouped.accounts.items()},
        too_few=[shown_as(g) for g in grouped.too_few],
    ),
    key="nrr_by",
)
notes = ["n = the group's accounts active a year before (its NRR cohort)."]
if grouped.too_few:
    notes.append(
        f"Groups of fewer than {grouped.min_accounts} accounts are drawn grey and dotted and "
        "do not set the scale: too few accounts to compare."
    )
if grouped.groups > view.GROUPS_DRAWN:
    notes.append(
        f"The {view.GROUPS_DRAWN} largest of {grouped.groups} groups by TTM revenue are drawn."
    )
st.caption(" ".join(notes))

st.subheader("Revenue bridge")
c1, c2 = st.columns([1, 1])
kind = c1.radio(
    "Compare",
    list(KINDS),
    format_func=KINDS.get,
    horizontal=True,
    key="bridge_kind",
    bind="query-params",
    persist_state="session",
)
starts, default = view.bridge_starts(ctx, q, kind)
if not starts:
    ui.missing("the extract has no earlier period to bridge from")
else:
    labels = {ctx.label(x): x for x in starts}
    start = labels[
        c2.selectbox(
            "From",
            list(labels),
            index=starts.index(default),
            key="bridge_from",
            bind="query-params",
            persist_state="session",
            help=f"The bridge runs from this period to {ctx.label(q)} (the quarter in the sidebar).",
        )
    ]
    b = ui.cached(f, view.bridge, s, start, q, kind)
    ui.plot(
        figures.revenue_bridge(
            b.bridge.totals, b.bridge.start_label, b.bridge.end_label, f.currency
        ),
        key="bridge",
    )
    st.caption(
        " · ".join(f"{b.counts[c]:,} {c}" for c in view.MOVEMENTS)
        + " accounts. "
        + ("TTM windows ending with each quarter." if kind == "ttm" else "Single quarters.")
    )
    top = b.movements
    if len(top):
        with st.expander(f"Largest movements (top {view.MOVEMENTS_SHOWN} accounts)"):
            # the downloads hold every account of the bridge, largest movement first
            moved = b.bridge.accounts.reset_index(drop=True)
            every = dict(zip(*ui.account_names(f.con), strict=True))
            ui.table(
                {
                    "Account ID": moved["account_id"],
                    "Account": moved["account_id"].map(every).fillna(moved["account_id"]),
                    "Start": moved["start"],
                    "End": moved["end"],
                    "Change": moved["change"],
                    "Category": moved["category"],
                },
                "Largest movements",
                names=f.names,
                rows=len(top),
                formats={"Start": "money", "End": "money", "Change": "signed_money"},
                currency=f.currency,
                width="stretch",
            )

st.subheader("Share of wallet")
w = ui.cached(f, view.wallet, s, ctx, q)
if ui.is_missing(w):
    ui.missing(w)
    st.stop()
ui.plot(figures.sow_trend(w.trend), key="sow_trend")
if w.without_estimate:
    st.caption(
        f"{w.without_estimate} active accounts have no wallet estimate and are left out of "
        "the share."
    )
quad = w.quadrants
n_labels = st.slider("Label the largest accounts", 0, 12, 6, key="quad_labels")
fig = figures.wallet_quadrant(
    quad,
    quad.attrs.get("wallet_median"),
    quad.attrs.get("share_median"),
    labels=f.labels(quad["account_id"], quad["account_name"]),
    n_labels=n_labels,
    currency=f.currency,
)
ui.plot(fig, key="quadrant")
st.caption(
    "Dashed lines: the medians of wallet and share over these accounts. Bubble size: "
    "TTM revenue. Shares above 150% are drawn at 150%. Share of wallet is drawn from the "
    "first quarter with a full twelve months of data."
)
