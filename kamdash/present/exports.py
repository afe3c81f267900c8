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
- `formats`: column -> kind ("money", "signed_money", "percent", "score", "integer") for
  number columns: money is rounded to cents and, in XLSX, gets a number format with the
  snapshot's currency (`"$"#,##0`: the cell holds the number, the sheet shows "$3,612,345";
  a change shows its sign), ratios a percent
  format (`0%`: 1.12 shows as 112%), scores one decimal, counts a thousands separator. The
  column names are the ones given (the names the screen shows).

CSV is UTF-8 with a byte-order mark (Excel then reads accents right) and CRLF line ends. XLSX
is written with XlsxWriter (about three times openpyxl's speed on a 100,000-row table), every
text with `write_string` and the workbook told never to read text as a formula or a link.
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
from xlsxwriter import Workbook

from kamdash.core import fmt

FORMULA_TRIGGERS = fmt.FORMULA_TRIGGERS
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
XLSX_MAX_TEXT = 32_767  # characters a cell holds
# XlsxWriter (fast; python-pptx's own dependency), told never to read text as a formula, a link
# or a number: text cells are written with write_string anyway, this is the second lock.
XLSX_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


# `text` made inert for a spreadsheet: prefixed with `'` when it could start a formula (the one
# neutraliser, shared with the Upload page's offending rows).
neutralise = fmt.formula_safe


FORMAT_KINDS = ("money", "signed_money", "percent", "score", "integer")


def number_format(kind: str, currency: str = "$") -> str:
    """The XLSX number format of a column kind (`formats`); '"€"#,##0' for money in euros
    (a change, "signed_money", shows its sign: +$1,200)."""
    if kind in ("money", "signed_money"):
        symbol = str(currency).replace('"', "")
        plus = "+" if kind == "signed_money" else ""
        return f'{plus}"{symbol}"#,##0;-"{symbol}"#,##0;"{symbol}"0'
    return {"percent": "0%", "score": "0.0", "integer": "#,##0"}[kind]


def _formatted(df: pd.DataFrame, formats: Mapping[str, str] | None) -> pd.DataFrame:
    """`df` with its money columns rounded to cents (other columns as they are)."""
    money = [
        c for c, k in (formats or {}).items() if k in ("money", "signed_money") and c in df.columns
    ]
    if not money:
        return df
    out = df.copy()
    for c in money:
        out[c] = pd.to_numeric(out[c], errors="coerce").round(2)
    return out


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
    t = type(v)  # the common types first (a big export is millions of cells)
    if t is str:
        return neutralise(v)
    if t is float:
        return None if math.isnan(v) or math.isinf(v) else v
    if t is int or t is bool:
        return v
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


def to_csv_bytes(
    df: pd.DataFrame,
    *,
    index: bool = False,
    aliases=None,
    formats: Mapping[str, str] | None = None,
) -> bytes:
    """The table as CSV bytes (UTF-8 with BOM, CRLF), formula-safe (see the module docstring)."""
    df = _formatted(_apply_aliases(df, aliases), formats)
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


def _write_sheet(
    wb: Workbook, ws, df: pd.DataFrame, index: bool, formats: Mapping[str, str], currency: str
) -> None:
    """One table on `ws` (XlsxWriter): a bold header, typed cells (text always written as text,
    never a formula or a link), number formats, widths, a frozen header and a filter."""
    df = _formatted(df, formats)
    headers, body = _records(df, index)
    date_cols = {i for i in range(len(headers)) if _is_date_column(pd.Series([r[i] for r in body]))}
    names = list(df.reset_index().columns if index else df.columns)
    styles: dict[str, object] = {}

    def style(num_format: str):
        if num_format not in styles:
            styles[num_format] = wb.add_format({"num_format": num_format})
        return styles[num_format]

    number_formats = {
        j: style(number_format(formats[c], currency))
        for j, c in enumerate(names)
        if isinstance(c, str) and formats.get(c) in FORMAT_KINDS
    }
    money_like = {j for j, c in enumerate(names) if isinstance(c, str) and formats.get(c)}
    bold = wb.add_format({"bold": True})
    for j, h in enumerate(headers):
        ws.write_string(0, j, _xlsx_text(h), bold)
    widths = [min(max(len(h), 8), 60) for h in headers]
    for r, row in enumerate(body, 1):
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, str):
                v = _xlsx_text(v)
                ws.write_string(r, j, v)  # text is never a formula
                widths[j] = min(max(widths[j], len(v)), 60)
            elif isinstance(v, bool):
                ws.write_boolean(r, j, v)
            elif isinstance(v, dt.datetime):
                day = j in date_cols
                ws.write_datetime(r, j, v, style(DATE_FORMAT if day else DATETIME_FORMAT))
                widths[j] = max(widths[j], 10 if day else 16)
            elif isinstance(v, dt.date):
                ws.write_datetime(r, j, v, style(DATE_FORMAT))
                widths[j] = max(widths[j], 10)
            else:
                ws.write_number(r, j, v, number_formats.get(j))
                shown = len(f"{v:,.0f}") + 3 if j in money_like else len(str(v))
                widths[j] = min(max(widths[j], shown), 20)
    for j, wdt in enumerate(widths):
        ws.set_column(j, j, wdt + 2)
    if headers:
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(body), 1), len(headers) - 1)


def _xlsx_text(v: str) -> str:
    """What a cell can hold: no control characters (`fmt.cell_text`), at most 32,767
    characters (Excel's limit)."""
    return fmt.cell_text(v)[:XLSX_MAX_TEXT]


def to_xlsx_bytes(
    df: pd.DataFrame,
    sheet_name: str = "Sheet1",
    *,
    index: bool = False,
    aliases=None,
    formats: Mapping[str, str] | None = None,
    currency: str = "$",
) -> bytes:
    """The table as an XLSX workbook of one sheet (XlsxWriter), formula-safe, typed cells."""
    return sheets_to_xlsx_bytes(
        {sheet_name: df}, index=index, aliases=aliases, formats=formats, currency=currency
    )


def sheets_to_xlsx_bytes(
    sheets: Mapping[str, pd.DataFrame],
    *,
    index: bool = False,
    aliases=None,
    formats: Mapping[str, str] | None = None,
    currency: str = "$",
) -> bytes:
    """Several tables as one XLSX workbook, one sheet each (names made valid and unique);
    `formats` (column -> kind) applies to the columns of that name in every sheet."""
    buf = io.BytesIO()
    wb = Workbook(buf, XLSX_OPTIONS)
    used: set[str] = set()
    for name, df in sheets.items():
        base = safe_sheet_name(name)
        sname, k = base, 2
        while sname.casefold() in used:
            suffix = f" ({k})"
            sname, k = base[: 31 - len(suffix)] + suffix, k + 1
        used.add(sname.casefold())
        ws = wb.add_worksheet(sname)
        _write_sheet(wb, ws, _apply_aliases(df, aliases), index, formats or {}, currency)
    if not used:
        wb.add_worksheet("Sheet1")
    wb.close()
    return buf.getvalue()
