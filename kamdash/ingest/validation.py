"""Staging tables -> typed canonical tables, with a report a person can act on.

Errors refuse the load: a missing required column, non-numeric amounts, dates that cannot be
read, an extract with neither revenue nor opportunities. Warnings load but are reported with
counts and example rows: rows for unknown accounts, duplicated IDs, opportunities without an
account, products missing from the product list, negative amounts, scores outside 1-5, rows
without an account (e.g. a total row), a partial last quarter.

Every message names the file, sheet, column and spreadsheet row numbers.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb

from kamdash.core.db import frame
from kamdash.core.db import quote_ident as q
from kamdash.core.db import rows as fetch
from kamdash.core.periods import is_partial, quarter_label, quarter_of
from kamdash.ingest.contract import (
    DATE,
    LOST_VALUES,
    NUMBER,
    SCORE_COLUMNS,
    TABLES,
    WON_VALUES,
    normalize,
)
from kamdash.ingest.mapping import Mapping, TableMapping
from kamdash.ingest.report import Report, where

EXAMPLE_ROWS = 10
DATE_FORMATS = [
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%Y-%m",
    "%b %Y",
    "%B %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%Y%m%d",
]
# Excel serial day numbers of 1954..2119: a plausible CRM date written as a number
EXCEL_SERIAL_MIN, EXCEL_SERIAL_MAX = 20000, 80000


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


def _blank(expr: str) -> str:
    return f"({expr} IS NULL OR trim(CAST({expr} AS VARCHAR)) = '')"


def number_expr(src: str, src_type: str, decimal: str = ".") -> str:
    """SQL turning a staging column into DOUBLE (NULL when it cannot be read as a number).

    Text: currency signs, spaces and thousands separators are removed; "(1,234)" is -1234;
    with decimal commas ("1.234,56"), dots are thousands separators and the comma is the point.
    In a file read with a decimal point, a value that can only be a decimal comma ("1.234,56",
    "12,5", "1 234,5") is read as one: never 1.23456 or 125; "1,234" stays 1234.
    """
    if src_type in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT", "DECIMAL", "SMALLINT"):
        return f"CAST({src} AS DOUBLE)"
    if src_type == "BOOLEAN":
        return "CAST(NULL AS DOUBLE)"
    t = f"trim(CAST({src} AS VARCHAR))"
    t = f"regexp_replace({t}, '[\\s$€£¥\u00a0\u202f]|USD|EUR|GBP', '', 'g')"
    neg = f"regexp_matches({t}, '^\\(.*\\)$')"
    t = f"regexp_replace({t}, '^\\((.*)\\)$', '\\1')"
    comma = f"replace(replace({t}, '.', ''), ',', '.')"
    if decimal != ",":
        euro = "-?([0-9]{1,3}(\\.[0-9]{3})+,[0-9]+|[0-9]+,[0-9]{1,2})"
        t = f"CASE WHEN regexp_full_match({t}, '{euro}') THEN {comma} ELSE replace({t}, ',', '') END"
    else:
        t = comma
    slow = f"(CASE WHEN {neg} THEN -1 ELSE 1 END) * TRY_CAST({t} AS DOUBLE)"
    if decimal == ",":
        return slow
    # fast path: a plain number ("1234.5", "-3", "1e3") reads the same either way, as the
    # slow path only removes what a plain number cannot hold; the regexes run on the rest
    return f"COALESCE(TRY_CAST(trim(CAST({src} AS VARCHAR)) AS DOUBLE), {slow})"


def _unreadable(expr: str, src: str, keyed: str) -> str:
    """Condition: the cell holds something (and the row its key) but `expr` reads NULL. The
    blank tests run only where `expr` is NULL (CASE evaluates a branch on its rows only)."""
    return f"CASE WHEN ({expr}) IS NULL THEN NOT {_blank(src)}{keyed} ELSE false END"


def _text_expr(src: str) -> str:
    return f"NULLIF(trim(CAST({src} AS VARCHAR)), '')"


class TableBuilder:
    """Builds one canonical table from one mapped staging table, reporting problems."""

    def __init__(self, con: duckdb.DuckDBPyConnection, tm: TableMapping, report: Report):
        self.con, self.tm, self.report = con, tm, report
        self.s = tm.sheet
        self.types = _col_types(con, self.s.table)
        self.spec = TABLES[tm.table]
        # while build() assembles its SELECT: row checks (level, code, condition, header, text)
        # and, in report order, ("check", index) or ("report", callable) events
        self._checks: list[tuple[str, str, str, str, str]] = []
        self._events: list[tuple[str, object]] = []

    def loc(self, column: str | None = None, rows: list[int] | None = None, count: int = 0) -> dict:
        return {
            "file": self.s.file,
            "sheet": self.s.sheet,
            "column": column,
            "rows": rows or [],
            "count": count,
        }

    def flag(self, level: str, code: str, condition: str, header: str, text: str) -> int:
        """Report the staging rows matching `condition` ("{n} " + text); returns their count."""
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
        self._events.append(("check", len(self._checks)))
        self._checks.append((level, code, condition, header, text))

    # -- columns ---------------------------------------------------------------------------
    def check_required(self) -> bool:
        cols = self.tm.columns
        ok = True
        for col in self.spec.required:
            if col not in cols:
                self._missing(col)
                ok = False
        for group in self.spec.one_of:
            if not any(c in cols for c in group):
                self._missing(" or ".join(group))
                ok = False
        return ok

    def check_sheet(self) -> None:
        """Sheet-level problems: header-only tables, formulas saved without their result,
        several columns with the header of a mapped column."""
        s, t = self.s, self.tm.table
        if s.n_rows == 0:
            needed = t in ("accounts", "revenue", "opportunities")
            self.report.add(
                "error" if needed else "warning",
                "no_rows",
                f"{where(s.file, s.sheet)}: the {t} table has a header row but no data rows"
                + (
                    ", so there is nothing to load. Export it again with its rows."
                    if needed
                    else "; it is loaded empty."
                ),
                **self.loc(),
            )
        required = {self.tm.columns.get(c) for c in self.spec.required}
        for header, cells in getattr(s, "uncalculated", {}).items():
            key = self.tm.columns.get(self.spec.required[0])
            if key and key != header:  # rows without their key (a total row) are skipped anyway
                blank = {
                    r[0]
                    for r in fetch(
                        self.con,
                        f"SELECT _row FROM {q(s.table)} WHERE {_blank(q(key))} "
                        f"AND _row IN ({', '.join(str(r) for r, _ in cells)})",
                    )
                }
                cells = [c for c in cells if c[0] not in blank]
            if not cells:
                continue
            n, rws = len(cells), [r for r, _ in cells][:EXAMPLE_ROWS]
            col = next((c for c, h in self.tm.columns.items() if h == header), None)
            error = header in required
            self.report.add(
                "error" if error else "warning",
                "formula_without_result",
                f"{where(s.file, s.sheet, header, rws, n)}: {n} formula cell(s) were saved "
                "without their result (the file was written by a program that does not "
                "calculate formulas), so "
                + (
                    f"these {col.replace('_', ' ')} values are missing"
                    if error
                    else "they were left empty"
                )
                + ". Open the file in Excel and save it again, or paste values instead of formulas.",
                examples=[f for _, f in cells[:5]],
                **self.loc(header, rws, n),
            )
        for col, header in self.tm.columns.items():
            twins = [
                h for h in s.headers if re.fullmatch(re.escape(header) + r" \([0-9]+\)", h, re.I)
            ]
            if twins:
                self.report.warning(
                    "duplicate_header",
                    f"{where(s.file, s.sheet, header)}: {len(twins) + 1} columns are named "
                    f'"{header}"; the first one is read as {col.replace("_", " ")} and the others '
                    f"are kept as extra columns ({', '.join(repr(h) for h in twins)}).",
                    **self.loc(header),
                )

    def _missing(self, col: str) -> None:
        first = col.split(" or ")[0]
        syn = ", ".join(
            f'"{x}"' for x in (self.spec.types and _display_synonyms(self.tm.table, first))
        )
        self.report.error(
            "missing_column",
            f"{where(self.s.file, self.s.sheet)}: the {self.tm.table} table needs a column "
            f"{col.replace('_', ' ')!r} and none was recognised (headers found: "
            f"{', '.join(repr(h) for h in self.s.headers[:15])}). Name it like {syn}, or map it.",
            **self.loc(),
        )

    def keyed(self, col: str) -> str:
        """ " AND the row has its key", for checks of other columns: rows without the key
        (blank or total rows) are skipped with their own warning, so their cells don't count."""
        key = self.spec.required[0]
        if col == key or key not in self.tm.columns:
            return ""
        return f" AND NOT {_blank(q(self.tm.columns[key]))}"

    def typed(self, col: str) -> str:
        """SQL for a canonical column; reports unreadable values. NULL if not mapped."""
        typ = self.spec.types[col]
        if col not in self.tm.columns:
            return f"CAST(NULL AS {typ})"
        header = self.tm.columns[col]
        src, stype = q(header), self.types.get(header, "VARCHAR")
        keyed = self.keyed(col)
        if typ == NUMBER:
            expr = number_expr(src, stype, getattr(self.s, "decimal", "."))
            level = "error" if col in self.spec.required else "warning"
            what = "are not numbers" if level == "error" else "are not numbers and were left empty"
            self.check(
                level,
                "non_numeric",
                _unreadable(expr, src, keyed),
                header,
                f"value(s) of {col.replace('_', ' ')} {what}.",
            )
            if col in SCORE_COLUMNS:
                self.check(
                    "warning",
                    "score_out_of_range",
                    f"({expr}) NOT BETWEEN 1 AND 5{keyed}",
                    header,
                    "score(s) outside 1-5 were left empty.",
                )
                return f"CASE WHEN ({expr}) BETWEEN 1 AND 5 THEN ({expr}) END"
            return expr
        if typ == DATE:
            expr = self._date_expr(header, src, stype)
            level = "error" if col in self.spec.required else "warning"
            tail = "cannot be read as dates" + (
                "." if level == "error" else " and were left empty."
            )
            self.check(
                level,
                "bad_date",
                _unreadable(expr, src, keyed),
                header,
                f"value(s) of {col.replace('_', ' ')} {tail} Use YYYY-MM-DD or a date cell.",
            )
            return expr
        return _text_expr(src)

    def _date_expr(self, header: str, src: str, stype: str) -> str:
        if stype == "DATE":
            return src
        if stype.startswith("TIMESTAMP"):
            return f"CAST({src} AS DATE)"
        if stype in ("DOUBLE", "BIGINT", "INTEGER", "FLOAT", "HUGEINT"):
            # Excel serial day numbers (days since 1899-12-30)
            return (
                f"CASE WHEN {src} BETWEEN {EXCEL_SERIAL_MIN} AND {EXCEL_SERIAL_MAX} "
                f"THEN DATE '1899-12-30' + CAST(floor({src}) AS INTEGER) END"
            )
        t = f"NULLIF(trim(CAST({src} AS VARCHAR)), '')"
        serial = (
            f"CASE WHEN regexp_full_match({t}, '\\d{{5}}(\\.\\d+)?') AND TRY_CAST({t} AS DOUBLE) "
            f"BETWEEN {EXCEL_SERIAL_MIN} AND {EXCEL_SERIAL_MAX} THEN DATE '1899-12-30' + "
            f"CAST(floor(TRY_CAST({t} AS DOUBLE)) AS INTEGER) END"
        )
        # how many values each format reads, tried once per distinct text (a date column of
        # millions of rows holds a few thousand distinct dates) and weighted by its count
        v = "NULLIF(trim(CAST(_v AS VARCHAR)), '')"
        counts = fetch(
            self.con,
            "SELECT "
            + ", ".join(
                f"coalesce(sum(_n) FILTER (try_strptime({v}, '{f}') IS NOT NULL), 0)"
                for f in DATE_FORMATS
            )
            + f", coalesce(sum(_n) FILTER ({v} IS NOT NULL), 0) "
            f"FROM (SELECT {src} AS _v, count(*) AS _n FROM {q(self.s.table)} GROUP BY 1)",
        )[0]
        # counts[-1]: values present (unused: a format need not read them all)
        ranked = sorted(
            [(c, i) for i, c in enumerate(counts[:-1]) if c > 0], key=lambda x: (-x[0], x[1])
        )
        if not ranked:
            return serial
        best = DATE_FORMATS[ranked[0][1]]
        # day-first vs month-first: when both read every value, the day-first reading wins only
        # if the file uses decimal commas (a European export); otherwise month-first; say so.
        pair = {
            "%d/%m/%Y": "%m/%d/%Y",
            "%m/%d/%Y": "%d/%m/%Y",
            "%d/%m/%y": "%m/%d/%y",
            "%m/%d/%y": "%d/%m/%y",
            "%d-%m-%Y": "%m-%d-%Y",
            "%m-%d-%Y": "%d-%m-%Y",
        }
        other = pair.get(best)
        if other and counts[DATE_FORMATS.index(other)] == ranked[0][0]:
            european = getattr(self.s, "decimal", ".") == ","
            best = [
                f for f in (best, other) if ("%d" in f.split("/")[0].split("-")[0]) == european
            ][0]
            message = (
                f"{where(self.s.file, self.s.sheet, header)}: every date could be day/month or "
                f"month/day; read as {'day/month' if european else 'month/day'}. Use YYYY-MM-DD to be sure."
            )
            self._events.append(
                (
                    "report",
                    lambda: self.report.warning("ambiguous_dates", message, **self.loc(header)),
                )
            )
        # a column may mix formats (date cells shown as ISO, text "15.01.2026", serials): every
        # format that reads some values is tried, best first, but never both readings of a
        # day/month pair
        fmts = [best]
        for _, i in ranked[1:]:
            if pair.get(DATE_FORMATS[i]) not in fmts:
                fmts.append(DATE_FORMATS[i])
        parts = [f"CAST(try_strptime({t}, '{f}') AS DATE)" for f in dict.fromkeys(fmts)]
        if best != "%Y-%m-%d":
            parts.append(f"TRY_CAST({t} AS DATE)")
        return "COALESCE(" + ", ".join(parts + [serial]) + ")"

    def build(self, out: str) -> int:
        """CREATE the typed table `out` (qualified name; the staging table's rows, typed, with
        `_source_row`), reporting unreadable values; returns rows written.

        One pass: the typed columns and one BOOLEAN per row check are computed together (DuckDB
        evaluates an expression shared by both once); only checks that some rows fail are then
        looked up again in the staging table, for their row numbers and examples."""
        self._checks, self._events = [], []
        select = [f"{self.typed(c)} AS {q(c)}" for c in self.spec.types]
        taken = set(self.spec.types)
        for h in self.tm.extras:
            name = "extra_" + (re.sub(r"[^0-9a-z]+", "_", normalize(h)).strip("_") or "column")
            while name in taken:
                name += "_"
            taken.add(name)
            select.append(f"{q(h)} AS {q(name)}")
        select.append("_row AS _source_row")
        chk = [f"_kd_check_{i}" for i in range(len(self._checks))]
        select += [f"({c[2]}) AS {n}" for c, n in zip(self._checks, chk, strict=True)]
        self.con.execute(f"CREATE TABLE {out} AS SELECT {', '.join(select)} FROM {q(self.s.table)}")
        failing = fetch(
            self.con,
            "SELECT "
            + ", ".join(["count(*)"] + [f"count(*) FILTER ({n})" for n in chk])
            + f" FROM {out}",
        )[0]
        for n in chk:
            self.con.execute(f"ALTER TABLE {out} DROP COLUMN {n}")
        for kind, item in self._events:
            if kind == "report":
                item()
            elif failing[1 + item]:
                self.flag(*self._checks[item])
        return failing[0]


def _display_synonyms(table: str, col: str) -> list[str]:
    from kamdash.ingest.mapping import synonyms_for

    return [s.title() for s in synonyms_for(table, col)[:3]]


def build_canonical(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, out: str
) -> tuple[Report, dict[str, int]]:
    """Build every mapped table into database `out` (an attached catalog) from the staging
    tables in `con`'s default catalog. Returns the report and row counts per table; when the
    report has errors the caller must not publish."""
    report = Report()
    for note in mapping.notes:
        report.info("mapping", note)
    counts: dict[str, int] = {}
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
    builders = {t: TableBuilder(con, tm, report) for t, tm in mapping.tables.items()}
    ok = {t: b.check_required() for t, b in builders.items()}
    for t, b in builders.items():
        if ok[t]:
            b.check_sheet()
    if report.errors:
        return report, counts
    # the typed tables are built in memory (next to the staging tables) and written to `out`
    # once, after the row rules
    todo = [t for t in builders if ok[t]]
    for i, t in enumerate(todo):
        b = builders[t]
        counts[t] = b.build(_raw(t))
        if all(builders[u].s.table != b.s.table for u in todo[i + 1 :]):
            con.execute(f"DROP TABLE {q(b.s.table)}")  # the staging copy is no longer needed
    if report.errors:
        return report, counts
    _finish_tables(con, out, builders, report, counts)
    return report, counts


def _raw(t: str) -> str:
    """The in-memory typed table of canonical table t, before the row rules."""
    return q(f"_kd_raw_{t}")


def _finish_tables(con, out, builders, report, counts) -> None:
    """Row rules and cross-table checks; writes the final tables and _meta/_columns."""

    def tbl(t: str) -> str:
        return _raw(t[: -len("_raw")]) if t.endswith("_raw") else f"{out}.{t}"

    def head(t: str, col: str) -> str | None:
        return builders[t].tm.columns.get(col)

    def warn(t, code, cond, text, col=None, value="NULL", stage="_raw"):
        """Warn about rows of table t (its raw stage, or the final table with stage="")."""
        n, rws, ex, offending = find_rows(con, tbl(t + stage), "_source_row", cond, value)
        if n:
            b = builders[t]
            header = head(t, col) if col else None
            report.warning(
                code,
                f"{where(b.s.file, b.s.sheet, header, rws, n)}: {n} {text}",
                examples=ex,
                offending=offending,
                **b.loc(header, rws, n),
            )
        return n

    present = set(builders)
    # rows without their key (blank lines, total rows): dropped with a warning
    for t, b in builders.items():
        key = b.spec.required[0]
        keep = f"{key} IS NOT NULL"
        held = [c for c in _cols(con, None, f"_kd_raw_{t}") if c != "_source_row"]
        warn(
            t,
            "blank_key",
            f"NOT ({keep})",
            f"row(s) without {key.replace('_', ' ')} were skipped (blank or total rows?).",
            key,
            # what the skipped row held, e.g. "Total | 150.5", so a total row is recognisable
            value="concat_ws(' | ', " + ", ".join(f"CAST({q(c)} AS VARCHAR)" for c in held) + ")",
        )
    for t, b in builders.items():
        key = b.spec.required[0]
        cond = f"{key} IS NOT NULL"
        if t in ("revenue", "opportunities"):
            n = warn(
                t,
                "blank_amount",
                f"{cond} AND amount IS NULL",
                "row(s) without an amount were skipped.",
                "amount",
                "account_id",
            )
            cond += " AND amount IS NOT NULL"
        if t == "revenue":
            warn(
                t,
                "blank_date",
                f"{cond} AND date IS NULL",
                "row(s) without a date were skipped.",
                "date",
                "account_id",
            )
            cond += " AND date IS NOT NULL"
        derived: dict[str, str] = {}  # column -> SQL replacing (or adding) it
        if t == "accounts":
            tier = (
                "CASE WHEN regexp_full_match(lower(trim(tier)), '(tier|t)?\\s*([1-9])') "
                "THEN 'Tier ' || regexp_extract(lower(trim(tier)), '([1-9])') ELSE tier END"
            )
            derived["tier"] = tier
            dup = warn(
                t,
                "duplicate_id",
                f"{cond} AND account_id IN (SELECT account_id FROM {tbl(t + '_raw')} GROUP BY 1 HAVING count(*) > 1) "
                f"AND _source_row NOT IN (SELECT min(_source_row) FROM {tbl(t + '_raw')} GROUP BY account_id)",
                "row(s) repeat an account ID already listed; the first row of each ID was kept.",
                "account_id",
                "account_id",
            )
            if dup:
                cond += f" AND _source_row IN (SELECT min(_source_row) FROM {tbl(t + '_raw')} GROUP BY account_id)"
        if t == "stakeholders":
            derived.update(sentiment="lower(sentiment)", level="lower(level)")
        if t == "opportunities":
            label = "lower(trim(coalesce(stage, '') || ' ' || coalesce(status, '')))"
            won = " OR ".join(f"{label} LIKE '%{w}%'" for w in sorted(WON_VALUES) if " " not in w)
            lost = " OR ".join(f"{label} LIKE '%{w}%'" for w in sorted(LOST_VALUES) if " " not in w)
            derived.update(
                is_won=f"({won})",
                is_lost=f"(NOT ({won}) AND ({lost}))",
                is_open=f"NOT (({won}) OR ({lost}))",
            )
        cols = _cols(con, None, f"_kd_raw_{t}")
        cols += [c for c in derived if c not in cols]
        select = ", ".join(f"{derived[c]} AS {q(c)}" if c in derived else q(c) for c in cols)
        con.execute(f"CREATE TABLE {tbl(t)} AS SELECT {select} FROM {tbl(t + '_raw')} WHERE {cond}")
        con.execute(f"DROP TABLE {tbl(t + '_raw')}")
        counts[t] = fetch(con, f"SELECT count(*) FROM {tbl(t)}")[0][0]

    def warn_final(t, code, cond, text, col=None, value="NULL"):
        return warn(t, code, cond, text, col, value, stage="")

    known = f"(SELECT account_id FROM {tbl('accounts')})"
    if "accounts" in present:
        for t in present - {"accounts", "products", "team"}:
            if t == "opportunities":
                continue
            warn_final(
                t,
                "unknown_account",
                f"account_id NOT IN {known}",
                "row(s) name an account ID that is not in the accounts table.",
                "account_id",
                "account_id",
            )
        if "opportunities" in present:
            warn_final(
                "opportunities",
                "opportunity_without_account",
                f"account_id NOT IN {known}",
                "opportunity row(s) have no matching account in the accounts table.",
                "account_id",
                "account_id",
            )
    if "opportunities" in present:
        b = builders["opportunities"]
        n = fetch(con, f"SELECT count(*) FROM {tbl('opportunities')} WHERE is_won")[0][0]
        if "revenue" not in present and n == 0:
            report.error(
                "no_won_opportunities",
                f"{where(b.s.file, b.s.sheet)}: there is no revenue table and no opportunity is "
                "won (stage or status like 'Closed Won'), so there is no revenue to show.",
                **b.loc(),
            )
            return
    for t in ("revenue", "opportunities"):
        if t in present:
            warn_final(
                t,
                "negative_amount",
                "amount < 0",
                "row(s) have a negative amount (credit notes?); they are kept and reduce revenue.",
                "amount",
                "amount",
            )
    if "products" in present:
        for t in ("revenue", "opportunities"):
            if t in present:
                warn_final(
                    t,
                    "unknown_product",
                    f"product IS NOT NULL AND product NOT IN (SELECT product FROM {tbl('products')})",
                    "row(s) name a product that is not in the product list.",
                    "product",
                    "product",
                )
    if "revenue" not in present and "opportunities" in present:
        cols = ", ".join(
            f"{c}"
            if c in ("account_id", "amount", "product", "business_unit")
            else f"close_date AS {c}"
            for c in TABLES["revenue"].types
        )
        con.execute(
            f"CREATE TABLE {tbl('revenue')} AS SELECT {cols}, _source_row FROM {tbl('opportunities')} "
            "WHERE is_won AND close_date IS NOT NULL"
        )
        counts["revenue"] = fetch(con, f"SELECT count(*) FROM {tbl('revenue')}")[0][0]
        nodate = fetch(
            con, f"SELECT count(*) FROM {tbl('opportunities')} WHERE is_won AND close_date IS NULL"
        )[0][0]
        report.info(
            "revenue_from_opportunities",
            f"No revenue table: revenue is taken from {counts['revenue']} won opportunities on their close dates"
            + (
                f" ({nodate} won opportunities without a close date were left out)."
                if nodate
                else "."
            ),
        )
        source = "opportunities"
    else:
        source = "revenue"
    as_of = (
        fetch(con, f"SELECT max(date) FROM {tbl('revenue')}")[0][0] if "revenue" in counts else None
    )
    if as_of is not None:
        qi = quarter_of(as_of)
        if is_partial(qi, as_of):
            report.warning(
                "partial_quarter",
                f"The latest date in the extract is {as_of:%Y-%m-%d}, so {quarter_label(qi)} is a "
                "partial quarter: it is flagged, and compared only with care.",
            )
    con.execute(f"CREATE TABLE {tbl('_meta')} (key VARCHAR, value VARCHAR)")
    con.executemany(
        f"INSERT INTO {tbl('_meta')} VALUES (?, ?)",
        [
            ["as_of", as_of.isoformat() if isinstance(as_of, dt.date) else None],
            ["revenue_source", source],
        ],
    )
    con.execute(
        f"CREATE TABLE {tbl('_columns')} (table_name VARCHAR, column_name VARCHAR, "
        "source_file VARCHAR, source_sheet VARCHAR, source_column VARCHAR)"
    )
    con.executemany(
        f"INSERT INTO {tbl('_columns')} VALUES (?, ?, ?, ?, ?)",
        [
            [t, c, b.s.file, b.s.sheet, h]
            for t, b in builders.items()
            for c, h in b.tm.columns.items()
        ],
    )


def _cols(con, catalog: str | None, table: str) -> list[str]:
    """Columns of `table` in `catalog` (None: the connection's default, in-memory one)."""
    if catalog is None:
        catalog = fetch(con, "SELECT current_database()")[0][0]
    return [
        r[0]
        for r in fetch(
            con,
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? AND table_name = ? "
            "AND table_schema = 'main' ORDER BY ordinal_position",
            [catalog, table],
        )
    ]
