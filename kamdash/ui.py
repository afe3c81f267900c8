"""The only module that imports Streamlit: the shared frame, connections and global filters.

Each script run takes its own cursor of a cached read-only connection to the CURRENT
snapshot, read at the start of the run: a newly published snapshot is picked up on the next
interaction, and a run in progress finishes on the snapshot it started with.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import streamlit as st

from kamdash.periods import PeriodContext, label_to_quarter, period_context
from kamdash.settings import Settings, load_settings
from kamdash.snapshots import SnapshotStore, open_snapshot

FILTER_KEYS = ("owner", "team", "region", "industry", "tier")


@dataclass
class Frame:
    """What a page needs: a filtered cursor, settings, the period context and the chosen quarter."""

    con: duckdb.DuckDBPyConnection  # filtered (temp views shadow the canonical tables)
    base: duckdb.DuckDBPyConnection  # unfiltered cursor of the same snapshot
    settings: Settings
    periods: PeriodContext
    quarter: int | None  # chosen quarter index (default: last complete)
    snapshot_id: str
    filters: object


def store() -> SnapshotStore:
    return SnapshotStore()


@st.cache_resource(max_entries=4, show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    return open_snapshot(path)


@st.cache_resource(show_spinner=False)
def _settings(data_dir: str) -> Settings:
    return load_settings(data_dir=data_dir)


def frame() -> Frame | None:
    """Open the current snapshot for this run and draw the global filters in the sidebar.
    Returns None (after telling the user what to do) when nothing is published yet."""
    from kamdash.filters import Filters, filter_options, scoped

    s = store()
    sid = s.current_id()
    if sid is None:
        return None
    base = _connection(str(s.path(sid))).cursor()
    settings = _settings(str(s.data_dir))
    opts = filter_options(base)
    with st.sidebar:
        st.markdown("**Filters**")
        chosen = {}
        for key in FILTER_KEYS:
            values = opts.get(key + "s", [])
            if not values:
                continue
            chosen[key] = st.multiselect(
                key.title(),
                values,
                key=key,
                bind="query-params",
                persist_state="session",
                placeholder="All",
            )
    f = Filters(
        owners=tuple(chosen.get("owner", ())),
        teams=tuple(chosen.get("team", ())),
        regions=tuple(chosen.get("region", ())),
        industries=tuple(chosen.get("industry", ())),
        tiers=tuple(chosen.get("tier", ())),
    )
    con = scoped(base, f)
    pc = period_context(base, settings)
    quarter = pc.last_complete
    if pc.quarters():
        labels = [pc.label(q) for q in reversed(pc.quarters())]
        default = (
            labels.index(pc.label(pc.last_complete)) if pc.last_complete in pc.quarters() else 0
        )
        with st.sidebar:
            label = st.selectbox(
                "Quarter",
                labels,
                index=default,
                key="period",
                bind="query-params",
                persist_state="session",
                format_func=lambda x: (
                    x
                    + (
                        " (partial)"
                        if x == pc.label(pc.current) and pc.current != pc.last_complete
                        else ""
                    )
                ),
            )
        quarter = label_to_quarter(label, settings.fiscal_year_start_month)
    with st.sidebar:
        st.caption(f"Snapshot {sid} · data as of {pc.as_of or 'n/a'}")
    return Frame(con, base, settings, pc, quarter, sid, f)


def no_data_message() -> None:
    st.info(
        "No data is published yet. Publish an extract with "
        "`python -m kamdash load EXTRACT.xlsx` (or `make run`, which publishes the shipped "
        "sample), then reload this page."
    )


def money(x: float | None, currency: str = "$") -> str:
    """$1.2M, $350k, $900; '–' for None."""
    if x is None:
        return "–"
    a = abs(x)
    sign = "-" if x < 0 else ""
    if a >= 1e9:
        return f"{sign}{currency}{a / 1e9:.1f}B"
    if a >= 1e6:
        return f"{sign}{currency}{a / 1e6:.1f}M"
    if a >= 1e3:
        return f"{sign}{currency}{a / 1e3:.0f}k"
    return f"{sign}{currency}{a:.0f}"


def pct(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{x * 100:.{digits}f}%"
