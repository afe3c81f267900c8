"""Readers: extract files (CSV, XLSX/XLSM) into DuckDB staging tables, one per sheet/file.

`read_sources(paths, con)` loads every file into `stg_1`, `stg_2`, ... in `con` and returns one
`SourceSheet` per non-empty, visible sheet (workbooks) or file (CSV). Every staging table has a
first column `_row` (BIGINT): the spreadsheet row number of the line as Excel shows it (the
header is on `header_row`; with a CSV the header is on line 1 unless the export put title lines
above it). Then one column per source header, named exactly as `SourceSheet.headers`.

CSV (.csv, .txt, .tsv) is read by DuckDB's own `read_csv` (delimiter, quoting and leading title
lines auto-detected) with every column kept as text (VARCHAR, the original characters):
casting and validation happen later, with row numbers. Encodings: UTF-8 (with or without BOM),
UTF-16 with BOM (Excel's "Unicode text"), and, when the bytes are not valid UTF-8, Windows-1252
/ Latin-1. **Decimal commas**: staging stays text, so "1.234,56" is never mis-read here; when a
`;`-separated file holds numbers written with a decimal comma (cells like `12,5` or
`1.234,56`, i.e. matching ``^-?[0-9.]*,[0-9]+$``), `SourceSheet.decimal` is `","` and the caster
must read `.` as the thousands separator and `,` as the decimal point (tab/pipe files get the
same treatment only on unambiguous cells such as `12,5` or `1.234,56`, not `1,234`).

XLSX/XLSM (and XLSB/ODS, which calamine also reads) are read with python-calamine, column by
column into Arrow, then into DuckDB. A column keeps its cell type when it is homogeneous
(numbers -> DOUBLE, or BIGINT for integer cells; dates -> DATE; date-times or a mix of dates and
date-times -> TIMESTAMP; booleans -> BOOLEAN); any other mix becomes VARCHAR holding the text of
each cell (whole numbers without ".0"). Empty cells are NULL. The header is the first row, among
the first 20, whose non-empty cells are mostly text and span at least half the widest row, so
report titles and "Generated on ..." lines above it are skipped. Fully empty rows are dropped
(the others keep their true row numbers). Excel error cells (#N/A, #REF!, ...) are kept as
their text. Hidden sheets, chart sheets and empty sheets are skipped.

Files that cannot be read at all are refused before parsing, with plain messages: wrong content
for the extension (sniffed from the first bytes), legacy .xls / encrypted workbooks, empty files,
files over `max_bytes`, damaged ZIPs and decompression bombs (the ZIP central directory is
checked before anything is decompressed), and sheets whose values reach beyond MAX_CELLS from
A1 (measured from the sheet XML, streamed, before calamine allocates the grid). Formula cells
saved without their result (calamine reads them as empty) are listed in
`SourceSheet.uncalculated` for validation to report. A CSV whose lines use another separator
than the rest of the file is refused, naming the rows. All problems of all files are collected and raised
together as one `ExtractError` after every file has been tried.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import gc
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from kamdash.core.db import quote_ident, rows, scalar
from kamdash.ingest.report import ERROR, ExtractError, Problem

CSV_EXTENSIONS = {".csv", ".txt", ".tsv"}
WORKBOOK_EXTENSIONS = {".xlsx", ".xlsm", ".xlsb", ".ods"}

# Decompression-bomb limits, checked on the ZIP central directory before parsing.
MAX_UNCOMPRESSED = 2**30  # 1 GiB in total
MAX_RATIO = 100  # uncompressed / compressed, for a member ...
RATIO_MIN_SIZE = 10 * 2**20  # ... larger than 10 MB
MAX_MEMBERS = 10_000
# A sheet's cells are materialised from A1 to its last non-empty cell: a stray value in cell
# XFD1048576 of a tiny file would ask for 17 billion cells (python-calamine aborts the whole
# process on that allocation), so the used area is measured from the sheet XML first.
MAX_CELLS = 30_000_000
MAX_BYTES = 200 * 2**20  # per file: larger exports are refused (filter or split them)

HEADER_SCAN_ROWS = 20  # the header is looked for among the first rows of a sheet
WIDTH_SCAN_ROWS = 1000  # rows used to measure the widest row

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 2**20

# Members a workbook of each kind must hold.
_WORKBOOK_MEMBER = {
    ".xlsx": "xl/workbook.xml",
    ".xlsm": "xl/workbook.xml",
    ".xlsb": "xl/workbook.bin",
    ".ods": "content.xml",
}

_DECIMAL_COMMA = "-?[0-9. \u00a0\u202f]*,[0-9]+"  # "1.234,56", "12,5", "1 234,5" (NBSP)
_DECIMAL_COMMA_STRICT = r"-?([0-9]{1,3}(\.[0-9]{3})+,[0-9]+|[0-9]+,([0-9]{1,2}|[0-9]{4,}))"


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


class _Refused(Exception):
    """One file-level problem; collected into the ExtractError."""

    def __init__(self, code: str, message: str, sheet: str | None = None):
        super().__init__(message)
        self.code, self.message, self.sheet = code, message, sheet


# --------------------------------------------------------------------------- entry point


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
    counter = _TableCounter(con)
    out: list[SourceSheet] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        name = display_names.get(raw) or display_names.get(path) or path.name
        try:
            out.extend(_read_one(path, name, con, counter, max_bytes))
        except _Refused as r:
            problems.append(
                Problem(level=ERROR, code=r.code, message=r.message, file=name, sheet=r.sheet)
            )
    if problems:
        raise ExtractError(problems)
    return out


class _TableCounter:
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


def _read_one(
    path: Path, name: str, con: duckdb.DuckDBPyConnection, counter: _TableCounter, max_bytes: int
) -> list[SourceSheet]:
    ext = path.suffix.lower()
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as e:
        raise _Refused("unreadable", f'file "{name}" cannot be opened: {e.strerror or e}') from e
    if ext not in CSV_EXTENSIONS | WORKBOOK_EXTENSIONS | {".xls"}:
        shown = ext or "(no extension)"
        raise _Refused(
            "unsupported_type",
            f'file "{name}" has an unsupported type "{shown}": upload .xlsx, .xlsm or .csv files',
        )
    if size == 0:
        raise _Refused("empty_file", f'file "{name}" is empty (0 bytes)')
    if size > max_bytes:
        raise _Refused(
            "too_large",
            f'file "{name}" is {size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB limit: '
            "filter or split the export",
        )
    if ext == ".xls":
        _refuse_xls(name, head, path)
    if ext in WORKBOOK_EXTENSIONS:
        return _read_workbook(path, name, ext, head, con, counter)
    return [_read_csv(path, name, head, con, counter)]


# --------------------------------------------------------------------------- sniffing


def _looks_like(head: bytes) -> str:
    """What the first bytes of a file look like, in words."""
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "text"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<"):
        if b"<html" in text or b"<!doctype html" in text or b"<table" in text:
            return "html"
        return "xml"
    if _is_binary(head):
        return "binary"
    return "text"


def _is_binary(chunk: bytes) -> bool:
    if b"\x00" in chunk:
        return True
    control = sum(chunk.count(bytes([b])) for b in (*range(0, 9), *range(14, 32)) if b != 27)
    return control > max(2, len(chunk) // 100)


_KIND_WORDS = {
    "html": "an HTML page",
    "xml": "an XML file (perhaps an Excel 2003 XML spreadsheet)",
    "text": "a text/CSV file",
    "binary": "unknown binary data",
}


def _ole_streams(path: Path) -> set[str]:
    """Lower-case names in an OLE2 (CFB) container's directory; empty when it cannot tell.

    An encrypted .xlsx is an OLE2 file holding "EncryptionInfo" and "EncryptedPackage"; a
    legacy .xls holds "Workbook" (or "Book"). Reads the header, the FAT sectors it lists and
    the directory chain only (bounded).
    """
    import struct

    end = 0xFFFFFFFA  # sector ids at or above this are markers (end of chain, free...)
    names: set[str] = set()
    try:
        with path.open("rb") as fh:
            h = fh.read(512)
            shift = struct.unpack_from("<H", h, 30)[0]
            if shift not in (9, 12):
                return names
            size = 1 << shift
            n_fat, first_dir = (
                struct.unpack_from("<I", h, 44)[0],
                struct.unpack_from("<I", h, 48)[0],
            )
            difat = struct.unpack_from("<109I", h, 76)[: min(n_fat, 109)]

            def sector(i: int) -> bytes:
                fh.seek((i + 1) * size)
                return fh.read(size)

            fat: list[int] = []
            for sid in difat:
                if sid < end:
                    data = sector(sid)
                    fat.extend(struct.unpack(f"<{len(data) // 4}I", data[: len(data) // 4 * 4]))
            sid, seen = first_dir, 0
            while sid < end and seen < 256:
                data = sector(sid)
                for k in range(0, len(data) - 127, 128):
                    n = struct.unpack_from("<H", data, k + 64)[0]
                    if 2 <= n <= 64:
                        names.add(data[k : k + n - 2].decode("utf-16-le", "replace").lower())
                sid = fat[sid] if sid < len(fat) else end
                seen += 1
    except (OSError, struct.error):
        pass
    return names


def _refuse_xls(name: str, head: bytes, path: Path | None = None) -> None:
    kind = _looks_like(head)
    if kind == "ole" and path is not None and "encryptedpackage" in _ole_streams(path):
        raise _Refused(
            "password_protected",
            f'file "{name}" is password-protected (encrypted), so it cannot be read: '
            "open it in Excel, remove the password and save it as .xlsx",
        )
    if kind == "zip":
        raise _Refused(
            "wrong_extension",
            f'file "{name}" is really an .xlsx workbook with an .xls name: rename it to .xlsx',
        )
    if kind in ("html", "xml", "text"):
        raise _Refused(
            "not_a_workbook",
            f'file "{name}" is not a valid Excel workbook (it looks like {_KIND_WORDS[kind]} '
            "saved with an Excel name): open it in Excel and save it as .xlsx",
        )
    raise _Refused(
        "legacy_xls",
        f'file "{name}" is a legacy .xls workbook, which is not supported: '
        "open it in Excel and save it as .xlsx",
    )


# --------------------------------------------------------------------------- workbooks


def _read_workbook(
    path: Path,
    name: str,
    ext: str,
    head: bytes,
    con: duckdb.DuckDBPyConnection,
    counter: _TableCounter,
) -> list[SourceSheet]:
    kind = _looks_like(head)
    if kind == "ole":
        streams = _ole_streams(path)
        if "encryptedpackage" in streams:
            raise _Refused(
                "password_protected",
                f'file "{name}" is password-protected (encrypted), so it cannot be read: '
                "open it in Excel, remove the password and save it again",
            )
        if streams & {"workbook", "book"}:
            raise _Refused(
                "legacy_xls",
                f'file "{name}" is really a legacy .xls workbook with an {ext} name: '
                "open it in Excel and save it as .xlsx",
            )
        raise _Refused(
            "legacy_or_encrypted",
            f'file "{name}" is a legacy .xls or password-protected workbook: '
            "save it as .xlsx without a password",
        )
    if kind != "zip":
        raise _Refused(
            "not_a_workbook",
            f'file "{name}" is not a valid Excel workbook (it looks like {_KIND_WORDS[kind]})'
            + (
                ": rename it to .csv"
                if kind == "text"
                else ": open it in Excel and save it as .xlsx"
            ),
        )
    errors = _check_zip(path, name, ext)

    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError as e:
        raise _Refused(
            "password_protected",
            f'file "{name}" is password-protected: remove the password and save it as .xlsx',
        ) from e
    except pc.ZipError as e:
        raise _Refused("corrupt_workbook", _damaged(name)) from e
    except Exception as e:  # calamine's XmlError, CalamineError...
        raise _Refused(
            "corrupt_workbook",
            f'file "{name}" is damaged: it could not be read as an Excel workbook ({_detail(e)}). '
            "Open it in Excel and save it again, or export it again",
        ) from e

    out: list[SourceSheet] = []
    with contextlib.closing(wb), _no_gc():
        for meta in wb.sheets_metadata:
            if meta.visible != pc.SheetVisibleEnum.Visible:
                continue
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            try:
                sheet_obj = wb.get_sheet_by_name(meta.name)
                grid = sheet_obj.to_python(skip_empty_area=False)
            except Exception as e:
                raise _Refused(
                    "corrupt_workbook",
                    f'file "{name}", sheet "{meta.name}" is damaged and could not be read '
                    f"({_detail(e)}). Open the file in Excel and save it again, or export it again",
                    sheet=meta.name,
                ) from e
            scan = errors.get(meta.name) or _SheetScan()
            for (r, c), text in scan.errors.items():
                if r < len(grid) and c < len(grid[r]):
                    grid[r][c] = text
            merged = []
            with contextlib.suppress(Exception):
                merged = sheet_obj.merged_cell_ranges or []
            sheet = _load_grid(grid, name, meta.name, con, counter, merged, scan.uncalculated)
            if sheet is not None:
                sheet.path = str(path)
                out.append(sheet)
    if not out:
        raise _Refused("no_data", f'file "{name}" has no data in any visible sheet')
    return out


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


def _damaged(name: str) -> str:
    return (
        f'file "{name}" is damaged or incomplete (its ZIP structure is broken, '
        "e.g. a truncated download): export or download it again"
    )


def _check_zip(path: Path, name: str, ext: str) -> dict[str, _SheetScan]:
    """Refuse damaged ZIPs and decompression bombs from the central directory alone, then
    (.xlsx/.xlsm) scan each sheet's XML, streamed, before calamine reads it: sheets whose used
    area is over MAX_CELLS are refused; the error cells (#N/A, #REF!...) and formulas saved
    without a value, which python-calamine reads as empty, are returned per sheet name.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise _Refused("corrupt_workbook", _damaged(name)) from e
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise _Refused(
                "zip_bomb",
                f'file "{name}" was refused: it has {len(infos)} parts inside '
                f"(limit {MAX_MEMBERS}), which looks like a decompression bomb",
            )
        total = sum(i.file_size for i in infos)
        if total > MAX_UNCOMPRESSED:
            raise _Refused(
                "zip_bomb",
                f'file "{name}" was refused: it would expand to {total / 2**20:,.0f} MB when '
                f"opened (limit {MAX_UNCOMPRESSED / 2**20:,.0f} MB)",
            )
        for i in infos:
            ratio = i.file_size / max(i.compress_size, 1)
            if i.file_size > RATIO_MIN_SIZE and ratio > MAX_RATIO:
                raise _Refused(
                    "zip_bomb",
                    f'file "{name}" was refused as a possible decompression bomb: part '
                    f'"{i.filename}" expands from {i.compress_size / 2**20:,.1f} MB to '
                    f"{i.file_size / 2**20:,.0f} MB ({ratio:,.0f}:1)",
                )
        members = {i.filename for i in infos}
        if _WORKBOOK_MEMBER[ext] not in members:
            raise _Refused(
                "not_a_workbook",
                f'file "{name}" is not a valid Excel workbook (it is a ZIP archive with no '
                "workbook inside)",
            )
        if ext in (".xlsx", ".xlsm"):
            import zlib

            try:
                return _scan_sheets(zf, name)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as e:
                raise _Refused("corrupt_workbook", _damaged(name)) from e
            except (KeyError, UnicodeDecodeError):
                return {}  # best effort only; calamine reports real damage
    return {}


_SHEET_RE = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_REL_RE = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")
_ATTR_RE = re.compile(rb'([\w:]+)="([^"]*)"')
_ERR_CELL_RE = re.compile(rb'<(?:\w+:)?c\b([^>]*\bt="e"[^>]*)>(.*?)</(?:\w+:)?c>', re.S)
_V_RE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_REF_RE = re.compile(rb"([A-Z]+)([0-9]+)")


def _attrs(raw: bytes) -> dict[str, str]:
    return {k.decode().split(":")[-1]: v.decode() for k, v in _ATTR_RE.findall(raw)}


@dataclass
class _SheetScan:
    """What the sheet XML says before calamine reads it."""

    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row0, col0) -> "#N/A"
    uncalculated: dict[tuple[int, int], str] = field(default_factory=dict)  # -> "=FORMULA"
    # the farthest value found: only cells in columns AA+ or rows 1,000,000+ are looked at
    # (narrower/shorter ones cannot reach MAX_CELLS), and, in a sheet wider than
    # MAX_CELLS / 1,000,000 columns, every cell below row MAX_CELLS / width
    rows: int = 0
    cols: int = 0


# A cell with a value: its start tag (not self-closing) not followed at once by its end tag.
_VALUED = rb'"[^>]*(?<!/)>(?!\s*</(?:\w+:)?c>)'
# cells in columns AA and beyond, and cells below row 999,999: rare, so cheap to look for
# r=" first (a fast literal search): cells in columns AA+, or one-letter cells in rows 1,000,000+
_FAR_RE = re.compile(rb'r="(?:([A-Z]{2,3})([0-9]+)|([A-Z])([0-9]{7,}))' + _VALUED)
_FORMULA_MARKS = (b"f>", b"<f ")  # </f>, <f>, </x:f>; <f t="shared" .../>
_UNCALC_RE = re.compile(
    rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_CELL_END = re.compile(rb"</(?:\w+:)?c>")


def _col_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.decode() if isinstance(letters, bytes) else letters:
        n = n * 26 + ord(ch) - 64
    return n


def _sheet_members(zf: zipfile.ZipFile) -> list[tuple[str, str | None]]:
    """(sheet name, ZIP member or None when the part is missing) in workbook order."""
    rels = {}
    for raw in _REL_RE.findall(zf.read("xl/_rels/workbook.xml.rels")):
        a = _attrs(raw)
        target = a.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        rels[a.get("Id")] = os.path.normpath(target).replace(os.sep, "/")
    import html

    out = []
    for raw in _SHEET_RE.findall(zf.read("xl/workbook.xml")):
        a = _attrs(raw)
        member = rels.get(a.get("id"))
        out.append((html.unescape(a.get("name", "")), member if member in zf.NameToInfo else None))
    return out


def _scan_sheet(zf: zipfile.ZipFile, member: str) -> _SheetScan:
    """One streamed pass over a sheet's XML: error cells, formulas saved without a value, and
    the cells that could make the used area too large (see _SheetScan); a second pass only
    when the sheet is wide."""
    import html

    scan = _SheetScan()
    has_errors = False
    tail = b""
    with zf.open(member) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            buf = tail + chunk
            if chunk:  # complete cells only; the rest waits for the next chunk
                cut = buf.rfind(b"</")
                if cut < 0 and len(buf) < 8 * _CHUNK:
                    tail = buf
                    continue
                cut = len(buf) if cut < 0 else cut
                buf, tail = buf[:cut], buf[cut:]
            if not has_errors and b't="e"' in buf:
                has_errors = True
            for col, row, col1, row1 in _FAR_RE.findall(buf):
                scan.rows = max(scan.rows, int(row or row1))
                scan.cols = max(scan.cols, _col_number(col or col1))
            if any(m in buf for m in _FORMULA_MARKS):
                for attrs, formula in _UNCALC_RE.findall(buf):
                    ref = _REF_RE.fullmatch(_attrs(attrs).get("r", "").encode())
                    if ref:
                        key = (int(ref.group(2)) - 1, _col_number(ref.group(1)) - 1)
                        scan.uncalculated[key] = "=" + html.unescape(formula.decode())
            if not chunk:
                break
    if scan.cols > MAX_CELLS // 1_000_000:
        # wide: one-letter cells above row 1,000,000 were not looked at; rows past what the
        # area allows are searched for (by digit count, then compared)
        bound = MAX_CELLS // scan.cols
        deep = re.compile(rb'r="[A-Z]{1,3}([0-9]{%d,})' % len(str(bound + 1)) + _VALUED)
        tail = b""
        with zf.open(member) as fh:
            while chunk := fh.read(_CHUNK):
                buf = tail + chunk
                cut = max(buf.rfind(b"</"), 0)
                buf, tail = buf[:cut], buf[cut:]
                for row in deep.findall(buf):
                    scan.rows = max(scan.rows, int(row))
            for row in deep.findall(tail):
                scan.rows = max(scan.rows, int(row))
    if has_errors:
        for attrs, body in _ERR_CELL_RE.findall(zf.read(member)):
            ref = _REF_RE.fullmatch(_attrs(attrs).get("r", "").encode())
            v = _V_RE.search(body)
            if not ref or not v:
                continue
            key = (int(ref.group(2)) - 1, _col_number(ref.group(1)) - 1)
            scan.errors[key] = html.unescape(v.group(1).decode())
    return scan


def _scan_sheets(zf: zipfile.ZipFile, name: str) -> dict[str, _SheetScan]:
    """Scan every sheet; refuse a missing sheet part or a used area over MAX_CELLS."""
    out: dict[str, _SheetScan] = {}
    for sheet, member in _sheet_members(zf):
        if member is None:
            raise _Refused(
                "corrupt_workbook",
                f'file "{name}", sheet "{sheet}" is damaged: the sheet\'s data is missing from '
                "the file. Open it in Excel and save it again, or export it again",
                sheet=sheet,
            )
        scan = _scan_sheet(zf, member)
        if scan.rows * scan.cols > MAX_CELLS:
            raise _Refused(
                "sheet_too_large",
                f'file "{name}", sheet "{sheet}" was refused: its cells reach row '
                f"{scan.rows:,} and column {_column_letter(scan.cols - 1)}, an area of "
                f"{scan.rows * scan.cols:,} cells (limit {MAX_CELLS:,}). Delete the stray "
                "cells below or to the right of the table (Ctrl+End in Excel shows the last "
                "one) and save it again",
                sheet=sheet,
            )
        out[sheet] = scan
    return out


def _column_letter(i: int) -> str:
    """0 -> 'A', 27 -> 'AB'."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if type(v) is dt.datetime and v.time() == dt.time(0):
        return v.date().isoformat()
    return str(v)


def _unique_headers(raw: list[object], columns: list[int]) -> list[str]:
    """Header texts, blank -> "Column C", duplicates -> "Amount (2)" (case-insensitive)."""
    seen: set[str] = {"_row"}
    out = []
    for v, col in zip(raw, columns, strict=True):
        text = "" if v is None else _cell_text(v).strip()
        base = text or f"Column {_column_letter(col)}"
        h, n = base, 1
        while h.lower() in seen:
            n += 1
            h = f"{base} ({n})"
        seen.add(h.lower())
        out.append(h)
    return out


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
        return pa.array(vals, pa.float64()), "DOUBLE"
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
    return pa.array([None if v is None else _cell_text(v) for v in vals], pa.string()), "VARCHAR"


def _load_grid(
    grid: list[list[object]],
    name: str,
    sheet: str,
    con: duckdb.DuckDBPyConnection,
    counter: _TableCounter,
    merged: list | None = None,
    uncalculated: dict[tuple[int, int], str] | None = None,
) -> SourceSheet | None:
    """One sheet's cells (from A1, row-major) into a staging table; None when it is empty."""
    h = _find_header(grid, merged)
    if h is None:
        return None
    width = max(map(len, grid))
    data = grid[h + 1 :]
    header = list(grid[h]) + [""] * (width - len(grid[h]))
    if data:
        if set(map(len, data)) != {width}:
            data = [r + [""] * (width - len(r)) for r in data]
        cols = list(zip(*data, strict=True))
    else:
        cols = [()] * width
    keep, arrays = [], []
    for c in range(width):
        arr, typ = _arrow_column(cols[c])
        if header[c] == "" and arr.null_count == len(arr):
            continue  # no header and no data: not a column
        keep.append(c)
        arrays.append((arr, typ))
    headers = _unique_headers([header[c] for c in keep], keep)
    row_numbers = pa.array(range(h + 2, h + 2 + len(data)), pa.int64())
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
    n = scalar(con, f"SELECT count(*) FROM {quote_ident(target)}")
    by_col = dict(zip(keep, headers, strict=True))
    formulas: dict[str, list[tuple[int, str]]] = {}
    for (r, c), text in sorted((uncalculated or {}).items()):
        if r > h and c in by_col:
            formulas.setdefault(by_col[c], []).append((r + 1, text))
    return SourceSheet(
        file=name,
        sheet=sheet,
        table=target,
        headers=headers,
        header_row=h + 1,
        n_rows=int(n),
        kind="xlsx",
        uncalculated=formulas,
    )


# --------------------------------------------------------------------------- CSV


@dataclass
class _TextInfo:
    path: Path  # the file DuckDB reads (a UTF-8 copy for UTF-16 / CP1252)
    encoding: str  # what the source was
    duckdb_encoding: str  # what DuckDB is told
    blank_offsets: list[int]  # byte offsets (in `path`) of blank lines before the content end
    many_blanks: bool


def _scan_text(path: Path, name: str, head: bytes, tmpdir: str) -> _TextInfo:
    """Find the encoding (transcoding to UTF-8 when DuckDB can't read it) and blank lines."""
    kind = _looks_like(head)
    if kind == "zip":
        raise _Refused(
            "not_text",
            f'file "{name}" is not a text file (it looks like an Excel .xlsx workbook): '
            "rename it to .xlsx",
        )
    if kind == "ole":
        raise _Refused(
            "not_text",
            f'file "{name}" is not a text file (it looks like a legacy Excel .xls workbook): '
            "save it as .xlsx or CSV",
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _scan_utf8(_transcode(path, "utf-16", tmpdir), name, "utf-16")
    if kind == "binary":
        raise _Refused(
            "not_text",
            f'file "{name}" is not a text file (it contains binary data): export the table as CSV',
        )
    try:
        return _scan_utf8(path, name, "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8")
    except UnicodeDecodeError:
        pass
    # Not UTF-8: Windows-1252 when it uses the 0x80-0x9F range (curly quotes, euro sign...),
    # else Latin-1, which DuckDB reads natively.
    with path.open("rb") as fh:
        cp1252 = False
        while chunk := fh.read(_CHUNK):
            if re.search(rb"[\x80-\x9f]", chunk):
                cp1252 = True
                break
    if cp1252:
        return _scan_utf8(_transcode(path, "cp1252", tmpdir), name, "cp1252")
    info = _scan_utf8(path, name, "latin-1", validate=False)
    info.duckdb_encoding = "latin-1"
    return info


def _transcode(path: Path, encoding: str, tmpdir: str) -> Path:
    out = Path(tmpdir) / "transcoded.csv"
    errors = "strict"
    if encoding == "cp1252":
        # the five bytes CP1252 leaves undefined are read as Latin-1 control characters
        codecs.register_error(
            "kamdash_latin1", lambda e: (e.object[e.start : e.end].decode("latin-1"), e.end)
        )
        errors = "kamdash_latin1"
    dec = codecs.getincrementaldecoder(encoding)(errors=errors)
    with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(dec.decode(chunk))
        dst.write(dec.decode(b"", final=True))
    return out


def _scan_utf8(path: Path, name: str, encoding: str, validate: bool = True) -> _TextInfo:
    """Validate UTF-8 (raises UnicodeDecodeError) and find blank lines, in bounded chunks."""
    dec = codecs.getincrementaldecoder("utf-8")()
    blanks: list[int] = []
    many = False
    content_end = -1
    offset = 0
    prev = b""
    binary_checked = False
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if validate and not (chunk.isascii() and not dec.getstate()[0]):
                dec.decode(chunk)  # (pure ASCII with nothing pending is valid UTF-8)
            if not binary_checked:
                binary_checked = True
                if b"\x00" in chunk:
                    raise _Refused(
                        "not_text",
                        f'file "{name}" is not a text file (it contains binary data): '
                        "export the table as CSV",
                    )
            buf = prev + chunk
            base = offset - len(prev)
            if not many:
                for m in re.finditer(rb"\n(?=\r?\n)", buf):
                    pos = base + m.end()
                    if pos >= offset and (not blanks or pos > blanks[-1]):
                        blanks.append(pos)
                        if len(blanks) > 100:
                            many = True
                            break
            stripped = chunk.rstrip(b" \t\r\n")
            if stripped:
                content_end = offset + len(stripped)
            prev = chunk[-2:]
            offset += len(chunk)
        if validate:
            dec.decode(b"", final=True)
    if content_end < 0 or (encoding == "utf-8-sig" and content_end <= 3):
        raise _Refused("empty_file", f'file "{name}" contains no data (only blank lines)')
    blanks = [b for b in blanks if b < content_end]
    return _TextInfo(path, encoding, "utf-8", blanks, many)


def _duck_message(e: Exception) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    lines = [re.sub(r"^[A-Za-z ]*Error: ", "", ln) for ln in lines[:2]]
    return " - ".join(lines)


_LENIENT = {"null_padding": True, "parallel": False, "strict_mode": False}


def _options_sql(options: dict) -> tuple[str, list]:
    sql, params = "", []
    for k, v in options.items():
        sql += f", {k} := ?"
        params.append(v)
    return sql, params


def _read_csv(
    path: Path,
    name: str,
    head: bytes,
    con: duckdb.DuckDBPyConnection,
    counter: _TableCounter,
) -> SourceSheet:
    with tempfile.TemporaryDirectory(prefix="kamdash-csv-") as tmpdir:
        info = _scan_text(path, name, head, tmpdir)
        enc = {"encoding": info.duckdb_encoding}
        sniff = None
        lenient = False
        error: Exception | None = None
        # strict first; then lenient (ragged rows, stray lines) with the delimiter counted by us,
        # as DuckDB's lenient sniffer can settle on a wrong one
        # (a one-column answer while the text is full of a delimiter counts as a failure).
        guess = _guess_delimiter(info.path)
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
            raise _Refused(
                "csv_unreadable", f'file "{name}" could not be read as CSV: {_duck_message(error)}'
            )
        if sniff is None:  # DuckDB found no consistent dialect: go with the delimiter we counted
            sniff, lenient = (guess, '"', _plausible_skip(info.path, guess)[0], 0), True
        delim, quote, skip = sniff[0], sniff[1], int(sniff[2])
        plausible, widest = _plausible_skip(info.path, delim)
        if skip > plausible:
            # DuckDB skipped lines as wide as the data (a ragged file, not report titles):
            # keep them and read leniently instead of losing rows
            skip, lenient = plausible, True
        elif skip < plausible:  # one-field title lines above a narrow table ("Report: ...")
            skip = plausible
        quote = '"' if quote in ("(empty)", "") else quote
        base = {**enc, "delim": delim, "skip": skip, "header": False, "all_varchar": True}
        # lenient: no sniffing at all, as many columns as the widest line, short lines padded
        loose = {
            **_LENIENT,
            "auto_detect": False,
            "quote": quote,
            "escape": quote,
            "columns": {f"column{i}": "VARCHAR" for i in range(max(widest, 1))},
        }
        target = counter.next()
        for opts in (loose,) if lenient else ({}, loose):
            try:
                return _stage_csv(
                    con, target, name, path, info, {**base, **opts}, delim, quote, skip
                )
            except duckdb.Error as e:
                error = e
                con.execute(f"DROP TABLE IF EXISTS {quote_ident(target)}")
        raise _Refused(
            "csv_unreadable", f'file "{name}" could not be read as CSV: {_duck_message(error)}'
        )


def _guess_delimiter(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(65536)
    best = max([",", ";", "\t", "|"], key=lambda d: head.count(d.encode()))
    return best if best.encode() in head else ""


def _plausible_skip(path: Path, delim: str) -> tuple[int, int]:
    """(lines that could be report titles, fields of the widest line), quotes ignored.

    The header is the first of the first 20 lines with at least half as many fields as the
    widest of the first 1000 lines.
    """
    with path.open("rb") as fh:
        lines = fh.read(_CHUNK).split(b"\n")[:1000]
    counts = [ln.count(delim.encode()) + 1 if ln.strip() else 0 for ln in lines]
    widest = max(counts, default=0)
    need = min(2, widest)  # a one-field line is a title, never the header of a wider table
    return next((i for i, c in enumerate(counts[:20]) if c * 2 >= widest and c >= need), 0), widest


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
    info: _TextInfo,
    options: dict,
    delim: str,
    quote: str,
    skip: int,
) -> SourceSheet:
    """One pass of DuckDB's reader into the staging table (the header line read first)."""
    opt_sql, opt_params = _options_sql(options)
    source = "read_csv(?" + opt_sql + ")"
    params = [str(info.path), *opt_params]
    cur = con.execute(f"SELECT * FROM {source} LIMIT 1", params)
    cols = [d[0] for d in cur.description]
    first = cur.fetchall()
    raw_headers = list(first[0]) if first else [None] * len(cols)
    if raw_headers and isinstance(raw_headers[0], str):
        raw_headers[0] = raw_headers[0].lstrip("\ufeff")
        if info.encoding == "latin-1":
            raw_headers[0] = raw_headers[0].removeprefix("ï»¿")
    headers = _unique_headers(raw_headers, list(range(len(cols))))
    notes = []
    header_row = skip + 1
    row_expr = f"_rec + {header_row - 1}"
    join = ""
    rows_view = f"_kamdash_rows_{target}"
    excel: list[int] | None = None
    start = _header_offset(info.path, skip)
    if info.many_blanks or any(b >= start for b in info.blank_offsets):
        # DuckDB skips blank lines; Excel counts them: number rows from the text itself
        excel = _excel_rows(info.path, quote, skip)
        con.register(rows_view, pa.table({"_i": range(1, len(excel) + 1), "_x": excel}))
        join = f" LEFT JOIN {quote_ident(rows_view)} x ON r._rec = x._i"
        row_expr = f"coalesce(x._x, _rec + {header_row - 1})"
        header_row = excel[0] if excel else header_row
    select = ", ".join(
        f"r.{quote_ident(c)} AS {quote_ident(h)}" for c, h in zip(cols, headers, strict=True)
    )
    # the file's order is kept without sorting (DuckDB preserves insertion order through the
    # streaming row_number() and the filter; sorting 10M rows took longer than reading them);
    # only the join with the blank-line row numbers needs the ORDER BY
    empty = " AND ".join(f"coalesce(trim(r.{quote_ident(c)}), '') = ''" for c in cols) or "FALSE"
    try:
        con.execute(
            f"CREATE TABLE {quote_ident(target)} AS SELECT CAST({row_expr} AS BIGINT) AS _row, "
            f"{select} FROM (SELECT row_number() OVER () AS _rec, * FROM {source}) r{join} "
            f"WHERE r._rec > 1 AND NOT ({empty})" + (" ORDER BY r._rec" if join else ""),
            params,
        )
    finally:
        if excel is not None:
            con.unregister(rows_view)
    n = int(scalar(con, f"SELECT count(*) FROM {quote_ident(target)}"))
    unnamed = [h for h, r in zip(headers, raw_headers, strict=True) if r is None]
    if unnamed and options.get("null_padding"):
        counts = rows(
            con,
            "SELECT "
            + ", ".join(f"count({quote_ident(h)})" for h in unnamed)
            + f" FROM {quote_ident(target)}",
        )[0]
        for h, c in zip(unnamed, counts, strict=True):
            if not c:  # padding, not a column: no header and no data
                con.execute(f"ALTER TABLE {quote_ident(target)} DROP COLUMN {quote_ident(h)}")
                headers = [x for x in headers if x != h]
    if excel is not None:
        n_rec = scalar(con, f"SELECT count(*) FROM {source}", params)
        if n_rec != len(excel):
            notes.append("row numbers may be off: blank lines could not be located exactly")
    _refuse_mixed_delimiters(con, target, name, headers, delim)
    if info.encoding in ("cp1252", "latin-1"):
        label = "Windows-1252" if info.encoding == "cp1252" else "Latin-1"
        notes.append(f"not UTF-8: read as {label}")
    return SourceSheet(
        file=name,
        sheet=None,
        table=target,
        headers=headers,
        header_row=header_row,
        n_rows=n,
        kind="csv",
        path=str(path),
        delimiter=delim,
        encoding=info.encoding,
        decimal=_decimal(con, target, headers, delim),
        notes=notes,
    )


_DELIM_WORDS = {",": '","', ";": '";"', "\t": "tabs", "|": '"|"'}


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
            raise _Refused(
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
