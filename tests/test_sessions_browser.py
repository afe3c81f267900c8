"""Twenty browser sessions on one kamdash server (loopback only) render the Portfolio page
again and again for a bounded time while loads publish new snapshots in the background:
no session shows an error, and every render shows the figures of exactly the snapshot it
names (never a mix of two snapshots)."""

from __future__ import annotations

import re
import threading
import time

import pytest

from kamdash.store.load import load_extract
from tests.conftest import VIEWPORT, Server
from tests.helpers import metric_value, no_exception, small_extract, wait_rendered

pytestmark = pytest.mark.browser

SESSIONS = 20
SECONDS = 10  # no new round of renders starts after this; the publisher then stops
SNAPSHOT_ID = re.compile(r"\d{8}T\d{9}Z-[0-9a-f]{8}")


def test_twenty_sessions_while_loads_publish(tmp_path, browser, artifacts):
    data = tmp_path / "data"
    a, b = small_extract(tmp_path / "a", 10), small_extract(tmp_path / "b", 3)  # TTM $2k vs $648
    assert load_extract(a, data).ok
    server = Server(data)  # its own: the publisher changes what it serves
    stop = threading.Event()
    publish_errors: list[str] = []
    publishes = [0]

    def publisher():
        while not stop.is_set():
            try:
                assert load_extract(b if publishes[0] % 2 == 0 else a, data).ok
                publishes[0] += 1
            except Exception as e:  # noqa: BLE001 - any failure fails the test
                publish_errors.append(repr(e))
            stop.wait(1.5)

    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(SESSIONS)]
    pages = [c.new_page() for c in contexts]
    shown: dict[str, set[str]] = {}
    renders = 0
    t = threading.Thread(target=publisher)
    try:
        t.start()
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            for p in pages:  # every session asks at once...
                p.goto(server.url + "/", wait_until="commit")
            for p in pages:  # ...then each one's render is checked
                wait_rendered(p, timeout=240)
                no_exception(p)
                caption = p.get_by_test_id("stSidebar").inner_text()
                sid = SNAPSHOT_ID.search(caption)
                assert sid, caption
                shown.setdefault(sid.group(0), set()).add(metric_value(p, "Revenue TTM"))
                renders += 1
    finally:
        stop.set()
        t.join()
        for c in contexts:
            c.close()
        server.stop()
    assert publish_errors == []
    # one snapshot -> one figure, whatever the moment of the render
    assert all(len(v) == 1 for v in shown.values()), shown
    assert len({next(iter(v)) for v in shown.values()}) == 2  # both extracts were seen
    assert publishes[0] >= 3
    print(
        f"{renders} renders by {SESSIONS} sessions; {publishes[0]} publishes; {len(shown)} snapshots"
    )
