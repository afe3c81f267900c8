"""Definitions: every formula and setting in force, and where the snapshot came from."""

import streamlit as st

from kamdash import ui
from kamdash.core import fmt
from kamdash.core.db import has_table, rows
from kamdash.ingest.contract import TABLES
from kamdash.metrics import precompute

f = ui.page("Definitions")
s = f.settings
fy = s.fiscal_year_start_month
MONTHS = "January February March April May June July August September October November December"
w_total = sum(s.tier_weights.values()) or 1.0
weights = ", ".join(
    f"{k.replace('_', ' ')} {v / w_total:.0%}"
    for k, v in sorted(s.tier_weights.items(), key=lambda kv: -kv[1])
)
qbr_w = ", ".join(f"{k.replace('_', ' ')} ×{v:g}" for k, v in s.qbr_weights.items())
cadence = ", ".join(f"{t}: {d} days" for t, d in s.plan_cadence_days.items())

st.subheader("Metrics")
st.markdown(
    f"""
- **Quarter revenue** of an account: the sum of its amounts dated in the quarter (fiscal year
  starts in **{MONTHS.split()[fy - 1]}**; fiscal years are named by the year they end in).
  **TTM(Q)** = revenue of quarters Q-3 … Q.
- **NRR(Q)** ({"trailing-twelve-month" if s.retention_basis == "ttm" else "point-in-time"} basis
  in force): cohort = accounts with {"TTM(Q-4)" if s.retention_basis == "ttm" else "revenue in Q-4"} > 0;
  NRR = Σ cohort {"TTM(Q)" if s.retention_basis == "ttm" else "rev(Q)"} / Σ cohort
  {"TTM(Q-4)" if s.retention_basis == "ttm" else "rev(Q-4)"}. New logos are excluded; an account
  that left and came back counts with what it has now. Aim above 110%; best in class 120%+.
- **GRR(Q)** = Σ cohort min(now, a year ago) / Σ cohort a year ago; never above 100%.
- NRR and GRR need the full history: eight quarters on the TTM basis, five on the point basis.
- **Revenue bridge** between two periods: start + new + expansion + reactivation − contraction −
  churn = end, per account, summing exactly.
- **Share of wallet** = TTM revenue / the account's wallet estimate (the latest estimate on or
  before the period; the undated one when none is dated). For a group: Σ TTM / Σ wallet over
  its active accounts (TTM > 0) that have an estimate.
- **Concentration** (TTM of the chosen quarter, active accounts): the top 10% / 20% of accounts'
  share of revenue (count rounded to the nearest account, at least one), HHI (0–10,000), Pareto
  curve.
- **Partial quarter**: the quarter holding the as-of date when that date falls before the
  quarter's last month; flagged "(partial)" wherever it appears.
- **Tier score** = Σ wᵢ·sᵢ / Σ wᵢ over the criteria an account has (1–5); current revenue is
  scored by TTM quintile. Weights in force: {weights}. Suggested **Tier 1** at
  ≥ {s.tier1_min:g}, **Tier 2** at ≥ {s.tier2_min:g}, else **Tier 3**.
- **Stakeholder coverage** = contacts with strength ≥ {s.active_strength_min:g} / mapped
  contacts; multithread depth = number of such contacts; **single-threaded** = at most one;
  **executive access** = an executive-level contact with strength ≥ {s.active_strength_min:g}.
- **QBR score** = weighted mean of the 1–5 dimensions present ({qbr_w}); **RAG**: green
  ≥ {s.rag_green_min:g}, amber ≥ {s.rag_amber_min:g}, red below; trend = change since the
  previous QBR.
- **Plan freshness** = days since the account plan was last updated; stale beyond {cadence}.
- **Whitespace potential** of an empty (account, product) cell: the median spend on that product
  of comparable accounts that buy it (same industry, TTM within ×{s.peer_size_factor:g}; the
  whole portfolio when fewer than {s.peer_min_count} such peers). Cells in open pipeline are
  marked ◆.
- **Accounts needing attention**: shrinking (TTM below {fmt.pct(s.shrinking_ratio)} of a year
  ago), single-threaded, stale plan, or a red latest QBR.
"""
)

st.subheader("Settings in force")
values = s.to_dict()
st.table(
    {
        "Setting": list(values),
        "Value": [
            ", ".join(f"{k}: {v:g}" if isinstance(v, float) else f"{k}: {v}" for k, v in x.items())
            if isinstance(x, dict)
            else ("(extract's latest date)" if x is None else str(x))
            for x in values.values()
        ],
    },
    border="horizontal",
    hide_index=True,
)
st.caption(
    "Change them in `settings.toml` in the data directory (or the file named by "
    "`KAMDASH_SETTINGS`); unknown keys are refused."
)

st.subheader("This snapshot")
store = ui.store()
manifest = store.manifest(f.snapshot_id)
meta = dict(rows(f.base, "SELECT key, value FROM _meta")) if has_table(f.base, "_meta") else {}
source = meta.get("revenue_source")
c = st.columns(3)
c[0].metric("Snapshot", f.snapshot_id.rsplit("-", 1)[-1], help=f"Snapshot id: {f.snapshot_id}")
c[1].metric("Published (UTC)", (manifest.get("created_at") or "–").replace("T", " ")[:16])
c[2].metric("Data as of", str(f.periods.as_of or "–"))
if source == "opportunities":
    st.info(
        "Revenue taken from won opportunities (on their close dates): the extract has no "
        "revenue sheet.",
        icon=":material/info:",
    )
elif source:
    st.markdown("Revenue taken from the extract's **revenue** sheet.")
files = manifest.get("files", [])
st.markdown(
    "**Files:** "
    + ", ".join(f"{fmt.md(x['name'])} ({x.get('bytes', 0) / 1e6:.1f} MB)" for x in files)
    + (f" · uploaded by {fmt.md(manifest['uploaded_by'])}" if manifest.get("uploaded_by") else "")
)
counts = manifest.get("row_counts", {})
tables = manifest.get("tables", {})
st.table(
    {
        "Table": list(TABLES),
        "Rows": [f"{counts[t]:,}" if t in counts else "not in this extract" for t in TABLES],
        "From": [
            (
                f"{tables[t].get('file', '')} · {tables[t].get('source', '')}"
                if t in tables
                else ("won opportunities" if t == "revenue" and source == "opportunities" else "–")
            )
            for t in TABLES
        ],
    },
    border="horizontal",
    hide_index=True,
)
st.caption(precompute.status(f.base, s))
absent = [t for t in TABLES if t not in counts and not (t == "revenue" and source)]
if absent:
    st.caption("Not in this extract: " + ", ".join(absent) + ". Views that need them say so.")
problems = (manifest.get("report") or {}).get("problems", [])
if problems:
    with st.expander(f"Load warnings ({len(problems)})"):
        for p in problems:
            st.text("• " + str(f.text(p.get("message", ""))))
