"""The snapshot store: immutable published snapshots and an atomic "current" switch.

Layout under the data dir:
    CURRENT                       one line: the current snapshot id
    snapshots/<id>/snapshot.duckdb
    snapshots/<id>/manifest.json
    snapshots/.tmp-<random>/      a load in progress, or a check waiting to be published (never
                                  read; swept after STALE_TMP_SECONDS without a heartbeat)
    audit.jsonl                   one JSON line per publish, make-current, compare and upload
                                  check: time (UTC), action, who, details (the audit trail)

Publishing builds the new snapshot in a temporary directory, closes and fsyncs it, renames the
directory to its final id (atomic on one file system), then replaces CURRENT with os.replace
(atomic). A load that fails or is killed at any point leaves CURRENT and every published
snapshot exactly as they were. Readers open `snapshot.duckdb` read-only, so a load can run
while the app reads.

Integrity: the manifest records the sha256 and size of `snapshot.duckdb` (computed after the
final CHECKPOINT, before the rename). `verify()` checks them (and that DuckDB opens the file)
once per process per (path, size, mtime); `open`, `use` and `open_snapshot` refuse a damaged
snapshot with `SnapshotDamaged`, and `serving()` says which snapshot the pages should show when
the current one is damaged. Snapshots published before checksums are opened in a try block only.
Disk full and read-only folders end in a `StoreError` with a plain message; nothing published
is touched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kamdash.core.errors import DISK_FULL, READ_ONLY, StoreError, os_problem, os_reason

__all__ = [
    "AUDIT_ACTIONS",
    "CheckExpired",
    "PendingSnapshot",
    "Serving",
    "SnapshotDamaged",
    "SnapshotNotFound",
    "SnapshotStore",
    "StoreError",
    "damaged_message",
    "expired_message",
    "file_sha256",
    "open_snapshot",
    "verify_path",
]

DB_FILE = "snapshot.duckdb"
MANIFEST = "manifest.json"
AUDIT_FILE = "audit.jsonl"
AUDIT_ACTIONS = ("publish", "make_current", "compare", "upload_check")
# A pending snapshot (a load running, or a check waiting for "Publish") untouched this long is
# removed by the sweep; a running load touches it every HEARTBEAT_SECONDS, the Upload page on
# every interaction.
STALE_TMP_SECONDS = 30 * 60
HEARTBEAT_SECONDS = 60
AUDIT_TAIL = 2000  # audit events read to show who made each snapshot current


def default_data_dir() -> Path:
    return Path(os.environ.get("KAMDASH_DATA_DIR", Path(__file__).resolve().parents[2] / "data"))


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SnapshotNotFound(StoreError, KeyError):
    def __str__(self) -> str:
        return f"no snapshot with id {self.args[0]!r}"


class SnapshotDamaged(StoreError):
    """The snapshot's file does not match its manifest, or DuckDB cannot open it."""


class CheckExpired(StoreError):
    """A checked extract whose pending snapshot was swept before it was published."""


def expired_message() -> str:
    return (
        f"This check expired after {STALE_TMP_SECONDS // 60} minutes without activity and was "
        "removed; nothing was published. Check the extract again."
    )


_DAMAGED_TODO = "Publish the extract again, or make another snapshot current."


def damaged_message(sid: str, why: str, todo: str = _DAMAGED_TODO) -> str:
    return f"Snapshot {sid} is damaged: {why}. {todo}"


@dataclass(frozen=True)
class Serving:
    """The snapshot the pages should show (`id`, None when none can be shown) and, when it is
    not the current one or there is none, why, in a plain sentence (`problem`)."""

    id: str | None
    problem: str | None = None


# -- integrity ---------------------------------------------------------------------------------
# (path, size, mtime_ns) -> None (intact) or why it is damaged; hashed once per process
_verified: dict[tuple[str, int, int], str | None] = {}
_verify_lock = threading.Lock()
_hashing: dict[tuple[str, int, int], threading.Lock] = {}


def _why_damaged(path: Path) -> str | None:
    """Why the snapshot file at `path` is damaged (None: intact), cached per (path, size,
    mtime): the size and sha256 recorded in its manifest (when there is one), then whether
    DuckDB opens it and reads its catalog."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "its database file is missing"
    except OSError as e:
        return f"its database file cannot be read ({os_reason(e)})"
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _verify_lock:
        if key in _verified:
            return _verified[key]
        lock = _hashing.setdefault(key, threading.Lock())
    with lock:  # one thread hashes a file; the others wait for its answer
        with _verify_lock:
            if key in _verified:
                return _verified[key]
        try:
            why = _check_file(path, st.st_size)
        except OSError as e:  # not known to be damaged: said, but checked again next time
            with _verify_lock:
                _hashing.pop(key, None)
            return f"its files cannot be read ({os_reason(e)})"
        with _verify_lock:
            _verified[key] = why
            _hashing.pop(key, None)
    return why


def _check_file(path: Path, size: int) -> str | None:
    """Why the file is damaged, or None; an OSError when it cannot be read at all."""
    manifest = path.parent / MANIFEST
    if manifest.is_file():
        try:
            m = json.loads(manifest.read_text(encoding="utf-8"))
        except ValueError as e:
            return f"its manifest cannot be read ({type(e).__name__})"
        recorded = m.get("bytes") if isinstance(m, dict) else None
        if isinstance(recorded, int) and recorded != size:
            return (
                f"its file is {size:,} bytes but was {recorded:,} bytes when it was published "
                "(it was truncated or replaced)"
            )
        expected = m.get("sha256") if isinstance(m, dict) else None
        if expected:
            actual = file_sha256(path)
            if actual != expected:
                return (
                    "its file does not match the checksum recorded when it was published "
                    f"(sha256 {actual[:12]}…, recorded {str(expected)[:12]}…)"
                )
    try:  # a snapshot published before checksums, or a file DuckDB cannot read
        con = duckdb.connect(str(path), read_only=True)
        try:
            con.execute("SELECT count(*) FROM duckdb_tables()").fetchall()
            blocks, block_size = con.execute(
                "SELECT total_blocks, block_size FROM pragma_database_size()"
            ).fetchone()
        finally:
            con.close()
    except duckdb.Error as e:
        return f"DuckDB cannot open it ({' '.join(str(e).split())[:200]})"
    if blocks * block_size > size:  # (cheap, for snapshots published without a checksum)
        return (
            f"its file is {size:,} bytes, shorter than the {blocks * block_size:,} bytes of "
            "data its own header lists (it was truncated)"
        )
    return None


def _known_damaged(path: Path, manifest: dict) -> bool:
    """Cheap: a missing file, a size that differs from the manifest's, or a verification
    already made in this process that failed (nothing is hashed here)."""
    try:
        st = path.stat()
    except OSError:
        return True
    recorded = manifest.get("bytes")
    if isinstance(recorded, int) and recorded != st.st_size:
        return True
    with _verify_lock:
        return _verified.get((str(path), st.st_size, st.st_mtime_ns)) is not None


def verify_path(path: str | Path, *, todo: str = _DAMAGED_TODO) -> str | None:
    """None when the snapshot file at `path` is intact, else the plain message saying it is
    damaged, ending with `todo` (see `SnapshotStore.verify`)."""
    path = Path(path)
    why = _why_damaged(path)
    return None if why is None else damaged_message(path.parent.name, why, todo)


class SnapshotStore:
    def __init__(self, data_dir: str | Path | None = None):
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.root = self.data_dir / "snapshots"

    # -- reading ----------------------------------------------------------------------------
    def current_id(self) -> str | None:
        try:
            sid = (self.data_dir / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return sid if sid and (self.root / sid / DB_FILE).is_file() else None

    def _current_name(self) -> str | None:
        """What CURRENT says, whether or not that snapshot's file is there."""
        try:
            sid = (self.data_dir / "CURRENT").read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return sid or None

    def _dir(self, snapshot_id: str) -> Path:
        """A published snapshot's folder (its file may be missing: see `verify`)."""
        d = self.root / snapshot_id
        if (
            not snapshot_id
            or snapshot_id.startswith(".")
            or "/" in snapshot_id
            or "\\" in snapshot_id
            or not ((d / DB_FILE).is_file() or (d / MANIFEST).is_file())
        ):
            raise SnapshotNotFound(snapshot_id)
        return d

    def path(self, snapshot_id: str) -> Path:
        p = self.root / snapshot_id / DB_FILE
        if snapshot_id.startswith(".") or "/" in snapshot_id or not p.is_file():
            raise SnapshotNotFound(snapshot_id)
        return p

    def manifest(self, snapshot_id: str) -> dict:
        self.path(snapshot_id)
        return json.loads((self.root / snapshot_id / MANIFEST).read_text(encoding="utf-8"))

    def list(self) -> list[dict]:
        """Manifests of every published snapshot, newest first, with `current` set, `damaged`
        (cheap: a missing file, a size unlike the manifest's, or a failed verification made
        earlier in this process; nothing is hashed here), and `made_current_at` /
        `made_current_by` (the latest time it was made current, from the audit trail)."""
        if not self.root.is_dir():
            return []
        cur = self.current_id()
        made = self._made_current()
        out = []
        for d in sorted(self.root.iterdir(), reverse=True):
            if d.name.startswith(".") or not (d / MANIFEST).is_file():
                continue
            try:
                m = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
                if not isinstance(m, dict):
                    raise ValueError("not an object")
                damaged = _known_damaged(d / DB_FILE, m)
            except (OSError, ValueError):
                m, damaged = {"id": d.name, "created_at": "", "files": []}, True
            m.setdefault("id", d.name)
            m["current"] = d.name == cur
            m["damaged"] = damaged
            m["made_current_at"], m["made_current_by"] = made.get(d.name, (None, None))
            out.append(m)
        return out

    def open(self, snapshot_id: str | None = None) -> duckdb.DuckDBPyConnection:
        """A read-only connection to a snapshot (the current one by default), verified first
        (`SnapshotDamaged` when it is damaged). Give each thread its own `.cursor()` of it."""
        sid = snapshot_id or self._current_name()
        if sid is None:
            raise SnapshotNotFound("(none published yet)")
        self._dir(sid)
        return open_snapshot(self.root / sid / DB_FILE)

    def verify(self, snapshot_id: str) -> str | None:
        """None when the snapshot is intact, else a plain message saying it is damaged and why
        (its file's size or sha256 differs from its manifest's, or DuckDB cannot open it).
        Hashes the file once per process (then cached per path, size and mtime)."""
        d = self._dir(snapshot_id)
        why = _why_damaged(d / DB_FILE)
        return None if why is None else damaged_message(snapshot_id, why)

    def serving(self) -> Serving:
        """The snapshot the pages should show: the current one when it is intact; when it is
        damaged, the newest intact one, with a sentence saying so (`problem`). `id` None: nothing
        is published (no problem), or nothing intact is left (the problem says so)."""
        name = self._current_name()
        if name is None:
            return Serving(None, None)
        try:
            why = _why_damaged(self._dir(name) / DB_FILE)
        except SnapshotNotFound:
            why = "its folder is missing"
        if why is None:
            return Serving(name, None)
        for m in self.list():
            sid = m["id"]
            if sid == name or m["damaged"]:
                continue
            if _why_damaged(self.root / sid / DB_FILE) is None:
                when = f", published {m['created_at']} UTC" if m.get("created_at") else ""
                return Serving(
                    sid,
                    f"The current snapshot {name} is damaged ({why}), so the pages show "
                    f"snapshot {sid}{when}, the newest intact one. An admin should publish the "
                    "extract again, or make another snapshot current on the Upload page.",
                )
        return Serving(
            None,
            f"The current snapshot {name} is damaged ({why}) and no intact snapshot is left "
            "to show. An admin should publish the extract again on the Upload page (or with "
            "python -m kamdash load).",
        )

    # -- the audit trail --------------------------------------------------------------------
    def audit(self, action: str, by: str | None, **details: object) -> dict:
        """Append one event to `<data_dir>/audit.jsonl`: time (UTC, ISO), action (one of
        AUDIT_ACTIONS), by (who: the signed-in address, or the OS user for the CLI), details.
        A StoreError when it cannot be written."""
        if action not in AUDIT_ACTIONS:
            raise ValueError(f"unknown audit action {action!r} (known: {', '.join(AUDIT_ACTIONS)})")
        event = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "action": action,
            "by": by,
            **details,
        }
        line = (json.dumps(event, default=str, ensure_ascii=False) + "\n").encode("utf-8")
        path = self.data_dir / AUDIT_FILE
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)  # one write in append mode: whole lines, even concurrently
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise StoreError(os_problem(e, path, "record the audit trail in", self.data_dir)) from e
        return event

    def audit_log(self, limit: int = 200) -> list[dict]:
        """The latest `limit` audit events, newest first (a line cut short by a crash is
        skipped)."""
        return self._audit_tail(limit)[::-1]

    def _audit_tail(self, limit: int) -> list[dict]:
        """The last `limit` events, oldest first, reading the file from its end."""
        path = self.data_dir / AUDIT_FILE
        try:
            with open(path, "rb") as f:
                f.seek(0, os.SEEK_END)
                pos = f.tell()
                data = b""
                while pos > 0 and data.count(b"\n") <= limit:
                    step = min(pos, 1 << 16)
                    pos -= step
                    f.seek(pos)
                    data = f.read(step) + data
        except OSError:
            return []
        lines = data.split(b"\n")
        if pos > 0:
            lines = lines[1:]  # the first line read may be cut
        out = []
        for raw in lines:
            try:
                e = json.loads(raw)
            except ValueError:
                continue
            if isinstance(e, dict):
                out.append(e)
        return out[-limit:] if limit else []

    def _made_current(self) -> dict[str, tuple[str | None, str | None]]:
        """snapshot id -> (time, by) of the latest event that made it current."""
        made: dict[str, tuple[str | None, str | None]] = {}
        for e in self._audit_tail(AUDIT_TAIL):
            sid = e.get("snapshot")
            if not isinstance(sid, str):
                continue
            if e.get("action") == "make_current" or (
                e.get("action") == "publish" and e.get("made_current")
            ):
                made[sid] = (e.get("time"), e.get("by"))
        return made

    # -- writing ----------------------------------------------------------------------------
    def use(self, snapshot_id: str, *, by: str | None = None) -> None:
        """Make an existing, intact snapshot current (atomic) and record it in the audit trail.
        SnapshotNotFound / SnapshotDamaged (nothing changed), StoreError (disk, permissions)."""
        why = _why_damaged(self._dir(snapshot_id) / DB_FILE)
        if why is not None:
            raise SnapshotDamaged(
                damaged_message(
                    snapshot_id,
                    why,
                    "It was not made current (the current snapshot is unchanged): choose "
                    "another one, or publish the extract again.",
                )
            )
        previous = self._current_name()
        self._write_current(snapshot_id)
        self.audit("make_current", by, snapshot=snapshot_id, previous=previous)

    def begin(self) -> PendingSnapshot:
        """A new snapshot under construction, in a temporary directory of the store."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._sweep_stale_tmp()
            tmp = self.root / f".tmp-{uuid.uuid4().hex}"
            tmp.mkdir()
        except OSError as e:
            raise StoreError(
                os_problem(e, self.root, "create a new snapshot in", self.data_dir)
            ) from e
        return PendingSnapshot(self, tmp)

    def publish(
        self,
        build: Callable[[duckdb.DuckDBPyConnection], dict],
        sources: list[tuple[str, Path]],
        *,
        make_current: bool = True,
        uploaded_by: str | None = None,
    ) -> str:
        """Build a new snapshot with `build(con)` and publish it.

        `build` creates the tables in the fresh database and returns a dict merged into the
        manifest (e.g. row counts, the validation report). If it raises, nothing is published.
        `sources` are (display name, path) of the extract's files, hashed into the manifest.
        """
        pending = self.begin()
        try:
            try:
                con = duckdb.connect(str(pending.db_path))
                try:
                    with pending.keep_alive():
                        info = build(con) or {}
                finally:
                    con.close()
            except (OSError, duckdb.IOException) as e:
                if os_reason(e) not in (DISK_FULL, READ_ONLY):
                    raise
                raise StoreError(
                    os_problem(e, pending.db_path, "write the new snapshot", self.data_dir)
                    + " Nothing was published."
                ) from e
            return pending.commit(sources, info, make_current=make_current, uploaded_by=uploaded_by)
        finally:
            pending.discard()

    def _write_current(self, sid: str) -> None:
        """Replace CURRENT atomically; a StoreError (CURRENT unchanged) when it cannot."""
        tmp = self.data_dir / f".CURRENT.{uuid.uuid4().hex}"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(sid + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.data_dir / "CURRENT")
            _fsync_path(self.data_dir)
        except OSError as e:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StoreError(
                os_problem(
                    e, self.data_dir / "CURRENT", "switch the current snapshot in", self.data_dir
                )
                + " The current snapshot is unchanged."
            ) from e

    def _sweep_stale_tmp(self) -> None:
        """Remove leftovers of loads killed, and checks abandoned, STALE_TMP_SECONDS ago."""
        self.sweep_pending(STALE_TMP_SECONDS)

    def sweep_pending(self, max_idle_seconds: float = STALE_TMP_SECONDS) -> list[Path]:
        """Remove pending snapshots (`snapshots/.tmp-*`: killed loads, checks never published)
        untouched for `max_idle_seconds`, and CURRENT temporaries of killed switches. A load
        still running touches its folder every HEARTBEAT_SECONDS, so it is never removed.
        Returns the folders removed."""
        cutoff = time.time() - max_idle_seconds
        removed = []
        if self.root.is_dir():
            for d in self.root.glob(".tmp-*"):
                with contextlib.suppress(OSError):
                    if d.stat().st_mtime >= cutoff:
                        continue
                    # renamed first: a publish racing the sweep fails cleanly (CheckExpired)
                    gone = d.with_name(".sweep-" + d.name[len(".tmp-") :])
                    os.rename(d, gone)
                    shutil.rmtree(gone, ignore_errors=True)
                    removed.append(d)
            for d in self.root.glob(".sweep-*"):  # a sweep interrupted earlier
                with contextlib.suppress(OSError):
                    if d.stat().st_mtime < cutoff:
                        shutil.rmtree(d, ignore_errors=True)
        for f in self.data_dir.glob(".CURRENT.*"):
            with contextlib.suppress(OSError):
                if f.stat().st_mtime < cutoff:
                    f.unlink()
        return removed


class PendingSnapshot:
    """A snapshot being built: write `db_path`, then `commit` (publish) or `discard`."""

    def __init__(self, store: SnapshotStore, tmp: Path):
        self.store, self.tmp = store, tmp
        self.db_path = tmp / DB_FILE
        self.committed: str | None = None

    @property
    def expired(self) -> bool:
        """Swept (idle too long) or discarded before it was published."""
        return self.committed is None and not self.db_path.is_file()

    def touch(self) -> bool:
        """Mark it in use now (the sweep removes pending snapshots idle too long); False when
        it is already gone."""
        try:
            os.utime(self.tmp)
        except OSError:
            return False
        return True

    @contextlib.contextmanager
    def keep_alive(
        self, interval: float = HEARTBEAT_SECONDS, also: Callable[[], None] | None = None
    ) -> Iterator[None]:
        """Touch it (and call `also`) every `interval` seconds while the block runs: a long load
        is never swept."""
        self.touch()
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(interval):
                self.touch()
                if also is not None:
                    also()

        t = threading.Thread(target=beat, name="kamdash-heartbeat", daemon=True)
        t.start()
        try:
            yield
        finally:
            stop.set()
            t.join()
            self.touch()

    def commit(
        self,
        sources: list[tuple[str, Path]],
        info: dict,
        *,
        make_current: bool = True,
        uploaded_by: str | None = None,
    ) -> str:
        """Stamp, checksum, fsync, rename into place, (by default) make current, and record
        it in the audit trail (`uploaded_by` is who). Returns the id. CheckExpired when it was
        swept; StoreError (disk full, read-only folder) with nothing published."""
        if self.committed is not None:
            return self.committed
        if not self.touch() or not self.db_path.is_file():
            raise CheckExpired(expired_message())
        store = self.store
        sid: str | None = None
        renamed = False
        try:
            files = [
                {"name": name, "sha256": file_sha256(p), "bytes": p.stat().st_size}
                for name, p in sources
            ]
            now = dt.datetime.now(dt.UTC)
            content = hashlib.sha256(
                json.dumps([f["sha256"] for f in files]).encode() + now.isoformat().encode()
            ).hexdigest()[:8]
            sid = now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z-{content}"
            con = duckdb.connect(str(self.db_path))
            try:
                con.execute("CREATE TABLE IF NOT EXISTS _meta (key VARCHAR, value VARCHAR)")
                con.execute("DELETE FROM _meta WHERE key IN ('snapshot_id', 'created_at')")
                con.executemany(
                    "INSERT INTO _meta VALUES (?, ?)",
                    [["snapshot_id", sid], ["created_at", now.isoformat(timespec="seconds")]],
                )
                con.execute("CHECKPOINT")
            finally:
                con.close()
            manifest = {
                "id": sid,
                "created_at": now.isoformat(timespec="seconds"),
                "uploaded_by": uploaded_by,
                # the database file as published: verified when it is opened or made current
                "sha256": file_sha256(self.db_path),
                "bytes": self.db_path.stat().st_size,
                "files": files,
                **info,
            }
            (self.tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str), "utf-8")
            for f in self.tmp.iterdir():
                _fsync_path(f)
            os.rename(self.tmp, store.root / sid)
            renamed = True
            _fsync_path(store.root)
            if make_current:
                store._write_current(sid)
        except StoreError:
            self._unpublish(sid, renamed)
            raise
        except FileNotFoundError as e:
            self._unpublish(sid, renamed)
            if not renamed and not self.tmp.exists():
                raise CheckExpired(expired_message()) from e
            raise StoreError(
                os_problem(e, e.filename or self.tmp, "publish the snapshot from", store.data_dir)
                + " Nothing was published."
            ) from e
        except (OSError, duckdb.IOException) as e:
            self._unpublish(sid, renamed)
            where = getattr(e, "filename", None) or self.db_path
            raise StoreError(
                os_problem(e, where, "publish the snapshot", store.data_dir)
                + " Nothing was published: the published snapshots are as they were."
            ) from e
        self.committed = sid
        store.audit(
            "publish",
            uploaded_by,
            snapshot=sid,
            files=[f["name"] for f in files],
            made_current=make_current,
        )
        return sid

    def _unpublish(self, sid: str | None, renamed: bool) -> None:
        """Undo a rename into place whose switch failed: back to the temporary folder."""
        if renamed and sid is not None:
            with contextlib.suppress(OSError):
                os.rename(self.store.root / sid, self.tmp)

    def discard(self) -> None:
        """Remove the temporary directory (no-op after a commit)."""
        if self.committed is None:
            shutil.rmtree(self.tmp, ignore_errors=True)


def open_snapshot(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Read-only connection; the catalog is named `snapshot` (the file's stem). The file is
    verified first (once per process: `verify_path`); SnapshotDamaged when it is damaged."""
    problem = verify_path(path)
    if problem is not None:
        raise SnapshotDamaged(problem)
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        why = f"DuckDB cannot open it ({' '.join(str(e).split())[:200]})"
        raise SnapshotDamaged(damaged_message(Path(path).parent.name, why)) from e
