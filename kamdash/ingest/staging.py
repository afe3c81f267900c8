"""What every reader hands on: a staged sheet (`SourceSheet`), the staging-table names, the
header naming rules, and `Refused`, the one file-level problem a reader raises."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from kamdash.core.db import rows


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


def cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if type(v) is dt.datetime and v.time() == dt.time(0):
        return v.date().isoformat()
    return str(v)


def unique_headers(raw: list[object], columns: list[int]) -> list[str]:
    """Header texts, blank -> "Column C", duplicates -> "Amount (2)" (case-insensitive)."""
    seen: set[str] = {"_row"}
    out = []
    for v, col in zip(raw, columns, strict=True):
        text = "" if v is None else cell_text(v).strip()
        base = text or f"Column {column_letter(col)}"
        h, n = base, 1
        while h.lower() in seen:
            n += 1
            h = f"{base} ({n})"
        seen.add(h.lower())
        out.append(h)
    return out
