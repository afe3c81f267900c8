"""Readers: extract files (CSV, XLSX/XLSM) into DuckDB staging tables, one per sheet/file.

`read_sources(paths, con)` loads every file into `stg_1`, `stg_2`, ... in `con` and returns one
`SourceSheet` per non-empty, visible sheet (workbooks) or file (CSV). Every staging table has a
first column `_row` (BIGINT): the spreadsheet row number of the line as Excel shows it (the
header is on `header_row`; with a CSV the header is on line 1 unless the export put title lines
above it). Then one column per source header, named exactly as `SourceSheet.headers`.

Where each part lives: `sniff` (what a file really is, its encoding and separators),
`zipscan` (damaged ZIPs, decompression bombs and oversized sheets, before parsing), `xlsx`
(workbooks, python-calamine), `csv` (text files, DuckDB's read_csv), `staging` (SourceSheet
and the header rules they share). Files that cannot be read at all are refused before parsing
with plain messages; all problems of all files are collected and raised together as one
`ExtractError` after every file has been tried.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from kamdash.ingest.csv import read_csv
from kamdash.ingest.report import ERROR, ExtractError, Problem
from kamdash.ingest.sniff import CSV_EXTENSIONS, MAX_BYTES, WORKBOOK_EXTENSIONS, check_file
from kamdash.ingest.staging import Refused, SourceSheet, TableCounter
from kamdash.ingest.xlsx import read_workbook

__all__ = ["CSV_EXTENSIONS", "MAX_BYTES", "WORKBOOK_EXTENSIONS", "SourceSheet", "read_sources"]


def read_sources(
    paths: list[Path],
    con: duckdb.DuckDBPyConnection,
    *,
    display_names: dict[Path, str] | None = None,
    max_bytes: int = MAX_BYTES,
) -> list[SourceSheet]:
    """Read every file into staging tables `stg_<n>` in `con`; one SourceSheet per sheet/file.

    Raises ExtractError with every file-level problem (after trying every file) when any file
    cannot be read at all. Empty and hidden sheets are skipped; a CSV with only a header line
    comes back with n_rows=0.
    """
    display_names = display_names or {}
    counter = TableCounter(con)
    out: list[SourceSheet] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        name = display_names.get(raw) or display_names.get(path) or path.name
        try:
            ext, head = check_file(path, name, max_bytes)
            if ext in WORKBOOK_EXTENSIONS:
                out.extend(read_workbook(path, name, ext, head, con, counter))
            else:
                out.append(read_csv(path, name, head, con, counter))
        except Refused as r:
            problems.append(
                Problem(level=ERROR, code=r.code, message=r.message, file=name, sheet=r.sheet)
            )
    if problems:
        raise ExtractError(problems)
    return out
