"""Portfolio: headline figures vs a year ago, revenue concentration, accounts needing attention."""

import streamlit as st

from kamdash import ui
from kamdash.core import fmt
from kamdash.core.db import has_table
from kamdash.metrics.attention import needing_attention
from kamdash.metrics.concentration import concentration, pareto
from kamdash.metrics.retention import retention
from kamdash.metrics.wallet import share_of_wallet
from kamdash.present import figures

f = ui.page("Portfolio")
q, s, ctx = f.quarter, f.settings, f.periods
if q is None:
    ui.missing("no revenue in this extract (no revenue sheet and no won opportunities)")
    st.stop()
prev = q - 4
st.caption(
    f"Trailing twelve months (TTM) to **{f.quarter_label()}**, compared with the same "
    f"window a year earlier ({ctx.label(prev)})."
)

ret = retention(f.con, s, ctx=ctx).set_index("quarter")
sow = share_of_wallet(f.con, s, ctx=ctx).set_index("quarter")
conc = concentration(f.con, s, qi=q, ctx=ctx).iloc[0]


def at(df, qi, col):
    return df.at[qi, col] if qi in df.index else None


def change(now, before):
    if now is None or before is None or not before:
        return None
    return float(now) / float(before) - 1


ttm_now, ttm_prev = at(ret, q, "ttm_revenue"), at(ret, prev, "ttm_revenue")
if prev < (ctx.first or prev) + 3:
    ttm_prev = None  # the window a year ago is not fully inside the data
nrr, nrr_prev = at(ret, q, "nrr"), at(ret, prev, "nrr")
grr, grr_prev = at(ret, q, "grr"), at(ret, prev, "grr")
sw, sw_prev = at(sow, q, "share_of_wallet"), at(sow, prev, "share_of_wallet")


def delta_pts(now, before):
    return None if now is None or before is None else fmt.pts(now - before)


cols = st.columns(5)
g = change(ttm_now, ttm_prev)
cols[0].metric(
    "Revenue TTM",
    f.money(ttm_now),
    None if g is None else f"{'+' if g > 0 else ''}{fmt.pct(g, 0 if abs(g) >= 0.01 else 1)}",
    delta_description="YoY" if g is not None else None,
    border=True,
    help="Sum of revenue in the four quarters ending with the chosen quarter.",
)
cols[1].metric(
    "NRR",
    fmt.pct(nrr),
    delta_pts(nrr, nrr_prev),
    delta_description="YoY",
    border=True,
    help="Net revenue retention: TTM now / TTM a year ago, over the accounts that had revenue a year ago. "
    "Aim above 110%.",
)
cols[2].metric(
    "GRR",
    fmt.pct(grr),
    delta_pts(grr, grr_prev),
    delta_description="YoY",
    border=True,
    help="Gross revenue retention: like NRR, each account capped at what it had a year ago (never above 100%).",
)
cols[3].metric(
    "Share of wallet",
    fmt.pct(sw) if sw is not None else "–",
    delta_pts(sw, sw_prev),
    delta_description="YoY" if sw is not None and sw_prev is not None else None,
    border=True,
    help="Our TTM revenue / the customers' wallet estimates, over active accounts "
    "with an estimate.",
)
conc_prev = concentration(f.con, s, qi=prev, ctx=ctx).iloc[0] if ttm_prev is not None else None
cols[4].metric(
    "Active accounts",
    fmt.number(conc["accounts"]),
    None if conc_prev is None else f"{int(conc['accounts']) - int(conc_prev['accounts']):+d}",
    delta_color="off",
    delta_description="YoY",
    help="Accounts with TTM revenue above zero.",
    border=True,
)
if nrr is None:
    st.caption(
        "NRR and GRR need eight quarters of revenue history up to the chosen quarter; "
        "this extract does not reach that far back."
    )
if sw is None and not has_table(f.con, "wallet"):
    ui.missing("no wallet sheet in this extract: share of wallet not shown")

# Accounts by tier: active accounts and TTM revenue per assigned tier, now and a year ago.
tiers = concentration(f.con, s, by="tier", qi=q, ctx=ctx)
tiers_prev = concentration(f.con, s, by="tier", qi=prev, ctx=ctx).set_index("group")
if len(tiers) and not (len(tiers) == 1 and tiers.iloc[0]["group"] == "(none)"):
    st.subheader("Accounts by tier")
    tcols = st.columns(len(tiers))
    for c, r in zip(tcols, tiers.itertuples(index=False), strict=True):
        n_prev = tiers_prev.at[r.group, "accounts"] if r.group in tiers_prev.index else None
        d = None if n_prev is None or ttm_prev is None else int(r.accounts) - int(n_prev)
        c.metric(
            r.group if r.group != "(none)" else fmt.UNTIERED,
            f"{fmt.number(r.accounts)} accounts",
            None if d is None else f"{d:+d}",
            delta_description="YoY",
            delta_color="off",
            border=True,
            help=f"TTM revenue {f.money(r.ttm_total)}; active accounts of this assigned tier.",
        )
    mix = tiers.rename(columns={"group": "tier", "ttm_total": "revenue"})
    mix["tier"] = [t if t != "(none)" else fmt.UNTIERED for t in mix["tier"]]
    ui.plot(figures.tier_mix(mix[["tier", "accounts", "revenue"]]), key="tier_mix")
else:
    st.caption("No tier is assigned in the accounts sheet: accounts by tier not shown.")

st.subheader("Revenue concentration")
left, right = st.columns([3, 2])
with left:
    ui.plot(figures.pareto_curve(pareto(f.con, s, qi=q, ctx=ctx), conc.to_dict(), f.currency))
with right:
    st.metric(
        "Top 10% of accounts",
        fmt.pct(conc["top10_share"]),
        help=f"The {int(conc['top10_accounts'] or 0)} largest accounts' share of TTM revenue.",
    )
    st.metric(
        "Top 20% of accounts",
        fmt.pct(conc["top20_share"]),
        help=f"The {int(conc['top20_accounts'] or 0)} largest accounts' share of TTM revenue.",
    )
    st.metric(
        "HHI",
        fmt.number(conc["hhi"]),
        help="Herfindahl-Hirschman index of TTM revenue, 0 (spread) to 10,000 (one account).",
    )

# -- Accounts needing attention ----------------------------------------------------------------
st.subheader("Accounts needing attention")
att = needing_attention(f.con, s, qi=q)
if ui.is_missing(att):
    ui.missing(att)
    st.stop()
for m in att.missing:
    ui.missing(m)
table = att.table
if table.empty:
    st.success("No account is shrinking, single-threaded, behind on its plan or red at QBR.")
    st.stop()
KINDS = {
    "shrinking": "Shrinking",
    "single-threaded": "Single-threaded",
    "plan stale": "Stale plan",
    "red QBR": "Red QBR",
}
kinds = [[k for k in KINDS if any(r.startswith(k) for r in rs)] for rs in table["reasons"]]
counts = {k: sum(k in ks for ks in kinds) for k in KINDS}
chosen = st.pills(
    "Reason",
    [k for k in KINDS if counts[k]],
    format_func=lambda k: f"{KINDS[k]} ({counts[k]:,})",
    selection_mode="multi",
    key="att_kinds",
    bind="query-params",
    persist_state="session",
    help="Show the accounts with any of the chosen reasons (none chosen: all).",
)
keep = [not chosen or any(k in ks for k in chosen) for ks in kinds]
shown = table[keep]
top_n = 15
st.caption(
    f"{len(shown):,} accounts flagged; the {min(top_n, len(shown))} "
    "largest by TTM revenue. Open → goes to the account's QBR scorecard."
)
top = shown.head(top_n)
ui.table(
    {
        "Account": f.labels(top["account_id"], top["account_name"]),
        "QBR": [ui.qbr_url(a) for a in top["account_id"]],
        "Tier": top["tier"].fillna("–").tolist(),
        "KAM": top["owner"].fillna("–").tolist(),
        "TTM": [f.money(v) for v in top["ttm"]],
        "Why": [f.text(" · ".join(r)) for r in top["reasons"]],
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
