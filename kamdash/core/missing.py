"""`Missing`: what a metric returns instead of a result when the extract lacks a table/column.

Pages show `message` as is ("no stakeholder sheet in this extract: coverage not shown").
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from kamdash.core.db import has_table


@dataclass(frozen=True)
class Missing:
    table: str  # the canonical table (or "table.column") that is absent
    message: str  # plain words for the page

    def __str__(self) -> str:
        return self.message


def require(con: duckdb.DuckDBPyConnection, table: str, what: str) -> Missing | None:
    """A `Missing` when `table` is absent from `con`, else None. `what` is what is not shown."""
    if has_table(con, table):
        return None
    sheet = {"qbr": "QBR", "stakeholders": "stakeholder"}.get(table, table)
    return Missing(table, f"no {sheet} sheet in this extract: {what} not shown")
