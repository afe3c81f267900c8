"""Readers benchmark: kamdash.readers against the obvious alternatives, in one run.

    .venv/bin/python benchmarks/readers_bench.py [--xlsx-rows 200000] [--csv-rows 1000000]

Generates (in a temp dir) a single-sheet revenue workbook and a revenue CSV, then times:
read_sources on the xlsx, bare python-calamine to_python on the same sheet, pandas.read_excel
(openpyxl) on the same workbook, read_sources on the CSV, and a bare DuckDB
CREATE TABLE AS SELECT * FROM read_csv(...). Prints rows, seconds, rows/s and the ratio of each
time to kamdash's on the same file (>1 = slower than kamdash).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

from kamdash.ingest.readers import read_sources  # noqa: E402

HEADER = ["account_id", "date", "amount", "product", "business_unit"]
PRODUCTS = ["Core", "Analytics", "Security", "Support", "Cloud", "Training"]
UNITS = ["EMEA", "Americas", "APAC", "Retail", "Logistics", "Finance", "HQ"]


def _rows(n: int, seed: int):
    rnd = random.Random(seed)
    start = dt.date(2021, 1, 1)
    for i in range(n):
        yield (
            f"A{rnd.randrange(5000):05d}",
            start + dt.timedelta(days=i % 1460),
            round(rnd.uniform(100, 50_000), 2),
            PRODUCTS[i % len(PRODUCTS)],
            UNITS[rnd.randrange(len(UNITS))],
        )


def make_xlsx(path: Path, n: int) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Revenue")
    ws.append(HEADER)
    for r in _rows(n, 1):
        ws.append(r)
    wb.save(path)


def make_csv(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(HEADER) + "\n")
        fh.writelines(f"{a},{d.isoformat()},{x},{p},{b}\n" for a, d, x, p, b in _rows(n, 2))


def timed(fn):
    t = time.perf_counter()
    n = fn()
    return n, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--xlsx-rows", type=int, default=200_000)
    ap.add_argument("--csv-rows", type=int, default=1_000_000)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="kamdash-bench-") as tmp:
        xlsx, csv = Path(tmp) / "revenue.xlsx", Path(tmp) / "revenue.csv"
        _, t = timed(lambda: make_xlsx(xlsx, args.xlsx_rows))
        print(
            f"generated {xlsx.name}: {args.xlsx_rows:,} rows, {xlsx.stat().st_size / 2**20:.1f} MB in {t:.1f}s"
        )
        _, t = timed(lambda: make_csv(csv, args.csv_rows))
        print(
            f"generated {csv.name}: {args.csv_rows:,} rows, {csv.stat().st_size / 2**20:.1f} MB in {t:.1f}s"
        )

        def kamdash(path):
            def run():
                con = duckdb.connect()
                [s] = read_sources([path], con)
                con.close()
                return s.n_rows

            return run

        def calamine():
            wb = CalamineWorkbook.from_path(str(xlsx))
            data = wb.get_sheet_by_name("Revenue").to_python(skip_empty_area=False)
            wb.close()
            return len(data) - 1

        def pandas_openpyxl():
            return len(pd.read_excel(xlsx, engine="openpyxl"))

        def duckdb_bare():
            con = duckdb.connect()
            con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv}')")
            n = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
            con.close()
            return n

        results = []
        for label, group, fn in [
            ("kamdash read_sources (xlsx)", "xlsx", kamdash(xlsx)),
            ("python-calamine to_python (xlsx, bare)", "xlsx", calamine),
            ("pandas.read_excel openpyxl (xlsx)", "xlsx", pandas_openpyxl),
            ("kamdash read_sources (csv)", "csv", kamdash(csv)),
            ("duckdb CREATE TABLE AS read_csv (csv, bare)", "csv", duckdb_bare),
        ]:
            n, t = timed(fn)
            results.append((label, group, n, t))

    base = {g: t for label, g, _, t in results if label.startswith("kamdash")}
    print()
    print(f"{'reader':<46} {'rows':>10} {'seconds':>9} {'rows/s':>11} {'vs kamdash':>11}")
    for label, group, n, t in results:
        print(f"{label:<46} {n:>10,} {t:>9.2f} {n / t:>11,.0f} {t / base[group]:>10.2f}x")


if __name__ == "__main__":
    main()
