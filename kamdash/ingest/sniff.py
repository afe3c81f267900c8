"""What a file is before it is parsed: its type from the first bytes (never trusting the
extension), legacy / encrypted workbooks, a text file's encoding and blank lines, and the
separator and title lines of a CSV. Files that cannot be read are refused here with plain words.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from kamdash.ingest.staging import Refused

CSV_EXTENSIONS = {".csv", ".txt", ".tsv"}
WORKBOOK_EXTENSIONS = {".xlsx", ".xlsm", ".xlsb", ".ods"}
MAX_BYTES = 200 * 2**20  # per file: larger exports are refused (filter or split them)

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CHUNK = 2**20


def looks_like(head: bytes) -> str:
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
    """Binary data, not text with a few stray NULs: more than one byte in ten is NUL (also
    UTF-16 without a byte-order mark, which is refused as before), or more than one in a
    hundred is another control character. Stray NULs and control characters in text are
    removed from the cells they sit in, with a warning."""
    if chunk.count(b"\x00") * 10 > len(chunk):
        return True
    control = sum(chunk.count(bytes([b])) for b in (*range(1, 9), *range(14, 32)) if b != 27)
    return control > max(2, len(chunk) // 100)


# every byte but the control characters (C0 except tab/LF/CR, and DEL): what is left after
# deleting these is the control characters of a chunk (bytes.translate runs at memory speed)
_NOT_CONTROL = bytes(b for b in range(256) if (b > 31 or b in (9, 10, 13)) and b != 127)


KIND_WORDS = {
    "html": "an HTML page",
    "xml": "an XML file (perhaps an Excel 2003 XML spreadsheet)",
    "text": "a text/CSV file",
    "binary": "unknown binary data",
}


def ole_streams(path: Path) -> set[str]:
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


def refuse_xls(name: str, head: bytes, path: Path | None = None) -> None:
    kind = looks_like(head)
    if kind == "ole" and path is not None and "encryptedpackage" in ole_streams(path):
        raise Refused(
            "password_protected",
            f'file "{name}" is password-protected (encrypted), so it cannot be read: '
            "open it in Excel, remove the password and save it as .xlsx",
        )
    if kind == "zip":
        raise Refused(
            "wrong_extension",
            f'file "{name}" is really an .xlsx workbook with an .xls name: rename it to .xlsx',
        )
    if kind in ("html", "xml", "text"):
        raise Refused(
            "not_a_workbook",
            f'file "{name}" is not a valid Excel workbook (it looks like {KIND_WORDS[kind]} '
            "saved with an Excel name): open it in Excel and save it as .xlsx",
        )
    raise Refused(
        "legacy_xls",
        f'file "{name}" is a legacy .xls workbook, which is not supported: '
        "open it in Excel and save it as .xlsx",
    )


def check_file(path: Path, name: str, max_bytes: int) -> tuple[str, bytes]:
    """(extension, first bytes) of a file worth parsing; refuses unreadable, unsupported,
    empty and oversized files and every kind of legacy .xls."""
    ext = path.suffix.lower()
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as e:
        raise Refused("unreadable", f'file "{name}" cannot be opened: {e.strerror or e}') from e
    if ext not in CSV_EXTENSIONS | WORKBOOK_EXTENSIONS | {".xls"}:
        shown = ext or "(no extension)"
        raise Refused(
            "unsupported_type",
            f'file "{name}" has an unsupported type "{shown}": upload .xlsx, .xlsm or .csv files',
        )
    if size == 0:
        raise Refused("empty_file", f'file "{name}" is empty (0 bytes)')
    if size > max_bytes:
        raise Refused(
            "too_large",
            f'file "{name}" is {size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB limit: '
            "filter or split the export",
        )
    if ext == ".xls":
        refuse_xls(name, head, path)
    return ext, head


def refuse_unless_zip(path: Path, name: str, ext: str, head: bytes) -> None:
    """A workbook extension on something that is not a ZIP (OOXML/ODS) workbook is refused,
    saying what the file really is."""
    kind = looks_like(head)
    if kind == "ole":
        streams = ole_streams(path)
        if "encryptedpackage" in streams:
            raise Refused(
                "password_protected",
                f'file "{name}" is password-protected (encrypted), so it cannot be read: '
                "open it in Excel, remove the password and save it again",
            )
        if streams & {"workbook", "book"}:
            raise Refused(
                "legacy_xls",
                f'file "{name}" is really a legacy .xls workbook with an {ext} name: '
                "open it in Excel and save it as .xlsx",
            )
        raise Refused(
            "legacy_or_encrypted",
            f'file "{name}" is a legacy .xls or password-protected workbook: '
            "save it as .xlsx without a password",
        )
    if kind != "zip":
        raise Refused(
            "not_a_workbook",
            f'file "{name}" is not a valid Excel workbook (it looks like {KIND_WORDS[kind]})'
            + (
                ": rename it to .csv"
                if kind == "text"
                else ": open it in Excel and save it as .xlsx"
            ),
        )


@dataclass
class TextInfo:
    path: Path  # the file DuckDB reads (a UTF-8 copy for UTF-16 / CP1252)
    encoding: str  # what the source was
    duckdb_encoding: str  # what DuckDB is told
    blank_offsets: list[int]  # byte offsets (in `path`) of blank lines before the content end
    many_blanks: bool
    control: bool = False  # a control character or NUL somewhere in the text (cleaned later)


def scan_text(path: Path, name: str, head: bytes, tmpdir: str) -> TextInfo:
    """Find the encoding (transcoding to UTF-8 when DuckDB can't read it) and blank lines."""
    kind = looks_like(head)
    if kind == "zip":
        raise Refused(
            "not_text",
            f'file "{name}" is not a text file (it looks like an Excel .xlsx workbook): '
            "rename it to .xlsx",
        )
    if kind == "ole":
        raise Refused(
            "not_text",
            f'file "{name}" is not a text file (it looks like a legacy Excel .xls workbook): '
            "save it as .xlsx or CSV",
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _scan_utf8(_transcode(path, "utf-16", tmpdir), name, "utf-16")
    if kind == "binary":
        raise _binary(name)
    try:
        return _scan_utf8(path, name, "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8")
    except UnicodeDecodeError:
        pass
    # Not UTF-8: Windows-1252 when it uses the 0x80-0x9F range (curly quotes, euro sign...),
    # else Latin-1, which DuckDB reads natively.
    with path.open("rb") as fh:
        cp1252 = False
        while chunk := fh.read(CHUNK):
            if re.search(rb"[\x80-\x9f]", chunk):
                cp1252 = True
                break
    if cp1252:
        return _scan_utf8(_transcode(path, "cp1252", tmpdir), name, "cp1252")
    info = _scan_utf8(path, name, "latin-1", validate=False)
    info.duckdb_encoding = "latin-1"
    return info


def _binary(name: str) -> Refused:
    return Refused(
        "not_text",
        f'file "{name}" is not a text file (it contains binary data): export the table as CSV',
    )


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
        while chunk := src.read(CHUNK):
            dst.write(dec.decode(chunk))
        dst.write(dec.decode(b"", final=True))
    return out


def _scan_utf8(path: Path, name: str, encoding: str, validate: bool = True) -> TextInfo:
    """Validate UTF-8 (raises UnicodeDecodeError) and find blank lines, in bounded chunks."""
    dec = codecs.getincrementaldecoder("utf-8")()
    blanks: list[int] = []
    many = False
    content_end = -1
    offset = 0
    prev = b""
    control = False
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if validate and not (chunk.isascii() and not dec.getstate()[0]):
                dec.decode(chunk)  # (pure ASCII with nothing pending is valid UTF-8)
            if not control and chunk.translate(None, _NOT_CONTROL):
                control = True
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
        raise Refused("empty_file", f'file "{name}" contains no data (only blank lines)')
    blanks = [b for b in blanks if b < content_end]
    return TextInfo(path, encoding, "utf-8", blanks, many, control)


def guess_delimiter(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(65536)
    best = max([",", ";", "\t", "|"], key=lambda d: head.count(d.encode()))
    return best if best.encode() in head else ""


def plausible_skip(path: Path, delim: str) -> tuple[int, int]:
    """(lines that could be report titles, fields of the widest line), quotes ignored.

    The header is the first of the first 20 lines with at least half as many fields as the
    widest of the first 1000 lines.
    """
    with path.open("rb") as fh:
        lines = fh.read(CHUNK).split(b"\n")[:1000]
    counts = [ln.count(delim.encode()) + 1 if ln.strip() else 0 for ln in lines]
    widest = max(counts, default=0)
    need = min(2, widest)  # a one-field line is a title, never the header of a wider table
    return next((i for i, c in enumerate(counts[:20]) if c * 2 >= widest and c >= need), 0), widest
