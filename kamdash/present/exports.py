"""Table exports (CSV, XLSX) that are safe to open in a spreadsheet.

- Numbers stay numbers (a real -50 is the number -50), dates are real dates (XLSX: an Excel
  date serial with a `yyyy-mm-dd` number format; CSV: ISO `2026-03-31`), missing values are
  empty cells, booleans are booleans.
- Formula injection ("CSV injection"): any TEXT cell (and header) whose first character, after
  leading spaces, is `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a single
  quote `'`, so the spreadsheet shows it as text and never evaluates it. In XLSX the cell is
  also written as an explicit string cell, never a formula.
- Text with characters XLSX cannot hold (control characters other than tab / newline / CR)
  gets U+FFFD in their place instead of failing the export.
- `aliases`: pass a `kamdash.present.aliases.Aliases` to hide names in the exported table.

CSV is UTF-8 with a byte-order mark (Excel then reads accents right) and CRLF line ends.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from numbers import Integral, Real

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def neutralise(text: str) -> str:
    """`text` made inert for a spreadsheet: prefixed with `'` when it could start a formula."""
    if text.lstrip(" ").startswith(FORMULA_TRIGGERS) or text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _missing(v) -> bool:
    if v is None or v is pd.NaT:
        return True
    if isinstance(v, float | np.floating):
        return math.isnan(v) or math.isinf(v)
    try:
        return bool(pd.isna(v)) if not isinstance(v, str | bytes) else False
    except (TypeError, ValueError):
        return False


def _cell(v):
    """A Python value for one cell: None, bool, int, float, date, datetime or (safe) str."""
    if _missing(v):
        return None
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, Integral):
        return int(v)
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, Real):
        return float(v)
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, np.datetime64):
        v = pd.Timestamp(v).to_pydatetime()
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        v = v.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(v, dt.date):  # datetimes too: a column of midnights is written as dates
        return v
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    return neutralise(str(v))


def _is_date_column(series: pd.Series) -> bool:
    """True when every datetime in the column falls on midnight (show as dates)."""
    vals = [v for v in series if isinstance(v, dt.datetime | pd.Timestamp) and not _missing(v)]
    return all(pd.Timestamp(v).time() == dt.time(0) for v in vals)


def _records(df: pd.DataFrame, index: bool) -> tuple[list[str], list[list]]:
    d = df.reset_index() if index else df
    headers = [neutralise(str(c)) for c in d.columns]
    cols = [d.iloc[:, i].tolist() for i in range(d.shape[1])]
    body = [[_cell(v) for v in row] for row in zip(*cols, strict=True)] if cols else []
    return headers, body


def _apply_aliases(df: pd.DataFrame, aliases) -> pd.DataFrame:
    return aliases.frame(df) if aliases is not None else df


def to_csv_bytes(df: pd.DataFrame, *, index: bool = False, aliases=None) -> bytes:
    """The table as CSV bytes (UTF-8 with BOM, CRLF), formula-safe (see the module docstring)."""
    df = _apply_aliases(df, aliases)
    headers, body = _records(df, index)
    date_cols = {i for i in range(len(headers)) if _is_date_column(pd.Series([r[i] for r in body]))}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    for row in body:
        out = []
        for i, v in enumerate(row):
            if v is None:
                out.append("")
            elif isinstance(v, dt.datetime):
                out.append(v.date().isoformat() if i in date_cols else v.isoformat(sep=" "))
            elif isinstance(v, dt.date):
                out.append(v.isoformat())
            elif isinstance(v, bool):
                out.append("TRUE" if v else "FALSE")
            elif isinstance(v, float):
                out.append(repr(v) if not v.is_integer() or abs(v) >= 1e16 else str(int(v)))
            else:
                out.append(v)
        w.writerow(out)
    return buf.getvalue().encode("utf-8-sig")


def safe_sheet_name(name: str) -> str:
    """A valid Excel sheet name (no []:*?/\\, at most 31 characters, not empty)."""
    s = _SHEET_BAD.sub("_", str(name)).strip("'") or "Sheet1"
    return s[:31]


def _write_sheet(ws, df: pd.DataFrame, index: bool) -> None:
    headers, body = _records(df, index)
    date_cols = {i for i in range(len(headers)) if _is_date_column(pd.Series([r[i] for r in body]))}
    bold = Font(bold=True)
    for j, h in enumerate(headers, 1):
        c = ws.cell(row=1, column=j)
        c.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", h)
        c.data_type = "s"
        c.font = bold
    widths = [min(max(len(h), 8), 60) for h in headers]
    for r, row in enumerate(body, 2):
        for j, v in enumerate(row, 1):
            if v is None:
                continue
            c = ws.cell(row=r, column=j)
            if isinstance(v, str):
                v = ILLEGAL_CHARACTERS_RE.sub("\ufffd", v)
                c.value = v
                c.data_type = "s"  # text is never a formula
                widths[j - 1] = min(max(widths[j - 1], len(v)), 60)
            elif isinstance(v, dt.datetime):
                c.value = v
                c.number_format = DATE_FORMAT if (j - 1) in date_cols else DATETIME_FORMAT
                widths[j - 1] = max(widths[j - 1], 16 if (j - 1) not in date_cols else 10)
            elif isinstance(v, dt.date):
                c.value = v
                c.number_format = DATE_FORMAT
                widths[j - 1] = max(widths[j - 1], 10)
            else:
                c.value = v
                widths[j - 1] = min(max(widths[j - 1], len(str(v))), 20)
    for j, wdt in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(j)].width = wdt + 2
    ws.freeze_panes = "A2"
    if headers:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(len(body) + 1, 1)}"


def to_xlsx_bytes(
    df: pd.DataFrame, sheet_name: str = "Sheet1", *, index: bool = False, aliases=None
) -> bytes:
    """The table as an XLSX workbook of one sheet (openpyxl), formula-safe, typed cells."""
    return sheets_to_xlsx_bytes({sheet_name: df}, index=index, aliases=aliases)


def sheets_to_xlsx_bytes(
    sheets: Mapping[str, pd.DataFrame], *, index: bool = False, aliases=None
) -> bytes:
    """Several tables as one XLSX workbook, one sheet each (names made valid and unique)."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, df in sheets.items():
        base = safe_sheet_name(name)
        sname, k = base, 2
        while sname.casefold() in used:
            suffix = f" ({k})"
            sname, k = base[: 31 - len(suffix)] + suffix, k + 1
        used.add(sname.casefold())
        _write_sheet(wb.create_sheet(sname), _apply_aliases(df, aliases), index)
    if not wb.worksheets:
        wb.create_sheet("Sheet1")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
