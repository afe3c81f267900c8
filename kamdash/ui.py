"""The only module that imports Streamlit: the shared frame, connections and global filters.

Each script run takes its own cursor of a cached read-only connection to the CURRENT
snapshot, read at the start of the run: a newly published snapshot is picked up on the next
interaction, and a run in progress finishes on the snapshot it started with.

Global filters (owner, team, region, industry, tier, quarter) live here and only here: they are
drawn in the sidebar by `frame()`, bound to the URL query (`?region=APAC&period=2026Q2`) so a
shared link opens the same view, and kept for the session when switching pages.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from functools import partial
from urllib.parse import urlencode

import duckdb
import pandas as pd
import streamlit as st

from kamdash.core import fmt
from kamdash.core.db import has_table, scalar
from kamdash.core.missing import Missing
from kamdash.core.periods import AsOf, PeriodContext, as_of, label_to_quarter, period_context
from kamdash.core.settings import Settings, load_settings
from kamdash.metrics.grid import NO_GROUP
from kamdash.navigation import PageSpec
from kamdash.present import exports
from kamdash.present.aliases import Aliases, passthrough
from kamdash.store.access import AccessProblem, Policy, Viewer, load_policy
from kamdash.store.filters import Filters, filter_options, scoped
from kamdash.store.load import start_sweeper
from kamdash.store.snapshots import SnapshotStore, open_snapshot

log = logging.getLogger("kamdash")
# Open mode (no sign-in) serves only this machine unless the deployer says otherwise.
OPEN_NETWORK_ENV = "KAMDASH_OPEN_NETWORK"

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

    `con` is the run's own cursor (its temp views apply the viewer's scope and the sidebar
    filters); it belongs to the session's thread and is never shared. `cursor()` gives a new
    cursor of the same snapshot and scope without the filters, for figures of the whole book
    and for work done after the run (a deck built when its button is clicked).
    """

    con: duckdb.DuckDBPyConnection
    viewer: Viewer
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
        """A new cursor of the snapshot without the sidebar filters, within the viewer's scope
        (one per caller: cursors are not shared)."""
        return scoped(self.snapshot, None, self.viewer.scope)

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

    def owner(self, name):
        """How a KAM is shown: the name, or a neutral alias when names are hidden (a group
        placeholder such as "(none)" or "All" stays as it is)."""
        if not self.anonymous or name in (NO_GROUP, "All") or not isinstance(name, str):
            return name
        return self.names.owner(name)


def store() -> SnapshotStore:
    return SnapshotStore()


# ---------------------------------------------------------------------------------------------
# Who is looking: sign-in (st.login) and the access file
# ---------------------------------------------------------------------------------------------


def sign_in_configured() -> bool:
    """True when `.streamlit/secrets.toml` (or `--secrets.files`) has an `[auth]` section."""
    try:
        return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)
    except (FileNotFoundError, ValueError):  # an unreadable secrets file: not configured
        return False


@st.cache_resource(show_spinner=False, ttl=10)
def _policy(data_dir: str) -> Policy | AccessProblem:
    # read again every few seconds: an edited access file applies without a restart
    return load_policy(data_dir)


def _claims() -> dict:
    try:
        return dict(st.user.to_dict()) if st.user.is_logged_in else {}
    except Exception:  # noqa: BLE001 - a malformed identity cookie: not signed in
        return {}


def admission() -> Viewer | Callable[[], None]:
    """The person looking at this run, or the page to show instead when no one is admitted
    (sign-in, no access, or what the deployer must fix).

    Open mode (no sign-in configured): one local user who may do everything. With sign-in:
    the signed-in address's entry in the access file."""
    if not sign_in_configured():
        if not _local_request() and os.environ.get(OPEN_NETWORK_ENV) != "1":
            return partial(
                _stop_page,
                "kamdash is in open mode (no sign-in), which serves only this computer.",
                "To share it on a network, turn on sign-in (README, Sign-in), or accept that "
                f"anyone who reaches the address sees everything: start it with {OPEN_NETWORK_ENV}=1.",
            )
        return Viewer.open()
    claims = _claims()
    if not claims:
        return _sign_in_page
    policy = _policy(str(store().data_dir))
    if isinstance(policy, AccessProblem):
        return partial(_stop_page, "No one can be admitted yet.", str(policy), sign_out=True)
    who = policy.viewer(claims)
    if who is None:
        address = claims.get(policy.claim) or "(no address)"
        return partial(
            _stop_page,
            "No access.",
            f"{address} is signed in but has no access to kamdash. Ask the person who runs "
            "kamdash to add you to its access file.",
            sign_out=True,
        )
    return who


def viewer() -> Viewer:
    """`admission()` for a page: the viewer, or (after drawing why not) the run stops."""
    who = admission()
    if not isinstance(who, Viewer):
        who()
        st.stop()
    return who


def _local_request() -> bool:
    ip = st.context.ip_address  # None when the browser is on this computer
    if not isinstance(ip, str):  # None, or no network connection at all (AppTest)
        return True
    try:
        return ipaddress.ip_address(ip.split("%")[0]).is_loopback
    except ValueError:
        return False


def _sign_in_page() -> None:
    st.title("kamdash")
    st.write("Sign in with your company account to see your accounts.")
    st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login)


def _stop_page(headline: str, detail: str, *, sign_out: bool = False) -> None:
    """A page that says why nothing is shown (identity and file paths are text, not markup)."""
    st.title("kamdash")
    st.subheader(headline, anchor=False)
    st.text(detail)
    if sign_out:
        st.button("Sign out", icon=":material/logout:", on_click=st.logout)


def _who(who: Viewer) -> None:
    """The sidebar's line on who is looking (and sign-out)."""
    if who.open_mode:
        st.caption(
            "Open mode: no sign-in; this computer only. Sign-in: see the README.",
            help="Anyone who can open this address sees every account and may publish. "
            "Turn on sign-in to give each KAM their own book.",
        )
        return
    st.caption(fmt.md(f"Signed in: {who.describe()}"))
    st.button(
        "Sign out", key="sign_out", icon=":material/logout:", type="tertiary", on_click=st.logout
    )


def may_open(spec: PageSpec, who: Viewer) -> bool:
    return who.is_admin or not spec.admin_only


def require_admin(who: Viewer) -> None:
    """Stop a page meant for admins (upload, publish, switch, compare) for anyone else."""
    if not who.is_admin:
        st.error(
            "This page is for admins (upload, publish and switch snapshots). Ask an admin.",
            icon=":material/lock:",
        )
        st.stop()


def run_safely(run) -> None:
    """Run the page; an unexpected error shows a short message and an id found in the server
    log, never a traceback (Streamlit's stop / rerun pass through: they are not errors)."""
    try:
        run()
    except Exception:  # noqa: BLE001 - the last line between a bug and a visitor
        error_id = uuid.uuid4().hex[:8]
        log.exception("kamdash error %s", error_id)
        st.error(
            f"Something went wrong on this page (error id {error_id}). Reload the page; if it "
            "happens again, tell the person who runs kamdash this id: the details are in the "
            "server log.",
            icon=":material/error:",
        )


@st.cache_resource(max_entries=4, show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    return open_snapshot(path)


@st.cache_resource(show_spinner=False)
def _start_sweeper(data_dir: str) -> None:
    """Once per process and data folder: idle upload checks and files are removed after
    30 minutes (Streamlit has no session-end hook to do it when a visitor leaves)."""
    start_sweeper(data_dir)


@st.cache_resource(max_entries=8, show_spinner=False)
def _aliases(path: str, data_dir: str) -> Aliases:
    """Aliases of every account, contact and KAM of a snapshot, built from an UNFILTERED cursor
    with the installation's secret and ledger: an account has the same alias whatever the
    filters, in every session, download and deck, and in every snapshot of this installation."""
    return Aliases.for_installation(_connection(path).cursor(), data_dir)


def _anonymous() -> bool:
    """Whether names are hidden in this run, known before the sidebar draws the toggle (the
    filters above it show KAM aliases): the toggle's state, else the page address."""
    if "anon" in st.session_state:
        return bool(st.session_state["anon"])
    return str(st.query_params.get("anon", "")).casefold() in ("true", "1")


def _exit_presentation() -> None:
    st.session_state["present"] = False


@st.cache_resource(show_spinner=False)
def _settings(data_dir: str) -> Settings:
    return load_settings(data_dir=data_dir)


def frame() -> Frame | None:
    """Open the current snapshot for this run and draw the global filters in the sidebar.
    Returns None (after nothing else) when nothing is published yet."""
    who = viewer()
    s = store()
    _start_sweeper(str(s.data_dir))
    serving = s.serving()
    if serving.problem:  # the current snapshot is damaged: said plainly, the last good served
        st.warning(fmt.md(serving.problem), icon=":material/report:")
    if serving.id is None:
        return None
    sid = serving.id
    snapshot = _connection(str(s.path(sid)))
    # the viewer's whole book: the filter options (no other KAM's names) and dates read it
    base = scoped(snapshot, None, who.scope)
    try:
        settings = _settings(str(s.data_dir))
    except ValueError as e:  # a malformed settings.toml: say which file and what to do
        st.error(fmt.md(str(e)), icon=":material/settings_alert:")
        st.stop()
    # money is shown in the snapshot's own currency
    settings = fmt.with_snapshot_currency(settings, base)
    hidden = _aliases(str(s.path(sid)), str(s.data_dir)) if _anonymous() else None
    # what the sidebar lists depends on the snapshot and the viewer's book only
    book = (str(s.data_dir), sid, who.scope)
    with st.sidebar:
        _who(who)
        filters = _filters(
            _per_book(repr((*book, "options")), partial(filter_options, base)), hidden
        )
        pc = period_context(base, settings)
        quarter = _quarter(pc, settings)
        anonymous, present = _toggles()
        dates = _per_book(repr((*book, "as_of", settings)), partial(as_of, base, settings))
        st.caption(_data_caption(base, sid, dates))
    if anonymous and hidden is None:  # not expected: the toggle's state is read above
        hidden = _aliases(str(s.path(sid)), str(s.data_dir))
    names = hidden if anonymous else passthrough()
    return Frame(
        scoped(snapshot, filters, who.scope),
        who,
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


def _filters(options: dict[str, list[str]], names: Aliases | None = None) -> Filters:
    """One multiselect per filter that has values; the chosen values as `Filters`. With names
    hidden, KAMs are listed by alias (the page address then holds the alias: stable, as the
    alias is the installation's; the chosen value is the KAM)."""
    st.markdown("**Filters**")
    chosen = {}
    for key, (name, label) in FILTERS.items():
        if options[name]:
            shown = names.owner if names is not None and key == "owner" else str
            chosen[name] = tuple(
                st.multiselect(
                    label,
                    options[name],
                    key=key,
                    bind="query-params",
                    persist_state="session",
                    placeholder="All",
                    format_func=shown,
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
        help="For client-facing screen shares: account, contact and KAM names are replaced "
        "by neutral aliases (Account K7, Contact C12, KAM B3) on every page, figure, download "
        "and deck. An account keeps its alias in every session and every monthly snapshot. "
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
        if not n and f.filters.is_empty() and not f.viewer.scope.everything:
            # an empty book: most likely the access file's owner names
            st.warning(
                fmt.md(
                    f"No account of this snapshot is in your book (owners: "
                    f"{', '.join(f.viewer.scope.owners) or ', '.join(f.viewer.scope.teams)}). "
                    "If that is wrong, ask the person who runs kamdash to check the owner "
                    "names in the access file against the CRM's."
                ),
                icon=":material/person_off:",
            )
            st.stop()
        if not n:
            st.warning(
                "No account matches the filters in the sidebar. Clear a filter to see data.",
                icon=":material/filter_alt_off:",
            )
            st.stop()
    return f


# At most this many cached view results per process: aggregates, but a per-account one is a
# few MB at 10M revenue rows (tier scores 7 MB pickled; the whitespace grid, 56 MB, is not
# cached for that reason).
CACHED_VIEWS = 32


@st.cache_data(max_entries=64, show_spinner=False)
def _per_book(key: str, _call: Callable[[], object]) -> object:
    # the sidebar's filter options and dates (~45 ms of queries on every run), per snapshot and
    # viewer's scope (`key`); apart from the views so they never evict one
    return _call()


@st.cache_data(max_entries=CACHED_VIEWS, show_spinner=False)
def _cached_view(key: str, _call: Callable[[], object]) -> object:
    # `key` says everything the result depends on (`cached`); `_call` is not hashed
    return _call()


def view_key(f: Frame, fn: Callable, args: tuple, kwargs: dict, unfiltered: bool = False) -> str:
    """What a view's result depends on: the data folder, the snapshot, the viewer's scope, the
    sidebar filters (unless computed `unfiltered`), the function (and its file: page scripts
    share a module name) and its arguments. Two viewers' books, or two filter choices of a
    filtered view, never share a key."""
    code = getattr(fn, "__code__", None)
    for a in (*args, *kwargs.values()):
        _plain(a)
    return repr(
        (
            str(store().data_dir),
            f.snapshot_id,
            f.viewer.scope,
            None if unfiltered else f.filters,
            getattr(fn, "__module__", None),
            getattr(fn, "__qualname__", repr(fn)),
            code.co_filename if code is not None else None,
            args,
            sorted(kwargs.items()),
        )
    )


def _plain(x) -> None:
    """Refuse an argument whose repr may not tell two values apart (a DataFrame's is
    truncated, an object's is its address): only plain values and frozen dataclasses of them."""
    if x is None or isinstance(x, bool | int | float | str | dt.date | dt.datetime):
        return
    if isinstance(x, tuple | list | frozenset):
        for v in x:
            _plain(v)
        return
    if isinstance(x, dict):
        for k, v in x.items():
            _plain(k)
            _plain(v)
        return
    if is_dataclass(x) and not isinstance(x, type) and x.__dataclass_params__.frozen:
        for fld in fields(x):
            _plain(getattr(x, fld.name))
        return
    raise TypeError(f"not a plain value for a cache key: {type(x).__name__}")


def cached(f: Frame, fn: Callable, *args, unfiltered: bool = False, **kwargs):
    """`fn(f.con, *args, **kwargs)`, computed once per process for the same snapshot, scope,
    filters and arguments (`view_key`; a new snapshot is a new key). `unfiltered`: on a cursor
    without the sidebar filters (`f.cursor()`, still within the viewer's scope), so a filter
    change finds it computed. Each caller gets its own copy. Only for functions whose result
    depends on nothing else (not on names hidden or shown: aliases are applied when drawing)."""
    key = view_key(f, fn, args, kwargs, unfiltered)
    if not unfiltered:
        return _cached_view(key, partial(fn, f.con, *args, **kwargs))

    def on_own_cursor():
        cur = f.cursor()
        try:
            return fn(cur, *args, **kwargs)
        finally:
            cur.close()

    return _cached_view(key, on_own_cursor)


def no_data_message() -> None:
    st.info(
        "No data is published yet. Publish an extract on the **Upload** page or with "
        "`python -m kamdash load EXTRACT.xlsx` (`make run` publishes the shipped sample), "
        "then reload this page.",
        icon=":material/inbox:",
    )


def missing(message) -> None:
    """Say plainly what is not shown and why (a `Missing` or a plain string)."""
    text = str(message)  # may quote the extract (an account ID, a column): shown as written
    st.info(fmt.md(text[:1].upper() + text[1:]), icon=":material/info:")


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


def fact(where, label: str, value: str, note: str | None = None, **kwargs) -> None:
    """A headline figure in a bordered box with a neutral note under it ("gap $1.2M",
    "286 accounts"): no arrow, no colour, since the note is not a change."""
    where.metric(label, value, note, delta_color="off", delta_arrow="off", border=True, **kwargs)


def note(text: str) -> None:
    st.caption(text)


def link_query(names: Aliases | None = None, **params) -> str:
    """A query string keeping the global filters of this view, plus `params` (KAMs by alias
    when `names` hides them, as the filter writes them in the address)."""
    q: list[tuple[str, str]] = []
    for k in URL_KEYS:
        if k in params:
            continue
        v = st.session_state.get(k)
        if v in (None, [], (), False, ""):
            continue
        if isinstance(v, (list, tuple)):
            shown = names.owner if names is not None and k == "owner" else str
            q += [(k, str(shown(x))) for x in v]
        else:
            q.append((k, "true" if v is True else str(v)))
    q += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlencode(q)


def qbr_url(account_id, names: Aliases | None = None) -> str:
    return "qbr?" + link_query(names, account=account_id)


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


# The column of account IDs every account table carries: in both downloads, not on screen.
ACCOUNT_ID = "Account ID"
# How a number column of a table is shown on screen (its XLSX number format: exports.FORMAT_KINDS).
_SHOWN = {
    "money": lambda v, cur: fmt.money(v, cur),
    "signed_money": lambda v, cur: fmt.signed_money(v, cur),
    "percent": lambda v, cur: fmt.pct(v),
    "score": lambda v, cur: fmt.score(v),
    "integer": lambda v, cur: fmt.number(v),
}


def table(
    data,
    name: str,
    *,
    names: Aliases | None = None,
    key: str | None = None,
    rows: int | None = None,
    formats: dict[str, str] | None = None,
    currency: str = "$",
    qbr_link: bool = False,
    screen_hide: Iterable[str] = (ACCOUNT_ID,),
    **kwargs,
):
    """A table on screen (`st.dataframe(..., **kwargs)`) and two compact download buttons
    (CSV, XLSX) under it that hold the data behind it.

    `data`: the whole result, a DataFrame or a dict of columns: every row, numbers as numbers,
    columns named as on screen, and `ACCOUNT_ID` in an account table. The screen shows its
    first `rows` rows (None: all) without the `screen_hide` columns; both files hold every row
    and column (in the viewer's scope: the page's cursor made the result).
    `formats`: number column -> "money" (in `currency`), "percent", "score" or "integer": how
    it reads on screen ($3.6M, 112%) and its XLSX number format (the cell stays a number).
    `qbr_link`: an "Open →" column after "Account" to each row's QBR page (screen only).
    `names`: the frame's aliases; when names are hidden every name in the table (shown and
    downloaded) is replaced, the same alias on every screen and file. Files are built only when
    a button is clicked (deferred download, spinner on the button)."""
    df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    df = df.reset_index(drop=True)
    hidden = names is not None and names.enabled
    formats = {c: k for c, k in (formats or {}).items() if c in df.columns}
    shown = df if rows is None else df.head(rows)
    ids = shown[ACCOUNT_ID] if ACCOUNT_ID in shown.columns else None
    if hidden:
        shown = names.frame(shown)
    config = dict(kwargs.pop("column_config", None) or {})
    if qbr_link and ids is not None:
        at = list(shown.columns).index("Account") + 1 if "Account" in shown.columns else 0
        shown = shown.copy()
        shown.insert(at, "QBR", [qbr_url(a, names) for a in ids])
        config.setdefault(
            "QBR", st.column_config.LinkColumn("QBR", display_text="Open →", width="small")
        )
    hide = set(screen_hide)
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("placeholder", "–")  # an empty cell, as the rest of the app writes it
    kwargs.setdefault("column_order", [c for c in shown.columns if c not in hide])
    st.dataframe(_styled(shown, formats, currency), column_config=config or None, **kwargs)
    # a link column the page passed itself (Open →) is not data: left out of the files
    links = [c for c, v in config.items() if _is_link(v) and c in df.columns]
    df = df.drop(columns=links) if links else df
    # the files' headers are the screen's: a column relabelled on screen is named so in them
    labels = {
        c: v["label"]
        for c, v in config.items()
        if isinstance(v, dict) and v.get("label") and c in df.columns and v["label"] != c
    }
    if labels:
        df = df.rename(columns=labels)
        formats = {labels.get(c, c): k for c, k in formats.items()}
    slug = _slug(name)
    key = key or slug
    aliases = names if hidden else None
    with st.container(horizontal=True, gap="small", vertical_alignment="center", key=f"dl_{key}"):
        st.download_button(
            "CSV",
            lambda: exports.to_csv_bytes(df, aliases=aliases, formats=formats),
            file_name=f"kamdash_{slug}.csv",
            mime=exports.CSV_MIME,
            key=f"csv_{key}",
            on_click="ignore",
            icon=":material/download:",
            type="tertiary",
            help=f"Download this table ({name}): all {len(df):,} rows, as CSV.",
        )
        st.download_button(
            "XLSX",
            lambda: exports.to_xlsx_bytes(
                df, sheet_name=name[:31], aliases=aliases, formats=formats, currency=currency
            ),
            file_name=f"kamdash_{slug}.xlsx",
            mime=exports.XLSX_MIME,
            key=f"xlsx_{key}",
            on_click="ignore",
            icon=":material/download:",
            type="tertiary",
            help=f"Download this table ({name}): all {len(df):,} rows, as an Excel workbook "
            "(amounts as numbers).",
        )
        if len(shown) < len(df):
            st.caption(f"{len(shown):,} of {len(df):,} rows shown; the downloads hold all.")


def _styled(df: pd.DataFrame, formats: dict[str, str], currency: str):
    """The rows shown, their number columns read as the rest of the app writes them ($3.6M,
    112%): a pandas Styler, so the cells stay numbers (a column sorts by value)."""
    shown = {c: partial(_SHOWN[k], cur=currency) for c, k in formats.items() if k in _SHOWN}
    return df.style.format(shown) if shown and not df.empty else df
