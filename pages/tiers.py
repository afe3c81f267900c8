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
st.caption(
    f"Tier score = weighted mean of the 1–5 criteria an account has; suggested Tier 1 at "
    f"≥ {s.tier1_min:g}, Tier 2 at ≥ {s.tier2_min:g}, else Tier 3. "
    f"Current revenue is scored by TTM quintile to **{f.quarter_label()}**."
)
ts = tier_scores(f.con, s, qi=f.quarter)

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
    ui.plot(
        figures.tier_heatmap(heat.grid, value, DIM_LABELS[dim].lower(), f.currency), key="heatmap"
    )
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
left, right = st.columns([2, 3])
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
    off = view.off_tier(ts)
    if len(off):
        ui.table(
            {
                "Account": f.labels(off["account_id"], off["account_name"]),
                "Assigned": off["assigned_tier"].fillna("–").tolist(),
                "Suggested": off["suggested_tier"].tolist(),
                "Score": [fmt.score(v) for v in off["tier_score"]],
                "TTM": [f.money(v) for v in off["ttm"]],
                "QBR": [ui.qbr_url(a) for a in off["account_id"]],
            },
            "Assigned vs suggested tier",
            names=f.names,
            width="stretch",
            column_config={
                "QBR": st.column_config.LinkColumn("QBR", display_text="Open →", width="small")
            },
        )

# -- What-if -----------------------------------------------------------------------------------
st.subheader("What-if: re-weight the criteria")
st.caption(
    "Move the weights to see which accounts would change suggested tier. Nothing is saved: "
    "the published data and the settings stay as they are."
)
cols = st.columns(len(ts.criteria))
new_w = {
    c: col.slider(label(c).capitalize(), 0, 60, int(round(ts.weights[c])), step=5, key=f"w_{c}")
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
