"""Portfolio: headline figures vs a year ago, revenue concentration, accounts needing attention."""

import streamlit as st

from kamdash import ui
from kamdash.core import fmt
from kamdash.metrics.attention import CHECK_NAMES, REASON_LABELS
from kamdash.metrics.definitions import BY_KEY
from kamdash.present import figures
from kamdash.views import portfolio as view
from kamdash.views import program as program_view


def delta(text: str | None, description: str = "YoY", color: str = "normal") -> dict:
    """st.metric's delta arguments for a change shown as `text`: none (and no "YoY") when
    there is no change to show; no arrow and no colour when it reads as zero ("+0.0 pts")."""
    if text is None:
        return {"delta": None, "delta_description": None}
    if fmt.reads_as_zero(text):
        return {
            "delta": text,
            "delta_description": description,
            "delta_color": "off",
            "delta_arrow": "off",
        }
    return {"delta": text, "delta_description": description, "delta_color": color}


f = ui.page("Portfolio")
q, s, ctx = f.quarter, f.settings, f.periods
h = ui.cached(f, view.headline, s, ctx, q)
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
    **delta(None if h.ttm_growth is None else fmt.signed_pct(h.ttm_growth)),
    border=True,
    help="Sum of revenue in the four quarters ending with the chosen quarter.",
)
cols[1].metric(
    "NRR",
    fmt.pct(h.nrr),
    **delta(None if h.nrr_change is None else fmt.pts(h.nrr_change)),
    border=True,
    help=fmt.md(f"{BY_KEY['nrr'].text} Aim above {fmt.pct(s.nrr_target)}."),
)
cols[2].metric(
    "GRR",
    fmt.pct(h.grr),
    **delta(None if h.grr_change is None else fmt.pts(h.grr_change)),
    border=True,
    help=fmt.md(BY_KEY["grr"].text),
)
sow = None if ui.is_missing(h.share_of_wallet) else h.share_of_wallet
cols[3].metric(
    "Share of wallet",
    fmt.pct(sow),
    **delta(None if h.share_change is None else fmt.pts(h.share_change)),
    border=True,
    help=fmt.md(BY_KEY["share_of_wallet"].text),
)
cols[4].metric(
    "Active accounts",
    fmt.number(h.active),
    **delta(None if h.active_change is None else f"{h.active_change:+d}", color="off"),
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

tiers = ui.cached(f, view.tiers, s, ctx, q)
if ui.is_missing(tiers):
    ui.missing(tiers)
else:
    st.subheader("Accounts by tier")
    for c, r in zip(st.columns(len(tiers)), tiers.itertuples(index=False), strict=True):
        c.metric(
            fmt.md(r.tier),
            f"{fmt.number(r.accounts)} account{'' if r.accounts == 1 else 's'}",
            **delta(None if r.accounts_change is None else f"{r.accounts_change:+d}", color="off"),
            border=True,
            help=f"TTM revenue {f.money(r.revenue)}; active accounts of this assigned tier.",
        )
    ui.plot(figures.tier_mix(tiers), key="tier_mix")

st.subheader("Growth goals")
goals = ui.cached(f, view.growth_goals, s)
if ui.is_missing(goals):
    ui.missing(goals)
else:
    y, g = goals.year, goals.total
    st.caption(
        f"**{y.label}** to date: revenue from {fmt.day(y.start)} to {fmt.day(y.as_of)} (day "
        f"{y.elapsed} of {y.days}) against the year's targets, over the "
        f"{fmt.number(g['accounts_with_target'])} accounts that have one."
    )
    c = st.columns(4)
    ui.fact(
        c[0],
        "Attainment",
        fmt.pct(g["attainment"]),
        f"{f.money(g['fytd'])} of {f.money(g['target'])}",
        help=fmt.md(BY_KEY["attainment"].text),
    )
    ui.fact(
        c[1],
        "Projected",
        fmt.pct(g["projected_attainment"]),
        f"{f.money(g['projection'])} by year end",
        help=fmt.md(BY_KEY["projection"].text),
    )
    c[2].metric(
        "Gap to goal",
        "Goal met" if g["goal_met"] else f.money(g["gap"]),
        border=True,
        help=fmt.md(BY_KEY["gap_and_coverage"].text),
    )
    ui.fact(
        c[3],
        "Pipeline coverage",
        program_view.coverage_text(g["coverage"], g["goal_met"]),
        None if goals.pipeline_missing else f"{f.money(g['pipeline'])} closing in {y.label}",
        help=fmt.md(BY_KEY["gap_and_coverage"].text),
    )
    if goals.pipeline_missing:
        ui.missing(goals.pipeline_missing)
    bt = goals.by_tier
    ui.table(
        {
            "Tier": bt["tier"],
            "Accounts with a target": bt["accounts_with_target"],
            "Target": bt["target"],
            "To date": bt["fytd"],
            "Attainment": bt["attainment"],
            "Projected": bt["projected_attainment"],
            "Gap to goal": bt["gap"],
            "Pipeline this FY": bt["pipeline"],
            "Coverage ×": bt["coverage"],
        },
        "Growth goals by tier",
        formats={
            "Accounts with a target": "integer",
            "Target": "money",
            "To date": "money",
            "Attainment": "percent",
            "Projected": "percent",
            "Gap to goal": "money",
            "Pipeline this FY": "money",
            "Coverage ×": "score",
        },
        currency=f.currency,
        width="stretch",
    )
    if g["accounts_without_target"]:
        st.caption(
            f"{fmt.number(g['accounts_without_target'])} accounts with revenue in {y.label} "
            f"have no target ({f.money(g['fytd_without_target'])} to date): left out. "
            "Each KAM's goals: the KAM program page."
        )

st.subheader("Revenue concentration")
conc = ui.cached(f, view.revenue_concentration, s, ctx, q)
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
att = ui.cached(f, view.attention, s, q)
if ui.is_missing(att):
    ui.missing(att)
    st.stop()
for m in att.missing:  # a check that cannot run says so: "...: single-threaded not checked"
    ui.missing(m)
if att.all_clear:
    st.success("No account is shrinking, single-threaded, behind on its plan or red at QBR.")
    st.stop()
if att.table.empty:
    ran = ", ".join(CHECK_NAMES[k] for k in att.checked)
    st.info(
        f"No account flagged by the checks that could run ({ran})."
        if att.checked
        else "Nothing could be checked in this extract.",
        icon=":material/info:",
    )
    st.stop()
chosen = st.pills(
    "Reason",
    list(att.counts),
    format_func=lambda k: f"{REASON_LABELS[k]} ({att.counts[k]:,} · {f.money(att.at_risk[k])})",
    selection_mode="multi",
    key="att_kinds",
    bind="query-params",
    persist_state="session",
    help="Show the accounts with any of the chosen reasons (none chosen: all). Each reason "
    "shows its accounts and their revenue at risk (TTM). Single-threaded counts for "
    + att.single_thread_rule
    + ".",
)
top, flagged, at_risk = att.shown(chosen)
st.caption(
    f"{flagged:,} accounts flagged, {f.money(at_risk)} revenue at risk (their TTM); the "
    f"{len(top)} with the most. Open → goes to the account's QBR scorecard."
)
# the downloads hold every flagged account; the screen, the first `len(top)`
every = att.matching(chosen).reset_index(drop=True)
ui.table(
    {
        "Account ID": every["account_id"],
        "Account": every["account_name"].fillna(every["account_id"]),
        "Tier": every["tier"],
        "KAM": every["owner"],
        "TTM": every["ttm"],
        "Why": [" · ".join(r.text for r in rs) for rs in every["reasons"]],
    },
    "Accounts needing attention",
    names=f.names,
    rows=len(top),
    formats={"TTM": "money"},
    currency=f.currency,
    qbr_link=True,
    width="stretch",
    # widths that fit 1280x720 with the sidebar open: "Why" keeps its whole text, wrapped
    # onto a second line when the reasons shown are long (Streamlit wraps above a 64 px row)
    row_height=66
    if max((len(" · ".join(r.text for r in rs)) for rs in top["reasons"]), default=0) > 46
    else None,
    column_config={
        "Account": st.column_config.TextColumn(width=180),
        "QBR": st.column_config.LinkColumn("QBR", display_text="Open →", width=62),
        "Tier": st.column_config.TextColumn(width=56),
        "KAM": st.column_config.TextColumn(width=112),
        "TTM": st.column_config.NumberColumn(
            width=62, help="Revenue at risk: the account's TTM revenue."
        ),
        "Why": st.column_config.TextColumn(width=340, help="Every reason the account is flagged."),
    },
)
