"""Test support: tiny in-memory snapshots shaped exactly like a published one."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pandas as pd

from kamdash.core.db import quote_ident
from kamdash.ingest.contract import TABLES


def canonical_db(
    meta: dict[str, str] | None = None, **tables: list[dict] | pd.DataFrame
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the given canonical tables, every contract column present
    (NULL where not given) and typed as in the contract, plus `_meta`.

    canonical_db(accounts=[{"account_id": "A", "account_name": "Acme"}],
                 revenue=[{"account_id": "A", "date": "2024-01-15", "amount": 100}])
    """
    con = duckdb.connect()
    for name, data in tables.items():
        spec = TABLES[name]
        df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data))
        unknown = set(df.columns) - set(spec.types) - {"is_won", "is_lost", "is_open"}
        assert not unknown, f"{name}: not contract columns: {unknown}"
        con.register("_src", df if len(df.columns) else pd.DataFrame({"_": []}))
        select = []
        for col, typ in spec.types.items():
            src = (
                f"CAST(_src.{quote_ident(col)} AS {typ})"
                if col in df.columns
                else f"CAST(NULL AS {typ})"
            )
            select.append(f"{src} AS {quote_ident(col)}")
        if name == "opportunities":
            label = "lower(trim(coalesce(_src.stage, '') || ' ' || coalesce(_src.status, '')))"
            cols = set(df.columns)
            if not {"stage", "status"} & cols:
                label = "''"
            elif "stage" not in cols:
                label = "lower(trim(coalesce(_src.status, '')))"
            elif "status" not in cols:
                label = "lower(trim(coalesce(_src.stage, '')))"
            select += [
                f"({label} LIKE '%won%') AS is_won",
                f"({label} LIKE '%lost%') AS is_lost",
                f"NOT ({label} LIKE '%won%' OR {label} LIKE '%lost%') AS is_open",
            ]
        con.execute(f"CREATE TABLE {name} AS SELECT {', '.join(select)} FROM _src")
        con.unregister("_src")
    con.execute("CREATE TABLE _meta (key VARCHAR, value VARCHAR)")
    m = {"snapshot_id": "test", "revenue_source": "revenue"}
    if "revenue" in tables:
        as_of = con.execute("SELECT max(date) FROM revenue").fetchall()[0][0]
        m["as_of"] = str(as_of) if as_of else None
    m.update(meta or {})
    con.executemany("INSERT INTO _meta VALUES (?, ?)", [[k, v] for k, v in m.items()])
    return con


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """An .xlsx with one sheet per entry, rows as given (openpyxl types: numbers, dates...)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, data in sheets.items():
        ws = wb.create_sheet(name)
        for r in data:
            ws.append(r)
    wb.save(path)
    return path
