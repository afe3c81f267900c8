"""Whole loads beside their floors, each a fresh process from start to exit, in one run.

    .venv/bin/python benchmarks/load_floor.py                       # 1M-row CSV, 200k-row XLSX
    .venv/bin/python benchmarks/load_floor.py --csv-rows 10000000 --xlsx-rows 500000 --runs 3
    .venv/bin/python benchmarks/load_floor.py --markdown out.md --openpyxl

Extracts come from `benchmarks/run.py`'s generator (`write_large`: one CSV per table, or one
workbook with a sheet per table), cached in benchmarks/out/. Rows of the table, rounds
alternating so a shared machine's load falls on all alike:

- **kamdash**: `python -m kamdash load FILES --data-dir NEW` (read, map, validate, type, write
  the snapshot, precompute its aggregates, publish), as a user runs it;
- **floor (CSV)**: DuckDB `CREATE TABLE AS SELECT * FROM read_csv(file)` per file into a DuckDB
  *file*, then `CHECKPOINT` (types sniffed, no validation, no row numbers): the least a load that
  writes a snapshot does;
- **floor (XLSX)**: python-calamine opening the workbook and `to_python()` of every sheet (nothing
  written);
- **alternative**: pandas (`read_csv` per file, `to_sql`-free: registered and copied into a
  DuckDB file; `read_excel` with openpyxl, once, with `--openpyxl`: ~20 s at 200k rows).

Columns: best wall seconds, CPU seconds (user + system of the child, `os.wait4`) of that run,
the peak RSS (the child's high-water mark, the largest over the runs) and wall × floor.
A last table splits one kamdash load, run in-process with its own clock, into its steps (the
imports, reading, validating and writing, precomputing, publishing, from the load's `progress`
callback).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import run as bench  # noqa: E402

GIB = 2**30

CSV_FLOOR = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
for i, f in enumerate(sys.argv[2:]):
    con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv(?)", [f])
con.execute("CHECKPOINT")
con.close()
"""

CSV_PANDAS = """
import sys, duckdb, pandas as pd
con = duckdb.connect(sys.argv[1])
for i, f in enumerate(sys.argv[2:]):
    df = pd.read_csv(f)
    con.register("df", df)
    con.execute(f"CREATE TABLE t{i} AS SELECT * FROM df")
    con.unregister("df")
con.execute("CHECKPOINT")
con.close()
"""

XLSX_FLOOR = """
import sys
from python_calamine import CalamineWorkbook
wb = CalamineWorkbook.from_path(sys.argv[2])
n = sum(len(wb.get_sheet_by_name(s).to_python(skip_empty_area=False)) for s in wb.sheet_names)
wb.close()
"""

XLSX_OPENPYXL = """
import sys, pandas as pd
frames = pd.read_excel(sys.argv[2], sheet_name=None, engine="openpyxl")
"""

# One kamdash load in-process, split into its steps by the load's own progress callback.
PHASES = """
import json, sys, time
t0 = time.perf_counter()
from kamdash.store.load import prepare
t1 = time.perf_counter()
marks = []
def step(text, fraction):
    marks.append((text.split("…")[0].split(" ")[0], time.perf_counter()))
files = [__import__("pathlib").Path(f) for f in sys.argv[2:]]
p = prepare(files, __import__("pathlib").Path(sys.argv[1]), progress=step, max_bytes=2**40)
t2 = time.perf_counter()
assert p.ok, [x.message for x in p.report.errors][:3]
p.publish()
t3 = time.perf_counter()
at = {}
for name, t in marks:
    at.setdefault(name, t)
print(json.dumps({"imports": t1 - t0, "read": at["Read"] - t1,
                  "validate and write": at["Precomputing"] - at["Validating"],
                  "map": at["Validating"] - at["Read"],
                  "precompute": t2 - at["Precomputing"], "publish": t3 - t2,
                  "parts": p.precompute_seconds, "total": t3 - t0}))
"""


def child(cmd: list[str], cwd: Path = ROOT) -> dict:
    """One process: wall and CPU seconds, peak RSS bytes, its output."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd[:4])}… failed:\n{out.decode()[-3000:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss * 1024,  # KiB on Linux
        "out": out.decode(),
    }


def variants(kind: str, openpyxl: bool) -> dict[str, tuple[str, object]]:
    """name -> (role, how to build the command from (target, files))."""
    py = sys.executable

    def script(text: str):
        return lambda target, files: [py, "-c", text, str(target), *map(str, files)]

    out = {
        "kamdash `load` (read, validate, type, write, precompute, publish)": (
            "kamdash",
            lambda target, files: [
                py,
                "-m",
                "kamdash",
                "load",
                *map(str, files),
                "--data-dir",
                str(target),
                "--max-mb",
                "100000",  # no per-file limit: the 10M-row revenue file is 633 MB
            ],
        ),
    }
    if kind == "csv":
        out["DuckDB read_csv into a DuckDB file + CHECKPOINT (floor)"] = (
            "floor",
            script(CSV_FLOOR),
        )
        out["pandas.read_csv, copied into a DuckDB file (alternative)"] = (
            "alt",
            script(CSV_PANDAS),
        )
    else:
        out["python-calamine, every sheet to_python (floor)"] = ("floor", script(XLSX_FLOOR))
        if openpyxl:
            out["pandas.read_excel(engine='openpyxl') (alternative, 1 run)"] = (
                "alt1",
                script(XLSX_OPENPYXL),
            )
    return out


def measure(meta: dict, runs: int, openpyxl: bool) -> dict:
    files = meta["files"]
    best: dict[str, dict] = {}
    vs = variants(meta["kind"], openpyxl)
    for r in range(runs):
        order = list(vs.items()) if r % 2 == 0 else list(vs.items())[::-1]
        for name, (role, cmd) in order:
            if role == "alt1" and r:
                continue
            tmp = Path(tempfile.mkdtemp(prefix="kamdash-loadfloor-"))
            try:
                target = tmp / ("data" if role == "kamdash" else "floor.duckdb")
                m = child(cmd(target, files))
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            print(
                f"  {meta['kind']} round {r + 1}: {name[:48]:<48} wall {m['wall']:.2f} s, "
                f"CPU {m['cpu']:.2f} s, peak {m['rss'] / GIB:.2f} GiB",
                flush=True,
            )
            b = best.setdefault(name, {**m, "role": role, "runs": 0})
            if m["wall"] < b["wall"]:
                b.update(wall=m["wall"], cpu=m["cpu"])
            b["rss"], b["runs"] = max(b["rss"], m["rss"]), b["runs"] + 1
    tmp = Path(tempfile.mkdtemp(prefix="kamdash-loadfloor-"))
    try:
        m = child([sys.executable, "-c", PHASES, str(tmp / "data"), *files])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    phases = json.loads(m["out"].strip().splitlines()[-1])
    return {"best": best, "phases": phases}


def label(meta: dict) -> str:
    what = "CSV files" if meta["kind"] == "csv" else "XLSX workbook"
    return (
        f"{what}, {meta['revenue_rows']:,} revenue rows ({meta['total_rows']:,} rows in all "
        f"tables, {meta['mb']} MB)"
    )


def table(results: list[tuple[dict, dict]]) -> str:
    lines = [
        "| extract | what (a fresh process each) | wall s (best) | CPU s | peak RSS GiB | runs "
        "| wall × floor | target | met? |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for meta, res in results:
        floor = next(b for b in res["best"].values() if b["role"] == "floor")
        target = 2.0 if meta["kind"] == "csv" else 1.5
        for name, b in res["best"].items():
            ratio = b["wall"] / floor["wall"]
            goal = met = ""
            if b["role"] == "kamdash":
                goal = f"≤ {target}× floor; < 2 GiB"
                ok_t, ok_m = ratio <= target, b["rss"] < 2 * GIB
                met = (
                    "yes"
                    if ok_t and ok_m
                    else f"**no** ({'memory: yes' if ok_m else 'memory: no'})"
                )
            lines.append(
                f"| {label(meta)} | {name} | {b['wall']:.2f} | {b['cpu']:.2f} | "
                f"{b['rss'] / GIB:.2f} | {b['runs']} | {ratio:.2f} | {goal} | {met} |"
            )
    lines += [
        "",
        "One kamdash load split into its steps (in-process clock, seconds):",
        "",
        "| extract | imports | read (XLSX: pre-scan + parse) | map columns | validate, type, "
        "write | precompute | publish | total |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for meta, res in results:
        p = res["phases"]
        parts = ", ".join(f"{k} {v:.2f}" for k, v in (p.get("parts") or {}).items())
        lines.append(
            f"| {label(meta)} | {p['imports']:.2f} | {p['read']:.2f} | {p['map']:.2f} | "
            f"{p['validate and write']:.2f} | {p['precompute']:.2f} ({parts}) | "
            f"{p['publish']:.2f} | {p['total']:.2f} |"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--csv-rows", type=int, default=1_000_000, help="0: no CSV extract")
    ap.add_argument("--xlsx-rows", type=int, default=200_000, help="0: no workbook")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--openpyxl", action="store_true", help="also pandas + openpyxl, once")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    ap.add_argument("--markdown", type=Path)
    a = ap.parse_args()
    metas = []
    if a.csv_rows:
        metas.append(bench.dataset("csv", a.csv_rows, a.out))
    if a.xlsx_rows:
        metas.append(bench.dataset("xlsx", a.xlsx_rows, a.out))
    print(bench.machine(), flush=True)
    results = [(m, measure(m, a.runs, a.openpyxl)) for m in metas]
    text = bench.machine() + "\n\n" + table(results)
    print()
    print(text)
    if a.markdown:
        a.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
