"""Snapshot integrity (a checksum in the manifest, verified when a snapshot is opened or made
current; a damaged current snapshot is said plainly and the last intact one served) and the
audit trail of publishes and switches."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import kamdash.store.snapshots as snapshots
from kamdash.cli import main as cli
from kamdash.core.db import rows
from kamdash.store.diff import diff_snapshots
from kamdash.store.load import load_extract
from kamdash.store.snapshots import (
    Serving,
    SnapshotDamaged,
    SnapshotStore,
    StoreError,
    file_sha256,
    open_snapshot,
)


def _build(value: int):
    def build(con):
        con.execute(
            "CREATE TABLE accounts AS SELECT 'A' || range AS account_id FROM range(?)", [value]
        )
        con.execute("CREATE TABLE revenue AS SELECT DATE '2024-01-01' AS date, 1.0 AS amount")
        return {"row_counts": {"accounts": value}}

    return build


def _store(tmp_path: Path, n: int = 2) -> tuple[SnapshotStore, list[str]]:
    src = tmp_path / "x.csv"
    src.write_text("account_id\nA\n")
    store = SnapshotStore(tmp_path / "data")
    ids = [
        store.publish(_build(1000 * (i + 1)), [("x.csv", src)], uploaded_by="a@x") for i in range(n)
    ]
    return store, ids


def _truncate(store: SnapshotStore, sid: str) -> None:
    p = store.root / sid / "snapshot.duckdb"
    os.truncate(p, p.stat().st_size // 2)


def _flip_byte(store: SnapshotStore, sid: str) -> None:
    """Silent corruption: one byte changed in place, same size, same modification time."""
    p = store.root / sid / "snapshot.duckdb"
    st = p.stat()
    with open(p, "r+b") as f:
        f.seek(st.st_size // 2)
        b = f.read(1)
        f.seek(st.st_size // 2)
        f.write(bytes([b[0] ^ 0xFF]))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_manifest_records_the_snapshot_checksum(tmp_path):
    store, (a, b) = _store(tmp_path)
    m = store.manifest(b)
    db = store.root / b / "snapshot.duckdb"
    assert m["sha256"] == file_sha256(db) and len(m["sha256"]) == 64
    assert m["bytes"] == db.stat().st_size
    assert store.verify(a) is None and store.verify(b) is None
    assert store.serving() == Serving(b, None)


def test_truncated_current_snapshot_is_said_plainly_and_the_last_good_one_served(tmp_path):
    store, (a, b) = _store(tmp_path)
    _truncate(store, b)
    problem = store.verify(b)
    assert problem.startswith(f"Snapshot {b} is damaged: its file is ")
    assert "(it was truncated or replaced)" in problem
    served = store.serving()
    assert served.id == a
    assert f"The current snapshot {b} is damaged" in served.problem
    assert f"the pages show snapshot {b}" not in served.problem
    assert f"snapshot {a}" in served.problem and "publish the extract again" in served.problem
    with pytest.raises(SnapshotDamaged) as e:
        store.open()
    assert isinstance(e.value, StoreError) and str(e.value).startswith(f"Snapshot {b} is damaged")
    with pytest.raises(SnapshotDamaged):
        open_snapshot(store.root / b / "snapshot.duckdb")
    con = store.open(served.id)  # the fallback opens and reads
    assert rows(con, "SELECT count(*) FROM accounts") == [(1000,)]
    con.close()
    listed = {m["id"]: m["damaged"] for m in store.list()}
    assert listed == {a: False, b: True}  # the history marks it


def test_silent_corruption_is_caught_by_the_checksum(tmp_path):
    store, (a, b) = _store(tmp_path)
    _flip_byte(store, a)
    assert store.verify(a) == (
        f"Snapshot {a} is damaged: its file does not match the checksum recorded when it was "
        f"published (sha256 {file_sha256(store.root / a / 'snapshot.duckdb')[:12]}…, recorded "
        f"{store.manifest(a)['sha256'][:12]}…). Publish the extract again, or make another "
        "snapshot current."
    )
    assert {m["id"]: m["damaged"] for m in store.list()} == {a: True, b: False}


def test_use_refuses_a_damaged_snapshot(tmp_path):
    store, (a, b) = _store(tmp_path)
    _flip_byte(store, a)
    with pytest.raises(SnapshotDamaged) as e:
        store.use(a, by="admin@x")
    assert str(e.value).startswith(f"Snapshot {a} is damaged: its file does not match")
    assert "It was not made current (the current snapshot is unchanged)" in str(e.value)
    assert store.current_id() == b
    assert [x["action"] for x in store.audit_log()] == ["publish", "publish"]


def test_nothing_intact_left(tmp_path):
    store, (a,) = _store(tmp_path, 1)
    _truncate(store, a)
    served = store.serving()
    assert served.id is None
    assert served.problem.startswith(f"The current snapshot {a} is damaged (its file is ")
    assert "no intact snapshot is left to show" in served.problem
    assert SnapshotStore(tmp_path / "empty").serving() == Serving(None, None)


def test_verified_once_per_process(tmp_path, monkeypatch):
    store, (a, b) = _store(tmp_path)
    calls = []
    real = snapshots.file_sha256
    monkeypatch.setattr(snapshots, "file_sha256", lambda p: calls.append(p) or real(p))
    for _ in range(3):
        assert store.verify(b) is None
        store.serving()
        open_snapshot(store.root / b / "snapshot.duckdb").close()
    assert len(calls) == 1  # the file is hashed once, then the answer is cached
    _flip_byte(store, b)  # same size and mtime: the cached answer stands...
    assert store.verify(b) is None
    os.utime(store.root / b / "snapshot.duckdb")  # ...until the file is touched
    assert store.verify(b) is not None and len(calls) == 2


def test_snapshot_published_before_checksums_is_accepted_and_opened_carefully(tmp_path):
    store, (a, b) = _store(tmp_path)
    for sid in (a, b):
        mpath = store.root / sid / "manifest.json"
        m = json.loads(mpath.read_text())
        del m["sha256"], m["bytes"]
        mpath.write_text(json.dumps(m))
    assert store.verify(a) is None
    _truncate(store, b)
    problem = store.verify(b)
    assert problem.startswith(f"Snapshot {b} is damaged: its file is ")
    assert "shorter than the" in problem and "(it was truncated)" in problem
    os.truncate(store.root / b / "snapshot.duckdb", 5000)
    problem = store.verify(b)
    assert problem.startswith(f"Snapshot {b} is damaged: DuckDB cannot open it (IO Error:")
    assert store.serving().id == a


def test_compare_with_a_damaged_snapshot_is_a_plain_error(tmp_path):
    store, (a, b) = _store(tmp_path)
    _truncate(store, a)
    with pytest.raises(StoreError) as e:
        diff_snapshots(store.root / a / "snapshot.duckdb", store.path(b))
    assert str(e.value).startswith(f"Snapshot {a} is damaged: its file is ")
    assert str(e.value).endswith(
        "It cannot be compared: choose another snapshot (and publish the extract again)."
    )


def test_cli_says_a_damaged_snapshot_plainly(tmp_path, capsys):
    store, (a, b) = _store(tmp_path)
    _flip_byte(store, a)
    _truncate(store, b)
    data = str(store.data_dir)
    assert cli(["use", a, "--data-dir", data]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: Snapshot {a} is damaged: its file does not match the checksum")
    assert "Traceback" not in err
    assert cli(["metrics", "--data-dir", data]) == 1
    err = capsys.readouterr().err
    assert (
        err.startswith(f"error: Snapshot {b} is damaged: its file is ") and "Traceback" not in err
    )
    assert cli(["snapshots", "--data-dir", data]) == 0
    out = capsys.readouterr().out
    # the truncated one seen by its size, the other by the verification `use` made
    assert f"* {b}" in out and out.count("DAMAGED") == 2
    assert cli(["snapshots", "--verify", "--data-dir", data]) == 1  # every file hashed
    captured = capsys.readouterr()
    assert captured.out.count("DAMAGED") == 2 and f"Snapshot {a} is damaged" in captured.err


# -- the audit trail ---------------------------------------------------------------------------
def test_publish_and_use_are_recorded_with_who_and_when(tmp_path):
    store, (a, b) = _store(tmp_path)
    store.use(a, by="admin@example.com")
    store.audit("compare", "leader@example.com", old=a, new=b)
    log = store.audit_log()
    assert [e["action"] for e in log] == ["compare", "make_current", "publish", "publish"]
    assert log[1] == {
        "time": log[1]["time"],
        "action": "make_current",
        "by": "admin@example.com",
        "snapshot": a,
        "previous": b,
    }
    assert log[2]["by"] == "a@x" and log[2]["snapshot"] == b and log[2]["made_current"] is True
    assert log[0]["time"] >= log[1]["time"] >= log[3]["time"] and log[0]["time"].endswith("+00:00")
    assert store.audit_log(limit=2) == log[:2]
    listed = {m["id"]: m for m in store.list()}
    assert listed[a]["made_current_by"] == "admin@example.com"
    assert listed[a]["made_current_at"] == log[1]["time"]
    assert listed[b]["made_current_by"] == "a@x" and listed[b]["uploaded_by"] == "a@x"
    with pytest.raises(ValueError):
        store.audit("delete_everything", "x")
    # a line cut short by a crash is skipped, the rest still read
    with open(store.data_dir / "audit.jsonl", "a") as f:
        f.write('{"time": "2099-01-01T00:00:00+00:00", "action": "pub')
    assert [e["action"] for e in store.audit_log()] == [
        "compare",
        "make_current",
        "publish",
        "publish",
    ]


def test_cli_records_the_os_user(tmp_path, monkeypatch, capsys):
    from tests.helpers import small_extract

    monkeypatch.setattr("getpass.getuser", lambda: "ops-user")
    data = tmp_path / "data"
    assert cli(["load", *map(str, small_extract(tmp_path / "x", 1)), "--data-dir", str(data)]) == 0
    first = SnapshotStore(data).current_id()
    load_extract(small_extract(tmp_path / "y", 2), data, uploaded_by="web@example.com")
    assert cli(["use", first, "--data-dir", str(data)]) == 0
    log = SnapshotStore(data).audit_log()
    assert [(e["action"], e["by"]) for e in log] == [
        ("make_current", "ops-user"),
        ("publish", "web@example.com"),
        ("publish", "ops-user"),
    ]
    assert SnapshotStore(data).manifest(first)["uploaded_by"] == "ops-user"
