"""CSV files (.csv, .txt, .tsv) into staging tables, with DuckDB's own `read_csv`.

Delimiter, quoting and leading title lines are auto-detected and every column is kept as text
(VARCHAR, the original characters): casting and validation happen later, with row numbers.
Encodings are sniffed first (`sniff.scan_text`). **Decimal commas**: staging stays text, so
"1.234,56" is never mis-read here; when a `;`-separated file holds numbers written with a
decimal comma (cells like `12,5` or `1.234,56`, i.e. matching ``^-?[0-9.]*,[0-9]+$``),
`SourceSheet.decimal` is `","` and the caster must read `.` as the thousands separator and `,`
as the decimal point (tab/pipe files get the same treatment only on unambiguous cells such as
`12,5` or `1.234,56`, not `1,234`). A file whose lines use another separator than the rest of
the file is refused, naming the rows.
"""

from __future__ import annotations

import csv
import itertools
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from kamdash.core.db import quote_ident, rows, scalar
from kamdash.ingest.sniff import TextInfo, guess_delimiter, plausible_skip, scan_text
from kamdash.ingest.staging import (
    MAX_COLUMNS,
    Refused,
    SourceSheet,
    TableCounter,
    finish_sheet,
    helper_note,
    is_helper_column,
    too_wide,
    unique_headers,
)

_DECIMAL_COMMA = "-?[0-9. \u00a0\u202f]*,[0-9]+"  # "1.234,56", "12,5", "1 234,5" (NBSP)
_DECIMAL_COMMA_STRICT = r"-?([0-9]{1,3}(\.[0-9]{3})+,[0-9]+|[0-9]+,([0-9]{1,2}|[0-9]{4,}))"
_LENIENT = {"null_padding": True, "parallel": False, "strict_mode": False}
_DELIM_WORDS = {",": '","', ";": '";"', "\t": "tabs", "|": '"|"'}


@dataclass
class _Dialect:
    delim: str
    quote: str
    skip: int  # lines above the header
    widest: int  # fields of the widest line
    lenient: bool  # ragged rows or stray lines: read without DuckDB's sniffer


def read_csv(
    path: Path,
    name: str,
    head: bytes,
    con: duckdb.DuckDBPyConnection,
    counter: TableCounter,
) -> SourceSheet:
    with tempfile.TemporaryDirectory(prefix="kamdash-csv-") as tmpdir:
        info = scan_text(path, name, head, tmpdir)
        _refuse_wide(info, name)
        d = _dialect(con, info, name)
        base = {
            "encoding": info.duckdb_encoding,
            "delim": d.delim,
            "skip": d.skip,
            "header": False,
            "all_varchar": True,
        }
        # lenient: no sniffing at all, as many columns as the widest line, short lines padded
        loose = {
            **_LENIENT,
            "auto_detect": False,
            "quote": d.quote,
            "escape": d.quote,
            "columns": {f"column{i}": "VARCHAR" for i in range(max(d.widest, 1))},
        }
        target = counter.next()
        error: Exception | None = None
        for opts in (loose,) if d.lenient else ({}, loose):
            try:
                return _stage_csv(con, target, name, path, info, {**base, **opts}, d)
            except duckdb.Error as e:
                error = e
                con.execute(f"DROP TABLE IF EXISTS {quote_ident(target)}")
        raise _unreadable(name, error)


def _refuse_wide(info: TextInfo, name: str) -> None:
    """More than MAX_COLUMNS fields is refused before DuckDB reads the file (its sniffer alone
    runs out of memory on 16,384 columns). Counted with quotes ignored first (cheap), then,
    only when that is over the limit, with a CSV parser on the first lines."""
    delim = guess_delimiter(info.path)
    if not delim or plausible_skip(info.path, delim)[1] <= MAX_COLUMNS:
        return
    enc = "utf-8-sig" if info.duckdb_encoding == "utf-8" else "latin-1"
    csv.field_size_limit(2**31 - 1)
    try:
        with info.path.open(encoding=enc, errors="replace", newline="") as fh:
            n = max(len(r) for r in itertools.islice(csv.reader(fh, delimiter=delim), 20))
    except (csv.Error, ValueError):
        n = plausible_skip(info.path, delim)[1]
    if n > MAX_COLUMNS:
        raise too_wide(name, None, n)


def _unreadable(name: str, error: Exception | None) -> Refused:
    return Refused(
        "csv_unreadable", f'file "{name}" could not be read as CSV: {_duck_message(error)}'
    )


def _dialect(con: duckdb.DuckDBPyConnection, info: TextInfo, name: str) -> _Dialect:
    """Delimiter, quote and title lines: DuckDB's sniffer, checked against our own counts."""
    enc = {"encoding": info.duckdb_encoding}
    sniff = None
    lenient = False
    error: Exception | None = None
    # strict first; then lenient (ragged rows, stray lines) with the delimiter counted by us,
    # as DuckDB's lenient sniffer can settle on a wrong one
    # (a one-column answer while the text is full of a delimiter counts as a failure).
    guess = guess_delimiter(info.path)
    for opts in ({}, {**_LENIENT, **({"delim": guess} if guess else {})}):
        sql, params = _options_sql({**enc, **opts})
        try:
            found = rows(
                con,
                "SELECT Delimiter, Quote, SkipRows, len(Columns) FROM sniff_csv(?" + sql + ")",
                [str(info.path), *params],
            )[0]
        except duckdb.Error as e:
            error = e
            continue
        sniff, lenient = found, bool(opts)
        if found[3] > 1 or not guess or opts:
            break
    if sniff is None and not guess:
        raise _unreadable(name, error)
    if sniff is None:  # DuckDB found no consistent dialect: go with the delimiter we counted
        sniff, lenient = (guess, '"', plausible_skip(info.path, guess)[0], 0), True
    delim, quote, skip = sniff[0], sniff[1], int(sniff[2])
    plausible, widest = plausible_skip(info.path, delim)
    if skip > plausible:
        # DuckDB skipped lines as wide as the data (a ragged file, not report titles):
        # keep them and read leniently instead of losing rows
        skip, lenient = plausible, True
    elif skip < plausible:  # one-field title lines above a narrow table ("Report: ...")
        skip = plausible
    quote = '"' if quote in ("(empty)", "") else quote
    return _Dialect(delim, quote, skip, widest, lenient)


def _duck_message(e: Exception | None) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    lines = [re.sub(r"^[A-Za-z ]*Error: ", "", ln) for ln in lines[:2]]
    return " - ".join(lines)


def _options_sql(options: dict) -> tuple[str, list]:
    sql, params = "", []
    for k, v in options.items():
        sql += f", {k} := ?"
        params.append(v)
    return sql, params


@dataclass
class _Numbering:
    """How staging rows get their spreadsheet row numbers."""

    row_expr: str  # SQL over the reader's record number `_rec` (and the join's `x`)
    join: str  # a join with the blank-line row numbers, or ""
    header_row: int
    excel: list[int] | None  # the spreadsheet row of each record, when blank lines exist


def _numbering(
    con: duckdb.DuckDBPyConnection, info: TextInfo, d: _Dialect, rows_view: str
) -> _Numbering:
    """Records numbered from the header line, unless blank lines lie below it: DuckDB skips
    them and Excel counts them, so rows are then numbered from the text itself (registered as
    `rows_view`, which the caller unregisters)."""
    header_row = d.skip + 1
    start = _header_offset(info.path, d.skip)
    if not (info.many_blanks or any(b >= start for b in info.blank_offsets)):
        return _Numbering(f"_rec + {header_row - 1}", "", header_row, None)
    excel = _excel_rows(info.path, d.quote, d.skip)
    con.register(rows_view, pa.table({"_i": range(1, len(excel) + 1), "_x": excel}))
    return _Numbering(
        f"coalesce(x._x, _rec + {header_row - 1})",
        f" LEFT JOIN {quote_ident(rows_view)} x ON r._rec = x._i",
        excel[0] if excel else header_row,
        excel,
    )


def _header_offset(path: Path, skip: int) -> int:
    """Byte offset of the line after the first `skip` lines."""
    off = 0
    with path.open("rb") as fh:
        for _ in range(skip):
            line = fh.readline()
            if not line:
                break
            off += len(line)
    return off


def _excel_rows(path: Path, quote: str, skip: int) -> list[int]:
    """Spreadsheet row of each record DuckDB returns (header first), when blank lines exist.

    DuckDB skips empty lines; Excel shows them as rows. A physical line starts a new row unless
    it continues a quoted field (odd number of quotes so far).
    """
    q = quote.encode()
    out = []
    excel = 0
    in_quote = False
    with path.open("rb") as fh:
        for ln, line in enumerate(fh, 1):
            if not in_quote:
                excel += 1
                if ln > skip and line.strip(b"\r\n"):
                    out.append(excel)
            if line.count(q) % 2:
                in_quote = not in_quote
    return out


def _stage_csv(
    con: duckdb.DuckDBPyConnection,
    target: str,
    name: str,
    path: Path,
    info: TextInfo,
    options: dict,
    d: _Dialect,
) -> SourceSheet:
    """One pass of DuckDB's reader into the staging table (the header line read first)."""
    opt_sql, opt_params = _options_sql(options)
    source = "read_csv(?" + opt_sql + ")"
    params = [str(info.path), *opt_params]
    cols, raw_headers = _header_line(con, source, params, info.encoding)
    helpers = [i for i, h in enumerate(raw_headers) if isinstance(h, str) and is_helper_column(h)]
    dropped = [str(raw_headers[i]).strip() for i in helpers]
    cols = [c for i, c in enumerate(cols) if i not in helpers]
    raw_headers = [h for i, h in enumerate(raw_headers) if i not in helpers]
    headers = unique_headers(raw_headers, list(range(len(cols))))
    rows_view = f"_kamdash_rows_{target}"
    numbering = _numbering(con, info, d, rows_view)
    try:
        _create_staging(con, target, source, params, cols, headers, numbering)
    finally:
        if numbering.excel is not None:
            con.unregister(rows_view)
    n = int(scalar(con, f"SELECT count(*) FROM {quote_ident(target)}"))
    if options.get("null_padding"):
        headers = _drop_padding(con, target, headers, raw_headers)
    notes = helper_note(dropped)
    if numbering.excel is not None:
        n_rec = scalar(con, f"SELECT count(*) FROM {source}", params)
        if n_rec != len(numbering.excel):
            notes.append("row numbers may be off: blank lines could not be located exactly")
    _refuse_mixed_delimiters(con, target, name, headers, d.delim)
    if info.encoding in ("cp1252", "latin-1"):
        label = "Windows-1252" if info.encoding == "cp1252" else "Latin-1"
        notes.append(f"not UTF-8: read as {label}")
    out = SourceSheet(
        file=name,
        sheet=None,
        table=target,
        headers=headers,
        header_row=numbering.header_row,
        n_rows=n,
        kind="csv",
        path=str(path),
        delimiter=d.delim,
        encoding=info.encoding,
        decimal=_decimal(con, target, headers, d.delim),
        notes=notes,
    )
    finish_sheet(con, out, control=info.control)
    return out


def _header_line(
    con: duckdb.DuckDBPyConnection, source: str, params: list, encoding: str
) -> tuple[list[str], list[object]]:
    """(the reader's column names, the header line's cells), without a byte-order mark."""
    cur = con.execute(f"SELECT * FROM {source} LIMIT 1", params)
    cols = [d[0] for d in cur.description]
    first = cur.fetchall()
    raw_headers = list(first[0]) if first else [None] * len(cols)
    if raw_headers and isinstance(raw_headers[0], str):
        raw_headers[0] = raw_headers[0].lstrip("\ufeff")
        if encoding == "latin-1":
            raw_headers[0] = raw_headers[0].removeprefix("ï»¿")
    return cols, raw_headers


def _create_staging(
    con: duckdb.DuckDBPyConnection,
    target: str,
    source: str,
    params: list,
    cols: list[str],
    headers: list[str],
    numbering: _Numbering,
) -> None:
    """The data lines (the header and fully empty lines left out) with their row numbers."""
    select = ", ".join(
        f"r.{quote_ident(c)} AS {quote_ident(h)}" for c, h in zip(cols, headers, strict=True)
    )
    # the file's order is kept without sorting (DuckDB preserves insertion order through the
    # streaming row_number() and the filter; sorting 10M rows took longer than reading them);
    # only the join with the blank-line row numbers needs the ORDER BY
    empty = " AND ".join(f"coalesce(trim(r.{quote_ident(c)}), '') = ''" for c in cols) or "FALSE"
    join = numbering.join
    con.execute(
        f"CREATE TABLE {quote_ident(target)} AS SELECT CAST({numbering.row_expr} AS BIGINT) "
        f"AS _row, {select} FROM (SELECT row_number() OVER () AS _rec, * FROM {source}) r{join} "
        f"WHERE r._rec > 1 AND NOT ({empty})" + (" ORDER BY r._rec" if join else ""),
        params,
    )


def _drop_padding(
    con: duckdb.DuckDBPyConnection, target: str, headers: list[str], raw_headers: list[object]
) -> list[str]:
    """Columns with no header and no data are the lenient reader's padding, not columns."""
    unnamed = [h for h, r in zip(headers, raw_headers, strict=True) if r is None]
    if not unnamed:
        return headers
    counts = rows(
        con,
        "SELECT "
        + ", ".join(f"count({quote_ident(h)})" for h in unnamed)
        + f" FROM {quote_ident(target)}",
    )[0]
    for h, c in zip(unnamed, counts, strict=True):
        if not c:
            con.execute(f"ALTER TABLE {quote_ident(target)} DROP COLUMN {quote_ident(h)}")
            headers = [x for x in headers if x != h]
    return headers


def _refuse_mixed_delimiters(
    con: duckdb.DuckDBPyConnection, table: str, name: str, headers: list[str], delim: str
) -> None:
    """Lines written with another separator land whole in the first column (the rest empty):
    their values would be lost or misread, so the file is refused, naming the rows."""
    if len(headers) < 3:
        return
    first = quote_ident(headers[0])
    rest = " AND ".join(f"{quote_ident(h)} IS NULL" for h in headers[1:])
    for other in _DELIM_WORDS:
        if other == delim or len(delim) != 1:
            continue
        cond = f"{rest} AND length({first}) - length(replace({first}, ?, '')) >= {len(headers) - 1}"
        found = rows(
            con,
            f"SELECT _row, count(*) OVER () FROM {quote_ident(table)} WHERE {cond} "
            "ORDER BY _row LIMIT 10",
            [other],
        )
        if found:
            n = found[0][1]
            shown = ", ".join(str(r[0]) for r in found) + (
                f" (and {n - 10} more)" if n > 10 else ""
            )
            raise Refused(
                "mixed_delimiters",
                f'file "{name}", row{"s" if n > 1 else ""} {shown}: values are separated by '
                f"{_DELIM_WORDS[other]} while the rest of the file uses {_DELIM_WORDS[delim]}, so "
                f"{'these rows' if n > 1 else 'this row'} cannot be read. Export the file again "
                "with one separator",
            )


def _decimal(con: duckdb.DuckDBPyConnection, table: str, headers: list[str], delim: str) -> str:
    """ "," when the text of a non-comma-separated file writes numbers with a decimal comma."""
    if delim == "," or not headers:
        return "."
    pattern = _DECIMAL_COMMA if delim == ";" else _DECIMAL_COMMA_STRICT
    cond = " OR ".join(f"regexp_full_match(trim({quote_ident(h)}), '{pattern}')" for h in headers)
    hits = scalar(
        con, f"SELECT count(*) FROM (SELECT * FROM {quote_ident(table)} LIMIT 10000) WHERE {cond}"
    )
    return "," if hits else "."
