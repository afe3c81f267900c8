"""Staging tables -> typed canonical tables, with a report a person can act on.

Errors refuse the load: a missing required column, non-numeric amounts, dates that cannot be
read, an extract with neither revenue nor opportunities, more revenue on unknown accounts than
the settings allow. Without an accounts table, the accounts are derived from the revenue lines
and deals. Warnings load but are reported with
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
from kamdash.core.settings import Settings, load_settings
from kamdash.ingest.builder import TableBuilder
from kamdash.ingest.mapping import Mapping
from kamdash.ingest.money import check_money, per_row_checks
from kamdash.ingest.names import check_names
from kamdash.ingest.report import Report, where
from kamdash.ingest.rules import apply_rules, raw
from kamdash.ingest.sheetcheck import SheetCheck


def build_canonical(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    out: str,
    settings: Settings | None = None,
) -> tuple[Report, dict[str, int]]:
    """Build every mapped table into database `out` (an attached catalog) from the staging
    tables in `con`'s default catalog. Returns the report and row counts per table; when the
    report has errors the caller must not publish. More than `unknown_revenue_max_share` (a
    setting) of revenue on account IDs missing from the accounts table is an error."""
    settings = settings or load_settings()
    report = Report()
    for note in mapping.notes:
        report.info("mapping", note)
    _check_tables(mapping, report)
    _names_as_ids(mapping, report)
    checks = [SheetCheck(con, tm, report) for tm in mapping.tables.values()]
    ok = [c.required() for c in checks]
    for c, fine in zip(checks, ok, strict=True):
        if fine:
            c.sheet()
    counts: dict[str, int] = {}
    if report.errors:
        return report, counts
    # the typed tables are built in memory (next to the staging tables) and written to `out`
    # once, after the row rules; each build's one pass also computes, per row, what the money
    # checks read (per_row_checks)
    builders = {t: TableBuilder(con, tm, report) for t, tm in mapping.tables.items()}
    money_columns = per_row_checks(builders)
    mark = len(report.problems)
    for t, b in builders.items():
        counts[t] = b.build(raw(t))
    # currencies and non-finite numbers (`settings`: the reporting currency, rates and
    # symbols; default: load_settings()), reported before what the builds found
    built = report.problems[mark:]
    del report.problems[mark:]
    money = check_money(con, mapping, money_columns, settings, report, raw)
    report.problems.extend(built)
    for t, b in builders.items():
        for name in b.extra:
            con.execute(f"ALTER TABLE {raw(t)} DROP COLUMN {q(name)}")
    for table in dict.fromkeys(b.s.table for b in builders.values()):
        con.execute(f"DROP TABLE {q(table)}")  # the staging copies are no longer needed
    if not report.errors:
        money.convert(con, raw)  # to the reporting currency, before revenue is derived
        check_names(con, mapping, builders, report)  # merges, then near-duplicate names
        apply_rules(con, out, builders, report, counts, settings.unknown_revenue_max_share)
    if not report.errors:
        money.write_meta(con, out)
    return report, counts


def _check_tables(mapping: Mapping, report: Report) -> None:
    """The table every extract needs: revenue or opportunities (without an accounts table the
    accounts are derived from their account column)."""
    if "revenue" not in mapping.tables and "opportunities" not in mapping.tables:
        found = ", ".join(sorted(mapping.tables)) or "none"
        report.error(
            "missing_table",
            "The extract needs a revenue or an opportunities table (a CRM's deal export on its "
            f"own will do); tables recognised: {found}. Name the sheets or files like 'Revenue' "
            "or 'Opportunities', or map them.",
        )


def _names_as_ids(mapping: Mapping, report: Report) -> None:
    """Without an accounts table, a deal or revenue export that names its accounts but has no
    account ID column (common in CRM reports) uses the name as the ID."""
    if "accounts" in mapping.tables:
        return
    for t in ("revenue", "opportunities"):
        tm = mapping.tables.get(t)
        if tm is None or "account_id" in tm.columns or "account_name" not in tm.columns:
            continue
        tm.columns["account_id"] = tm.columns.pop("account_name")
        s = tm.sheet
        report.info(
            "name_as_id",
            f"{where(s.file, s.sheet, tm.columns['account_id'])}: there is no account ID "
            "column, so the account name serves as the account ID.",
            file=s.file,
            sheet=s.sheet,
            column=tm.columns["account_id"],
        )
