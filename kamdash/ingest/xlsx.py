"""Workbooks (XLSX/XLSM, and XLSB/ODS, which calamine also reads) into staging tables.

Each visible worksheet is read with python-calamine, column by column into Arrow, then into
DuckDB. A column keeps its cell type when it is homogeneous (numbers -> DOUBLE, or BIGINT for
integer cells; dates -> DATE; date-times or a mix of dates and date-times -> TIMESTAMP;
booleans -> BOOLEAN); any other mix becomes VARCHAR holding the text of each cell (whole
numbers without ".0"). Empty cells are NULL. The header is the first row, among the first 20,
whose non-empty cells are mostly text and span at least half the widest row, so report titles
and "Generated on ..." lines above it are skipped. Fully empty rows are dropped (the others keep
their true row numbers). Excel error cells (#N/A, #REF!, ...) are kept as their text. Hidden
sheets, chart sheets and empty sheets are skipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pac
import python_calamine as pc

from kamdash.core.db import quote_ident, scalar
from kamdash.ingest.sniff import refuse_unless_zip
from kamdash.ingest.staging import (
    MAX_COLUMNS,
    Refused,
    SourceSheet,
    TableCounter,
    cell_text,
    finish_sheet,
    helper_note,
    is_helper_column,
    too_wide,
    unique_headers,
)
from kamdash.ingest.zipscan import SheetScan, check_zip, damaged

HEADER_SCAN_ROWS = 20  # the header is looked for among the first rows of a sheet
WIDTH_SCAN_ROWS = 1000  # rows used to measure the widest row


def read_workbook(
    path: Path,
    name: str,
    ext: str,
    head: bytes,
    con: duckdb.DuckDBPyConnection,
    counter: TableCounter,
) -> list[SourceSheet]:
    """Every visible, non-empty worksheet into its own staging table."""
    refuse_unless_zip(path, name, ext, head)
    scans = check_zip(path, name, ext)
    wb = _open_workbook(path, name)
    out: list[SourceSheet] = []
    with contextlib.closing(wb), _no_gc():
        for meta in wb.sheets_metadata:
            if meta.visible != pc.SheetVisibleEnum.Visible:
                continue
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            # .xlsb / .ods are not pre-scanned: their text is always checked for control chars
            scan = scans.get(meta.name) or SheetScan(control=ext not in (".xlsx", ".xlsm"))
            sheet = _read_sheet(wb, meta.name, name, scan, con, counter)
            if sheet is not None:
                sheet.path = str(path)
                out.append(sheet)
    if not out:
        raise Refused("no_data", f'file "{name}" has no data in any visible sheet')
    return out


def _open_workbook(path: Path, name: str) -> pc.CalamineWorkbook:
    try:
        return pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError as e:
        raise Refused(
            "password_protected",
            f'file "{name}" is password-protected: remove the password and save it as .xlsx',
        ) from e
    except pc.ZipError as e:
        raise Refused("corrupt_workbook", damaged(name)) from e
    except Exception as e:  # calamine's XmlError, CalamineError...
        raise Refused(
            "corrupt_workbook",
            f'file "{name}" is damaged: it could not be read as an Excel workbook ({_detail(e)}). '
            "Open it in Excel and save it again, or export it again",
        ) from e


def _read_sheet(
    wb: pc.CalamineWorkbook,
    sheet: str,
    name: str,
    scan: SheetScan,
    con: duckdb.DuckDBPyConnection,
    counter: TableCounter,
) -> SourceSheet | None:
    """One sheet's cells, with the error cells calamine reads as empty put back as text."""
    try:
        sheet_obj = wb.get_sheet_by_name(sheet)
        grid = sheet_obj.to_python(skip_empty_area=False)
    except Exception as e:
        raise Refused(
            "corrupt_workbook",
            f'file "{name}", sheet "{sheet}" is damaged and could not be read '
            f"({_detail(e)}). Open the file in Excel and save it again, or export it again",
            sheet=sheet,
        ) from e
    for (r, c), text in scan.errors.items():
        if r < len(grid) and c < len(grid[r]):
            grid[r][c] = text
    merged = []
    with contextlib.suppress(Exception):
        merged = sheet_obj.merged_cell_ranges or []
    # calamine's own copy of the cells (32 bytes each, plus every string) is freed before the
    # grid is turned into columns: a third less memory at the peak
    del sheet_obj
    width = max(map(len, grid), default=0)
    if width > MAX_COLUMNS:  # .xlsb / .ods (the XML of .xlsx was measured before parsing)
        raise too_wide(name, sheet, width)
    return _load_grid(grid, name, sheet, con, counter, merged, scan)


@contextlib.contextmanager
def _no_gc():
    """No cyclic garbage collection while a grid of millions of cells is built and turned into
    columns: the collector would walk all of them again and again (to_python and the
    transposition ran 2-5x slower), and nothing built here holds reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _detail(e: Exception) -> str:
    """calamine's reason, in a few words ("missing sheet part" when it only names the part)."""
    text = " ".join(str(e).split())[:200]
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _find_header(grid: list[list[object]], merged: list | None = None) -> int | None:
    """The header row: see the module docstring. A row of one cell is a title, never the header
    of a wider table; a row whose cells are all merged across columns (a group header such as
    "Account" over two columns, or a report title) is skipped."""
    counts = [sum(1 for v in r if v != "") for r in grid[:WIDTH_SCAN_ROWS]]
    widest = max(counts, default=0)
    if not widest:
        return None
    need = max(min(2, widest), -(-widest // 2))  # at least half the widest row, and 2 cells
    first = min(HEADER_SCAN_ROWS, len(grid))
    spans = {(r0, c0) for (r0, c0), (_, c1) in merged or [] if c1 > c0 and r0 < first}
    grouped = {
        i
        for i in {r for r, _ in spans}
        if all((i, c) in spans for c, v in enumerate(grid[i]) if v != "")
    }
    for i in range(first):
        if counts[i] >= need and i not in grouped:
            texts = sum(1 for v in grid[i] if isinstance(v, str) and v.strip())
            if texts * 2 > counts[i]:  # mostly text
                return i
    for i in range(first):  # no text-like row: take the first wide enough one
        if counts[i] >= need:
            return i
    return next(i for i, c in enumerate(counts) if c)


def _arrow_column(values: tuple) -> tuple[pa.Array, str]:
    """A column of cell values as an Arrow array, typed when homogeneous, else text."""
    vals = values
    types = set(map(type, vals))
    if str in types and "" in vals:  # empty cells ("") are NULL
        vals = [None if v == "" else v for v in vals]
        types = set(map(type, vals))
    types.discard(type(None))
    if not types:
        return pa.nulls(len(vals), pa.string()), "VARCHAR"
    if types == {float} or types == {int, float}:
        return _numbers(pa.array(vals, pa.float64()))
    if types == {int}:
        return pa.array(vals, pa.int64()), "BIGINT"
    if types == {bool}:
        return pa.array(vals, pa.bool_()), "BOOLEAN"
    if types == {dt.date}:
        return pa.array(vals, pa.date32()), "DATE"
    if types <= {dt.date, dt.datetime}:
        vals = [dt.datetime.combine(v, dt.time()) if type(v) is dt.date else v for v in vals]
        return pa.array(vals, pa.timestamp("us")), "TIMESTAMP"
    if types == {dt.time}:
        return pa.array(vals, pa.time64("us")), "TIME"
    if types == {dt.timedelta}:
        return pa.array(vals, pa.duration("us")), "INTERVAL"
    if types == {str}:
        return pa.array(vals, pa.string()), "VARCHAR"
    return pa.array([None if v is None else cell_text(v) for v in vals], pa.string()), "VARCHAR"


# a whole double below 2^63 converts to BIGINT exactly (Excel keeps 15 significant digits, so
# a 17-digit ID typed as a number is already rounded in the file; it is kept as stored)
_EXACT = float(2**63)


def _numbers(arr: pa.Array) -> tuple[pa.Array, str]:
    """Number cells; whole numbers only (Excel stores every number as a double, so an ID
    column comes as 100234.0) -> BIGINT, so the ID reads "100234" as text and joins the same
    ID written as text elsewhere; amounts are read as numbers either way."""
    valid = arr.drop_null()
    if (
        len(valid)
        and pac.all(
            pac.and_(pac.equal(pac.floor(valid), valid), pac.less(pac.abs(valid), _EXACT))
        ).as_py()
    ):
        return arr.cast(pa.int64()), "BIGINT"
    return arr, "DOUBLE"


def _fill_down(grid: list[list[object]], merged: list, h: int, width: int) -> set[tuple[int, int]]:
    """Group values written once in a cell merged down over their rows (a Salesforce formatted
    report) are copied into every row of the merge, in the merge's first column only (a value
    merged across columns is one value, not one per column). Returns the (spreadsheet row,
    column) of the cells filled."""
    filled = set()
    for (r0, c0), (r1, _) in merged:
        if r1 <= r0 or r0 <= h or c0 >= width or r0 >= len(grid) or c0 >= len(grid[r0]):
            continue  # one row, or at / above the header
        value = grid[r0][c0]
        if value == "":
            continue
        for r in range(r0 + 1, min(r1 + 1, len(grid))):
            row = grid[r]
            if len(row) <= c0:
                row.extend([""] * (c0 + 1 - len(row)))
            if row[c0] == "":
                row[c0] = value
                filled.add((r + 1, c0))
    return filled


def _load_grid(
    grid: list[list[object]],
    name: str,
    sheet: str,
    con: duckdb.DuckDBPyConnection,
    counter: TableCounter,
    merged: list | None = None,
    scan: SheetScan | None = None,
) -> SourceSheet | None:
    """One sheet's cells (from A1, row-major) into a staging table; None when it is empty."""
    scan = scan or SheetScan()
    h = _find_header(grid, merged)
    if h is None:
        return None
    width = max(map(len, grid))
    filled = _fill_down(grid, merged or [], h, width)
    data = grid[h + 1 :]
    header = list(grid[h]) + [""] * (width - len(grid[h]))
    if data:
        if set(map(len, data)) != {width}:
            data = [r + [""] * (width - len(r)) for r in data]
        cols = list(zip(*data, strict=True))
    else:
        cols = [()] * width
    keep, arrays, dropped = [], [], []
    for c in range(width):
        if isinstance(header[c], str) and is_helper_column(header[c]):
            dropped.append(header[c].strip())
            continue
        arr, typ = _arrow_column(cols[c])
        if header[c] == "" and arr.null_count == len(arr):
            continue  # no header and no data: not a column
        keep.append(c)
        arrays.append((arr, typ))
    del cols
    headers = unique_headers([header[c] for c in keep], keep)
    target = _stage(con, counter, headers, arrays, h)
    by_col = dict(zip(keep, headers, strict=True))
    formulas: dict[str, list[tuple[int, str]]] = {}
    for (r, c), text in sorted(scan.uncalculated.items()):
        if r > h and c in by_col:
            formulas.setdefault(by_col[c], []).append((r + 1, text))
    out = SourceSheet(
        file=name,
        sheet=sheet,
        table=target,
        headers=headers,
        header_row=h + 1,
        n_rows=int(scalar(con, f"SELECT count(*) FROM {quote_ident(target)}")),
        kind="xlsx",
        uncalculated=formulas,
        notes=helper_note(dropped),
    )
    filled_cells = {(r, by_col[c]) for r, c in filled if c in by_col}
    finish_sheet(con, out, control=scan.control, filled=filled_cells)
    return out


def _stage(
    con: duckdb.DuckDBPyConnection,
    counter: TableCounter,
    headers: list[str],
    arrays: list[tuple[pa.Array, str]],
    h: int,
) -> str:
    """The columns into a new staging table, fully empty rows left out; its name."""
    n = len(arrays[0][0]) if arrays else 0
    row_numbers = pa.array(range(h + 2, h + 2 + n), pa.int64())
    table = pa.Table.from_arrays([row_numbers] + [a for a, _ in arrays], names=["_row", *headers])
    empty = (
        " AND ".join(
            f"coalesce(trim({quote_ident(n)}), '') = ''"
            if t == "VARCHAR"
            else f"{quote_ident(n)} IS NULL"
            for n, (_, t) in zip(headers, arrays, strict=True)
        )
        or "FALSE"
    )
    target = counter.next()
    view = f"_kamdash_arrow_{target}"
    con.register(view, table)
    try:
        con.execute(
            f"CREATE TABLE {quote_ident(target)} AS SELECT * FROM {quote_ident(view)} "
            f"WHERE NOT ({empty})"  # in row order (DuckDB preserves insertion order)
        )
    finally:
        con.unregister(view)
    return target
