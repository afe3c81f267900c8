"""What every reader hands on: a staged sheet (`SourceSheet`), the staging-table names, the
header naming rules, and `Refused`, the one file-level problem a reader raises."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import duckdb

from kamdash.core.db import quote_ident, rows
from kamdash.ingest.report import WARNING, Problem, where

# Widest sheet read: the typed tables, their checks and the snapshot keep one column per source
# column, and past a few thousand columns their queries no longer fit the load's memory limit.
MAX_COLUMNS = 4096
# Control characters other than tab, newline and carriage return (they break decks, exports
# and terminals); NUL included. RE2 / Python syntax.
CONTROL_RE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


@dataclass
class SourceSheet:
    file: str  # the file name as the user knows it (basename, or the caller's display name)
    sheet: str | None  # sheet name for workbooks, None for CSV
    table: str  # name of the staging table created in `con`
    headers: list[str]  # source header names in order (made unique; blank -> "Column C")
    header_row: int  # spreadsheet row number (1-based) of the header line
    n_rows: int  # data rows loaded
    kind: str = "csv"  # "csv" or "xlsx" (also for .xlsm/.xlsb/.ods)
    path: str = ""  # full path of the file read
    delimiter: str | None = None  # CSV only
    encoding: str | None = None  # CSV only: "utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"
    decimal: str = "."  # "," when numbers are written with a decimal comma (CSV text staging)
    notes: list[str] = field(default_factory=list)  # things worth telling the user
    # formula cells saved without a calculated value (read as empty), per header:
    # {header: [(spreadsheet row, "=FORMULA"), ...]}
    uncalculated: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    # problems found while reading that still let the sheet load (rows skipped, text cleaned)
    warnings: list[Problem] = field(default_factory=list)


class Refused(Exception):
    """One file-level problem; collected into the ExtractError."""

    def __init__(self, code: str, message: str, sheet: str | None = None):
        super().__init__(message)
        self.code, self.message, self.sheet = code, message, sheet


class TableCounter:
    """Hands out stg_1, stg_2, ... after any staging table already in `con`."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        names = rows(
            con,
            "SELECT table_name FROM information_schema.tables "
            "WHERE regexp_full_match(table_name, 'stg_[0-9]+')",
        )
        self.n = max((int(r[0][4:]) for r in names), default=0)

    def next(self) -> str:
        self.n += 1
        return f"stg_{self.n}"


def column_letter(i: int) -> str:
    """0 -> 'A', 27 -> 'AB'."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def too_wide(name: str, sheet: str | None, n: int) -> Refused:
    loc = f'file "{name}", sheet "{sheet}"' if sheet else f'file "{name}"'
    return Refused(
        "too_many_columns",
        f"{loc}: {n:,} columns; kamdash reads up to {MAX_COLUMNS:,} columns per sheet. "
        "Remove unused columns and export again.",
        sheet=sheet,
    )


def number_text(v: float) -> str:
    """A number as Excel shows it in a text context: whole numbers without ".0" and never in
    scientific notation (IDs of 15-17 digits), others to Excel's 15 significant digits."""
    if v.is_integer():
        return str(int(v))
    r = float(f"{v:.15g}")
    text = repr(r)
    if "e" in text:  # tiny values: plain decimals rather than 1e-05
        text = f"{r:.20f}".rstrip("0")
    return text


def cell_text(v: object) -> str:
    if isinstance(v, float) and v == v and abs(v) != float("inf"):
        return number_text(v)
    if type(v) is dt.datetime and v.time() == dt.time(0):
        return v.date().isoformat()
    return str(v)


def unique_headers(raw: list[object], columns: list[int]) -> list[str]:
    """Header texts, blank -> "Column C", duplicates -> "Amount (2)" (case-insensitive)."""
    seen: set[str] = {"_row"}
    out = []
    for v, col in zip(raw, columns, strict=True):
        text = "" if v is None else re.sub(CONTROL_RE, "", cell_text(v)).strip()
        base = text or f"Column {column_letter(col)}"
        h, n = base, 1
        while h.lower() in seen:
            n += 1
            h = f"{base} ({n})"
        seen.add(h.lower())
        out.append(h)
    return out


def is_helper_column(header: str) -> bool:
    """Dynamics 365 "Export to Excel" writes hidden "(Do Not Modify) Row Checksum" and "...
    Modified On" columns (re-import bookkeeping): not data, so they are left out of staging
    altogether (not even as extra columns). Its "(Do Not Modify) Opportunity" column is the
    record's GUID, the export's only record ID: kept (mapping reads it as the ID)."""
    h = header.strip().lower()
    return h.startswith("(do not modify)") and ("checksum" in h or "modified on" in h)


def helper_note(dropped: list[str]) -> list[str]:
    if not dropped:
        return []
    names = ", ".join(f'"{h}"' for h in dropped[:5]) + (" ..." if len(dropped) > 5 else "")
    return [f"{len(dropped)} Dynamics 365 helper column(s) left out (not data): {names}"]


def finish_sheet(
    con: duckdb.DuckDBPyConnection,
    s: SourceSheet,
    *,
    control: bool,
    filled: set[tuple[int, str]] | None = None,
) -> None:
    """What every reader does once a sheet is staged: control characters removed (only when
    the reader saw some: the check is a pass over every text cell) and subtotal, total and
    report-footer rows skipped, each with one warning naming the rows."""
    types = dict(
        rows(con, f"SELECT column_name, column_type FROM (DESCRIBE {quote_ident(s.table)})")
    )
    if control:
        _clean_control(con, s, [h for h in s.headers if types.get(h) == "VARCHAR"])
    _skip_summary_rows(con, s, types, filled or set())


def _clean_control(con: duckdb.DuckDBPyConnection, s: SourceSheet, text_cols: list[str]) -> None:
    if not text_cols:
        return
    t, pat = quote_ident(s.table), f"'{CONTROL_RE}'"
    counts = rows(
        con,
        "SELECT "
        + ", ".join(f"count(*) FILTER (regexp_matches({quote_ident(h)}, {pat}))" for h in text_cols)
        + f" FROM {t}",
    )[0]
    for h, n in zip(text_cols, counts, strict=True):
        if not n:
            continue
        c = quote_ident(h)
        found = [
            r[0]
            for r in rows(
                con, f"SELECT _row FROM {t} WHERE regexp_matches({c}, {pat}) ORDER BY _row LIMIT 10"
            )
        ]
        con.execute(
            f"UPDATE {t} SET {c} = regexp_replace({c}, {pat}, '', 'g') "
            f"WHERE regexp_matches({c}, {pat})"
        )
        s.warnings.append(
            Problem(
                WARNING,
                "control_characters",
                f"{where(s.file, s.sheet, h, found, n)}: {n} value(s) held control characters, "
                "removed",
                file=s.file,
                sheet=s.sheet,
                column=h,
                rows=found,
                count=n,
            )
        )


# Subtotal, total and footer rows: see _summary_rows.
LABEL_COLS = 5  # a total row's label sits in one of the first columns
FOOTER_SCAN = 30  # trailing rows looked at for report footer lines
_AFTER = r"(?:\s+of\s+\D{1,60})?(?:\s*\([^)]{0,60}\))?\s*[:=]?\s*[-+]?[\d.,\s$€£¥]*"
_KEYWORD = re.compile(
    r"\s*(?:(?:grand\s+|sub[\s-]?)?totals?|record\s+count|count|sum|average|avg|median|min|max)"
    + _AFTER,
    re.I,
)
_SUFFIX = re.compile(r"\s*\S.{0,100}\s(?:sub[\s-]?)?total\s*", re.I)
_FOOTER = re.compile(
    r"copyright|\(c\)|©|all rights reserved|confidential|do not distribute|"
    r"generated\s+(?:by|on|at)|powered by",
    re.I,
)
_NUMBER = re.compile(r"\s*\(?\s*[-+]?\s*[$€£¥]?\s*[-+]?\d[\d.,\s\u00a0\u202f]*%?\s*\)?\s*")
_PREFILTER = (
    r"(?i)^\s*(grand|sub[\s-]?total|total|record|count|sum|average|avg|median|min|max)\b|total\s*$"
)


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _numeric(v: object) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return True
    return isinstance(v, str) and _NUMBER.fullmatch(v) is not None


def _is_total(row: tuple, headers: list[str], filled: set[tuple[int, str]]) -> str | None:
    """The label of a subtotal/total row, else None. The rule (by the row's shape, never by a
    word alone): its first cell that holds something (group values filled down from merged
    cells aside) is in one of the first LABEL_COLS columns and reads like "Total", "Subtotal",
    "Grand Total (12 records)", "Count: 5", "Sum of Amount", or "<group> Total" (Excel's
    Subtotal command; then nothing may stand left of it), and every cell right of it is blank or
    a number. So "Total Energies" or a row with an ID, a date or a name right of the label is
    data."""
    r = row[0]
    cells = row[1:]
    first = next(
        (i for i, v in enumerate(cells) if not _blank(v) and (r, headers[i]) not in filled), None
    )
    if first is None or first >= LABEL_COLS or not isinstance(cells[first], str):
        return None
    label = cells[first]
    left_empty = all(_blank(v) for v in cells[:first])
    if not (_KEYWORD.fullmatch(label) or (left_empty and _SUFFIX.fullmatch(label))):
        return None
    if all(_blank(v) or _numeric(v) for v in cells[first + 1 :]):
        return label.strip()
    return None


def _footer_rows(tail: list[tuple]) -> list[int]:
    """The report footer: the run of one-cell rows that ends the sheet (a Salesforce export
    appends the report name, "Copyright (c) 2000-2026 salesforce.com, inc. All rights
    reserved.", "Confidential Information - Do Not Distribute", "Generated By: ..."), when one
    of them reads like a footer line; otherwise they are left alone as data."""
    block = []
    for row in sorted(tail, key=lambda x: x[0], reverse=True):
        texts = [v for v in row[1:] if not _blank(v)]
        if len(texts) != 1 or not isinstance(texts[0], str):
            break
        block.append(row)
    if any(_FOOTER.search(str(next(v for v in r[1:] if not _blank(v)))) for r in block):
        return sorted(r[0] for r in block)
    return []


def _skip_summary_rows(
    con: duckdb.DuckDBPyConnection,
    s: SourceSheet,
    types: dict[str, str],
    filled: set[tuple[int, str]],
) -> None:
    if len(s.headers) < 2 or not s.n_rows:
        return
    t = quote_ident(s.table)
    labels = [h for h in s.headers[:LABEL_COLS] if types.get(h) == "VARCHAR"]
    if filled:  # a filled-down group value may come first: test every label column
        pre = " OR ".join(f"regexp_matches({quote_ident(h)}, '{_PREFILTER}')" for h in labels)
    elif labels:  # the label is the row's first filled cell: one test per row
        first = ", ".join(f"nullif({quote_ident(h)}, '')" for h in labels)
        pre = f"regexp_matches(coalesce({first}), '{_PREFILTER}')"
    else:
        pre = ""
    tail = f"_row IN (SELECT _row FROM {t} ORDER BY _row DESC LIMIT {FOOTER_SCAN})"
    cols = ", ".join(["_row", *map(quote_ident, s.headers)])
    found = rows(con, f"SELECT {cols} FROM {t} WHERE {tail}" + (f" OR {pre}" if pre else ""))
    last = sorted(r[0] for r in found)[-FOOTER_SCAN:]
    footer = set(_footer_rows([r for r in found if r[0] in set(last)]))
    totals = {
        r[0]: lab for r in found if r[0] not in footer and (lab := _is_total(r, s.headers, filled))
    }
    skipped = sorted(footer | set(totals))
    if not skipped:
        return
    con.execute(f"DELETE FROM {t} WHERE _row IN ({', '.join(map(str, skipped))})")
    s.n_rows -= len(skipped)
    s.uncalculated = {
        h: [x for x in v if x[0] not in set(skipped)] for h, v in s.uncalculated.items()
    }
    s.uncalculated = {h: v for h, v in s.uncalculated.items() if v}
    kind = "subtotal/total" + ("/footer" if footer else "") if totals else "report footer"
    s.warnings.append(
        Problem(
            WARNING,
            "summary_rows",
            f"{where(s.file, s.sheet, None, skipped, len(skipped))}: {len(skipped)} {kind} "
            "row(s) skipped",
            file=s.file,
            sheet=s.sheet,
            rows=skipped[:10],
            count=len(skipped),
            examples=list(dict.fromkeys(totals.values()))[:5],
        )
    )
