"""Pre-scans of a ZIP workbook before python-calamine opens it: damaged archives and
decompression bombs (from the central directory alone), and each sheet's XML, streamed, for
a used area too large to materialise, error cells and formulas saved without their result.

Memory: python-calamine holds the whole shared-strings table, then a sheet's every cell (and a
copy of its text for every cell that refers to a shared string), then Python's own copy. So,
before it opens a workbook:
- the central directory's sizes are capped: the shared strings (MAX_SHARED_STRINGS), each
  sheet (MAX_SHEET_XML), the whole (MAX_UNCOMPRESSED);
- every XML part is decompressed here from its raw bytes, never beyond the size its header
  claims (a part that holds more than its header says is refused: a "lying header" would
  otherwise expand without limit inside calamine), and its CRC checked;
- the memory reading each sheet would take is estimated from what the stream holds (cells,
  the shared strings' sizes and the text the cells refer to) and refused over
  MAX_READ_MEMORY (about 0.8 GiB, so two checks at once keep a server under 2 GiB).
"""

from __future__ import annotations

import html
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kamdash.ingest.sniff import CHUNK
from kamdash.ingest.staging import MAX_COLUMNS, Refused, column_letter, too_wide

# Decompression-bomb limits, checked on the ZIP central directory before parsing.
MAX_UNCOMPRESSED = 2**30  # 1 GiB in total
MAX_RATIO = 100  # uncompressed / compressed, for a member ...
RATIO_MIN_SIZE = 10 * 2**20  # ... larger than 10 MB
MAX_MEMBERS = 10_000
# The expanded size of the shared strings (the text of most cells: the whole table is held in
# memory, ~3x its XML size for short texts) and of each sheet's XML.
MAX_SHARED_STRINGS = 128 * 2**20
MAX_SHEET_XML = 512 * 2**20
# Memory reading a sheet may take (estimated before parsing, from the streamed XML): the shared
# strings' table, CELL_BYTES per cell element (calamine's 32-byte cell + Python's object and
# pointer: 79-83 bytes measured with numbers), and twice the text its cells refer to in the
# shared strings (calamine copies it per cell, then Python again). 640 MiB: two checks at once
# (store.load.MAX_CONCURRENT_CHECKS) stay under 2 GiB with the server's own ~0.3 GiB; a sheet
# of 1M rows x 8 columns of numbers still fits.
MAX_READ_MEMORY = 640 * 2**20
CELL_BYTES = 80
STRING_BYTES = 56  # one shared string held by calamine: its String (24) + allocation
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


def _lying(name: str, part: str, size: int) -> Refused:
    return Refused(
        "corrupt_workbook",
        f'file "{name}" was refused: its part "{part}" holds more than the {size:,} bytes its '
        "header says (a damaged file, or one built to exhaust memory when opened). Open it in "
        "Excel and save it again, or export it again",
    )


_TOO_BIG_TODO = (
    "Save the sheet as CSV (kamdash reads large CSV files without this limit), or remove "
    "unused rows, columns or long texts, and upload it again"
)


def member_chunks(
    path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str
) -> Iterator[bytes]:
    """A ZIP member's bytes, decompressed CHUNK at a time from its raw data: never more than
    the size its header claims (Refused beyond it), CRC checked at the end. Members neither
    stored nor deflated (or encrypted) are read through zipfile (bounded by their header)."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 1:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
        return
    total, crc = 0, 0
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        head = f.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            raise Refused("corrupt_workbook", damaged(name))
        n, m = struct.unpack("<HH", head[26:30])
        f.seek(info.header_offset + 30 + n + m)
        left = info.compress_size
        d = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        while left > 0 or (d is not None and d.unconsumed_tail):
            if d is not None and d.unconsumed_tail:
                out = d.decompress(d.unconsumed_tail, CHUNK)
            else:
                raw = f.read(min(CHUNK, left))
                if not raw:
                    raise Refused("corrupt_workbook", damaged(name))
                left -= len(raw)
                out = raw if d is None else d.decompress(raw, CHUNK)
            if not out:
                continue
            total += len(out)
            if total > info.file_size:
                raise _lying(name, info.filename, info.file_size)
            crc = zlib.crc32(out, crc)
            yield out
        if d is not None and (out := d.flush()):
            total += len(out)
            if total > info.file_size:
                raise _lying(name, info.filename, info.file_size)
            crc = zlib.crc32(out, crc)
            yield out
    if total != info.file_size or crc != info.CRC:
        raise Refused("corrupt_workbook", damaged(name))


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
                return _scan_sheets(zf, name, Path(path))
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
        low = i.filename.lower()
        if (
            low in ("xl/sharedstrings.xml", "xl/sharedstrings.bin")
            and i.file_size > MAX_SHARED_STRINGS
        ):
            raise Refused(
                "too_large",
                f'file "{name}" was refused: its shared text (part "{i.filename}") would '
                f"expand to {i.file_size / 2**20:,.0f} MB when opened (limit "
                f"{MAX_SHARED_STRINGS / 2**20:,.0f} MB). {_TOO_BIG_TODO}",
            )
        if low.startswith("xl/worksheets/") and i.file_size > MAX_SHEET_XML:
            raise Refused(
                "too_large",
                f'file "{name}" was refused: its sheet part "{i.filename}" would expand to '
                f"{i.file_size / 2**20:,.0f} MB when opened (limit "
                f"{MAX_SHEET_XML / 2**20:,.0f} MB). {_TOO_BIG_TODO}",
            )
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
    # for the memory estimate: cell elements (an upper bound; 0 when the sheet is too small to
    # matter) and the bytes of shared text its cells refer to (an upper bound)
    cells: int = 0
    text: int = 0


@dataclass
class SharedText:
    """The shared strings' table, measured while streamed: each string's size in the XML (an
    upper bound of its text), for the text a sheet's cells refer to."""

    size: int = 0  # expanded bytes
    lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    longest: int = 0
    control: bool = False

    @property
    def memory(self) -> int:
        """What calamine holds for the table while the workbook is open (estimate)."""
        return self.size + len(self.lengths) * STRING_BYTES


# A cell with a value: its start tag (not self-closing) not followed at once by its end tag.
_VALUED = rb'"[^>]*(?<!/)>(?!\s*</(?:\w+:)?c>)'
# cells in columns AA and beyond, and cells below row 999,999: rare, so cheap to look for
# r=" first (a fast literal search): cells in columns AA+, or one-letter cells in rows 1,000,000+
_FAR_RE = re.compile(rb'r="(?:([A-Z]{2,3})([0-9]+)|([A-Z])([0-9]{7,}))' + _VALUED)
_CONTROL_HINT = re.compile(
    rb"_x00[01][0-9a-fA-F]_|_x007[fF]_|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|"
    rb"&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|127));"
)
# bytes that are not control characters: deleting them leaves only the raw control bytes
_NOT_CONTROL = bytes(b for b in range(256) if b not in (*range(9), 11, 12, *range(14, 32), 127))


def _may_hold_control(buf: bytes) -> bool:
    """`_CONTROL_HINT.search(buf)`, with the regex (slow: no literal to skip ahead to) run only
    when a raw control byte or the start of an escape is in `buf`."""
    if buf.translate(None, _NOT_CONTROL):
        return True
    return (b"_x00" in buf or b"&#" in buf) and _CONTROL_HINT.search(buf) is not None


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


# a value element's whole-number content (a shared string's index when its cell has t="s"),
# and one whose content is written with character references ("&#49;")
_V_INT_RE = re.compile(rb"<(?:\w+:)?v\b[^>]*>\s*([0-9]{1,10})\s*(?:<|\Z)")
_V_ENTITY_RE = re.compile(rb"<(?:\w+:)?v\b[^>]*>[^<]*&")


def _referenced_text(buf: bytes, shared: SharedText) -> int:
    """The shared text the value elements in `buf` may refer to: the size of the string at
    each whole-number value (every one, whatever its cell's type: an upper bound), and the
    longest string's for a value written with character references."""
    found = _V_INT_RE.findall(buf)
    total = 0
    if found:
        idx = np.fromiter(map(int, found), np.int64, len(found))
        total = int(shared.lengths[idx[idx < len(shared.lengths)]].sum(dtype=np.int64))
    return total + len(_V_ENTITY_RE.findall(buf)) * shared.longest


def _scan_sheet(
    zf: zipfile.ZipFile,
    member: str,
    chunks: Iterator[bytes] | None = None,
    shared: SharedText | None = None,
    count_cells: bool = False,
) -> SheetScan:
    """One streamed pass over a sheet's XML (`chunks`: its bytes, by default read through
    `zf`): error cells, formulas saved without a value, the cells that could make the used
    area too large (see SheetScan), and what the memory estimate needs (cell elements when
    `count_cells`, the shared text referred to); a second pass only when the sheet is wide."""
    scan = SheetScan()
    has_errors = False
    tail = b""
    if chunks is None:
        chunks = _read_chunks(zf, member)
    # the text referred to: every value element bounded by the longest string (cheap) until
    # that bound reaches a sixteenth of the memory allowed, then counted exactly per chunk
    cheap_until = MAX_READ_MEMORY // 16
    text = shared is not None and shared.longest > 0
    for chunk in _then_empty(chunks):
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
        if not scan.control and _may_hold_control(buf):
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
        if count_cells:  # <c ...> and <x:c ...> (and a few other tags: an upper bound)
            scan.cells += buf.count(b"<c") + buf.count(b":c")
        if text:
            cheap = buf.count(b"v>") * shared.longest  # </v>, </x:v>: one per value at least
            if scan.text + cheap <= cheap_until:
                scan.text += cheap
            else:
                scan.text += _referenced_text(buf, shared)
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
    if has_errors:  # streamed too, in whole cells (cut after a cell's end tag)
        tail = b""
        for chunk in _then_empty(_read_chunks(zf, member)):
            buf = tail + chunk
            if chunk:
                cut = buf.rfind(b"c>") + 2
                if cut < 2 and len(buf) < 8 * CHUNK:
                    tail = buf
                    continue
                cut = len(buf) if cut < 2 else cut
                buf, tail = buf[:cut], buf[cut:]
            for attrs, body in _ERR_CELL_RE.findall(buf):
                ref = _REF_RE.fullmatch(_attrs(attrs).get("r", "").encode())
                v = _V_RE.search(body)
                if not ref or not v:
                    continue
                key = (int(ref.group(2)) - 1, _col_number(ref.group(1)) - 1)
                scan.errors[key] = html.unescape(v.group(1).decode())
    return scan


def _read_chunks(zf: zipfile.ZipFile, member: str) -> Iterator[bytes]:
    with zf.open(member) as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def _then_empty(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks, then b"" (the end, for loops that flush what they held back)."""
    yield from chunks
    yield b""


def _scan_sheets(zf: zipfile.ZipFile, name: str, path: Path | None = None) -> dict[str, SheetScan]:
    """Scan every sheet; refuse a missing sheet part, a used area over MAX_CELLS, a part that
    holds more than its header says (when `path` is given: every XML part is streamed from
    its raw bytes) and a sheet whose reading would take more than MAX_READ_MEMORY."""
    out: dict[str, SheetScan] = {}
    sheets = _sheet_members(zf)
    sheet_parts = {m for _, m in sheets if m}
    sst = next((n for n in zf.NameToInfo if n.lower() == "xl/sharedstrings.xml"), None)
    if path is not None:  # the other parts calamine reads: their true sizes, before it does
        for info in zf.infolist():
            low = info.filename.lower()
            if info.filename in sheet_parts or info.filename == sst:
                continue
            if low.endswith((".xml", ".rels")):
                for _ in member_chunks(path, zf, info, name):
                    pass
    shared = _shared_strings(zf, sst, name, path) if sst else SharedText()
    for sheet, member in sheets:
        if member is None:
            raise Refused(
                "corrupt_workbook",
                f'file "{name}", sheet "{sheet}" is damaged: the sheet\'s data is missing from '
                "the file. Open it in Excel and save it again, or export it again",
                sheet=sheet,
            )
        info = zf.getinfo(member)
        chunks = member_chunks(path, zf, info, name) if path is not None else None
        # a sheet this small cannot hold enough cells to matter (a cell takes 4 bytes at least)
        count_cells = (info.file_size // 4) * CELL_BYTES > MAX_READ_MEMORY // 2
        scan = _scan_sheet(zf, member, chunks, shared, count_cells)
        scan.control = scan.control or shared.control
        need = shared.memory + scan.cells * CELL_BYTES + 2 * scan.text
        if need > MAX_READ_MEMORY:
            raise Refused(
                "too_large",
                f'file "{name}", sheet "{sheet}" was refused: reading it would take about '
                f"{need / 2**20:,.0f} MB of memory (limit {MAX_READ_MEMORY / 2**20:,.0f} MB): "
                + _why_big(shared, scan)
                + f". {_TOO_BIG_TODO}",
                sheet=sheet,
            )
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


def _why_big(shared: SharedText, scan: SheetScan) -> str:
    parts = []
    if scan.cells * CELL_BYTES >= MAX_READ_MEMORY // 4:
        parts.append(f"it has up to {scan.cells:,} cells")
    if 2 * scan.text >= MAX_READ_MEMORY // 4:
        parts.append(f"its cells repeat {scan.text / 2**20:,.0f} MB of shared text")
    if shared.memory >= MAX_READ_MEMORY // 4:
        parts.append(
            f"the workbook's shared text holds {len(shared.lengths):,} strings "
            f"({shared.size / 2**20:,.0f} MB)"
        )
    return ", and ".join(parts) or "it is too large"


# the start of a shared string: <si>, <si ...>, <si/>
_SI_RE = re.compile(rb"<(?:\w+:)?si[\s>/]")
_LT, _S, _I = ord("<"), ord("s"), ord("i")
_SI_END = (ord(">"), ord(" "), ord("/"), ord("\t"), ord("\n"), ord("\r"))


def _shared_strings(
    zf: zipfile.ZipFile, member: str, name: str, path: Path | None = None
) -> SharedText:
    """The shared strings, streamed (from the raw bytes when `path` is given): whether they may
    hold a control character, and each string's size in the XML (the distance to the next
    string's start: an upper bound of its text)."""
    out = SharedText()
    info = zf.getinfo(member)
    chunks = member_chunks(path, zf, info, name) if path is not None else _read_chunks(zf, member)
    starts: list[np.ndarray] = []
    carry, ctail, offset, prefixed = b"", b"", 0, None
    for chunk in chunks:
        out.size += len(chunk)
        data = carry + chunk
        if not out.control and _may_hold_control(ctail + chunk):
            out.control = True
        ctail = chunk[-16:]
        if prefixed is None:  # <x:sst>: found by a regex (slower, and rare)
            prefixed = re.search(rb"<\w+:sst\b", data[:4096]) is not None
        keep = min(3, len(data))
        if prefixed:
            found = [m.start() for m in _SI_RE.finditer(data) if m.start() < len(data) - keep]
            starts.append(np.asarray(found, np.int64) + offset)
        elif len(data) > 3:
            a = np.frombuffer(data, np.uint8)
            nxt = a[3:]
            hit = (a[:-3] == _LT) & (a[1:-2] == _S) & (a[2:-1] == _I)
            hit &= np.isin(nxt, _SI_END)
            starts.append(np.flatnonzero(hit).astype(np.int64) + offset)
        carry = data[len(data) - keep :]
        offset += len(data) - keep
    pos = np.concatenate(starts) if starts else np.zeros(0, np.int64)
    if len(pos):
        out.lengths = np.diff(pos, append=out.size).astype(np.int32)
        out.longest = int(out.lengths.max())
    return out
