"""The only module that imports Streamlit: the shared frame, connections and global filters.

Each script run takes its own cursor of a cached read-only connection to the CURRENT
snapshot, read at the start of the run: a newly published snapshot is picked up on the next
interaction, and a run in progress finishes on the snapshot it started with.

Global filters (owner, team, region, industry, tier, quarter) live here and only here: they are
drawn in the sidebar by `frame()`, bound to the URL query (`?region=APAC&period=2026Q2`) so a
shared link opens the same view, and kept for the session when switching pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import duckdb
import pandas as pd
import streamlit as st

from kamdash.core import fmt
from kamdash.core.db import has_table, scalar
from kamdash.core.missing import Missing
from kamdash.core.periods import AsOf, PeriodContext, as_of, label_to_quarter, period_context
from kamdash.core.settings import Settings, load_settings
from kamdash.present import exports
from kamdash.present.aliases import Aliases, new_salt, passthrough
from kamdash.store.filters import Filters, filter_options, scoped
from kamdash.store.snapshots import SnapshotStore, open_snapshot

# Sidebar filters: widget (and URL) key -> (`Filters` field, label).
FILTERS = {
    "owner": ("owners", "KAM (owner)"),
    "team": ("teams", "Team"),
    "region": ("regions", "Region"),
    "industry": ("industries", "Industry"),
    "tier": ("tiers", "Tier"),
}
URL_KEYS = (*FILTERS, "period", "anon", "present")
# Tighter page top and headings so a 1280x720 screen shows the figures, not the padding.
CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 2rem; }
h1 { font-size: 2rem !important; padding-top: 0 !important; }
h2, h3 { padding-top: 0.6rem !important; }
[data-testid="stMetricValue"] { font-size: 1.9rem; }
</style>"""
# Presentation mode (?present=1): no sidebar, no Streamlit header/toolbar/footer, larger type.
PRESENT_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stDecoration"], [data-testid="stStatusWidget"], footer { display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1rem; max-width: 1400px; }
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.15rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.02rem; }
[data-testid="stMain"] h1 { font-size: 1.3rem !important; color: #5f6b7a; }
[data-testid="stMain"] h2 { font-size: 2.5rem !important; }
[data-testid="stMain"] h3 { font-size: 1.7rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 2.6rem !important; }
[data-testid="stMetricLabel"] p { font-size: 1.1rem !important; }
[data-testid="stMetricDelta"] * { font-size: 1rem !important; }
</style>"""
PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


@dataclass
class Frame:
    """What a page needs: this run's filtered cursor, settings, periods and the chosen quarter.

    `con` is the run's own cursor (its temp views apply the sidebar filters); it belongs to the
    session's thread and is never shared. `cursor()` gives a new unfiltered cursor of the same
    snapshot, for portfolio-wide figures and for work done after the run (a deck built when
    its button is clicked).
    """

    con: duckdb.DuckDBPyConnection
    settings: Settings
    periods: PeriodContext
    as_of: AsOf
    quarter: int | None  # chosen quarter index (default: last complete)
    snapshot_id: str
    filters: Filters
    snapshot: duckdb.DuckDBPyConnection = field(repr=False)  # cached, shared: cursors only
    anonymous: bool = False  # hide account and contact names (client-facing screen share)
    present: bool = False  # presentation mode: no sidebar, larger type
    names: Aliases = field(default_factory=passthrough)  # how names are shown (aliases)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new unfiltered cursor of the snapshot (one per caller: cursors are not shared)."""
        return self.snapshot.cursor()

    @property
    def currency(self) -> str:
        return self.settings.currency

    def money(self, x) -> str:
        return fmt.money(x, self.settings.currency)

    def quarter_label(self) -> str:
        label = self.periods.label(self.quarter) or "–"
        if self.is_partial(self.quarter):
            label += " (partial)"
        return label

    def is_partial(self, qi: int | None) -> bool:
        return (
            qi is not None
            and qi == self.periods.current
            and self.periods.current != self.periods.last_complete
        )

    def name(self, account_id, account_name=None) -> str:
        """How an account is shown: its name, or a neutral alias when names are hidden."""
        return self.names.account(account_id, account_name)

    def labels(self, ids: Iterable, names: Iterable) -> list[str]:
        """`name()` of each (id, name) pair."""
        return [self.name(i, n) for i, n in zip(ids, names, strict=False)]

    def text(self, s):
        """Free text (notes, reasons, messages) with every known name replaced when hidden."""
        return self.names.text(s)


def store() -> SnapshotStore:
    return SnapshotStore()


@st.cache_resource(max_entries=4, show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    return open_snapshot(path)


@st.cache_resource(max_entries=64, show_spinner=False)
def _aliases(path: str, salt: str) -> Aliases:
    """Aliases of every account and contact of a snapshot, built from an UNFILTERED cursor so
    an account keeps its alias whatever the filters (one salt per session)."""
    return Aliases.from_connection(_connection(path).cursor(), salt)


def session_salt() -> str:
    if "_alias_salt" not in st.session_state:
        st.session_state["_alias_salt"] = new_salt()
    return st.session_state["_alias_salt"]


def _exit_presentation() -> None:
    st.session_state["present"] = False


@st.cache_resource(show_spinner=False)
def _settings(data_dir: str) -> Settings:
    return load_settings(data_dir=data_dir)


def frame() -> Frame | None:
    """Open the current snapshot for this run and draw the global filters in the sidebar.
    Returns None (after nothing else) when nothing is published yet."""
    s = store()
    sid = s.current_id()
    if sid is None:
        return None
    snapshot = _connection(str(s.path(sid)))
    base = snapshot.cursor()
    # money is shown in the snapshot's own currency
    settings = fmt.with_snapshot_currency(_settings(str(s.data_dir)), base)
    with st.sidebar:
        filters = _filters(filter_options(base))
        pc = period_context(base, settings)
        quarter = _quarter(pc, settings)
        anonymous, present = _toggles()
        dates = as_of(base, settings)
        st.caption(_data_caption(base, sid, dates))
    names = _aliases(str(s.path(sid)), session_salt()) if anonymous else passthrough()
    return Frame(
        scoped(base, filters),
        settings,
        pc,
        dates,
        quarter,
        sid,
        filters,
        snapshot,
        anonymous,
        present,
        names,
    )


def _filters(options: dict[str, list[str]]) -> Filters:
    """One multiselect per filter that has values; the chosen values as `Filters`."""
    st.markdown("**Filters**")
    chosen = {}
    for key, (name, label) in FILTERS.items():
        if options[name]:
            chosen[name] = tuple(
                st.multiselect(
                    label,
                    options[name],
                    key=key,
                    bind="query-params",
                    persist_state="session",
                    placeholder="All",
                )
            )
    return Filters(**chosen)


def _quarter(pc: PeriodContext, settings: Settings) -> int | None:
    """The quarter every page reports on (default: the last complete one)."""
    if not pc.quarters():
        return pc.last_complete
    labels = [pc.label(q) for q in reversed(pc.quarters())]
    default = labels.index(pc.label(pc.last_complete)) if pc.last_complete in pc.quarters() else 0
    partial = pc.label(pc.current) if pc.current != pc.last_complete else None
    label = st.selectbox(
        "Quarter",
        labels,
        index=default,
        key="period",
        bind="query-params",
        persist_state="session",
        help="The quarter every page reports on (trailing twelve months ending with it).",
        format_func=lambda x: x + (" (partial)" if x == partial else ""),
    )
    return label_to_quarter(label, settings.fiscal_year_start_month)


def _toggles() -> tuple[bool, bool]:
    anonymous = st.toggle(
        "Hide names",
        key="anon",
        bind="query-params",
        persist_state="session",
        help="For client-facing screen shares: account and contact names are replaced by "
        "neutral aliases (Account K7, Contact C12) on every page, figure and download. "
        "Kept in the page address, so a shared link keeps names hidden.",
    )
    present = st.toggle(
        "Presentation mode",
        key="present",
        bind="query-params",
        persist_state="session",
        help="Full screen for a screen-shared review: no sidebar, larger type; on the QBR "
        "page, previous / next account buttons. Kept in the page address.",
    )
    return anonymous, present


def _data_caption(base: duckdb.DuckDBPyConnection, sid: str, a: AsOf) -> str:
    """Snapshot, the two dates of the as-of rule (activity only when later) and the source."""
    text = f"Snapshot `{sid}` · revenue to {fmt.day(a.date)}"
    if a.date is not None and a.activity is not None and fmt.as_date(a.activity) > a.date:
        text += f" · activity to {fmt.day(a.activity)}"
    if a.user_set:
        text += " (as-of date set in settings)"
    if has_table(base, "_meta"):
        src = scalar(base, "SELECT value FROM _meta WHERE key = 'revenue_source'")
        if src == "opportunities":
            text += " · revenue taken from won opportunities"
    return text


def leave_pages_dir_mode() -> None:
    """Run under app.py's `st.navigation`, even on a server's very first request.

    Streamlit treats a `pages/` folder next to the main script as a v1 multipage app until
    some run has called `st.navigation`: the first session of a fresh server that opens a deep
    link (`/qbr?account=...`) runs `pages/qbr.py` alone, with file-named pages in the sidebar
    and no `set_page_config`. The flag is process-wide; clear it and rerun, which runs app.py
    and resolves the same page (page hashes derive from the URL path, which match).
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page(title: str, caption: str | None = None) -> Frame:
    """Title, frame and the empty states every page shares; stops the page when there is
    nothing to show (no snapshot published, or the filters leave no account)."""
    leave_pages_dir_mode()
    st.html(CSS)
    f = frame()  # draws in the sidebar only
    if f is not None and f.present:
        st.html(PRESENT_CSS)
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.title(title)
        right.button(
            "Exit presentation",
            key="exit_present",
            icon=":material/close_fullscreen:",
            type="tertiary",
            width="stretch",
            on_click=_exit_presentation,
            help="Back to the normal view (sidebar and filters).",
        )
    else:
        st.title(title)
    if caption:
        st.caption(caption)
    if f is None:
        no_data_message()
        st.stop()
    if has_table(f.con, "accounts"):
        n = scalar(f.con, "SELECT count(*) FROM accounts")
        if not n:
            st.warning(
                "No account matches the filters in the sidebar. Clear a filter to see data.",
                icon=":material/filter_alt_off:",
            )
            st.stop()
    return f


def no_data_message() -> None:
    st.info(
        "No data is published yet. Publish an extract on the **Upload** page or with "
        "`python -m kamdash load EXTRACT.xlsx` (`make run` publishes the shipped sample), "
        "then reload this page.",
        icon=":material/inbox:",
    )


def missing(message) -> None:
    """Say plainly what is not shown and why (a `Missing` or a plain string)."""
    text = str(message)
    st.info(text[:1].upper() + text[1:], icon=":material/info:")


def is_missing(x) -> bool:
    return isinstance(x, Missing)


def count_slider(
    label: str, n_max: int, default: int, key: str, lo: int = 1, hi: int = 50, where=st
) -> int:
    """How many of `n_max` rows to show: a slider from `lo` to min(`hi`, `n_max`), or all of
    them without a slider when there are too few to choose (a slider needs min < max)."""
    if n_max <= lo:
        return n_max
    top = min(hi, n_max)
    return where.slider(label, lo, top, max(lo, min(default, top)), step=1, key=key)


def plot(fig, key: str | None = None) -> None:
    st.plotly_chart(fig, width="stretch", config=PLOT_CONFIG, key=key, theme=None)


def note(text: str) -> None:
    st.caption(text)


def link_query(**params) -> str:
    """A query string keeping the global filters of this view, plus `params`."""
    q: list[tuple[str, str]] = []
    for k in URL_KEYS:
        if k in params:
            continue
        v = st.session_state.get(k)
        if v in (None, [], (), False, ""):
            continue
        if isinstance(v, (list, tuple)):
            q += [(k, str(x)) for x in v]
        else:
            q.append((k, "true" if v is True else str(v)))
    q += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlencode(q)


def qbr_url(account_id) -> str:
    return "qbr?" + link_query(account=account_id)


def account_names(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """Every account's ID and name (for labelling metric tables that carry only IDs)."""
    if not has_table(con, "accounts"):
        return [], []
    rs = con.execute(
        "SELECT account_id, min(account_name) FROM accounts GROUP BY account_id ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rs], [r[1] for r in rs]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).casefold()).strip("_") or "table"


def _is_link(config) -> bool:
    return isinstance(config, dict) and (config.get("type_config") or {}).get("type") == "link"


def table(data, name: str, *, names: Aliases | None = None, key: str | None = None, **kwargs):
    """`st.dataframe(data, **kwargs)` with two compact download buttons (CSV, XLSX) under it.

    `data`: a DataFrame or a dict of columns. `names`: the frame's aliases; when names are
    hidden every name in the table (shown and downloaded) is replaced (a safety net over what
    the page already aliased). Link columns (Open →) are left out of the downloads. Files are
    built only when a button is clicked (deferred download, spinner on the button)."""
    df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    if names is not None and names.enabled:
        df = names.frame(df)
    kwargs.setdefault("hide_index", True)
    st.dataframe(df, **kwargs)
    config = kwargs.get("column_config") or {}
    links = [c for c, v in config.items() if _is_link(v) and c in df.columns]
    out = df.drop(columns=links) if links else df
    slug = _slug(name)
    key = key or slug
    with st.container(horizontal=True, gap="small", key=f"dl_{key}"):
        st.download_button(
            "CSV",
            lambda: exports.to_csv_bytes(out),
            file_name=f"kamdash_{slug}.csv",
            mime=exports.CSV_MIME,
            key=f"csv_{key}",
            on_click="ignore",
            icon=":material/download:",
            type="tertiary",
            help=f"Download this table ({name}) as CSV.",
        )
        st.download_button(
            "XLSX",
            lambda: exports.to_xlsx_bytes(out, sheet_name=name[:31]),
            file_name=f"kamdash_{slug}.xlsx",
            mime=exports.XLSX_MIME,
            key=f"xlsx_{key}",
            on_click="ignore",
            icon=":material/download:",
            type="tertiary",
            help=f"Download this table ({name}) as an Excel workbook.",
        )
