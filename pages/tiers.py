"""Tiers: tier heatmap, the tiering scorecard, assigned vs suggested, what-if weights."""

import streamlit as st

from kamdash import ui
from kamdash.core import fmt
from kamdash.metrics.tiering import (
    HEATMAP_DIMENSIONS,
    HEATMAP_VALUES,
    label,
    tier_heatmap,
    tier_moves,
    tier_scores,
)
from kamdash.present import figures

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
if basis == "suggested" and ui.is_missing(ts):
    ui.missing(ts)
else:
    grid = tier_heatmap(
        f.con,
        s,
        dim,
        value,
        tiers=ts if basis == "suggested" else None,
        qi=f.quarter,
    )
    if ui.is_missing(grid):
        ui.missing(grid)
    else:
        n_cols = len([c for c in grid.columns if c != "All"])
        ui.plot(
            figures.tier_heatmap(grid, value, DIM_LABELS[dim].lower(), f.currency), key="heatmap"
        )
        notes = ["Row labels carry the tier's total."]
        if n_cols > 12:
            notes.append(f"The 12 largest of {n_cols} columns are drawn.")
        if value == "nrr":
            notes.append(
                "NRR: TTM now / TTM a year ago over the cell's accounts active a year ago."
            )
        ui.note(" ".join(notes))

if ui.is_missing(ts):
    ui.missing(ts)
    st.stop()
for n in ts.notes:
    ui.missing(n)

# -- Scorecard ---------------------------------------------------------------------------------
st.subheader("Tiering scorecard")
n_max = len(ts.table)
top_n = st.slider(
    "Accounts shown (largest by TTM revenue)",
    min_value=min(5, n_max),
    max_value=min(50, n_max),
    value=min(20, n_max),
    step=1,
    key="score_top",
    disabled=n_max <= 5,
)
top = ts.table.sort_values(["ttm", "account_id"], ascending=[False, True]).head(top_n)
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
    fit = ts.table["fit"].value_counts()
    st.markdown(
        f"**{int(fit.get('match', 0)):,}** accounts match · "
        f"**{int(fit.get('under-served', 0)):,}** under-served (assigned lower than suggested) · "
        f"**{int(fit.get('over-served', 0)):,}** over-served · "
        f"**{int(fit.get('unassigned', 0)):,}** without an assigned tier"
    )
    off = ts.table[ts.table["fit"].isin(["under-served", "over-served", "unassigned"])]
    off = off.sort_values("ttm", ascending=False).head(15)
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
base_w = {c: float(s.tier_weights.get(c, 0)) for c in ts.criteria}
cols = st.columns(len(ts.criteria))
new_w = {}
for c, col in zip(ts.criteria, cols, strict=True):
    new_w[c] = col.slider(
        label(c).capitalize(),
        0,
        60,
        int(round(base_w[c])),
        step=5,
        key=f"w_{c}",
    )
if sum(new_w.values()) <= 0:
    st.warning("Give at least one criterion a weight above zero.")
    st.stop()
changed = {c: w for c, w in new_w.items() if w != base_w[c]}
new = tier_scores(f.con, s, weights=new_w, qi=ts.quarter) if changed else ts
if ui.is_missing(new):
    ui.missing(new)
    st.stop()
moves = tier_moves(ts, new)
n_moved = int(moves["count"].sum()) if len(moves) else 0
left, right = st.columns([3, 2])
with left:
    ui.plot(
        figures.tier_sankey(
            ts.table.set_index("account_id")["suggested_tier"],
            new.table.set_index("account_id")["suggested_tier"],
        ),
        key="sankey",
    )
with right:
    st.metric(
        "Accounts changing suggested tier",
        n_moved,
        help="Suggested tier with the settings' weights vs with the weights above.",
    )
    if not changed:
        st.caption("The weights are the settings' weights: move a slider to compare.")
    for r in moves.itertuples(index=False):
        names = [fmt.md(n) for n in f.labels(r.account_ids, r.accounts)]
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        st.markdown(f"**{r.from_tier} → {r.to_tier}** ({r.count}): {', '.join(names[:5])}{more}")
