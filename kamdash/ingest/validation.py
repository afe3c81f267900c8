"""Staging tables -> typed canonical tables, with a report a person can act on.

Errors refuse the load: a missing required column, non-numeric amounts, dates that cannot be
read, an extract with neither revenue nor opportunities. Warnings load but are reported with
counts and example rows: rows for unknown accounts, duplicated IDs, opportunities without an
account, products missing from the product list, negative amounts, scores outside 1-5, rows
without an account (e.g. a total row), a partial last quarter.

Every message names the file, sheet, column and spreadsheet row numbers. The steps: `sheetcheck`
(each mapped sheet), `builder` (typed columns), `rules` (row rules and cross-table checks), with
the per-table rules as data in `contract.TABLES`.
"""

from __future__ import annotations

import duckdb

from kamdash.core.db import quote_ident as q
from kamdash.ingest.builder import TableBuilder
from kamdash.ingest.mapping import Mapping
from kamdash.ingest.report import Report
from kamdash.ingest.rules import apply_rules, raw
from kamdash.ingest.sheetcheck import SheetCheck


def build_canonical(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, out: str
) -> tuple[Report, dict[str, int]]:
    """Build every mapped table into database `out` (an attached catalog) from the staging
    tables in `con`'s default catalog. Returns the report and row counts per table; when the
    report has errors the caller must not publish."""
    report = Report()
    for note in mapping.notes:
        report.info("mapping", note)
    _check_tables(mapping, report)
    checks = [SheetCheck(con, tm, report) for tm in mapping.tables.values()]
    ok = [c.required() for c in checks]
    for c, fine in zip(checks, ok, strict=True):
        if fine:
            c.sheet()
    counts: dict[str, int] = {}
    if report.errors:
        return report, counts
    # the typed tables are built in memory (next to the staging tables) and written to `out`
    # once, after the row rules
    builders = {t: TableBuilder(con, tm, report) for t, tm in mapping.tables.items()}
    todo = list(builders)
    for i, t in enumerate(todo):
        b = builders[t]
        counts[t] = b.build(raw(t))
        if all(builders[u].s.table != b.s.table for u in todo[i + 1 :]):
            con.execute(f"DROP TABLE {q(b.s.table)}")  # the staging copy is no longer needed
    if not report.errors:
        apply_rules(con, out, builders, report, counts)
    return report, counts


def _check_tables(mapping: Mapping, report: Report) -> None:
    """The tables every extract needs."""
    if "revenue" not in mapping.tables and "opportunities" not in mapping.tables:
        found = ", ".join(sorted(mapping.tables)) or "none"
        report.error(
            "missing_table",
            "The extract needs an accounts table plus a revenue or an opportunities table; "
            f"tables recognised: {found}. Name the sheets or files like 'Revenue' or "
            "'Opportunities', or map them.",
        )
    if "accounts" not in mapping.tables:
        report.error(
            "missing_table",
            "The extract has no accounts table (a sheet or file named like 'Accounts' with "
            "account ID and account name columns).",
        )
