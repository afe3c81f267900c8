"""Definitions: every formula and setting in force, and where the snapshot came from."""

import streamlit as st

from kamdash import ui
from kamdash.core import fmt
from kamdash.views import definitions as view

f = ui.page("Definitions")
s = f.settings
st.subheader("Metrics")
for d in view.definitions(s):
    # definitions are plain text: escaped so that no character reads as Markdown
    st.markdown(f"**{fmt.md(d.name)}**  \n{fmt.md(d.text)}")
    if d.settings:
        st.caption("Settings: " + fmt.md(d.settings))

st.subheader("Settings in force")
# st.table renders Markdown in its cells: file and sheet names, settings text escaped
st.table(view.settings_table(s).map(fmt.md), border="horizontal", hide_index=True)
st.caption(
    "Change them in `settings.toml` in the data directory (or the file named by "
    "`KAMDASH_SETTINGS`); unknown keys are refused."
)

st.subheader("This snapshot")
snap = view.snapshot(f.cursor(), s, ui.store().manifest(f.snapshot_id))
c = st.columns(3)
c[0].metric("Snapshot", f.snapshot_id.rsplit("-", 1)[-1], help=f"Snapshot id: {f.snapshot_id}")
c[1].metric("Published (UTC)", snap.published)
c[2].metric(
    "Data as of",
    fmt.day(f.as_of.date),
    help="The latest revenue (or won-deal) date, unless set in the settings. Activity "
    f"(contacts, plan updates, QBRs) runs to {fmt.day(f.as_of.activity)}.",
)
if snap.source == "opportunities":
    st.info(
        "Revenue taken from won opportunities (on their close dates): the extract has no "
        "revenue sheet.",
        icon=":material/info:",
    )
elif snap.source:
    st.markdown("Revenue taken from the extract's **revenue** sheet.")
st.markdown(
    "**Files:** "
    + ", ".join(f"{fmt.md(name)} ({mb:.1f} MB)" for name, mb in snap.files)
    + (f" · uploaded by {fmt.md(snap.uploaded_by)}" if snap.uploaded_by else "")
)
st.table(snap.tables.map(fmt.md), border="horizontal", hide_index=True)
st.caption(snap.precomputed)
if snap.absent:
    st.caption("Not in this extract: " + ", ".join(snap.absent) + ". Views that need them say so.")
if snap.problems:
    with st.expander(f"Load warnings ({len(snap.problems)})"):
        for p in snap.problems:
            st.text("• " + str(f.text(p)))
