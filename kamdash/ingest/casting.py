"""SQL that reads a staging column as the canonical type: numbers as written in exports
(currency signs, thousands separators, decimal commas, "(1,234)"), dates in whichever formats
the column holds (text, date cells, Excel serial numbers), text trimmed."""

from __future__ import annotations

import duckdb

from kamdash.core.db import quote_ident as q
from kamdash.core.db import rows as fetch

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


def blank(expr: str) -> str:
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


def unreadable(expr: str, src: str, keyed: str) -> str:
    """Condition: the cell holds something (and the row its key) but `expr` reads NULL. The
    blank tests run only where `expr` is NULL (CASE evaluates a branch on its rows only)."""
    return f"CASE WHEN ({expr}) IS NULL THEN NOT {blank(src)}{keyed} ELSE false END"


def text_expr(src: str) -> str:
    return f"NULLIF(trim(CAST({src} AS VARCHAR)), '')"


# day-first and month-first readings of the same text
_DAY_MONTH = {
    "%d/%m/%Y": "%m/%d/%Y",
    "%m/%d/%Y": "%d/%m/%Y",
    "%d/%m/%y": "%m/%d/%y",
    "%m/%d/%y": "%d/%m/%y",
    "%d-%m-%Y": "%m-%d-%Y",
    "%m-%d-%Y": "%d-%m-%Y",
}


def date_expr(
    con: duckdb.DuckDBPyConnection, table: str, src: str, stype: str, european: bool
) -> tuple[str, str | None]:
    """SQL reading staging column `src` (quoted) of `table` as DATE, and the reading chosen
    ("day/month" or "month/day") when every date could be either, else None."""
    if stype == "DATE":
        return src, None
    if stype.startswith("TIMESTAMP"):
        return f"CAST({src} AS DATE)", None
    if stype in ("DOUBLE", "BIGINT", "INTEGER", "FLOAT", "HUGEINT"):
        # Excel serial day numbers (days since 1899-12-30)
        return (
            f"CASE WHEN {src} BETWEEN {EXCEL_SERIAL_MIN} AND {EXCEL_SERIAL_MAX} "
            f"THEN DATE '1899-12-30' + CAST(floor({src}) AS INTEGER) END"
        ), None
    t = f"NULLIF(trim(CAST({src} AS VARCHAR)), '')"
    serial = (
        f"CASE WHEN regexp_full_match({t}, '\\d{{5}}(\\.\\d+)?') AND TRY_CAST({t} AS DOUBLE) "
        f"BETWEEN {EXCEL_SERIAL_MIN} AND {EXCEL_SERIAL_MAX} THEN DATE '1899-12-30' + "
        f"CAST(floor(TRY_CAST({t} AS DOUBLE)) AS INTEGER) END"
    )
    counts = _format_counts(con, table, src)
    ranked = sorted([(c, i) for i, c in enumerate(counts) if c > 0], key=lambda x: (-x[0], x[1]))
    if not ranked:
        return serial, None
    best, reading = DATE_FORMATS[ranked[0][1]], None
    # day-first vs month-first: when both read every value, the day-first reading wins only
    # if the file uses decimal commas (a European export); otherwise month-first; say so.
    other = _DAY_MONTH.get(best)
    if other and counts[DATE_FORMATS.index(other)] == ranked[0][0]:
        best = [f for f in (best, other) if ("%d" in f.split("/")[0].split("-")[0]) == european][0]
        reading = "day/month" if european else "month/day"
    # a column may mix formats (date cells shown as ISO, text "15.01.2026", serials): every
    # format that reads some values is tried, best first, but never both readings of a
    # day/month pair
    fmts = [best]
    for _, i in ranked[1:]:
        if _DAY_MONTH.get(DATE_FORMATS[i]) not in fmts:
            fmts.append(DATE_FORMATS[i])
    parts = [f"CAST(try_strptime({t}, '{f}') AS DATE)" for f in dict.fromkeys(fmts)]
    if best != "%Y-%m-%d":
        parts.append(f"TRY_CAST({t} AS DATE)")
    return "COALESCE(" + ", ".join(parts + [serial]) + ")", reading


def _format_counts(con: duckdb.DuckDBPyConnection, table: str, src: str) -> list[int]:
    """How many values each of DATE_FORMATS reads, tried once per distinct text (a date column
    of millions of rows holds a few thousand distinct dates) and weighted by its count."""
    v = "NULLIF(trim(CAST(_v AS VARCHAR)), '')"
    return list(
        fetch(
            con,
            "SELECT "
            + ", ".join(
                f"coalesce(sum(_n) FILTER (try_strptime({v}, '{f}') IS NOT NULL), 0)"
                for f in DATE_FORMATS
            )
            + f" FROM (SELECT {src} AS _v, count(*) AS _n FROM {q(table)} GROUP BY 1)",
        )[0]
    )
