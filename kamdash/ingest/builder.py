"""One mapped staging table -> one typed table, reporting what cannot be read.

`TableBuilder` builds the typed table in one pass, with one row check per column that could
not be read (the sheet itself is checked first, by `sheetcheck`); `find_rows` looks up the
rows behind a problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import duckdb

from kamdash.core.db import frame
from kamdash.core.db import quote_ident as q
from kamdash.core.db import rows as fetch
from kamdash.ingest.casting import blank, date_expr, number_expr, text_expr, unreadable
from kamdash.ingest.contract import DATE, NUMBER, SCORE_COLUMNS, TABLES, normalize
from kamdash.ingest.mapping import TableMapping
from kamdash.ingest.report import ERROR, WARNING, Report, where
from kamdash.ingest.sheetcheck import EXAMPLE_ROWS, located

OFFENDING_ROWS = 1000  # rows kept per problem for the downloadable copy


def find_rows(
    con: duckdb.DuckDBPyConnection, source: str, row_col: str, cond: str, value: str = "NULL"
) -> tuple[int, list[int], list[str], list[dict]]:
    """Rows of `source` matching `cond`: count, first row numbers, first values, and up to
    OFFENDING_ROWS whole rows (for the downloadable copy of the offending rows)."""
    df = frame(
        con,
        f"SELECT count(*) OVER () AS _n, CAST({value} AS VARCHAR) AS _value, * FROM {source} "
        f"WHERE {cond} ORDER BY {row_col} LIMIT {OFFENDING_ROWS}",
    )
    if df.empty:
        return 0, [], [], []
    n = int(df["_n"].iloc[0])
    head = df.head(EXAMPLE_ROWS)
    examples = [v for v in head["_value"] if v is not None][:5]
    offending = df.drop(columns=["_n", "_value"]).astype(object).where(df.notna(), None)
    return n, [int(r) for r in head[row_col]], examples, offending.to_dict("records")


def _col_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return {
        r[0]: r[1]
        for r in fetch(
            con,
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
            [table],
        )
    }


class TableBuilder:
    """Builds one canonical table from one mapped staging table, reporting problems."""

    def __init__(self, con: duckdb.DuckDBPyConnection, tm: TableMapping, report: Report):
        self.con, self.tm, self.report = con, tm, report
        self.s = tm.sheet
        self.types = _col_types(con, self.s.table)
        self.spec = TABLES[tm.table]
        # while build() assembles its SELECT: row checks (level, code, condition, header, text)
        # and, in report order, the index of a check or a report to make
        self._checks: list[tuple[str, str, str, str, str]] = []
        self._events: list[int | Callable[[], object]] = []
        # values computed once per row in an inner SELECT (quoted name -> SQL over the staging
        # table), read by a typed column and its checks; `value`: each canonical column's SQL
        self._shared: dict[str, str] = {}
        self.value: dict[str, str] = {}
        self.numbers: dict[str, str] = {}  # each numeric column's number, before any range check
        # more columns for the typed table (name -> function of this builder giving SQL), e.g.
        # money's per-row checks; computed in the same pass, dropped by whoever asked for them
        self.extra: dict[str, Callable[[TableBuilder], str]] = {}

    def loc(self, column: str | None = None, rows: list[int] | None = None, count: int = 0) -> dict:
        return located(self.s, column, rows, count)

    def shared(self, expr: str) -> str:
        """A value computed once per row (see build), by its quoted name."""
        for name, known in self._shared.items():
            if known == expr:
                return name
        name = q(f"_kd_v_{len(self._shared)}")
        self._shared[name] = expr
        return name

    def on_staging(self, sql: str) -> str:
        """`sql` (of build's SELECT) as SQL over the staging table itself."""
        for name, expr in self._shared.items():
            sql = sql.replace(name, f"({expr})")
        return sql

    def flag(self, level: str, code: str, condition: str, header: str, text: str) -> int:
        """Report the staging rows matching `condition` ("{n} " + text); returns their count."""
        condition = self.on_staging(condition)
        n, rws, ex, offending = find_rows(self.con, q(self.s.table), "_row", condition, q(header))
        if n:
            self.report.add(
                level,
                code,
                f"{where(self.s.file, self.s.sheet, header, rws, n)}: {n} {text}",
                examples=ex,
                offending=offending,
                **self.loc(header, rws, n),
            )
        return n

    def check(self, level: str, code: str, condition: str, header: str, text: str) -> None:
        """A row check computed in build()'s one pass; flagged (see flag) when any row fails."""
        self._events.append(len(self._checks))
        self._checks.append((level, code, condition, header, text))

    # -- the columns -------------------------------------------------------------------------
    def keyed(self, col: str) -> str:
        """ " AND the row has its key", for checks of other columns: rows without the key
        (blank or total rows) are skipped with their own warning, so their cells don't count."""
        key = self.spec.required[0]
        if col == key or key not in self.tm.columns:
            return ""
        return f" AND NOT {blank(q(self.tm.columns[key]))}"

    def typed(self, col: str) -> str:
        """SQL for a canonical column; reports unreadable values. NULL if not mapped."""
        typ = self.spec.types[col]
        if col not in self.tm.columns:
            return f"CAST(NULL AS {typ})"
        header = self.tm.columns[col]
        if typ == NUMBER:
            return self._number(col, header)
        if typ == DATE:
            return self._date(col, header)
        return text_expr(q(header))

    def _number(self, col: str, header: str) -> str:
        src, keyed = q(header), self.keyed(col)
        expr = self.shared(number_expr(src, self.types.get(header, "VARCHAR"), self.s.decimal))
        self.numbers[col] = expr
        required = col in self.spec.required
        what = "are not numbers" if required else "are not numbers and were left empty"
        self.check(
            ERROR if required else WARNING,
            "non_numeric",
            unreadable(expr, src, keyed),
            header,
            f"value(s) of {col.replace('_', ' ')} {what}.",
        )
        if col not in SCORE_COLUMNS:
            return expr
        self.check(
            WARNING,
            "score_out_of_range",
            f"({expr}) NOT BETWEEN 1 AND 5{keyed}",
            header,
            "score(s) outside 1-5 were left empty.",
        )
        return f"CASE WHEN ({expr}) BETWEEN 1 AND 5 THEN ({expr}) END"

    def _date(self, col: str, header: str) -> str:
        src = q(header)
        stype = self.types.get(header, "VARCHAR")
        expr, reading = date_expr(self.con, self.s.table, src, stype, self.s.decimal == ",")
        expr = self.shared(expr)
        if reading:
            message = (
                f"{where(self.s.file, self.s.sheet, header)}: every date could be day/month or "
                f"month/day; read as {reading}. Use YYYY-MM-DD to be sure."
            )
            self._events.append(
                lambda: self.report.warning("ambiguous_dates", message, **self.loc(header))
            )
        required = col in self.spec.required
        tail = "cannot be read as dates" + ("." if required else " and were left empty.")
        self.check(
            ERROR if required else WARNING,
            "bad_date",
            unreadable(expr, src, self.keyed(col)),
            header,
            f"value(s) of {col.replace('_', ' ')} {tail} Use YYYY-MM-DD or a date cell.",
        )
        return expr

    # -- the table ---------------------------------------------------------------------------
    def build(self, out: str) -> int:
        """CREATE the typed table `out` (qualified name; the staging table's rows, typed, with
        `_source_row`), reporting unreadable values; returns rows written.

        One pass: the typed columns and one BOOLEAN per row check are computed together (DuckDB
        evaluates an expression shared by both once); only checks that some rows fail are then
        looked up again in the staging table, for their row numbers and examples."""
        self._checks, self._events, self._shared, self.numbers = [], [], {}, {}
        self.value = {c: self.typed(c) for c in self.spec.types}
        select = [f"{v} AS {q(c)}" for c, v in self.value.items()]
        select += [f"{q(h)} AS {q(name)}" for h, name in self._extra_names()]
        select.append("_row AS _source_row")
        chk = [f"_kd_check_{i}" for i in range(len(self._checks))]
        select += [f"({c[2]}) AS {n}" for c, n in zip(self._checks, chk, strict=True)]
        select += [f"({sql(self)}) AS {q(name)}" for name, sql in self.extra.items()]
        # the shared values in an inner SELECT: DuckDB does not share an expression between a
        # column and a CASE that reads it (the checks), so each would be computed twice
        inner = ", ".join(["*", *(f"{e} AS {n}" for n, e in self._shared.items())])
        self.con.execute(
            f"CREATE TABLE {out} AS SELECT {', '.join(select)} "
            f"FROM (SELECT {inner} FROM {q(self.s.table)})"
        )
        failing = fetch(
            self.con,
            "SELECT "
            + ", ".join(["count(*)"] + [f"count(*) FILTER ({n})" for n in chk])
            + f" FROM {out}",
        )[0]
        for n in chk:
            self.con.execute(f"ALTER TABLE {out} DROP COLUMN {n}")
        for event in self._events:
            if callable(event):
                event()
            elif failing[1 + event]:
                self.flag(*self._checks[event])
        return failing[0]

    def _extra_names(self) -> list[tuple[str, str]]:
        """(source header, column name) of the unmapped columns, kept as `extra_<header>`."""
        taken = set(self.spec.types)
        out = []
        for h in self.tm.extras:
            name = "extra_" + (re.sub(r"[^0-9a-z]+", "_", normalize(h)).strip("_") or "column")
            while name in taken:
                name += "_"
            taken.add(name)
            out.append((h, name))
        return out
