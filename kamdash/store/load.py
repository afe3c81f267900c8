"""One load: read the extract, map it, validate it, and publish it as a snapshot.

`prepare()` does everything but the switch, so a person (or the CLI) can look at the report
first; `PreparedLoad.publish()` makes it current. A refused or abandoned load leaves the store
exactly as it was.

Resources: at most MAX_CONCURRENT_CHECKS checks run at once in a process (`check_slot`; the
others wait, and their progress says so); a check waiting to be published is removed after
STALE_TMP_SECONDS without activity, with its uploaded files, by `sweep` (run periodically by
`start_sweeper`), and publishing it then raises CheckExpired.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from kamdash.core.errors import DISK_FULL, READ_ONLY, StoreError, os_problem, os_reason
from kamdash.core.settings import Settings, load_settings
from kamdash.ingest.mapping import Mapping, build_mapping, load_remembered, read_mapping_file
from kamdash.ingest.readers import MAX_BYTES, SourceSheet, read_sources
from kamdash.ingest.report import ExtractError, Report
from kamdash.ingest.upload import sweep_uploads, touch_uploads
from kamdash.ingest.validation import build_canonical
from kamdash.metrics import grid, precompute
from kamdash.store.snapshots import STALE_TMP_SECONDS, PendingSnapshot, SnapshotStore

# DuckDB memory for one load's staging and typed tables; beyond it they spill to a temporary
# directory. A 10M-row CSV extract peaked at 2.0 GiB RSS without a limit, 1.1 GiB with it;
# extracts of a million rows or so stay under it and never spill.
LOAD_MEMORY_LIMIT = "1GB"

# Checks (prepare) running at once in one process: each may hold a workbook's cells in memory
# (up to ~0.6 GiB at the pre-scan's limits: ingest.zipscan.MAX_READ_MEMORY), so two keep a
# server under 2 GiB. The others wait, up to CHECK_WAIT_SECONDS.
MAX_CONCURRENT_CHECKS = 2
CHECK_WAIT_SECONDS = 15 * 60
WAITING = "Waiting for another check to finish…"
SWEEP_INTERVAL_SECONDS = 300


# -- concurrent checks -------------------------------------------------------------------------
_slots = threading.Condition()
_busy = 0


@contextlib.contextmanager
def check_slot(
    timeout: float | None = CHECK_WAIT_SECONDS,
    wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold one of the process's MAX_CONCURRENT_CHECKS check slots for the block. When all are
    busy, `wait(WAITING)` is called once and the caller waits (up to `timeout` seconds, None:
    for ever); a StoreError when none frees up in time."""
    global _busy
    with _slots:
        full = _busy >= MAX_CONCURRENT_CHECKS
    if full and wait is not None:
        wait(WAITING)  # (outside the lock: it may draw on a page)
    with _slots:
        if not _slots.wait_for(lambda: _busy < MAX_CONCURRENT_CHECKS, timeout):
            raise StoreError(
                f"The server is busy: {MAX_CONCURRENT_CHECKS} other checks were still running "
                f"after {timeout / 60:.0f} minutes. Nothing was checked or published; try again "
                "in a few minutes."
            )
        _busy += 1
    try:
        yield
    finally:
        with _slots:
            _busy -= 1
            _slots.notify()


def checks_running() -> int:
    """Checks holding a slot now."""
    with _slots:
        return _busy


# -- sweeping abandoned checks and uploads ------------------------------------------------------
def sweep(data_dir: Path | None = None, max_idle_seconds: float = STALE_TMP_SECONDS) -> list[Path]:
    """Remove uploaded files (`ingest.upload.sweep_uploads`) and pending snapshots (checks never
    published, loads killed: `SnapshotStore.sweep_pending`) untouched for `max_idle_seconds`.
    Returns what was removed."""
    removed = sweep_uploads(max_idle_seconds)
    removed += SnapshotStore(data_dir).sweep_pending(max_idle_seconds)
    return removed


_sweeper_lock = threading.Lock()
_sweeper: threading.Thread | None = None
_sweeper_stop = threading.Event()
_sweep_dirs: dict[str, float] = {}  # data dir -> max idle seconds


def start_sweeper(
    data_dir: Path | str | None = None,
    interval_seconds: float = SWEEP_INTERVAL_SECONDS,
    max_idle_seconds: float = STALE_TMP_SECONDS,
) -> threading.Thread:
    """Start (once per process; later calls only add their data dir) a daemon thread that runs
    `sweep` every `interval_seconds`, so abandoned checks and uploads go without waiting for
    another load (Streamlit has no session-end hook). Returns the thread."""
    global _sweeper, _sweeper_stop
    key = str(SnapshotStore(data_dir).data_dir)
    with _sweeper_lock:
        _sweep_dirs[key] = max_idle_seconds
        if _sweeper is not None and _sweeper.is_alive():
            return _sweeper

        stop = _sweeper_stop = threading.Event()

        def run() -> None:
            while not stop.is_set():
                with _sweeper_lock:
                    dirs = dict(_sweep_dirs)
                for d, idle in dirs.items():
                    with contextlib.suppress(Exception):  # never let the sweeper die
                        sweep(Path(d), idle)
                stop.wait(interval_seconds)

        _sweeper = threading.Thread(target=run, name="kamdash-sweeper", daemon=True)
        _sweeper.start()
        return _sweeper


def stop_sweeper() -> None:
    """Stop the sweeper thread (tests; a server never needs to)."""
    global _sweeper
    with _sweeper_lock:
        thread, _sweeper = _sweeper, None
        _sweeper_stop.set()
        _sweep_dirs.clear()
    if thread is not None:
        thread.join()


@dataclass
class PreparedLoad:
    report: Report
    sources: list[tuple[str, Path]]
    mapping: Mapping | None = None
    counts: dict[str, int] = field(default_factory=dict)
    pending: PendingSnapshot | None = None
    snapshot_id: str | None = None
    precompute_seconds: dict[str, float] = field(default_factory=dict)

    upload_dir: Path | None = None  # the uploaded files' folder, touched with the check

    @property
    def ok(self) -> bool:
        return self.report.ok and self.pending is not None

    @property
    def expired(self) -> bool:
        """Checked fine, but swept after STALE_TMP_SECONDS idle (or discarded): publishing it
        raises CheckExpired."""
        return self.pending is not None and self.pending.expired

    def touch(self) -> bool:
        """Mark the check in use (the Upload page calls it on every interaction) so the sweep
        leaves it, and its uploaded files, alone; False when it has expired already."""
        touch_uploads(self.upload_dir)
        return self.pending is not None and self.pending.touch()

    def publish(self, *, make_current: bool = True, uploaded_by: str | None = None) -> str:
        """Publish the checked extract (`uploaded_by`: who, recorded in the manifest and the
        audit trail). CheckExpired when it was swept; StoreError (disk full, read-only data
        folder) with the pending snapshot removed and the published ones untouched."""
        if not self.ok:
            raise RuntimeError("this load has errors and cannot be published")
        info = {
            "row_counts": self.counts,
            "tables": {
                t: {
                    "source": tm.source,
                    "file": tm.sheet.file,
                    "columns": tm.columns,
                    "how": tm.how,
                }
                for t, tm in (self.mapping.tables.items() if self.mapping else [])
            },
            "report": self.report.to_dict(),
        }
        try:
            self.snapshot_id = self.pending.commit(
                self.sources, info, make_current=make_current, uploaded_by=uploaded_by
            )
        except StoreError:
            self.pending.discard()
            raise
        return self.snapshot_id

    def discard(self) -> None:
        if self.pending is not None:
            self.pending.discard()


def prepare(
    paths: list[Path],
    data_dir: Path | None = None,
    *,
    mapping_file: Path | None = None,
    mapping_sections: dict[str, dict[str, str]] | None = None,
    display_names: dict[Path, str] | None = None,
    progress: Callable[[str, float], None] | None = None,
    max_bytes: int | None = None,
    settings: Settings | None = None,
    upload_dir: Path | None = None,
    slot_timeout: float | None = CHECK_WAIT_SECONDS,
) -> PreparedLoad:
    """Read, map and validate an extract into a pending snapshot (not yet published).

    `mapping_sections` is a mapping given in code (same shape as the TOML file), e.g. the
    choices a user made on the upload page; it wins over the mapping file. `progress(text,
    fraction)` is called as the load moves on. `max_bytes` overrides the readers' per-file size
    limit (`readers.MAX_BYTES`). `settings` (default: the data dir's) are those the load
    checks against (e.g. `unknown_revenue_max_share`, the reporting currency) and the
    precomputed aggregates are built for (`metrics.precompute`). `upload_dir` (the uploaded
    files' folder, `ingest.upload.save_uploads`) is kept with the check and touched with it.

    At most MAX_CONCURRENT_CHECKS run at once: a check waits for a slot (`progress` says
    WAITING), for up to `slot_timeout` seconds. A full disk or a read-only data folder is an
    error in the report, never an exception."""
    step = progress or (lambda text, fraction: None)
    store = SnapshotStore(data_dir)
    paths = [Path(p) for p in paths]
    names = {p: (display_names or {}).get(p, p.name) for p in paths}
    sources = [(names[p], p) for p in paths]
    report = Report()
    sections = _sections(mapping_file, mapping_sections, report)
    settings = settings or _settings(store.data_dir, report)
    if sections is None or settings is None:
        return PreparedLoad(report, sources, upload_dir=upload_dir)
    try:
        with check_slot(slot_timeout, wait=lambda text: step(text, 0.0)):
            touch_uploads(upload_dir)
            prepared = _prepare(
                store,
                paths,
                names,
                sources,
                report,
                sections,
                settings,
                step,
                mapping_sections=mapping_sections,
                max_bytes=max_bytes,
                upload_dir=upload_dir,
            )
    except StoreError as e:  # busy, or the data folder cannot take a new snapshot
        report.error("storage", str(e))
        prepared = PreparedLoad(report, sources)
    prepared.upload_dir = upload_dir
    return prepared


def _prepare(
    store: SnapshotStore,
    paths: list[Path],
    names: dict[Path, str],
    sources: list[tuple[str, Path]],
    report: Report,
    sections: dict[str, dict[str, str]],
    settings: Settings,
    step: Callable[[str, float], None],
    *,
    mapping_sections: dict[str, dict[str, str]] | None,
    max_bytes: int | None,
    upload_dir: Path | None,
) -> PreparedLoad:
    """`prepare`, holding a check slot."""
    pending = store.begin()
    try:
        spill = tempfile.mkdtemp(prefix="kamdash-load-")
    except OSError as e:
        pending.discard()
        raise StoreError(
            os_problem(e, tempfile.gettempdir(), "create a work folder in", tempfile.gettempdir())
        ) from e
    con = duckdb.connect()
    try:
        with pending.keep_alive(also=lambda: touch_uploads(upload_dir)):
            con.execute(f"SET memory_limit = '{LOAD_MEMORY_LIMIT}'")
            con.execute("SET temp_directory = '" + spill.replace("'", "''") + "'")
            sheets = _read(con, paths, names, max_bytes or MAX_BYTES, report, step)
            if sheets is None:
                pending.discard()
                return PreparedLoad(report, sources)
            mapping = build_mapping(sheets, sections, load_remembered(store.data_dir))
            for t in mapping_sections or {}:
                if t in mapping.tables:
                    mapping.tables[t].how = "your choice"
            step("Validating and building the snapshot…", 0.6)
            con.execute("ATTACH ? AS out", [str(pending.db_path)])
            try:
                built, counts = build_canonical(con, mapping, "out", settings)
                con.execute("CHECKPOINT out")
            finally:
                con.execute("DETACH out")
            report.extend(built)
            if not report.ok:
                step("Checked.", 1.0)
                pending.discard()
                return PreparedLoad(report, sources, mapping, counts)
            step("Precomputing the portfolio aggregates…", 0.9)
            took = _precompute(pending.db_path, settings, report)
            step("Checked.", 1.0)
            return PreparedLoad(report, sources, mapping, counts, pending, precompute_seconds=took)
    except (duckdb.OutOfMemoryException, MemoryError):
        # a refusal in plain words, never an allocation message or a traceback
        pending.discard()
        report.error(
            "out_of_memory",
            f"The extract does not fit in the memory a load may use ({LOAD_MEMORY_LIMIT}); "
            "nothing was published. Remove unused columns or rows, or split it into smaller "
            "files.",
        )
        return PreparedLoad(report, sources)
    except (OSError, duckdb.IOException) as e:
        pending.discard()
        if os_reason(e) not in (DISK_FULL, READ_ONLY):
            raise
        where = getattr(e, "filename", None) or pending.tmp.parent
        report.error(
            "storage",
            os_problem(e, where, "write the checked extract to", store.data_dir)
            + " Nothing was published.",
        )
        return PreparedLoad(report, sources)
    except BaseException:
        pending.discard()
        raise
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _sections(
    mapping_file: Path | None,
    mapping_sections: dict[str, dict[str, str]] | None,
    report: Report,
) -> dict[str, dict[str, str]] | None:
    """The mapping given: the file's sections, overridden by those given in code; None (and
    an error in the report) when the file cannot be read."""
    sections: dict[str, dict[str, str]] = {}
    if mapping_file is not None:
        try:
            sections.update(read_mapping_file(Path(mapping_file)))
        except ValueError as e:
            report.error("mapping_file", str(e), file=str(mapping_file))
            return None
    sections.update(mapping_sections or {})
    return sections


def _settings(data_dir: Path, report: Report) -> Settings | None:
    """The data dir's settings; None (and an error in the report) when they cannot be read."""
    try:
        return load_settings(data_dir=data_dir)
    except (ValueError, TypeError) as e:
        report.error("settings", str(e))
        return None


def _read(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    names: dict[Path, str],
    max_bytes: int,
    report: Report,
    step: Callable[[str, float], None],
) -> list[SourceSheet] | None:
    """Every file into staging tables; None (the refusals in the report) when any file cannot
    be read at all."""
    size = sum(p.stat().st_size for p in paths if p.is_file())
    step(f"Reading {len(paths)} file(s), {size / 2**20:.1f} MB…", 0.05)
    try:
        sheets = read_sources(paths, con, display_names=names, max_bytes=max_bytes)
    except ExtractError as e:
        report.problems.extend(e.problems)
        return None
    for s in sheets:  # how a file was read (encoding...), worth a line in the report
        for note in s.notes:
            loc = f'file "{s.file}", sheet "{s.sheet}"' if s.sheet else f'file "{s.file}"'
            report.info("reading", f"{loc}: {note}", file=s.file, sheet=s.sheet)
        report.problems.extend(s.warnings)  # rows skipped or text cleaned while reading
    rows_read = sum(s.n_rows for s in sheets)
    step(f"Read {rows_read:,} rows from {len(sheets)} sheet(s); matching columns…", 0.5)
    return sheets


def _precompute(db_path: Path, settings: Settings, report: Report) -> dict[str, float]:
    """Build the snapshot's precomputed aggregates (`precompute.build`). They only speed pages
    up: if building them fails the load still publishes, the pages compute the figures on each
    view, and the report says so. Returns the seconds each aggregate took."""
    con = duckdb.connect(str(db_path))
    took: dict[str, float] = {}
    try:
        con.execute(f"SET memory_limit = '{LOAD_MEMORY_LIMIT}'")
        try:
            took = precompute.build(con, settings)
        except Exception as e:  # noqa: BLE001 (reported; the load itself is sound)
            con.execute(f"DROP TABLE IF EXISTS {grid.REGISTRY}")
            report.warning(
                "precompute",
                f"precomputing the portfolio aggregates failed ({e}); pages compute them on "
                "each view instead (slower on large extracts)",
            )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return took


def load_extract(
    paths: list[Path],
    data_dir: Path | None = None,
    *,
    mapping_file: Path | None = None,
    uploaded_by: str | None = None,
    max_bytes: int | None = None,
) -> PreparedLoad:
    """Prepare and, when there are no errors, publish. Returns the prepared load
    (`snapshot_id` set when published). `max_bytes`: as `prepare`'s."""
    prepared = prepare(paths, data_dir, mapping_file=mapping_file, max_bytes=max_bytes)
    if prepared.ok:
        prepared.publish(uploaded_by=uploaded_by)
    return prepared
