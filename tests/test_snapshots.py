"""The snapshot store: atomic publish, failed and killed loads, switching, reading while publishing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from kamdash.core.db import rows
from kamdash.store.snapshots import SnapshotNotFound, SnapshotStore, default_data_dir


def _build(value: int):
    def build(con):
        con.execute(
            "CREATE TABLE accounts AS SELECT 'A' || range AS account_id FROM range(?)", [value]
        )
        con.execute(f"CREATE TABLE figures AS SELECT {value} AS a, {value} AS b")
        return {"row_counts": {"accounts": value}}

    return build


def _src(tmp_path: Path, name: str = "x.csv") -> list[tuple[str, Path]]:
    p = tmp_path / name
    p.write_text("account_id\nA\n")
    return [(name, p)]


def _tree(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_publish_makes_current_and_lists(tmp_path):
    store = SnapshotStore(tmp_path / "data")
    assert store.current_id() is None and store.list() == []
    a = store.publish(_build(3), _src(tmp_path))
    b = store.publish(_build(5), _src(tmp_path))
    assert store.current_id() == b and a < b
    listed = store.list()
    assert [m["id"] for m in listed] == [b, a]
    assert [m["current"] for m in listed] == [True, False]
    assert listed[1]["files"][0]["name"] == "x.csv" and len(listed[1]["files"][0]["sha256"]) == 64
    con = store.open()
    assert rows(con, "SELECT count(*) FROM accounts") == [(5,)]
    assert rows(con, "SELECT value FROM _meta WHERE key = 'snapshot_id'") == [(b,)]
    con.close()


def test_use_switches_back_and_refuses_unknown(tmp_path):
    store = SnapshotStore(tmp_path)
    a = store.publish(_build(3), _src(tmp_path))
    store.publish(_build(5), _src(tmp_path))
    store.use(a)
    assert store.current_id() == a
    with pytest.raises(SnapshotNotFound):
        store.use("20990101T000000000Z-deadbeef")
    with pytest.raises(SnapshotNotFound):
        store.use("../x")
    assert store.current_id() == a


def test_failed_build_leaves_store_byte_identical(tmp_path):
    store = SnapshotStore(tmp_path / "data")
    store.publish(_build(3), _src(tmp_path))
    before = _tree(tmp_path / "data")

    def broken(con):
        con.execute("CREATE TABLE accounts AS SELECT 1 AS x")
        raise ValueError("boom")

    with pytest.raises(ValueError):
        store.publish(broken, _src(tmp_path))
    assert _tree(tmp_path / "data") == before
    assert not list((tmp_path / "data" / "snapshots").glob(".tmp-*"))


def test_published_snapshot_is_read_only(tmp_path):
    store = SnapshotStore(tmp_path)
    store.publish(_build(2), _src(tmp_path))
    con = store.open()
    with pytest.raises(Exception, match="read-only"):
        con.execute("DELETE FROM accounts")
    con.close()


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from kamdash.store.snapshots import SnapshotStore

    def build(con):
        con.execute("CREATE TABLE accounts AS SELECT 'A' || range AS account_id FROM range(1000000)")
        print("building", flush=True)
        time.sleep(float(sys.argv[2]))
        return {}

    p = Path(sys.argv[1]).parent / "src.csv"
    p.write_text("x")
    SnapshotStore(sys.argv[1]).publish(build, [("src.csv", p)])
    print("published", flush=True)
    """
)


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.3])
def test_load_killed_midway_leaves_current_snapshot(tmp_path, delay):
    data = tmp_path / "data"
    store = SnapshotStore(data)
    first = store.publish(_build(4), _src(tmp_path))
    before = {k: v for k, v in _tree(data).items() if not k.startswith("snapshots/.tmp")}
    script = tmp_path / "kill.py"
    script.write_text(KILL_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(data), "5"], stdout=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout.readline().strip() == "building"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert store.current_id() == first
    after = {k: v for k, v in _tree(data).items() if not k.startswith("snapshots/.tmp")}
    assert after == before  # the half-built load is only ever in a .tmp directory
    assert [m["id"] for m in store.list()] == [first]
    con = store.open()
    assert rows(con, "SELECT count(*) FROM accounts") == [(4,)]
    con.close()
    # the next load still works and publishes
    second = store.publish(_build(6), _src(tmp_path))
    assert store.current_id() == second


def test_readers_see_old_or_new_never_a_mix(tmp_path):
    """Threads read the current snapshot's two figures while publishes happen: every read
    must see a=b from exactly one snapshot, and no read may fail."""
    store = SnapshotStore(tmp_path)
    store.publish(_build(1), _src(tmp_path))
    errors, seen = [], set()
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                con = store.open()
                cur = con.cursor()
                ((a, b),) = rows(cur, "SELECT a, b FROM figures")
                n = rows(cur, "SELECT count(*) FROM accounts")[0][0]
                con.close()
                if not (a == b == n):
                    errors.append(f"mixed read: {a} {b} {n}")
                seen.add(a)
            except Exception as e:  # noqa: BLE001 - any failure is a test failure
                errors.append(repr(e))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for v in range(2, 12):
        store.publish(_build(v), _src(tmp_path))
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert len(seen) >= 2


LOOP_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from kamdash.store.snapshots import SnapshotStore

    def build(con):
        con.execute("CREATE TABLE accounts AS SELECT 'A' || range AS account_id FROM range(200000)")
        con.execute("CREATE TABLE figures AS SELECT 200000 AS a, 200000 AS b")
        return {}

    p = Path(sys.argv[1]).parent / "src.csv"
    p.write_text("x")
    store = SnapshotStore(sys.argv[1])
    print("start", flush=True)
    while True:
        store.publish(build, [("src.csv", p)])
    """
)


@pytest.mark.parametrize("kill_after", [0.15, 0.4, 0.75, 1.1])
def test_publish_loop_killed_at_random_points_is_always_consistent(tmp_path, kill_after):
    data = tmp_path / "data"
    store = SnapshotStore(data)
    store.publish(_build(4), _src(tmp_path))
    script = tmp_path / "loop.py"
    script.write_text(LOOP_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(data)], stdout=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout.readline().strip() == "start"
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    # whatever the moment of the kill: CURRENT names a complete snapshot, and every listed
    # snapshot opens with whole tables
    for m in store.list():
        con = store.open(m["id"])
        ((a, b),) = rows(con, "SELECT a, b FROM figures")
        assert a == b == rows(con, "SELECT count(*) FROM accounts")[0][0]
        con.close()
    assert store.current_id() in {m["id"] for m in store.list()}


def test_default_data_dir_is_the_repository_data_folder(monkeypatch):
    # `make run` publishes the sample into data/ beside app.py; the app must read it there
    from tests.conftest import ROOT

    monkeypatch.delenv("KAMDASH_DATA_DIR", raising=False)
    assert default_data_dir() == ROOT / "data"
