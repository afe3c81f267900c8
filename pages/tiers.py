"""Tiers: tier heatmap, the tiering scorecard, assigned vs suggested, what-if weights."""

import streamlit as st

from kamdash import ui
from kamdash.core import fmt
from kamdash.metrics.tiering import HEATMAP_DIMENSIONS, HEATMAP_VALUES, label, tier_scores
from kamdash.present import figures
from kamdash.views import tiers as view

DIM_LABELS = {
    "region": "Region",
    "industry": "Industry",
    "owner": "KAM (owner)",
    "segment": "Segment",
}
VALUE_LABELS = {"revenue": "TTM revenue", "nrr": "NRR", "count": "Accounts"}

f = ui.page("Tiers")
s = f.settings
ts = ui.cached(f, tier_scores, s, qi=f.quarter)
if not ui.is_missing(ts) and ts.revenue_alone:
    st.caption(
        f"Suggested tiers from TTM revenue alone, to **{f.quarter_label()}**: Tier 1 = the top "
        f"{s.revenue_tier1_share:.0%} of accounts, Tier 2 = the next {s.revenue_tier2_share:.0%}, "
        "Tier 3 = the rest."
    )
else:
    st.caption(
        f"Tier score = weighted mean of the 1–5 criteria an account has; suggested Tier 1 at "
        f"≥ {s.tier1_min:g}, Tier 2 at ≥ {s.tier2_min:g}, else Tier 3. "
        f"Current revenue is scored by TTM quintile to **{f.quarter_label()}**."
    )

# -- Heatmap -----------------------------------------------------------------------------------
st.subheader("Tier heatmap")
c1, c2, c3 = st.columns(3)
dim = c1.selectbox(
    "Columns",
    HEATMAP_DIMENSIONS,
    format_func=DIM_LABELS.get,
    key="heat_dim",
    bind="query-params",
    persist_state="session",
)
value = c2.selectbox(
    "Colour",
    HEATMAP_VALUES,
    format_func=VALUE_LABELS.get,
    key="heat_value",
    bind="query-params",
    persist_state="session",
)
basis = c3.radio(
    "Tier",
    ["assigned", "suggested"],
    index=["assigned", "suggested"].index(view.default_basis(ts)),
    format_func=str.capitalize,
    horizontal=True,
    key="heat_tier",
    bind="query-params",
    persist_state="session",
    help="Assigned: the tier in the accounts sheet. Suggested: the tier the score suggests.",
)
heat = view.heatmap(f.con, s, dim, value, ts, basis == "suggested", f.quarter)
if ui.is_missing(heat):
    ui.missing(heat)
else:
    grid = heat.grid.rename(columns=f.owner) if dim == "owner" else heat.grid  # KAMs hideable
    ui.plot(figures.tier_heatmap(grid, value, DIM_LABELS[dim].lower(), f.currency), key="heatmap")
    notes = ["Row labels carry the tier's total."]
    if heat.columns > view.HEATMAP_COLUMNS:
        notes.append(f"The {view.HEATMAP_COLUMNS} largest of {heat.columns} columns are drawn.")
    if value == "nrr":
        notes.append("NRR: TTM now / TTM a year ago over the cell's accounts active a year ago.")
    ui.note(" ".join(notes))

if ui.is_missing(ts):
    ui.missing(ts)
    st.stop()
for n in ts.notes:
    ui.missing(n)

# -- Scorecard ---------------------------------------------------------------------------------
if ts.revenue_alone:
    # one criterion: a scorecard would be a column of 5s; the rule and what it gives instead
    st.subheader("Tiers from revenue alone")
    st.info(fmt.md(ts.rule), icon=":material/info:")
    ui.plot(figures.tier_mix(view.suggested_mix(ts)), key="revenue_tiers")
    ui.note(
        "Suggested tiers by TTM revenue rank (ties share the higher tier). Add a scores sheet "
        "(expansion potential, strategic fit, executive access...) for a weighted scorecard."
    )
else:
    st.subheader("Tiering scorecard")
    n_max = len(ts.table)
    top_n = ui.count_slider("Accounts shown (largest by TTM revenue)", n_max, 20, "score_top", lo=5)
    top = view.scorecard(ts, top_n)
    ui.plot(
        figures.scorecard_heatmap(
            top,
            ts.criteria,
            ts.weights,
            f.labels(top["account_id"], top["account_name"]),
            ts.tier1_min,
            ts.tier2_min,
        ),
        key="scorecard",
    )
    ui.note(
        f"The {len(top)} largest of {n_max:,} accounts by TTM revenue. Column headers show each "
        "criterion's weight; a missing score (–) is left out and the other weights renormalised."
    )

# -- Assigned vs suggested ---------------------------------------------------------------------
st.subheader("Assigned vs suggested tier")
left, right = st.columns([1, 2])
with left:
    ui.plot(figures.tier_matrix(ts.table), key="tier_matrix")
with right:
    fit = view.fit_counts(ts)
    st.markdown(
        f"**{fit['match']:,}** accounts match · "
        f"**{fit['under-served']:,}** under-served (assigned lower than suggested) · "
        f"**{fit['over-served']:,}** over-served · "
        f"**{fit['unassigned']:,}** without an assigned tier"
    )
    off = view.off_tier(ts, None).reset_index(drop=True)  # all: the downloads hold them
    if len(off):
        ui.table(
            {
                "Account ID": off["account_id"],
                "Account": off["account_name"].fillna(off["account_id"]),
                "Assigned": off["assigned_tier"],
                "Suggested": off["suggested_tier"],
                "Score": off["tier_score"],
                "TTM": off["ttm"],
            },
            "Assigned vs suggested tier",
            names=f.names,
            rows=view.OFF_TIER_SHOWN,
            formats={"Score": "score", "TTM": "money"},
            currency=f.currency,
            qbr_link=True,
            width="stretch",
            # widths that fit the column at 1280x720 with the sidebar open: whole names
            column_config={
                "Account": st.column_config.TextColumn(width=190),
                "QBR": st.column_config.LinkColumn("QBR", display_text="Open →", width=62),
                "Assigned": st.column_config.TextColumn(width=66),
                "Suggested": st.column_config.TextColumn(width=72),
                "Score": st.column_config.NumberColumn(width=52),
                "TTM": st.column_config.NumberColumn(width=64),
            },
        )

# -- What-if -----------------------------------------------------------------------------------
if ts.revenue_alone:
    st.caption("What-if re-weighting needs tiering criteria besides revenue (a scores sheet).")
    st.stop()
st.subheader("What-if: re-weight the criteria")
st.caption(
    "Move the weights to see which accounts would change suggested tier. Nothing is saved: "
    "the published data and the settings stay as they are."
)
cols = st.columns(len(ts.criteria))
new_w = {
    c: col.slider(
        fmt.md(label(c).capitalize()), 0, 60, int(round(ts.weights[c])), step=5, key=f"w_{c}"
    )
    for c, col in zip(ts.criteria, cols, strict=True)
}
if not any(new_w.values()):
    st.warning("Give at least one criterion a weight above zero.")
    st.stop()
w = view.what_if(f.con, s, ts, new_w)
if ui.is_missing(w):
    ui.missing(w)
    st.stop()
left, right = st.columns([3, 2])
with left:
    ui.plot(
        figures.tier_sankey(
            ts.table.set_index("account_id")["suggested_tier"],
            w.scores.table.set_index("account_id")["suggested_tier"],
        ),
        key="sankey",
    )
with right:
    st.metric(
        "Accounts changing suggested tier",
        w.moved,
        help="Suggested tier with the settings' weights vs with the weights above.",
    )
    if not w.changed:
        st.caption("The weights are the settings' weights: move a slider to compare.")
    for r in w.moves.itertuples(index=False):
        names = [fmt.md(n) for n in f.labels(r.account_ids, r.accounts)]
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        st.markdown(f"**{r.from_tier} → {r.to_tier}** ({r.count}): {', '.join(names[:5])}{more}")
