"""A real `python -m kamdash load` of the shipped sample extract, killed with SIGKILL at random
moments (seeded, bounded): afterwards `python -m kamdash snapshots` lists only complete
snapshots, and the current one opens and gives the figures it gave before (or, when the kill
came after the switch, exactly the figures of the whole new extract).

tests/test_snapshots.py kills a synthetic build; this kills the whole pipeline (reading,
validation, DuckDB writing, publish) of a real workbook.
"""

from __future__ import annotations

import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kamdash.core.db import rows
from kamdash.store.load import load_extract
from kamdash.store.snapshots import DB_FILE, MANIFEST, SnapshotStore

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "kamdash_sample.xlsx"
SEEDS = (
    0,
    1,
    3,
    5,
)  # kills at 1.89 s, 0.47 s, 0.68 s and 1.45 s: start-up, reading, writing, after


def figures(store: SnapshotStore, sid: str | None = None) -> dict:
    con = store.open(sid)
    try:
        tables = [
            r[0]
            for r in rows(
                con,
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY 1",
            )
        ]
        out = {t: rows(con, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}
        out["revenue_sum"] = round(rows(con, "SELECT sum(amount) FROM revenue")[0][0], 2)
        out["accounts_digest"] = rows(
            con,
            "SELECT md5(string_agg(account_id || account_name, ',' ORDER BY account_id)) "
            "FROM accounts",
        )[0][0]
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    """A private copy of the sample workbook and the figures of its uninterrupted load."""
    if not SAMPLE.is_file():
        pytest.skip("the shipped sample workbook is missing")
    d = tmp_path_factory.mktemp("extract")
    wb = d / "extract.xlsx"
    shutil.copyfile(SAMPLE, wb)
    ref = d / "reference"
    r = load_extract([wb], ref)
    assert r.snapshot_id, r.report.text()
    return wb, figures(SnapshotStore(ref))


def _cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(
        [sys.executable, "-m", "kamdash", *args], capture_output=True, text=True, cwd=ROOT
    )
    if check:
        assert p.returncode == 0, p.stderr
    return p


@pytest.mark.parametrize("seed", SEEDS)
def test_cli_load_killed_at_a_random_moment(tmp_path, extract, seed):
    wb, full = extract
    data = tmp_path / "data"
    small = tmp_path / "small"
    small.mkdir()
    (small / "accounts.csv").write_text("Account ID,Account Name\nA1,Acme\nA2,Beta\n")
    (small / "revenue.csv").write_text(
        "Account ID,Date,Amount\nA1,2024-01-15,100\nA2,2024-02-15,50\n"
    )
    _cli("load", str(small / "accounts.csv"), str(small / "revenue.csv"), "--data-dir", str(data))
    store = SnapshotStore(data)
    first = store.current_id()
    before = figures(store)
    assert before["revenue_sum"] == 150.0

    delay = random.Random(seed).uniform(0.2, 2.2)  # python start-up to after the publish
    proc = subprocess.Popen(
        [sys.executable, "-m", "kamdash", "load", str(wb), "--data-dir", str(data)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    listing = _cli("snapshots", "--data-dir", str(data)).stdout
    listed = re.findall(r"^([* ]) ([0-9]{8}T[0-9]{9}Z-[0-9a-f]{8}) ", listing, re.M)
    ids = [sid for _, sid in listed]
    assert first in ids and len(ids) <= 2, listing
    assert [sid for mark, sid in listed if mark == "*"] == [store.current_id()]
    for sid in ids:  # every listed snapshot is complete: its files, and it opens whole
        assert (store.root / sid / DB_FILE).is_file() and (store.root / sid / MANIFEST).is_file()
        assert figures(store, sid) == (before if sid == first else full)
    assert figures(store) == (before if store.current_id() == first else full)

    # the next load runs normally and publishes the whole extract
    _cli("load", str(wb), "--data-dir", str(data))
    assert figures(store) == full
