"""Page queries of two checkouts, side by side in one run (e.g. before and after a refactor).

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/before_after.py /tmp/before DATA_BEFORE . DATA_AFTER [--rounds 3]

Each checkout times its own `benchmarks/run.py` page worker (the calls each page makes for its
default view, on a fresh cursor, best of 3 in one process) against a data dir that checkout
published (a snapshot holds precomputed aggregates of its own version). Rounds alternate
before/after so that load from other processes on a shared machine falls on both alike; the
table keeps each side's best wall and CPU seconds over the rounds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

PAGES = ("Portfolio", "Tiers", "Retention & wallet", "Whitespace", "QBR scorecard", "Definitions")


def page_time(checkout: Path, data_dir: Path, page: str, runs: int) -> dict:
    spec = {"worker": "page", "page": page, "data_dir": str(data_dir), "runs": runs}
    proc = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--worker", json.dumps(spec)],
        cwd=checkout,
        capture_output=True,
        text=True,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("before_data", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("after_data", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3, help="best of N in each process (3)")
    a = ap.parse_args()
    sides = {"before": (a.before, a.before_data), "after": (a.after, a.after_data)}
    best: dict[tuple[str, str], dict] = {}
    for _ in range(a.rounds):
        for page in PAGES:
            for side, (checkout, data) in sides.items():
                r = page_time(checkout.resolve(), data.resolve(), page, a.runs)
                if "seconds" not in r:
                    sys.exit(f"{side} {page}: {r.get('error')}")
                b = best.setdefault((side, page), {"wall": r["seconds"], "cpu": r["cpu"]})
                b["wall"], b["cpu"] = min(b["wall"], r["seconds"]), min(b["cpu"], r["cpu"])
    print("| page | before wall s | after wall s | before CPU s | after CPU s | CPU after/before |")
    print("|---|---|---|---|---|---|")
    for page in PAGES:
        b, f = best[("before", page)], best[("after", page)]
        ratio = f["cpu"] / b["cpu"] if b["cpu"] else float("nan")
        print(
            f"| {page} | {b['wall']:.3f} | {f['wall']:.3f} | {b['cpu']:.3f} | {f['cpu']:.3f} "
            f"| {ratio:.2f} |"
        )


if __name__ == "__main__":
    main()
