"""The snapshot store: immutable published snapshots and an atomic "current" switch.

Layout under the data dir:
    CURRENT                       one line: the current snapshot id
    snapshots/<id>/snapshot.duckdb
    snapshots/<id>/manifest.json
    snapshots/.tmp-<random>/      a load in progress (never read; swept when stale)

Publishing builds the new snapshot in a temporary directory, closes and fsyncs it, renames the
directory to its final id (atomic on one file system), then replaces CURRENT with os.replace
(atomic). A load that fails or is killed at any point leaves CURRENT and every published
snapshot exactly as they were. Readers open `snapshot.duckdb` read-only, so a load can run
while the app reads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb

DB_FILE = "snapshot.duckdb"
MANIFEST = "manifest.json"
STALE_TMP_SECONDS = 6 * 3600


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


class SnapshotNotFound(KeyError):
    def __str__(self) -> str:
        return f"no snapshot with id {self.args[0]!r}"


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

    def path(self, snapshot_id: str) -> Path:
        p = self.root / snapshot_id / DB_FILE
        if snapshot_id.startswith(".") or "/" in snapshot_id or not p.is_file():
            raise SnapshotNotFound(snapshot_id)
        return p

    def manifest(self, snapshot_id: str) -> dict:
        self.path(snapshot_id)
        return json.loads((self.root / snapshot_id / MANIFEST).read_text(encoding="utf-8"))

    def list(self) -> list[dict]:
        """Manifests of every published snapshot, newest first, with `current` set."""
        if not self.root.is_dir():
            return []
        cur = self.current_id()
        out = []
        for d in sorted(self.root.iterdir(), reverse=True):
            if d.name.startswith(".") or not (d / MANIFEST).is_file():
                continue
            m = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
            m["current"] = d.name == cur
            out.append(m)
        return out

    def open(self, snapshot_id: str | None = None) -> duckdb.DuckDBPyConnection:
        """A read-only connection to a snapshot (the current one by default).
        Give each thread its own `.cursor()` of it."""
        sid = snapshot_id or self.current_id()
        if sid is None:
            raise SnapshotNotFound("(none published yet)")
        return open_snapshot(self.path(sid))

    # -- writing ----------------------------------------------------------------------------
    def use(self, snapshot_id: str) -> None:
        """Make an existing snapshot current (atomic)."""
        self.path(snapshot_id)
        self._write_current(snapshot_id)

    def begin(self) -> PendingSnapshot:
        """A new snapshot under construction, in a temporary directory of the store."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._sweep_stale_tmp()
        tmp = self.root / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
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
            con = duckdb.connect(str(pending.db_path))
            try:
                info = build(con) or {}
            finally:
                con.close()
            return pending.commit(sources, info, make_current=make_current, uploaded_by=uploaded_by)
        finally:
            pending.discard()

    def _write_current(self, sid: str) -> None:
        tmp = self.data_dir / f".CURRENT.{uuid.uuid4().hex}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(sid + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.data_dir / "CURRENT")
        _fsync_path(self.data_dir)

    def _sweep_stale_tmp(self) -> None:
        """Remove leftovers of loads killed long ago (never a load that may still run)."""
        cutoff = time.time() - STALE_TMP_SECONDS
        for d in self.root.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                if d.stat().st_mtime < cutoff:
                    shutil.rmtree(d, ignore_errors=True)


class PendingSnapshot:
    """A snapshot being built: write `db_path`, then `commit` (publish) or `discard`."""

    def __init__(self, store: SnapshotStore, tmp: Path):
        self.store, self.tmp = store, tmp
        self.db_path = tmp / DB_FILE
        self.committed: str | None = None

    def commit(
        self,
        sources: list[tuple[str, Path]],
        info: dict,
        *,
        make_current: bool = True,
        uploaded_by: str | None = None,
    ) -> str:
        """Stamp, fsync, rename into place and (by default) make current. Returns the id."""
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
            "files": files,
            **info,
        }
        (self.tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str), "utf-8")
        for f in self.tmp.iterdir():
            _fsync_path(f)
        os.rename(self.tmp, self.store.root / sid)
        _fsync_path(self.store.root)
        self.committed = sid
        if make_current:
            self.store._write_current(sid)
        return sid

    def discard(self) -> None:
        """Remove the temporary directory (no-op after a commit)."""
        if self.committed is None:
            shutil.rmtree(self.tmp, ignore_errors=True)


def open_snapshot(path: Path) -> duckdb.DuckDBPyConnection:
    """Read-only connection; the catalog is named `snapshot` (the file's stem)."""
    return duckdb.connect(str(path), read_only=True)
