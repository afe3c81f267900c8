"""Upload: check a fresh extract, see what changed, publish it; snapshot history and undo."""

from __future__ import annotations

import streamlit as st

from kamdash import ui
from kamdash.core import fmt
from kamdash.ingest import upload
from kamdash.ingest.contract import TABLES
from kamdash.store.diff import diff_snapshots
from kamdash.store.load import prepare
from kamdash.store.snapshots import SnapshotNotFound, SnapshotStore, StoreError, expired_message

ui.leave_pages_dir_mode()
viewer = ui.viewer()
ui.require_admin(viewer)
actor = viewer.actor()  # recorded with every publish and switch (the audit trail)
store = SnapshotStore()
state = st.session_state

st.title("Upload an extract")
st.caption(
    "Drop this month's CRM export: one workbook with a sheet per table, or several CSV files. "
    "kamdash checks it, shows what changed, and publishes it only when you confirm. "
    "A file with errors never replaces what is published."
)


def reset_pending() -> None:
    p = state.pop("upload_prepared", None)
    if p is not None:
        p.discard()
    upload.remove_uploads(state.pop("upload_dir", None))
    state.pop("upload_choices", None)
    state.pop("upload_user_tables", None)


def problem_text(p) -> str:
    """A problem's message and up to three examples, escaped for Markdown."""
    ex = f"  \nExamples: {fmt.md(', '.join(repr(e) for e in p.examples[:3]))}" if p.examples else ""
    return fmt.md(p.message) + ex


def run_check(paths, names, sections=None) -> None:
    old = state.pop("upload_prepared", None)
    if old is not None:
        old.discard()
    with st.status("Checking the extract…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(text: str, fraction: float) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=fmt.md(text))

        prepared = prepare(
            paths,
            store.data_dir,
            display_names=names,
            mapping_sections=sections,
            progress=progress,
            upload_dir=state.get("upload_dir"),
        )
        status.update(
            label="Read and validated", state="complete" if prepared.ok else "error", expanded=False
        )
    state.upload_prepared = prepared
    _record("upload_check", files=list(names), ok=prepared.ok, errors=len(prepared.report.errors))


def _record(action: str, **details) -> None:
    """The audit trail (who did what, when); a failure to write it is said, not raised."""
    try:
        store.audit(action, actor, **details)
    except StoreError as e:
        st.warning(fmt.md(str(e)), icon=":material/warning:")


limit = st.get_option("server.maxUploadSize")
files = st.file_uploader(
    f"Extract files (.xlsx, .xlsm or .csv; up to {limit} MB each)",
    type=["xlsx", "xlsm", "csv", "txt", "tsv"],
    accept_multiple_files=True,
    key="upload_files",
)
signature = tuple((f.name, f.size) for f in files or [])
# a check is kept while in use; one idle 30 minutes was swept: checked again from the files
pending_check = state.get("upload_prepared")
if pending_check is not None and not pending_check.touch() and pending_check.ok:
    reset_pending()
    state.pop("upload_signature", None)
    st.info(expired_message(), icon=":material/schedule:")
if signature != state.get("upload_signature"):
    reset_pending()
    state.upload_signature = signature
    if files:
        try:
            d, paths = upload.save_uploads([(f.name, f.getvalue()) for f in files])
        except StoreError as e:  # disk full, temporary folder not writable
            st.error(fmt.md(str(e)), icon=":material/error:")
            state.pop("upload_signature", None)
            st.stop()
        state.upload_dir = d
        state.upload_paths = paths
        state.upload_names = {p: f.name for p, f in zip(paths, files, strict=True)}
        run_check(paths, state.upload_names)

prepared = state.get("upload_prepared")
if prepared is not None:
    report = prepared.report
    errors, warnings = report.errors, report.warnings
    notes = [p for p in report.problems if p.level == "info"]
    st.subheader("1 · Check")
    if prepared.ok:
        st.success("Checked: ready to publish", icon=":material/task_alt:")
    else:
        st.error("Checked: errors found. Nothing is published.", icon=":material/block:")
    c1, c2, c3 = st.columns(3)
    c1.metric("Errors", len(errors))
    c2.metric("Warnings", len(warnings))
    c3.metric("Rows read", f"{sum(prepared.counts.values()):,}")
    # messages quote the extract (sheet, column and file names, values): shown as written
    for p in errors:
        st.error(problem_text(p), icon=":material/error:")
    for p in warnings:
        st.warning(problem_text(p), icon=":material/warning:")
    for p in notes:
        st.info(fmt.md(p.message), icon=":material/info:")
    if any(p.offending for p in report.problems):
        st.download_button(
            "Download the offending rows (CSV)",
            upload.offending_rows_csv(report),
            file_name="kamdash_offending_rows.csv",
            mime="text/csv",
        )

    mapping = prepared.mapping
    if mapping is not None:
        st.subheader("2 · Columns")
        st.caption(
            "How the extract's sheets and columns were matched to kamdash's tables. Change a "
            "choice and re-check; confirmed choices are remembered for the next extract with "
            "the same headers."
        )
        choices: dict[str, dict[str, str]] = {}
        sheets = {tm.source: tm.sheet for tm in mapping.tables.values()}
        sheets.update({(s.sheet or s.file): s for s in mapping.unmatched})
        for table, spec in TABLES.items():
            tm = mapping.tables.get(table)
            if tm is None and not mapping.unmatched:
                continue
            missing = tm is not None and any(c not in tm.columns for c in spec.required)
            title = f"{table}: " + (
                fmt.md(f"{tm.source} ({tm.how})") if tm else "not in this extract"
            )
            with st.expander(title, expanded=bool(missing)):
                options = [upload.NONE, *sheets]
                src = st.selectbox(
                    "Sheet or file",
                    options,
                    index=options.index(tm.source) if tm else 0,
                    key=f"map_{table}_source",
                )
                chosen = {"source": src}
                if src != upload.NONE:
                    headers = [upload.NONE, *sheets[src].headers]
                    # another file chosen: its columns matched by name, not all "(none)"
                    guessed = upload.columns_for(table, sheets[src], tm)
                    cols = st.columns(3)
                    for i, col in enumerate(spec.columns):
                        current = guessed.get(col)
                        label = col.replace("_", " ") + (" *" if col in spec.required else "")
                        chosen[col] = cols[i % 3].selectbox(
                            label,
                            headers,
                            index=headers.index(current) if current in headers else 0,
                            key=f"map_{table}_{col}_{src}",
                        )
                choices[table] = chosen
        ticked = []
        if mapping.suggested:
            st.markdown("**Names that look alike**")
            st.caption(
                "These names differ only in case, spacing or punctuation. Tick the ones that "
                "are the same thing and re-check: they are then read as the suggested name."
            )
            for i, d in enumerate(mapping.suggested):
                label = (
                    f"{d.kind.replace('_', ' ')}: {d.variant!r} ({d.rows:,} row(s)) "
                    f"is {d.canonical!r}"
                )
                if st.checkbox(fmt.md(label), key=f"merge_{i}_{d.kind}_{d.variant}"):
                    ticked.append(d)
        if st.button("Re-check with these columns", icon=":material/refresh:"):
            changed = {
                t
                for t, c in choices.items()
                if c.get("source") != upload.NONE
                and (
                    t not in mapping.tables
                    or {k: v for k, v in c.items() if k != "source" and v != upload.NONE}
                    != mapping.tables[t].columns
                )
            }
            state.upload_user_tables = state.get("upload_user_tables", set()) | changed
            run_check(
                state.upload_paths,
                state.upload_names,
                upload.mapping_sections(mapping, choices, ticked),
            )
            st.rerun()

    if prepared.ok:
        st.subheader("3 · What changed")
        cur = store.current_id()
        try:
            d = diff_snapshots(store.path(cur) if cur else None, prepared.pending.db_path)
        except SnapshotNotFound:
            d = diff_snapshots(None, prepared.pending.db_path)
        except StoreError as e:  # the current snapshot is damaged: compared with nothing
            st.warning(fmt.md(str(e)), icon=":material/warning:")
            d = diff_snapshots(None, prepared.pending.db_path)
        st.markdown(
            ("Against the current snapshot: " if cur else "Nothing is published yet: ")
            + d.summary()
        )
        if len(d.restated):
            st.warning(
                "Revenue history was restated in "
                + ", ".join(d.restated["quarter"])
                + ": complete quarters whose revenue differs from the published snapshot.",
                icon=":material/history:",
            )
        t1, t2, t3, t4 = st.tabs(["Revenue by quarter", "Accounts", "Tiers", "Owners"])
        with t1:
            st.dataframe(
                d.revenue,
                hide_index=True,
                column_config={
                    "old": st.column_config.NumberColumn("published", format="dollar"),
                    "new": st.column_config.NumberColumn("this extract", format="dollar"),
                    "change": st.column_config.NumberColumn(format="dollar"),
                    "restated": st.column_config.CheckboxColumn(),
                },
            )
        with t2:
            a, b = st.columns(2)
            a.markdown(f"**Added ({len(d.added)})**")
            a.dataframe(d.added, hide_index=True)
            b.markdown(f"**Removed ({len(d.removed)})**")
            b.dataframe(d.removed, hide_index=True)
        with t3:
            st.dataframe(d.tier_changes, hide_index=True)
        with t4:
            st.dataframe(d.owner_changes, hide_index=True)

        st.subheader("4 · Publish")
        st.caption(fmt.md(f"Recorded in the snapshot history as published by {actor}."))
        if st.button("Publish this extract", type="primary", icon=":material/publish:"):
            try:
                sid = prepared.publish(uploaded_by=actor)
            except StoreError as e:  # expired, disk full, read-only data folder
                st.error(fmt.md(str(e)), icon=":material/error:")
                st.stop()
            upload.remember_confirmed(
                store.data_dir, prepared.mapping, state.get("upload_user_tables", set())
            )
            state.pop("upload_prepared", None)
            upload.remove_uploads(state.pop("upload_dir", None))
            state.upload_published = sid
            st.rerun()
    else:
        st.info("Fix the errors above (in the file, or by choosing columns) to publish.")

if state.get("upload_published"):
    st.success(
        f"Published snapshot {state.upload_published}. Every open session shows it on its next "
        "interaction.",
        icon=":material/check_circle:",
    )

st.divider()
st.subheader("Snapshot history")
snaps = store.list()
if not snaps:
    st.info("No snapshot is published yet.")
else:

    def _status(m: dict) -> str:
        bits = ["● current" if m["current"] else "", "damaged" if m.get("damaged") else ""]
        return " · ".join(b for b in bits if b)

    def _made_current(m: dict) -> str:
        """When (and by whom) it was last made current again, if not only at its publication."""
        at, by = m.get("made_current_at"), m.get("made_current_by")
        if not at or fmt.utc_time(at) == fmt.utc_time(m.get("created_at")):
            return ""
        return fmt.utc_time(at) + (f" by {by}" if by else "")

    # identities and file names are text: st.dataframe shows them as written (no Markdown)
    st.dataframe(
        [
            {
                "Status": _status(m),
                "Published": fmt.utc_time(m.get("created_at")),
                "By": m.get("uploaded_by") or "not recorded",
                "Rows": sum(m.get("row_counts", {}).values()),
                "Snapshot": m["id"],
                "Files": ", ".join(f["name"] for f in m.get("files", [])),
                "Made current again": _made_current(m),
            }
            for m in snaps
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "Status": st.column_config.TextColumn(width=95),
            "Published": st.column_config.TextColumn(width=150),
            "By": st.column_config.TextColumn(width=110),
            "Snapshot": st.column_config.TextColumn(width=215),
            "Rows": st.column_config.NumberColumn(format="%,d", width=75),
            "Files": st.column_config.TextColumn(width=200),
            "Made current again": st.column_config.TextColumn(width=200),
        },
    )
    ids = [m["id"] for m in snaps]
    c1, c2 = st.columns([3, 1])
    target = c1.selectbox("Make a snapshot current again", ids, key="history_use")
    if c2.button("Make current", disabled=target == store.current_id()):
        try:
            store.use(target, by=actor)
            st.rerun()
        except StoreError as e:  # damaged (the current snapshot is unchanged)
            st.error(fmt.md(str(e)), icon=":material/error:")
    if len(ids) > 1:
        st.markdown("**Compare two snapshots**")
        c1, c2 = st.columns(2)
        old = c1.selectbox("Older", ids, index=1, key="compare_old")
        new = c2.selectbox("Newer", ids, index=0, key="compare_new")
        try:
            d = diff_snapshots(store.path(old), store.path(new))
        except StoreError as e:  # one of them is damaged
            st.error(fmt.md(str(e)), icon=":material/error:")
        else:
            if state.get("_compared") != (old, new):  # once per comparison, not per rerun
                state["_compared"] = (old, new)
                _record("compare", old=old, new=new)
            st.markdown(d.summary())
            st.dataframe(d.revenue, hide_index=True)
