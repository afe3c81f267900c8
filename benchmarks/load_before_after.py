"""`python -m kamdash load` of two checkouts, side by side in one run (e.g. before and after a
change to ingest).

    git worktree add /tmp/loadbefore <commit>
    .venv/bin/python benchmarks/load_before_after.py /tmp/loadbefore . \\
        --extract plain=DIR_OF_CSVS --extract formatted=OTHER_DIR [--rounds 3]

An extract is a directory of CSV files (or one workbook): every file of it is loaded at once,
as `python -m kamdash load FILE...` would, into a fresh data dir. Generate one with
`kamdash.sample.write_large(out_dir, n_accounts=2732)` (~1M revenue rows, `out_dir/csv/`);
`--make DIR` writes that extract to DIR/plain and a copy to DIR/formatted whose revenue amounts
are written like "$1,234.50" (negatives "-$1,234.50").

Each load runs in a fresh process with the checkout as its working directory and first on
PYTHONPATH (the same interpreter for both sides). Rounds alternate before/after, so load from
other processes on a shared machine falls on both alike. Per side and extract the table keeps
the best wall seconds, the best CPU seconds (user + system of the child, from `os.wait4`) and
the peak RSS (the child's high-water mark, the largest over the rounds). A load that exits
non-zero stops the run with its output.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIB = 2**30


def load_once(checkout: Path, files: list[Path]) -> dict:
    """One `python -m kamdash load` in a fresh process: wall and CPU seconds, peak RSS bytes."""
    data_dir = tempfile.mkdtemp(prefix="kamdash-loadbench-")
    env = dict(os.environ, PYTHONPATH=str(checkout))
    cmd = [sys.executable, "-m", "kamdash", "load", *map(str, files), "--data-dir", data_dir]
    try:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=checkout, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    if proc.returncode != 0:
        sys.exit(f"{checkout}: load failed ({proc.returncode}):\n{out.decode()[-3000:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss * 1024,  # KiB on Linux
    }


def extract_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(path.glob("*.csv")) or sorted((path / "csv").glob("*.csv"))
    if not files:
        sys.exit(f"{path}: no CSV files")
    return files


def make_extracts(out: Path, n_accounts: int) -> dict[str, Path]:
    """write_large's CSV extract (plain numbers) and a copy with formatted revenue amounts."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from kamdash.sample import write_large

    plain, formatted = out / "plain", out / "formatted" / "csv"
    if not (plain / "csv" / "revenue.csv").exists():
        write_large(plain, n_accounts=n_accounts, months=60, fmt="csv", seed=7, n_products=10)
    if not (formatted / "revenue.csv").exists():
        formatted.mkdir(parents=True, exist_ok=True)
        for f in (plain / "csv").glob("*.csv"):
            if f.name != "revenue.csv":
                shutil.copy(f, formatted / f.name)
        _format_amounts(plain / "csv" / "revenue.csv", formatted / "revenue.csv")
    return {"plain": plain / "csv", "formatted": formatted}


def _format_amounts(src: Path, dst: Path) -> None:
    with src.open(newline="") as fi, dst.open("w", newline="") as fo:
        reader, writer = csv.reader(fi), csv.writer(fo)
        header = next(reader)
        writer.writerow(header)
        i = header.index("Amount")
        for row in reader:
            v = float(row[i])
            row[i] = ("-" if v < 0 else "") + f"${abs(v):,.2f}"
            writer.writerow(row)


def run(sides: dict[str, Path], extracts: dict[str, Path], rounds: int) -> dict:
    best: dict[tuple[str, str], dict] = {}
    for r in range(rounds):
        for name, path in extracts.items():
            order = list(sides.items()) if r % 2 == 0 else list(sides.items())[::-1]
            for side, checkout in order:
                m = load_once(checkout, extract_files(path))
                print(
                    f"round {r + 1} {name:>10} {side:>6}: wall {m['wall']:.2f} s, "
                    f"CPU {m['cpu']:.2f} s, peak RSS {m['rss'] / GIB:.2f} GiB",
                    flush=True,
                )
                b = best.setdefault((side, name), dict(m))
                b["wall"], b["cpu"] = min(b["wall"], m["wall"]), min(b["cpu"], m["cpu"])
                b["rss"] = max(b["rss"], m["rss"])
    return best


def table(best: dict, extracts: dict[str, Path], rounds: int) -> str:
    lines = [
        f"best of {rounds} (peak RSS: the largest), `python -m kamdash load`, fresh process each",
        "",
        "| extract | before wall s | after wall s | before CPU s | after CPU s | CPU after/before "
        "| before peak RSS GiB | after peak RSS GiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in extracts:
        b, a = best[("before", name)], best[("after", name)]
        lines.append(
            f"| {name} | {b['wall']:.2f} | {a['wall']:.2f} | {b['cpu']:.2f} | {a['cpu']:.2f} "
            f"| {a['cpu'] / b['cpu'] - 1:+.1%} | {b['rss'] / GIB:.2f} | {a['rss'] / GIB:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("before", type=Path, help="the checkout before the change")
    ap.add_argument("after", type=Path, help="the checkout after it")
    ap.add_argument(
        "--extract",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="an extract: a directory of CSV files or one workbook (repeatable)",
    )
    ap.add_argument("--make", type=Path, help="write the plain and formatted extracts here")
    ap.add_argument("--accounts", type=int, default=2732, help="--make size (2732: ~1M rows)")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    extracts = make_extracts(a.make, a.accounts) if a.make else {}
    for e in a.extract:
        name, _, path = e.partition("=")
        extracts[name] = Path(path)
    if not extracts:
        ap.error("give --extract NAME=PATH or --make DIR")
    sides = {"before": a.before.resolve(), "after": a.after.resolve()}
    print(table(run(sides, extracts, a.rounds), extracts, a.rounds))


if __name__ == "__main__":
    main()
