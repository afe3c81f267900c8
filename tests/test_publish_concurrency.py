"""Several threads read metrics while publishes happen: each read sees complete old or
complete new figures, never a mix and never an error (the way app sessions read)."""

from __future__ import annotations

import threading
import time

from kamdash.core.settings import Settings
from kamdash.store.load import load_extract
from kamdash.store.snapshots import SnapshotStore
from kamdash.views.summary import metrics_summary
from tests.helpers import small_extract


def _figures(store: SnapshotStore) -> tuple:
    """What one app run reads: open the current snapshot, take a cursor, compute."""
    con = store.open()
    try:
        s = metrics_summary(con.cursor(), Settings())
    finally:
        con.close()
    q = s["quarters"]
    return (q[-1]["revenue"], q[-1]["nrr"], s["concentration"]["hhi"], s["snapshot"])


def test_reads_during_publishes_see_one_whole_snapshot(tmp_path):
    data = tmp_path / "data"
    store = SnapshotStore(data)
    a, b = small_extract(tmp_path / "a", 10), small_extract(tmp_path / "b", 7)
    expected = {}
    for paths in (a, b):
        r = load_extract(paths, data)
        assert r.snapshot_id, r.report.text()
        fig = _figures(store)
        expected[fig[:3]] = fig  # figures of each extract, computed alone
    assert len(expected) == 2  # the two extracts really differ
    seen, errors = [], []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                seen.append(_figures(store)[:3])
            except Exception as e:  # noqa: BLE001 - any error fails the test
                errors.append(repr(e))

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    publishes = 0
    while publishes < 8 and time.monotonic() < deadline:
        r = load_extract(a if publishes % 2 else b, data)
        assert r.snapshot_id, r.report.text()
        publishes += 1
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert seen and set(seen) <= set(expected)  # only whole old or whole new figures
    assert len(set(seen)) == 2  # and reads really happened on both sides of publishes
