"""Checks of one mapped sheet before any row is typed: required columns, a header without
rows, formulas saved without their result, several columns with one header."""

from __future__ import annotations

import re

import duckdb

from kamdash.core.db import quote_ident as q
from kamdash.core.db import rows as fetch
from kamdash.ingest.casting import blank
from kamdash.ingest.contract import TABLES
from kamdash.ingest.mapping import TableMapping, synonyms_for
from kamdash.ingest.report import ERROR, WARNING, Report, where
from kamdash.ingest.staging import SourceSheet

EXAMPLE_ROWS = 10  # row numbers shown per problem


def located(
    s: SourceSheet, column: str | None = None, rows: list[int] | None = None, count: int = 0
) -> dict:
    """Where a problem is, as the report's Problem fields."""
    return {"file": s.file, "sheet": s.sheet, "column": column, "rows": rows or [], "count": count}


def _words(col: str) -> str:
    return col.replace("_", " ")


class SheetCheck:
    """The sheet-level checks of one mapped table (see the module docstring)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, tm: TableMapping, report: Report):
        self.con, self.tm, self.report = con, tm, report
        self.s = tm.sheet
        self.spec = TABLES[tm.table]

    def required(self) -> bool:
        cols = self.tm.columns
        missing = [c for c in self.spec.required if c not in cols]
        missing += [" or ".join(g) for g in self.spec.one_of if not any(c in cols for c in g)]
        for col in missing:
            self._missing(col)
        return not missing

    def _missing(self, col: str) -> None:
        first = col.split(" or ")[0]
        syn = ", ".join(f'"{s.title()}"' for s in synonyms_for(self.tm.table, first)[:3])
        self.report.error(
            "missing_column",
            f"{where(self.s.file, self.s.sheet)}: the {self.tm.table} table needs a column "
            f"{_words(col)!r} and none was recognised (headers found: "
            f"{', '.join(repr(h) for h in self.s.headers[:15])}). Name it like {syn}, or map it.",
            **located(self.s),
        )

    def sheet(self) -> None:
        """Sheet-level problems: header-only tables, formulas saved without their result,
        several columns with the header of a mapped column."""
        if self.s.n_rows == 0:
            self._no_rows()
        for header, cells in self.s.uncalculated.items():
            self._uncalculated(header, cells)
        for col, header in self.tm.columns.items():
            self._twin_headers(col, header)

    def _no_rows(self) -> None:
        s, t, needed = self.s, self.tm.table, self.spec.needs_rows
        self.report.add(
            ERROR if needed else WARNING,
            "no_rows",
            f"{where(s.file, s.sheet)}: the {t} table has a header row but no data rows"
            + (
                ", so there is nothing to load. Export it again with its rows."
                if needed
                else "; it is loaded empty."
            ),
            **located(self.s),
        )

    def _uncalculated(self, header: str, cells: list[tuple[int, str]]) -> None:
        """Formula cells without a result; those in rows without the key (a total row) are
        skipped with their row anyway."""
        key = self.tm.columns.get(self.spec.required[0])
        if key and key != header:
            rows_in = ", ".join(str(r) for r, _ in cells)
            keyless = fetch(
                self.con,
                f"SELECT _row FROM {q(self.s.table)} WHERE {blank(q(key))} AND _row IN ({rows_in})",
            )
            cells = [c for c in cells if c[0] not in {r[0] for r in keyless}]
        if not cells:
            return
        n, rws = len(cells), [r for r, _ in cells][:EXAMPLE_ROWS]
        col = next((c for c, h in self.tm.columns.items() if h == header), None)
        error = header in {self.tm.columns.get(c) for c in self.spec.required}
        self.report.add(
            ERROR if error else WARNING,
            "formula_without_result",
            f"{where(self.s.file, self.s.sheet, header, rws, n)}: {n} formula cell(s) were saved "
            "without their result (the file was written by a program that does not "
            "calculate formulas), so "
            + (f"these {_words(col)} values are missing" if error else "they were left empty")
            + ". Open the file in Excel and save it again, or paste values instead of formulas.",
            examples=[f for _, f in cells[:5]],
            **located(self.s, header, rws, n),
        )

    def _twin_headers(self, col: str, header: str) -> None:
        pattern = re.escape(header) + r" \([0-9]+\)"
        twins = [h for h in self.s.headers if re.fullmatch(pattern, h, re.I)]
        if twins:
            self.report.warning(
                "duplicate_header",
                f"{where(self.s.file, self.s.sheet, header)}: {len(twins) + 1} columns are named "
                f'"{header}"; the first one is read as {_words(col)} and the others '
                f"are kept as extra columns ({', '.join(repr(h) for h in twins)}).",
                **located(self.s, header),
            )
