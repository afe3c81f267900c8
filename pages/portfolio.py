"""Portfolio: headline figures vs a year ago, revenue concentration, accounts needing attention."""

import streamlit as st

from kamdash import ui
from kamdash.core import fmt
from kamdash.metrics.attention import REASON_LABELS
from kamdash.metrics.definitions import BY_KEY
from kamdash.present import figures
from kamdash.views import portfolio as view

f = ui.page("Portfolio")
q, s, ctx = f.quarter, f.settings, f.periods
h = view.headline(f.con, s, ctx, q)
if ui.is_missing(h):
    ui.missing(h)
    st.stop()
st.caption(
    f"Trailing twelve months (TTM) to **{f.quarter_label()}**, compared with the same "
    f"window a year earlier ({ctx.label(h.year_ago)})."
)

cols = st.columns(5)
cols[0].metric(
    "Revenue TTM",
    f.money(h.ttm),
    None if h.ttm_growth is None else fmt.signed_pct(h.ttm_growth),
    delta_description="YoY" if h.ttm_growth is not None else None,
    border=True,
    help="Sum of revenue in the four quarters ending with the chosen quarter.",
)
cols[1].metric(
    "NRR",
    fmt.pct(h.nrr),
    None if h.nrr_change is None else fmt.pts(h.nrr_change),
    delta_description="YoY",
    border=True,
    help=fmt.md(f"{BY_KEY['nrr'].text} Aim above {fmt.pct(s.nrr_target)}."),
)
cols[2].metric(
    "GRR",
    fmt.pct(h.grr),
    None if h.grr_change is None else fmt.pts(h.grr_change),
    delta_description="YoY",
    border=True,
    help=fmt.md(BY_KEY["grr"].text),
)
sow = None if ui.is_missing(h.share_of_wallet) else h.share_of_wallet
cols[3].metric(
    "Share of wallet",
    fmt.pct(sow),
    None if h.share_change is None else fmt.pts(h.share_change),
    delta_description="YoY" if h.share_change is not None else None,
    border=True,
    help=fmt.md(BY_KEY["share_of_wallet"].text),
)
cols[4].metric(
    "Active accounts",
    fmt.number(h.active),
    None if h.active_change is None else f"{h.active_change:+d}",
    delta_color="off",
    delta_description="YoY",
    help="Accounts with TTM revenue above zero.",
    border=True,
)
if h.nrr is None:
    st.caption(
        "NRR and GRR need eight quarters of revenue history up to the chosen quarter; "
        "this extract does not reach that far back."
    )
if ui.is_missing(h.share_of_wallet):
    ui.missing(h.share_of_wallet)

tiers = view.tiers(f.con, s, ctx, q)
if ui.is_missing(tiers):
    ui.missing(tiers)
else:
    st.subheader("Accounts by tier")
    for c, r in zip(st.columns(len(tiers)), tiers.itertuples(index=False), strict=True):
        c.metric(
            r.tier,
            f"{fmt.number(r.accounts)} accounts",
            None if r.accounts_change is None else f"{r.accounts_change:+d}",
            delta_description="YoY",
            delta_color="off",
            border=True,
            help=f"TTM revenue {f.money(r.revenue)}; active accounts of this assigned tier.",
        )
    ui.plot(figures.tier_mix(tiers), key="tier_mix")

st.subheader("Revenue concentration")
conc = view.revenue_concentration(f.con, s, ctx, q)
left, right = st.columns([3, 2])
with left:
    ui.plot(figures.pareto_curve(conc.curve, conc.summary, f.currency))
with right:
    for top in (10, 20):
        st.metric(
            f"Top {top}% of accounts",
            fmt.pct(conc.summary[f"top{top}_share"]),
            help=f"The {fmt.number(conc.summary[f'top{top}_accounts'] or 0)} largest accounts' "
            "share of TTM revenue.",
        )
    st.metric(
        "HHI",
        fmt.number(conc.summary["hhi"]),
        help="Herfindahl-Hirschman index of TTM revenue, 0 (spread) to 10,000 (one account).",
    )

st.subheader("Accounts needing attention")
att = view.attention(f.con, s, q)
if ui.is_missing(att):
    ui.missing(att)
    st.stop()
for m in att.missing:
    ui.missing(m)
if att.table.empty:
    st.success("No account is shrinking, single-threaded, behind on its plan or red at QBR.")
    st.stop()
chosen = st.pills(
    "Reason",
    list(att.counts),
    format_func=lambda k: f"{REASON_LABELS[k]} ({att.counts[k]:,})",
    selection_mode="multi",
    key="att_kinds",
    bind="query-params",
    persist_state="session",
    help="Show the accounts with any of the chosen reasons (none chosen: all).",
)
top, flagged = att.shown(chosen)
st.caption(
    f"{flagged:,} accounts flagged; the {len(top)} largest by TTM revenue. "
    "Open → goes to the account's QBR scorecard."
)
ui.table(
    {
        "Account": f.labels(top["account_id"], top["account_name"]),
        "QBR": [ui.qbr_url(a) for a in top["account_id"]],
        "Tier": top["tier"].fillna("–").tolist(),
        "KAM": top["owner"].fillna("–").tolist(),
        "TTM": [f.money(v) for v in top["ttm"]],
        "Why": [f.text(" · ".join(r.text for r in rs)) for rs in top["reasons"]],
    },
    "Accounts needing attention",
    names=f.names,
    width="stretch",
    column_config={
        "QBR": st.column_config.LinkColumn("QBR", display_text="Open →", width="small"),
        "Tier": st.column_config.TextColumn(width="small"),
        "TTM": st.column_config.TextColumn(width="small"),
    },
)
