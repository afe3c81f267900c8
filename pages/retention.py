"""Retention & wallet: NRR / GRR trends, the revenue bridge, share of wallet and the quadrant."""

import streamlit as st

from kamdash import ui
from kamdash.core import fmt
from kamdash.core.db import has_table
from kamdash.metrics.retention import retention, revenue_bridge
from kamdash.metrics.wallet import share_of_wallet, wallet_quadrants
from kamdash.present import figures

DIMENSIONS = {
    "tier": "Tier",
    "region": "Region",
    "industry": "Industry",
    "owner": "KAM (owner)",
    "team": "Team",
}

f = ui.page("Retention & wallet")
q, s, ctx = f.quarter, f.settings, f.periods
if q is None:
    ui.missing("no revenue in this extract (no revenue sheet and no won opportunities)")
    st.stop()
basis = "trailing twelve months" if s.retention_basis == "ttm" else "quarter vs same quarter"
st.caption(f"Up to **{f.quarter_label()}** · retention on a {basis} basis.")

st.subheader("Net and gross revenue retention")
ret = retention(f.con, s, ctx=ctx)
ret = ret[ret["quarter"] <= q]
ui.plot(figures.retention_trend(ret), key="nrr_trend")
if ret["nrr"].notna().sum() == 0:
    st.caption("NRR needs eight quarters of history (TTM now vs TTM a year before).")
c1, c2 = st.columns([1, 1])
dims = [d for d in DIMENSIONS if d != "team" or has_table(f.con, "team")]
by = c1.selectbox(
    "Split by",
    dims,
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
grouped = retention(f.con, s, by=by, ctx=ctx)
grouped = grouped[grouped["quarter"] <= q]
n_groups = grouped["group"].nunique()
ui.plot(figures.retention_by_group(grouped, metric, DIMENSIONS[by].lower()), key="nrr_by")
if n_groups > 8:
    st.caption(f"The 8 largest of {n_groups} groups by TTM revenue are drawn.")

st.subheader("Revenue bridge")
kinds = {"ttm": "TTM vs TTM", "quarter": "Quarter vs quarter"}
c1, c2 = st.columns([1, 1])
kind = c1.radio(
    "Compare",
    list(kinds),
    format_func=kinds.get,
    horizontal=True,
    key="bridge_kind",
    bind="query-params",
    persist_state="session",
)
earlier = [qq for qq in ctx.quarters() if qq < q and (kind == "quarter" or qq - 3 >= ctx.first)]
if not earlier:
    st.info("The extract has no earlier period to bridge from.", icon=":material/info:")
else:
    labels = [ctx.label(qq) for qq in reversed(earlier)]
    default = ctx.label(q - 4) if ctx.label(q - 4) in labels else labels[-1]
    start_label = c2.selectbox(
        "From",
        labels,
        index=labels.index(default),
        key="bridge_from",
        bind="query-params",
        persist_state="session",
        help=f"The bridge runs from this period to {ctx.label(q)} (the quarter in the sidebar).",
    )
    start = earlier[len(earlier) - 1 - labels.index(start_label)]
    b = revenue_bridge(f.con, s, start, q, kind=kind)
    ui.plot(figures.revenue_bridge(b.totals, b.start_label, b.end_label, f.currency), key="bridge")
    counts = b.counts()
    st.caption(
        " · ".join(
            f"{counts[c]:,} {c}"
            for c in ("new", "expansion", "reactivation", "contraction", "churn")
        )
        + " accounts. "
        + ("TTM windows ending with each quarter." if kind == "ttm" else "Single quarters.")
    )
    top = b.accounts.head(10)
    if len(top):
        with st.expander("Largest movements (top 10 accounts)"):
            names = dict(zip(*ui.account_names(f.con), strict=False))
            ui.table(
                {
                    "Account": [f.name(a, names.get(a)) for a in top["account_id"]],
                    "Start": [f.money(v) for v in top["start"]],
                    "End": [f.money(v) for v in top["end"]],
                    "Change": [fmt.signed_money(v, f.currency) for v in top["change"]],
                    "Category": list(top["category"]),
                },
                "Largest movements",
                names=f.names,
                width="stretch",
            )

st.subheader("Share of wallet")
if not has_table(f.con, "wallet"):
    ui.missing("no wallet sheet in this extract: share of wallet not shown")
else:
    sow = share_of_wallet(f.con, s, ctx=ctx)
    sow = sow[sow["quarter"] <= q]
    # a TTM window reaching before the first quarter of data is incomplete: not drawn
    sow = sow[sow["quarter"] - 3 >= ctx.first]
    ui.plot(figures.sow_trend(sow), key="sow_trend")
    last = sow[sow["quarter"] == q]
    if len(last) and int(last["accounts_without_estimate"].iloc[0]):
        st.caption(
            f"{int(last['accounts_without_estimate'].iloc[0])} active accounts have no "
            "wallet estimate and are left out of the share."
        )
    quad = wallet_quadrants(f.con, s, qi=q, ctx=ctx)
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
