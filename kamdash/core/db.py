"""Small DuckDB helpers. DuckDB 2.0 streams results: every helper here fetches fully."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> list:
    """All rows of a query as tuples (fully fetched)."""
    return con.execute(sql, params or []).fetchall()


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    """The first column of the first row, or None (fully fetched)."""
    out = rows(con, sql, params)
    return out[0][0] if out else None


def frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> pd.DataFrame:
    """A query's result as a pandas DataFrame (fully fetched)."""
    return con.execute(sql, params or []).df()


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view `name` (one of our own names, never user text) exists in any
    catalog of `con`. A page asks this dozens of times per run: resolving the name costs
    ~0.3 ms, information_schema ~2 ms, so the catalogs are only listed when it does not
    resolve (a table of an attached database, or none)."""
    try:
        if table_exists(con, quote_ident(name)):
            return True
    except duckdb.Error:  # a view that no longer binds still exists
        pass
    return bool(
        scalar(
            con,
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
            [name],
        )
    )


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Column names of a table or view, in order; a temp view that shadows a base table
    (filters.scoped) is listed once."""
    out = rows(
        con,
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY (table_catalog = 'temp') DESC, ordinal_position",
        [table],
    )
    return list(dict.fromkeys(r[0] for r in out))


def quote_ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether `name` (one of our own table names, never user text) resolves on this cursor:
    a base table, or the temp view / temp table shadowing it. Cheaper than
    information_schema (a metric page asks this often)."""
    try:
        con.execute(f"SELECT 1 FROM {name} LIMIT 0").fetchall()
        return True
    except duckdb.CatalogException:
        return False


def unfiltered(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL name of the portfolio's base table behind a (possibly filtered) temp view: scores
    that rank an account against the portfolio (revenue quintile, whitespace peers) must not
    change with the global filters. The plain name when there is no base table."""
    cat = scalar(con, "SELECT current_database()")
    n = scalar(
        con,
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = ? "
        "AND table_schema = 'main' AND table_name = ?",
        [cat, table],
    )
    return f"{quote_ident(cat)}.main.{quote_ident(table)}" if n else table


def numeric_columns(con: duckdb.DuckDBPyConnection, table: str, cols: list[str]) -> list[str]:
    """The columns of `cols` that hold at least one number (one scan of `table`)."""
    if not cols:
        return []
    counts = rows(
        con,
        "SELECT "
        + ", ".join(f"count(TRY_CAST({quote_ident(c)} AS DOUBLE))" for c in cols)
        + f" FROM {table}",
    )[0]
    return [c for c, n in zip(cols, counts, strict=True) if n]
