"""Pre-scans of a ZIP workbook before python-calamine opens it: damaged archives and
decompression bombs (from the central directory alone), and each sheet's XML, streamed, for
a used area too large to materialise, error cells and formulas saved without their result.
"""

from __future__ import annotations

import html
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from kamdash.ingest.sniff import CHUNK
from kamdash.ingest.staging import MAX_COLUMNS, Refused, column_letter, too_wide

# Decompression-bomb limits, checked on the ZIP central directory before parsing.
MAX_UNCOMPRESSED = 2**30  # 1 GiB in total
MAX_RATIO = 100  # uncompressed / compressed, for a member ...
RATIO_MIN_SIZE = 10 * 2**20  # ... larger than 10 MB
MAX_MEMBERS = 10_000
# A sheet's cells are materialised from A1 to its last non-empty cell: a stray value in cell
# XFD1048576 of a tiny file would ask for 17 billion cells (python-calamine aborts the whole
# process on that allocation), so the used area is measured from the sheet XML first.
MAX_CELLS = 30_000_000

# Members a workbook of each kind must hold.
_WORKBOOK_MEMBER = {
    ".xlsx": "xl/workbook.xml",
    ".xlsm": "xl/workbook.xml",
    ".xlsb": "xl/workbook.bin",
    ".ods": "content.xml",
}


def damaged(name: str) -> str:
    return (
        f'file "{name}" is damaged or incomplete (its ZIP structure is broken, '
        "e.g. a truncated download): export or download it again"
    )


def check_zip(path: Path, name: str, ext: str) -> dict[str, SheetScan]:
    """Refuse damaged ZIPs and decompression bombs from the central directory alone, then
    (.xlsx/.xlsm) scan each sheet's XML, streamed, before calamine reads it: sheets whose used
    area is over MAX_CELLS are refused; the error cells (#N/A, #REF!...) and formulas saved
    without a value, which python-calamine reads as empty, are returned per sheet name.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise Refused("corrupt_workbook", damaged(name)) from e
    with zf:
        infos = zf.infolist()
        _refuse_bomb(infos, name)
        members = {i.filename for i in infos}
        if _WORKBOOK_MEMBER[ext] not in members:
            raise Refused(
                "not_a_workbook",
                f'file "{name}" is not a valid Excel workbook (it is a ZIP archive with no '
                "workbook inside)",
            )
        if ext in (".xlsx", ".xlsm"):
            try:
                return _scan_sheets(zf, name)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as e:
                raise Refused("corrupt_workbook", damaged(name)) from e
            except (KeyError, UnicodeDecodeError):
                return {}  # best effort only; calamine reports real damage
    return {}


def _refuse_bomb(infos: list[zipfile.ZipInfo], name: str) -> None:
    """Too many parts, too much in total, or one part expanding far beyond its size."""
    if len(infos) > MAX_MEMBERS:
        raise Refused(
            "zip_bomb",
            f'file "{name}" was refused: it has {len(infos)} parts inside '
            f"(limit {MAX_MEMBERS}), which looks like a decompression bomb",
        )
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise Refused(
            "zip_bomb",
            f'file "{name}" was refused: it would expand to {total / 2**20:,.0f} MB when '
            f"opened (limit {MAX_UNCOMPRESSED / 2**20:,.0f} MB)",
        )
    for i in infos:
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > RATIO_MIN_SIZE and ratio > MAX_RATIO:
            raise Refused(
                "zip_bomb",
                f'file "{name}" was refused as a possible decompression bomb: part '
                f'"{i.filename}" expands from {i.compress_size / 2**20:,.1f} MB to '
                f"{i.file_size / 2**20:,.0f} MB ({ratio:,.0f}:1)",
            )


_SHEET_RE = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_REL_RE = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")
_ATTR_RE = re.compile(rb'([\w:]+)="([^"]*)"')
_ERR_CELL_RE = re.compile(rb'<(?:\w+:)?c\b([^>]*\bt="e"[^>]*)>(.*?)</(?:\w+:)?c>', re.S)
_V_RE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_REF_RE = re.compile(rb"([A-Z]+)([0-9]+)")


def _attrs(raw: bytes) -> dict[str, str]:
    return {k.decode().split(":")[-1]: v.decode() for k, v in _ATTR_RE.findall(raw)}


@dataclass
class SheetScan:
    """What the sheet XML says before calamine reads it."""

    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row0, col0) -> "#N/A"
    uncalculated: dict[tuple[int, int], str] = field(default_factory=dict)  # -> "=FORMULA"
    # the farthest value found: only cells in columns AA+ or rows 1,000,000+ are looked at
    # (narrower/shorter ones cannot reach MAX_CELLS), and, in a sheet wider than
    # MAX_CELLS / 1,000,000 columns, every cell below row MAX_CELLS / width
    rows: int = 0
    cols: int = 0
    # a control character may be in a cell (raw, as "&#1;" or OOXML's "_x0001_" escape), here
    # or in the shared strings: the staged text is then checked and cleaned
    control: bool = False


# A cell with a value: its start tag (not self-closing) not followed at once by its end tag.
_VALUED = rb'"[^>]*(?<!/)>(?!\s*</(?:\w+:)?c>)'
# cells in columns AA and beyond, and cells below row 999,999: rare, so cheap to look for
# r=" first (a fast literal search): cells in columns AA+, or one-letter cells in rows 1,000,000+
_FAR_RE = re.compile(rb'r="(?:([A-Z]{2,3})([0-9]+)|([A-Z])([0-9]{7,}))' + _VALUED)
_CONTROL_HINT = re.compile(
    rb"_x00[01][0-9a-fA-F]_|_x007[fF]_|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|"
    rb"&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|127));"
)
_FORMULA_MARKS = (b"f>", b"<f ")  # </f>, <f>, </x:f>; <f t="shared" .../>
_UNCALC_RE = re.compile(
    rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)


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
    out = []
    for raw in _SHEET_RE.findall(zf.read("xl/workbook.xml")):
        a = _attrs(raw)
        member = rels.get(a.get("id"))
        out.append((html.unescape(a.get("name", "")), member if member in zf.NameToInfo else None))
    return out


def _scan_sheet(zf: zipfile.ZipFile, member: str) -> SheetScan:
    """One streamed pass over a sheet's XML: error cells, formulas saved without a value, and
    the cells that could make the used area too large (see SheetScan); a second pass only
    when the sheet is wide."""
    scan = SheetScan()
    has_errors = False
    tail = b""
    with zf.open(member) as fh:
        while True:
            chunk = fh.read(CHUNK)
            buf = tail + chunk
            if chunk:  # complete cells only; the rest waits for the next chunk
                cut = buf.rfind(b"</")
                if cut < 0 and len(buf) < 8 * CHUNK:
                    tail = buf
                    continue
                cut = len(buf) if cut < 0 else cut
                buf, tail = buf[:cut], buf[cut:]
            if not has_errors and b't="e"' in buf:
                has_errors = True
            if not scan.control and _CONTROL_HINT.search(buf):
                scan.control = True
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
            while chunk := fh.read(CHUNK):
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


def _scan_sheets(zf: zipfile.ZipFile, name: str) -> dict[str, SheetScan]:
    """Scan every sheet; refuse a missing sheet part or a used area over MAX_CELLS."""
    out: dict[str, SheetScan] = {}
    shared = _shared_strings_control(zf)
    for sheet, member in _sheet_members(zf):
        if member is None:
            raise Refused(
                "corrupt_workbook",
                f'file "{name}", sheet "{sheet}" is damaged: the sheet\'s data is missing from '
                "the file. Open it in Excel and save it again, or export it again",
                sheet=sheet,
            )
        scan = _scan_sheet(zf, member)
        scan.control = scan.control or shared
        if scan.rows * scan.cols > MAX_CELLS:
            raise Refused(
                "sheet_too_large",
                f'file "{name}", sheet "{sheet}" was refused: its cells reach row '
                f"{scan.rows:,} and column {column_letter(scan.cols - 1)}, an area of "
                f"{scan.rows * scan.cols:,} cells (limit {MAX_CELLS:,}). Delete the stray "
                "cells below or to the right of the table (Ctrl+End in Excel shows the last "
                "one) and save it again",
                sheet=sheet,
            )
        if scan.cols > MAX_COLUMNS:  # (after the area: a stray far cell is said as such)
            raise too_wide(name, sheet, scan.cols)
        out[sheet] = scan
    return out


def _shared_strings_control(zf: zipfile.ZipFile) -> bool:
    """Whether the shared strings (the text of most cells) may hold a control character."""
    name = next((n for n in zf.NameToInfo if n.lower() == "xl/sharedstrings.xml"), None)
    if name is None:
        return False
    tail = b""
    with zf.open(name) as fh:
        while chunk := fh.read(CHUNK):
            if _CONTROL_HINT.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False
