"""`Missing`: what a metric returns instead of a result when the extract lacks a table/column.

Every public metric returns its result or a `Missing`; pages, the deck and the CLI show
`message` as is ("no stakeholder sheet in this extract: stakeholder coverage not shown").
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


# How an absent table is named in a message: revenue may come from won deals, not a sheet.
_ABSENT = {
    "revenue": "no revenue",
    "qbr": "no QBR sheet",
    "stakeholders": "no stakeholder sheet",
}


def missing(table: str, what: str) -> Missing:
    """The standard `Missing` for an absent table: "no wallet sheet in this extract: share of
    wallet not shown". `what` is what is not shown."""
    absent = _ABSENT.get(table, f"no {table} sheet")
    return Missing(table, f"{absent} in this extract: {what} not shown")


def require(con: duckdb.DuckDBPyConnection, table: str, what: str) -> Missing | None:
    """The standard `Missing` when `table` is absent from `con`, else None."""
    return None if has_table(con, table) else missing(table, what)
