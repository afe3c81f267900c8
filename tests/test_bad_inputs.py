"""A bad-input corpus, generated here: every case asserts the exact message of a refusal (or a
precise fragment naming file, sheet, column and row), or the exact figures of a file that
loads; and a refused load leaves the published snapshot byte-identical (every file under the
data dir hashed before and after).

Decisions these tests pin down:
- formulas saved without their result (openpyxl and other generators write none; calamine
  reads them as empty) are an error in a required column, a warning (left empty) elsewhere,
  and ignored in rows without an account (a total row);
- a sheet with thousands of columns loads, its extra columns kept (``extra_...``);
- a total row at the bottom (no account ID) is skipped with a warning naming its row, and the
  figures exclude it; its unreadable cells ("Total" in a date column) are not errors;
- lines written with another separator refuse the file (their values would be lost);
- text from the extract (HTML, ``=HYPERLINK(...)``, ``+cmd``, ``@SUM``, 100k characters) is
  loaded as plain text, exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import struct
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kamdash.core.db import rows
from kamdash.store.load import load_extract
from kamdash.store.snapshots import SnapshotStore
from tests.helpers import workbook

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = "Account ID,Account Name\nA1,Acme\nA2,Beta\n"
REVENUE = "Account ID,Date,Amount\nA1,2024-01-15,100\nA2,2024-02-15,50\n"
ACC_ROWS = [["Account ID", "Account Name"], ["A1", "Acme"], ["A2", "Beta"]]


# --------------------------------------------------------------------------- helpers


def hashes(d: Path) -> dict[str, str]:
    """sha256 of every file under d (any leftover of a refused load would show here)."""
    return {
        str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(d.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A data dir with one good snapshot published; (data dir, snapshot id)."""
    base = tmp_path_factory.mktemp("published")
    data = base / "data"
    (base / "accounts.csv").write_text(ACCOUNTS)
    (base / "revenue.csv").write_text(REVENUE)
    r = load_extract([base / "accounts.csv", base / "revenue.csv"], data)
    assert r.snapshot_id, r.report.text()
    return data, r.snapshot_id


@pytest.fixture
def refused(published):
    """refused(paths) -> the report of a load that must publish nothing and change nothing."""
    data, sid = published

    def check(paths):
        before = hashes(data)
        r = load_extract([Path(p) for p in paths], data)
        assert r.snapshot_id is None and r.report.errors, r.report.text()
        assert hashes(data) == before
        assert SnapshotStore(data).current_id() == sid
        con = SnapshotStore(data).open()
        assert rows(con, "SELECT sum(amount) FROM revenue") == [(150.0,)]
        con.close()
        return r.report

    return check


@pytest.fixture
def loaded(tmp_path):
    """loaded(paths) -> (report, read-only connection to the snapshot it published)."""
    cons = []

    def check(paths):
        data = tmp_path / f"data{len(cons)}"
        r = load_extract([Path(p) for p in paths], data)
        assert r.snapshot_id, r.report.text()
        con = SnapshotStore(data).open()
        cons.append(con)
        return r.report, con

    yield check
    for c in cons:
        c.close()


def errors(report) -> list[str]:
    return [p.message for p in report.errors]


def one(report, code: str):
    found = [p for p in report.problems if p.code == code]
    assert len(found) == 1, (code, report.text())
    return found[0]


def write(path: Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def good_workbook(path: Path) -> Path:
    return workbook(
        path,
        {
            "Accounts": ACC_ROWS,
            "Revenue": [["Account ID", "Date", "Amount"], ["A1", dt.date(2024, 1, 15), 100]],
        },
    )


def rezip(src: Path, dst: Path, change) -> Path:
    """Copy a ZIP, passing each member through change(name, data) (None drops it)."""
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            data = change(info.filename, zi.read(info.filename))
            if data is not None:
                zo.writestr(info.filename, data)
    return dst


def cfb(streams: list[str]) -> bytes:
    """A minimal OLE2 compound file (CFB v3, 512-byte sectors): header, one FAT sector, one
    directory sector holding the root entry and the named (empty) streams."""
    assert len(streams) <= 3
    end, free, fatsect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 0x1000, end, 0, end, 0)
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))
    fat = struct.pack("<128I", fatsect, end, *([free] * 126))

    def entry(name: str, kind: int, child: int = free, right: int = free) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        e = bytearray(128)
        e[: len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw), kind, 1)
        struct.pack_into("<III", e, 68, free, right, child)
        struct.pack_into("<IQ", e, 116, end if kind == 5 else 0, 0)
        return bytes(e)

    entries = [entry("Root Entry", 5, child=1)]
    for i, name in enumerate(streams, start=1):
        entries.append(entry(name, 2, right=i + 1 if i < len(streams) else free))
    directory = b"".join(entries).ljust(512, b"\0")
    return bytes(header) + fat + directory


# --------------------------------------------------------------------------- damaged workbooks


def test_truncated_workbook(tmp_path, refused):
    data = good_workbook(tmp_path / "good.xlsx").read_bytes()
    report = refused([write(tmp_path / "cut.xlsx", data[: len(data) * 2 // 3])])
    assert errors(report) == [
        'file "cut.xlsx" is damaged or incomplete (its ZIP structure is broken, e.g. a truncated '
        "download): export or download it again"
    ]


def test_sheet_xml_garbage(tmp_path, refused):
    bad = rezip(
        good_workbook(tmp_path / "good.xlsx"),
        tmp_path / "garbled.xlsx",
        lambda n, b: b"<worksheet><sheetData><row><c r=" if n.endswith("sheet2.xml") else b,
    )
    [msg] = errors(refused([bad]))
    assert msg.startswith('file "garbled.xlsx", sheet "Revenue" is damaged and could not be read (')
    assert msg.endswith("Open the file in Excel and save it again, or export it again")


def test_sheet_part_missing(tmp_path, refused):
    bad = rezip(
        good_workbook(tmp_path / "good.xlsx"),
        tmp_path / "holes.xlsx",
        lambda n, b: None if n.endswith("sheet2.xml") else b,
    )
    assert errors(refused([bad])) == [
        'file "holes.xlsx", sheet "Revenue" is damaged: the sheet\'s data is missing from the '
        "file. Open it in Excel and save it again, or export it again"
    ]


def test_corrupt_compressed_data(tmp_path, refused):
    good = good_workbook(tmp_path / "good.xlsx")
    raw = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("xl/worksheets/sheet2.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 2, start + info.compress_size - 2):
        raw[i] ^= 0x5A
    report = refused([write(tmp_path / "flipped.xlsx", bytes(raw))])
    assert errors(report) == [
        'file "flipped.xlsx" is damaged or incomplete (its ZIP structure is broken, e.g. a '
        "truncated download): export or download it again"
    ]


# --------------------------------------------------------------------------- bombs


def test_decompression_bomb_refused_before_parsing(tmp_path, refused):
    p = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b" " * (24 * 2**20))
    start = time.perf_counter()
    [msg] = errors(refused([p]))
    assert time.perf_counter() - start < 2
    assert re.fullmatch(
        r'file "bomb\.xlsx" was refused as a possible decompression bomb: part '
        r'"xl/worksheets/sheet1\.xml" expands from 0\.0 MB to 24 MB \([0-9,]+:1\)',
        msg,
    )


def test_zip_with_too_many_parts(tmp_path, refused):
    p = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(10_000):
            z.writestr(f"x/{i}", b"")
    assert errors(refused([p])) == [
        'file "parts.xlsx" was refused: it has 10001 parts inside (limit 10000), which looks '
        "like a decompression bomb"
    ]


def test_sheet_part_lying_about_its_size(tmp_path, refused):
    """The central directory says 4 KB; the stream inflates to 100 MB: caught by the CRC
    check of the bounded read, nothing inflated past the declared size."""
    src = good_workbook(tmp_path / "good.xlsx")
    p = rezip(
        src,
        tmp_path / "liar.xlsx",
        lambda n, b: (
            b.replace(b"<sheetData>", b"<sheetData>" + b" " * 100_000_000)
            if n.endswith("sheet1.xml")
            else b
        ),
    )
    raw = bytearray(p.read_bytes())
    with zipfile.ZipFile(p) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    struct.pack_into("<I", raw, info.header_offset + 22, 4096)
    central = raw.find(b"PK\x01\x02")
    while central >= 0:
        n = struct.unpack_from("<H", raw, central + 28)[0]
        if raw[central + 46 : central + 46 + n] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", raw, central + 24, 4096)
        central = raw.find(b"PK\x01\x02", central + 4)
    write(p, bytes(raw))
    start = time.perf_counter()
    assert errors(refused([p])) == [
        'file "liar.xlsx" was refused: its part "xl/worksheets/sheet1.xml" holds more than '
        "the 4,096 bytes its header says (a damaged file, or one built to exhaust memory when "
        "opened). Open it in Excel and save it again, or export it again"
    ]
    assert time.perf_counter() - start < 3


def test_stray_cell_at_the_last_cell_of_the_sheet(tmp_path, refused):
    """One value in XFD1048576 of a 6 KB file: python-calamine would allocate 17 billion cells
    and abort the process; refused from the sheet XML before calamine reads the sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Accounts"
    for r in ACC_ROWS:
        ws.append(r)
    ws["XFD1048576"] = "x"
    wb.save(tmp_path / "stray.xlsx")
    start = time.perf_counter()
    assert errors(refused([tmp_path / "stray.xlsx"])) == [
        'file "stray.xlsx", sheet "Accounts" was refused: its cells reach row 1,048,576 and '
        "column XFD, an area of 17,179,869,184 cells (limit 30,000,000). Delete the stray cells "
        "below or to the right of the table (Ctrl+End in Excel shows the last one) and save it "
        "again"
    ]
    assert time.perf_counter() - start < 2


def test_formatted_but_empty_far_cells_are_no_bomb(tmp_path, loaded):
    """Formatting far away (no value) is what Excel's "used range" often holds: it loads."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Accounts"
    for r in ACC_ROWS:
        ws.append(r)
    ws["XFD1048576"].font = openpyxl.styles.Font(bold=True)
    rev = wb.create_sheet("Revenue")
    rev.append(["Account ID", "Date", "Amount"])
    rev.append(["A1", dt.date(2024, 1, 15), 10])
    wb.save(tmp_path / "styled.xlsx")
    _, con = loaded([tmp_path / "styled.xlsx"])
    assert rows(con, "SELECT account_id FROM accounts ORDER BY 1") == [("A1",), ("A2",)]


# --------------------------------------------------------------------------- OLE files


def test_password_protected_xlsx(tmp_path, refused):
    p = write(tmp_path / "locked.xlsx", cfb(["EncryptionInfo", "EncryptedPackage"]))
    assert errors(refused([p])) == [
        'file "locked.xlsx" is password-protected (encrypted), so it cannot be read: open it in '
        "Excel, remove the password and save it again"
    ]


def test_password_protected_saved_as_xls(tmp_path, refused):
    p = write(tmp_path / "locked.xls", cfb(["EncryptionInfo", "EncryptedPackage"]))
    assert errors(refused([p])) == [
        'file "locked.xls" is password-protected (encrypted), so it cannot be read: open it in '
        "Excel, remove the password and save it as .xlsx"
    ]


def test_legacy_xls(tmp_path, refused):
    p = write(tmp_path / "old.xls", cfb(["Workbook", "\x05SummaryInformation"]))
    assert errors(refused([p])) == [
        'file "old.xls" is a legacy .xls workbook, which is not supported: open it in Excel and '
        "save it as .xlsx"
    ]


def test_legacy_xls_renamed_xlsx(tmp_path, refused):
    p = write(tmp_path / "old.xlsx", cfb(["Workbook"]))
    assert errors(refused([p])) == [
        'file "old.xlsx" is really a legacy .xls workbook with an .xlsx name: open it in Excel '
        "and save it as .xlsx"
    ]


# --------------------------------------------------------------------------- wrong names


def test_xlsx_saved_with_a_csv_name(tmp_path, refused):
    p = write(tmp_path / "accounts.csv", good_workbook(tmp_path / "good.xlsx").read_bytes())
    assert errors(refused([p])) == [
        'file "accounts.csv" is not a text file (it looks like an Excel .xlsx workbook): '
        "rename it to .xlsx"
    ]


def test_csv_saved_with_an_xlsx_name(tmp_path, refused):
    p = write(tmp_path / "accounts.xlsx", ACCOUNTS)
    assert errors(refused([p, write(tmp_path / "revenue.csv", REVENUE)])) == [
        'file "accounts.xlsx" is not a valid Excel workbook (it looks like a text/CSV file): '
        "rename it to .csv"
    ]


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("encoding", "name", "note"),
    [
        ("cp1252", "Café “Noël” €", "not UTF-8: read as Windows-1252"),
        ("latin-1", "Müller Société", "not UTF-8: read as Latin-1"),
    ],
)
def test_csv_in_a_windows_encoding(tmp_path, loaded, encoding, name, note):
    acc = write(tmp_path / "accounts.csv", f"Account ID;Account Name\nA1;{name}\n", encoding)
    rev = write(tmp_path / "revenue.csv", "Account ID,Date,Amount\nA1,2024-01-15,100\n")
    report, con = loaded([acc, rev])
    assert rows(con, "SELECT account_name FROM accounts") == [(name,)]
    assert one(report, "reading").message == f'file "accounts.csv": {note}'


def test_csv_in_utf16(tmp_path, loaded):
    acc = write(tmp_path / "accounts.txt", "Account ID\tAccount Name\nA1\tØresund Ægir\n", "utf-16")
    rev = write(tmp_path / "revenue.csv", "Account ID,Date,Amount\nA1,2024-01-15,100\n")
    _, con = loaded([acc, rev])
    assert rows(con, "SELECT account_id, account_name FROM accounts") == [("A1", "Øresund Ægir")]


def test_bom_and_semicolons(tmp_path, loaded):
    rev = write(tmp_path / "revenue.csv", "\ufeffAccount ID;Date;Amount\nA1;2024-01-15;7,5\n")
    _, con = loaded([write(tmp_path / "accounts.csv", ACCOUNTS), rev])
    assert rows(con, "SELECT account_id, date, amount FROM revenue") == [
        ("A1", dt.date(2024, 1, 15), 7.5)
    ]
    assert rows(con, "SELECT source_column FROM _columns WHERE column_name = 'account_id'") == [
        ("Account ID",),
        ("Account ID",),
    ]


# --------------------------------------------------------------------------- delimiters, numbers


def test_mixed_delimiters(tmp_path, refused):
    rev = write(
        tmp_path / "revenue.csv",
        "Account ID,Date,Amount\nA1,2024-01-15,100\nA2;2024-02-15;50\nA1,2024-03-15,5\n"
        "A2;2024-03-16;7\n",
    )
    assert errors(refused([write(tmp_path / "accounts.csv", ACCOUNTS), rev])) == [
        'file "revenue.csv", rows 3, 5: values are separated by ";" while the rest of the file '
        'uses ",", so these rows cannot be read. Export the file again with one separator'
    ]


def test_european_numbers_and_dates(tmp_path, loaded):
    rev = write(
        tmp_path / "revenue.csv",
        "Account ID;Date;Amount\nA1;15.01.2024;1.234,56\nA2;31.12.2023;-7,5\n"
        "A1;01.02.2024;1.000.000,00\n",
    )
    report, con = loaded([write(tmp_path / "accounts.csv", ACCOUNTS), rev])
    assert rows(con, "SELECT account_id, date, amount FROM revenue ORDER BY _source_row") == [
        ("A1", dt.date(2024, 1, 15), 1234.56),
        ("A2", dt.date(2023, 12, 31), -7.5),
        ("A1", dt.date(2024, 2, 1), 1_000_000.0),
    ]
    assert "ambiguous_dates" not in [p.code for p in report.problems]


def test_day_first_dates_with_days_over_12(tmp_path, loaded):
    rev = write(
        tmp_path / "revenue.csv", "Account ID,Date,Amount\nA1,25/01/2024,1\nA2,03/02/2024,2\n"
    )
    report, con = loaded([write(tmp_path / "accounts.csv", ACCOUNTS), rev])
    assert rows(con, "SELECT date FROM revenue ORDER BY amount") == [
        (dt.date(2024, 1, 25),),
        (dt.date(2024, 2, 3),),
    ]
    assert "ambiguous_dates" not in [p.code for p in report.problems]


def test_currency_symbols_thousands_and_brackets(tmp_path, loaded):
    rev = write(
        tmp_path / "revenue.csv",
        'Account ID,Date,Amount\nA1,2024-01-15,"$1,234.50"\nA2,2024-01-16,"(1,234)"\n'
        'A1,2024-01-17,$ 99\nA2,2024-01-18,"2,000,000 $"\n',  # one currency (mixed: test_money)
    )
    report, con = loaded([write(tmp_path / "accounts.csv", ACCOUNTS), rev])
    assert rows(con, "SELECT amount FROM revenue ORDER BY _source_row") == [
        (1234.5,),
        (-1234.0,),
        (99.0,),
        (2_000_000.0,),
    ]
    assert one(report, "negative_amount").rows == [3]


def test_space_and_nbsp_thousands_with_decimal_comma(tmp_path, loaded):
    rev = write(
        tmp_path / "revenue.csv",
        "Account ID;Date;Amount\nA1;15.01.2024;1\u00a0234,5\nA2;16.01.2024;12\n"
        "A1;17.01.2024;2 000\n",
    )
    _, con = loaded([write(tmp_path / "accounts.csv", ACCOUNTS), rev])
    assert rows(con, "SELECT amount FROM revenue ORDER BY _source_row") == [
        (1234.5,),
        (12.0,),
        (2000.0,),
    ]


def test_negative_amounts_kept_and_reported(tmp_path, loaded):
    rev = write(
        tmp_path / "revenue.csv",
        "Account ID,Date,Amount\nA1,2024-01-15,100\nA1,2024-01-20,-30\nA2,2024-02-01,-5.5\n",
    )
    report, con = loaded([write(tmp_path / "accounts.csv", ACCOUNTS), rev])
    assert rows(con, "SELECT sum(amount) FROM revenue") == [(64.5,)]
    neg = one(report, "negative_amount")
    assert neg.message == (
        'file "revenue.csv", column "Amount", rows 3, 4: 2 row(s) have a negative amount '
        "(credit notes?); they are kept and reduce revenue."
    )
    assert neg.examples == ["-30.0", "-5.5"]


def test_text_amounts_in_a_workbook(tmp_path, loaded):
    wb = workbook(
        tmp_path / "text.xlsx",
        {
            "Accounts": ACC_ROWS,
            "Revenue": [
                ["Account ID", "Date", "Amount"],
                ["A1", dt.date(2024, 1, 15), "1.234,56"],
                ["A2", dt.date(2024, 1, 15), "$1,234.50"],
                ["A2", dt.date(2024, 1, 15), "1\u00a0234,5"],
                ["A1", dt.date(2024, 1, 15), "12,5"],
                ["A1", dt.date(2024, 1, 15), "1,234"],
            ],
        },
    )
    _, con = loaded([wb])
    assert rows(con, "SELECT amount FROM revenue ORDER BY _source_row") == [
        (1234.56,),
        (1234.5,),
        (1234.5,),
        (12.5,),
        (1234.0,),
    ]


# --------------------------------------------------------------------------- dates


def test_dates_as_text_and_serials_in_a_workbook(tmp_path, loaded):
    wb = workbook(
        tmp_path / "dates.xlsx",
        {
            "Accounts": ACC_ROWS,
            "Revenue": [
                ["Account ID", "Date", "Amount"],
                ["A1", dt.date(2024, 2, 1), 1],  # a date cell
                ["A1", "15.01.2024", 2],  # text, day first
                ["A2", "2024-03-05", 3],  # text, ISO
                ["A2", 45300, 4],  # an Excel serial typed as a number
                ["A2", "45301", 5],  # a serial as text
            ],
        },
    )
    _, con = loaded([wb])
    assert rows(con, "SELECT date FROM revenue ORDER BY amount") == [
        (dt.date(2024, 2, 1),),
        (dt.date(2024, 1, 15),),
        (dt.date(2024, 3, 5),),
        (dt.date(2024, 1, 9),),
        (dt.date(2024, 1, 10),),
    ]


def test_excel_serial_date_column(tmp_path, loaded):
    wb = workbook(
        tmp_path / "serials.xlsx",
        {
            "Accounts": ACC_ROWS,
            "Revenue": [["Account ID", "Date", "Amount"], ["A1", 45292, 1], ["A2", 45351.75, 2]],
        },
    )
    _, con = loaded([wb])
    assert rows(con, "SELECT date FROM revenue ORDER BY amount") == [
        (dt.date(2024, 1, 1),),
        (dt.date(2024, 2, 29),),
    ]


# --------------------------------------------------------------------------- formulas, errors


def test_formula_without_result_in_a_required_column(tmp_path, refused):
    wb = workbook(
        tmp_path / "calc.xlsx",
        {
            "Accounts": ACC_ROWS,
            "Revenue": [
                ["Account ID", "Date", "Amount", "Units"],
                ["A1", dt.date(2024, 1, 15), 100, 2],
                ["A2", dt.date(2024, 1, 16), "=D3*25", 3],
                ["A2", dt.date(2024, 1, 17), "=D4*25", 4],
            ],
        },
    )
    report = refused([wb])
    p = one(report, "formula_without_result")
    assert (p.level, p.file, p.sheet, p.column, p.rows) == (
        "error",
        "calc.xlsx",
        "Revenue",
        "Amount",
        [3, 4],
    )
    assert p.message == (
        'file "calc.xlsx", sheet "Revenue", column "Amount", rows 3, 4: 2 formula cell(s) were '
        "saved without their result (the file was written by a program that does not calculate "
        "formulas), so these amount values are missing. Open the file in Excel and save it "
        "again, or paste values instead of formulas."
    )
    assert p.examples == ["=D3*25", "=D4*25"]


def test_formula_without_result_elsewhere_and_in_a_total_row(tmp_path, loaded):
    wb = workbook(
        tmp_path / "calc.xlsx",
        {
            "Accounts": ACC_ROWS,
            "Revenue": [
                ["Account ID", "Date", "Amount", "Product"],
                ["A1", dt.date(2024, 1, 15), 100, '=UPPER("widgets")'],
                ["A2", dt.date(2024, 1, 16), 50, "Gadgets"],
                [None, "Total", "=SUM(C2:C3)", None],
            ],
        },
    )
    report, con = loaded([wb])
    p = one(report, "formula_without_result")
    assert (p.level, p.column, p.rows, p.examples) == (
        "warning",
        "Product",
        [2],
        ['=UPPER("widgets")'],
    )
    assert p.message.endswith(
        "so they were left empty. Open the file in Excel and save it again, or paste values "
        "instead of formulas."
    )
    assert one(report, "summary_rows").rows == [4]
    assert rows(con, "SELECT account_id, amount, product FROM revenue ORDER BY 1") == [
        ("A1", 100.0, None),
        ("A2", 50.0, "Gadgets"),
    ]


def test_error_cells(tmp_path, refused):
    wb = workbook(
        tmp_path / "errs.xlsx",
        {
            "Accounts": ACC_ROWS,
            "Revenue": [
                ["Account ID", "Date", "Amount"],
                ["A1", dt.date(2024, 1, 15), "#N/A"],
                ["A2", "#REF!", 5],
                ["A2", dt.date(2024, 1, 17), "#DIV/0!"],
            ],
        },
    )
    report = refused([wb])
    assert sorted(errors(report)) == [
        'file "errs.xlsx", sheet "Revenue", column "Amount", rows 2, 4: 2 value(s) of amount '
        "are not numbers.",
        'file "errs.xlsx", sheet "Revenue", column "Date", row 3: 1 value(s) of date cannot be '
        "read as dates. Use YYYY-MM-DD or a date cell.",
    ]
    assert one(report, "non_numeric").examples == ["#N/A", "#DIV/0!"]
    assert one(report, "bad_date").examples == ["#REF!"]


# --------------------------------------------------------------------------- report layouts


def test_salesforce_report_titles_merged_and_total_row(tmp_path, loaded):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, data in [
        ("Accounts", ACC_ROWS),
        (
            "Revenue",
            [
                ["Account ID", "Date", "Amount"],
                ["A1", dt.date(2026, 7, 1), 100.0],
                ["A2", dt.date(2026, 8, 1), 50.5],
                [None, "Total", 150.5],
            ],
        ),
    ]:
        ws = wb.create_sheet(title)
        ws.append([f"Report: {title} by Account"])
        ws.append(["Generated 2026-10-01"])
        ws.append([])
        ws.merge_cells("A1:C1")
        for r in data:
            ws.append(r)
    wb.save(tmp_path / "report.xlsx")
    report, con = loaded([tmp_path / "report.xlsx"])
    skipped = one(report, "summary_rows")
    assert (skipped.level, skipped.sheet, skipped.rows) == ("warning", "Revenue", [7])
    assert skipped.message == (
        'file "report.xlsx", sheet "Revenue", row 7: 1 subtotal/total row(s) skipped'
    )
    assert skipped.examples == ["Total"]
    assert rows(con, "SELECT sum(amount), count(*) FROM revenue") == [(150.5, 2)]
    assert rows(con, "SELECT account_id, account_name FROM accounts ORDER BY 1") == [
        ("A1", "Acme"),
        ("A2", "Beta"),
    ]


def test_merged_group_header_above_the_header(tmp_path, loaded):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    acc = wb.create_sheet("Accounts")
    for r in ACC_ROWS:
        acc.append(r)
    ws = wb.create_sheet("Revenue")
    ws.append(["Customer", None, "Invoice", None])
    ws.merge_cells("A1:B1")
    ws.merge_cells("C1:D1")
    ws.append(["Account ID", "Account Name", "Date", "Amount"])
    ws.append(["A1", "Acme", dt.date(2024, 1, 15), 70])
    wb.save(tmp_path / "grouped.xlsx")
    _, con = loaded([tmp_path / "grouped.xlsx"])
    assert rows(con, "SELECT account_id, date, amount, account_name FROM revenue") == [
        ("A1", dt.date(2024, 1, 15), 70.0, "Acme")
    ]
    assert rows(con, "SELECT _source_row FROM revenue") == [(3,)]


def test_csv_report_titles_above_a_narrow_table(tmp_path, loaded):
    acc = write(
        tmp_path / "accounts.csv",
        "Report: Accounts\nGenerated 2026-10-01\n\nAccount ID,Account Name\nA1,Acme\nA2,Beta\n",
    )
    _, con = loaded([acc, write(tmp_path / "revenue.csv", REVENUE)])
    assert rows(con, "SELECT account_id, account_name, _source_row FROM accounts ORDER BY 1") == [
        ("A1", "Acme", 5),
        ("A2", "Beta", 6),
    ]


def test_csv_total_row_at_the_bottom(tmp_path, loaded):
    rev = write(
        tmp_path / "revenue.csv",
        "Account ID,Account Name,Date,Amount\nA1,Acme,2024-01-15,10\nA2,Beta,2024-01-16,20\n"
        ",Total,,30\n",
    )
    report, con = loaded([write(tmp_path / "accounts.csv", ACCOUNTS), rev])
    skipped = one(report, "summary_rows")
    assert skipped.message == 'file "revenue.csv", row 4: 1 subtotal/total row(s) skipped'
    assert skipped.examples == ["Total"]
    assert rows(con, "SELECT sum(amount) FROM revenue") == [(30.0,)]


def test_duplicate_headers(tmp_path, loaded):
    wb = workbook(
        tmp_path / "dup.xlsx",
        {
            "Accounts": ACC_ROWS,
            "Revenue": [
                ["Account ID", "Date", "Amount", "amount"],
                ["A1", dt.date(2024, 1, 15), 10, 99],
            ],
        },
    )
    report, con = loaded([wb])
    assert one(report, "duplicate_header").message == (
        'file "dup.xlsx", sheet "Revenue", column "Amount": 2 columns are named "Amount"; the '
        "first one is read as amount and the others are kept as extra columns ('amount (2)')."
    )
    assert rows(con, "SELECT amount, extra_amount_2 FROM revenue") == [(10.0, 99.0)]


def test_blank_lines_in_the_middle(tmp_path, loaded):
    rev = write(
        tmp_path / "revenue.csv",
        "Account ID,Date,Amount\nA1,2024-01-15,10\n\n\nA2,2024-01-16,20\n,,\nA1,2024-01-17,5\n",
    )
    report, con = loaded([write(tmp_path / "accounts.csv", ACCOUNTS), rev])
    assert rows(con, "SELECT _source_row, amount FROM revenue ORDER BY 1") == [
        (2, 10.0),
        (5, 20.0),
        (7, 5.0),
    ]
    assert "blank_key" not in [p.code for p in report.problems]


# --------------------------------------------------------------------------- size and text


def test_three_thousand_columns_load_with_extras_kept(tmp_path, loaded):
    headers = ["Account ID", "Account Name"] + [f"Field {i}" for i in range(2998)]
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Accounts")
    ws.append(headers)
    for r in range(1, 41):
        ws.append([f"A{r}", f"Name {r}"] + [r * 1000 + i for i in range(2998)])
    rev = wb.create_sheet("Revenue")
    rev.append(["Account ID", "Date", "Amount"])
    rev.append(["A1", dt.date(2024, 1, 15), 5])
    wb.save(tmp_path / "wide.xlsx")
    start = time.perf_counter()
    _, con = loaded([tmp_path / "wide.xlsx"])
    assert time.perf_counter() - start < 20
    cols = [r[0] for r in rows(con, "DESCRIBE accounts")]
    assert len(cols) == 10 + 2998 + 1  # contract columns, extras, _source_row
    assert rows(con, "SELECT count(*), sum(extra_field_2997) FROM accounts") == [
        (40, sum(r * 1000 + 2997 for r in range(1, 41)))
    ]


def test_hostile_and_huge_text_is_loaded_exactly(tmp_path, loaded):
    names = [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '=HYPERLINK("http://evil.example","click")',
        "+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "-2+3",
        "**bold** _md_ $x$",
        "x" * 100_000,
    ]
    with (tmp_path / "accounts.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Account ID", "Account Name"])
        w.writerows([f"A{i}", n] for i, n in enumerate(names))
    rev = write(tmp_path / "revenue.csv", "Account ID,Date,Amount\nA0,2024-01-15,1\n")
    _, con = loaded([tmp_path / "accounts.csv", rev])
    got = rows(con, "SELECT account_name FROM accounts ORDER BY _source_row")
    assert [r[0] for r in got] == names


def test_formula_injection_text_cells_in_a_workbook(tmp_path, loaded):
    texts = ['=HYPERLINK("http://evil.example","x")', "+cmd", "@SUM(A1)", "=1+2"]
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("Accounts")
    ws.append(["Account ID", "Account Name"])
    for i, t in enumerate(texts):
        ws.append([f"A{i}", None])
        cell = ws.cell(row=i + 2, column=2)
        cell.value, cell.data_type = t, "s"  # text that looks like a formula, not a formula
    rev = wb.create_sheet("Revenue")
    rev.append(["Account ID", "Date", "Amount"])
    rev.append(["A0", dt.date(2024, 1, 15), 1])
    wb.save(tmp_path / "inject.xlsx")
    report, con = loaded([tmp_path / "inject.xlsx"])
    got = rows(con, "SELECT account_name FROM accounts ORDER BY _source_row")
    assert [r[0] for r in got] == texts
    assert "formula_without_result" not in [p.code for p in report.problems]


# --------------------------------------------------------------------------- missing things


def test_workbook_of_empty_sheets(tmp_path, refused):
    wb = openpyxl.Workbook()
    wb.active.title = "Accounts"
    wb.create_sheet("Revenue")
    wb.save(tmp_path / "empty.xlsx")
    assert errors(refused([tmp_path / "empty.xlsx"])) == [
        'file "empty.xlsx" has no data in any visible sheet'
    ]


def test_workbook_whose_sheets_are_all_unrecognised(tmp_path, refused):
    wb = workbook(tmp_path / "misc.xlsx", {"Sheet1": [["foo", "bar"], [1, 2]], "Notes": [["a"]]})
    report = refused([wb])
    assert errors(report) == [
        "The extract needs a revenue or an opportunities table (a CRM's deal export on its own "
        "will do); tables recognised: none. Name the sheets or files like 'Revenue' or "
        "'Opportunities', or map them."
    ]
    assert [p.message for p in report.problems if p.level == "info"] == [
        'file "misc.xlsx", sheet "Sheet1" matches no kamdash table and was not loaded',
        'file "misc.xlsx", sheet "Notes" matches no kamdash table and was not loaded',
    ]


def test_csv_with_only_headers(tmp_path, refused):
    rev = write(tmp_path / "revenue.csv", "Account ID,Date,Amount\n")
    assert errors(refused([write(tmp_path / "accounts.csv", ACCOUNTS), rev])) == [
        'file "revenue.csv": the revenue table has a header row but no data rows, so there is '
        "nothing to load. Export it again with its rows."
    ]


def test_accounts_sheet_missing_revenue_present(tmp_path, loaded):
    """A revenue sheet alone is an extract: its account IDs are the accounts."""
    wb = workbook(
        tmp_path / "rev.xlsx",
        {"Revenue": [["Account ID", "Date", "Amount"], ["A1", dt.date(2024, 1, 15), 1]]},
    )
    report, con = loaded([wb])
    assert one(report, "accounts_from_deals").message == (
        'No accounts table: 1 account(s) were derived from file "rev.xlsx", sheet "Revenue", '
        'column "Account ID", one per account ID.'
    )
    assert rows(con, "SELECT account_id, account_name FROM accounts") == [("A1", "A1")]


def test_required_column_missing(tmp_path, refused):
    wb = workbook(
        tmp_path / "noamt.xlsx",
        {
            "Accounts": ACC_ROWS,
            "Revenue": [["Account ID", "Date", "Note"], ["A1", dt.date(2024, 1, 15), "x"]],
        },
    )
    p = one(refused([wb]), "missing_column")
    assert (p.file, p.sheet) == ("noamt.xlsx", "Revenue")
    assert p.message.startswith(
        'file "noamt.xlsx", sheet "Revenue": the revenue table needs a column \'amount\' and '
        "none was recognised (headers found: 'Account ID', 'Date', 'Note'). Name it like "
    )


# --------------------------------------------------------------------------- text is never HTML


_RENDER = re.compile(
    r"\.(?:markdown|write|caption|title|header|subheader|info|warning|error|success|text)\("
)


def _html_calls(text: str) -> list[tuple[int, str]]:
    """(line, arguments before the flag) of every call that renders HTML: st.markdown,
    st.write... with unsafe_allow_html=True, st.html(...), components.html(...)."""
    out = []
    for m in re.finditer(r"unsafe_allow_html\s*=\s*True", text):
        calls = list(_RENDER.finditer(text, 0, m.start()))
        start = calls[-1].end() if calls else 0
        out.append((text.count("\n", 0, m.start()) + 1, text[start : m.start()]))
    for m in re.finditer(r"\b(?:st|components|v1)\.html\(", text):
        end = text.find(")", m.end())
        out.append((text.count("\n", 0, m.start()) + 1, text[m.end() : end + 1]))
    return out


# a plain literal (an f-string, .format or concatenation does not match) or an UPPER_CASE name
_OWN_STRING = re.compile(
    r'\s*(?:"""(?:(?!""").)*"""|"[^"\n]*"|\'[^\'\n]*\'|([A-Z][A-Z0-9_]*))\s*[,)]?\s*', re.S
)


def test_extract_text_never_rendered_as_html():
    """Names and notes from an extract are shown as text, never as HTML: every HTML-rendering
    call in the app (unsafe_allow_html=True, st.html, components.html) renders only kamdash's
    own strings: a plain literal without fields, or an UPPER_CASE constant assigned a plain
    literal in the same file."""
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "kamdash").glob("*.py")]
    offenders = []
    for f in files:
        if not f.is_file():
            continue
        text = f.read_text(encoding="utf-8")
        for line, arg in _html_calls(text):
            m = _OWN_STRING.fullmatch(arg)
            ok = m is not None and (
                m.group(1) is None
                or re.search(
                    rf'^{m.group(1)}\s*=\s*(?:"""(?:(?!""").)*"""|"[^"\n]*")\s*$',
                    text,
                    re.M | re.S,
                )
            )
            if not ok:
                offenders.append(f"{f.relative_to(ROOT)}:{line}")
    assert offenders == [], "HTML rendered from non-literal content: " + ", ".join(offenders)


def test_the_html_check_catches_extract_text():
    bad = 'st.markdown(f"<b>{name}</b>", unsafe_allow_html=True)\nst.html(row["notes"])\n'
    good = 'CSS = "<style>.x{}</style>"\nst.markdown(CSS, unsafe_allow_html=True)\n'
    assert [_OWN_STRING.fullmatch(a) for _, a in _html_calls(bad)] == [None, None]
    [(_, arg)] = _html_calls(good)
    assert _OWN_STRING.fullmatch(arg).group(1) == "CSS"


def test_near_duplicate_account_names_on_a_deal_export(tmp_path, loaded):
    """Names as IDs (no account ID column): "Acme Corp." and "ACME Corp" are reported with the
    suggested match (the one on most rows), and kept apart until the user confirms."""
    deals = (
        "Opportunity Name,Account Name,Stage,Amount,Close Date\n"
        "Deal 1,Acme Corp.,Closed Won,100,2024-01-10\n"
        "Deal 2,ACME Corp,Closed Won,50,2024-02-10\n"
        "Deal 3,ACME Corp,Closed Lost,70,2024-02-11\n"
        "Deal 4,Beta Ltd,Closed Won,30,2024-03-01\n"
    )
    report, con = loaded([write(tmp_path / "deals.csv", deals)])
    p = one(report, "near_duplicate_name")
    assert (p.level, p.file, p.column, p.rows, p.count) == (
        "warning",
        "deals.csv",
        "Account Name",
        [2],
        1,
    )
    assert p.message == (
        'file "deals.csv", column "Account Name", row 2: 1 row(s) name the account "Acme Corp.", '
        'which differs from "ACME Corp" (file "deals.csv", column "Account Name": 2 row(s)) only '
        "in case, spacing or punctuation. They are kept apart; to read them as one, tick the "
        "suggestion on the Upload page or add to the mapping file: [merge.account_name] "
        '"Acme Corp." = "ACME Corp"'
    )
    assert rows(con, "SELECT account_id, sum(amount) FROM revenue GROUP BY 1 ORDER BY 1") == [
        ("ACME Corp", 50.0),
        ("Acme Corp.", 100.0),
        ("Beta Ltd", 30.0),
    ]


# --------------------------------------------------------------------------- one export alone


def test_deal_export_alone_is_an_extract(tmp_path, loaded):
    """No accounts table: accounts from the deals' account column, owners from the deals (most
    recent won deal, else most recent deal), won deals as revenue, open deals without an amount
    kept with the amount unknown."""
    deals = (
        "Deal ID,Account ID,Account Name,Amount,Stage,Close Date,Opportunity Owner\n"
        "D1,C1,Acme,100,Closed Won,2024-01-10,Ann\n"
        "D2,C1,Acme,40,Closed Won,2024-02-10,Bob\n"
        "D3,C2,Beta,,Qualification,2024-09-01,Cat\n"
    )
    report, con = loaded([write(tmp_path / "deals.csv", deals)])
    assert rows(con, "SELECT account_id, account_name, owner FROM accounts ORDER BY 1") == [
        ("C1", "Acme", "Bob"),
        ("C2", "Beta", "Cat"),
    ]
    assert rows(con, "SELECT sum(amount) FROM revenue") == [(140.0,)]
    assert one(report, "open_deal_without_amount").message == (
        'file "deals.csv", column "Amount", row 4: 1 open deal(s) have no amount: counted in the '
        "pipeline with the amount unknown."
    )
    assert rows(con, "SELECT count(*), sum(amount) FROM opportunities WHERE is_open") == [(1, None)]


def test_revenue_on_unknown_account_ids_is_refused_first(tmp_path, refused):
    """IDs written one way in the accounts sheet and another in the revenue sheet: 100% of
    revenue is on unknown accounts, an error shown first; the CLI exits non-zero."""
    from kamdash.cli import main as cli

    acc = write(tmp_path / "accounts.csv", "Account ID,Account Name\n00599,Acme\n00601,Beta\n")
    rev = write(
        tmp_path / "revenue.csv",
        "Account ID,Date,Amount\n599,2024-01-15,1000\n601,2024-02-15,200\n599,2024-03-15,34\n",
    )
    report = refused([acc, rev])
    assert errors(report) == [
        'file "revenue.csv", column "Account ID", rows 2, 3, 4: 100% of revenue (1,234 of 1,234) '
        'is on 2 account ID(s) that are not in the accounts table, e.g. "599", "601". Are the '
        'IDs written the same way as in file "accounts.csv", column "Account ID"? Above 2% of '
        "revenue on unknown accounts the load is refused (setting unknown_revenue_max_share)."
    ]
    assert report.problems[0].level == "error"
    assert report.text().startswith('ERROR: file "revenue.csv", column "Account ID", rows 2, 3')
    data = tmp_path / "cli-data"
    assert cli(["load", str(acc), str(rev), "--data-dir", str(data)]) == 1
    assert not SnapshotStore(data).current_id()


def test_little_revenue_on_unknown_accounts_is_a_warning(tmp_path, loaded):
    rev = write(
        tmp_path / "revenue.csv",
        "Account ID,Date,Amount\nA1,2024-01-15,1000\nA2,2024-02-15,980\nZ9,2024-03-15,20\n",
    )
    report, _ = loaded([write(tmp_path / "accounts.csv", ACCOUNTS), rev])
    p = one(report, "unknown_account")  # 20 of 2,000 = 1%
    assert (p.level, p.message, p.examples) == (
        "warning",
        'file "revenue.csv", column "Account ID", row 4: 1 row(s) name an account ID that is not '
        "in the accounts table.",
        ["Z9"],
    )


# --------------------------------------------------------------------------- issue 12 (readers)


def test_numeric_ids_in_a_workbook_join_text_ids(tmp_path, loaded):
    """Accounts typed as numbers in Excel, revenue IDs written as text: one ID, one join, and
    the IDs read "100234", never "100234.0"."""
    wb = workbook(
        tmp_path / "ids.xlsx",
        {
            "Accounts": [["Account ID", "Account Name"], [599, "Acme"], [100234, "Beta"]],
            "Revenue": [
                ["Account ID", "Date", "Amount"],
                ["599", dt.date(2024, 1, 15), 10],
                ["100234", dt.date(2024, 1, 16), 20],
            ],
        },
    )
    report, con = loaded([wb])
    assert rows(con, "SELECT account_id, account_name FROM accounts ORDER BY 2") == [
        ("599", "Acme"),
        ("100234", "Beta"),
    ]
    assert rows(
        con,
        "SELECT a.account_name, r.amount FROM revenue r JOIN accounts a USING (account_id) "
        "ORDER BY 2",
    ) == [("Acme", 10.0), ("Beta", 20.0)]


def test_control_characters_in_names_removed_with_a_warning(tmp_path, loaded):
    acc = write(tmp_path / "accounts.csv", b"Account ID,Account Name\nA1,Ac\x00me\x07\nA2,Beta\n")
    report, con = loaded([acc, write(tmp_path / "revenue.csv", REVENUE)])
    p = one(report, "control_characters")
    assert (p.level, p.message) == (
        "warning",
        'file "accounts.csv", column "Account Name", row 2: 1 value(s) held control '
        "characters, removed",
    )
    assert rows(con, "SELECT account_name FROM accounts ORDER BY 1") == [("Acme",), ("Beta",)]


def test_subtotal_rows_of_a_formatted_report_skipped(tmp_path, loaded):
    wb = openpyxl.Workbook()
    acc = wb.active
    acc.title = "Accounts"
    for r in ACC_ROWS:
        acc.append(r)
    ws = wb.create_sheet("Revenue")
    for r in [
        ["Revenue by Account"],
        ["Filtered By: Date equals 2024"],
        [],
        ["Account ID", "Date", "Amount"],
        ["A1", dt.date(2024, 1, 15), 100],
        [None, dt.date(2024, 2, 15), 20],
        ["Subtotal", None, 120],
        ["A2", dt.date(2024, 1, 20), 50],
        ["Subtotal", None, 50],
        ["Grand Total", None, 170],
    ]:
        ws.append(r)
    ws.merge_cells("A5:A6")
    wb.save(tmp_path / "report.xlsx")
    report, con = loaded([tmp_path / "report.xlsx"])
    assert one(report, "summary_rows").message == (
        'file "report.xlsx", sheet "Revenue", rows 7, 9, 10: 3 subtotal/total row(s) skipped'
    )
    assert rows(con, "SELECT account_id, amount, _source_row FROM revenue ORDER BY 3") == [
        ("A1", 100.0, 5),
        ("A1", 20.0, 6),
        ("A2", 50.0, 8),
    ]


def test_csv_of_100k_columns_refused_plainly(tmp_path, refused):
    wide = write(
        tmp_path / "wide.csv",
        ",".join(["Account ID", "Account Name"] + [f"F{i}" for i in range(99_998)])
        + "\n"
        + ",".join(["A1", "Acme"] + ["1"] * 99_998)
        + "\n",
    )
    report = refused([wide, write(tmp_path / "revenue.csv", REVENUE)])
    assert errors(report) == [
        'file "wide.csv": 100,000 columns; kamdash reads up to 4,096 columns per sheet. Remove '
        "unused columns and export again."
    ]


def test_excel_width_workbook_refused_plainly(tmp_path, refused):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Accounts")
    ws.append(["Account ID", "Account Name"] + [f"F{i}" for i in range(16382)])
    ws.append(["A1", "Acme"] + [1] * 16382)
    rev = wb.create_sheet("Revenue")
    rev.append(["Account ID", "Date", "Amount"])
    rev.append(["A1", dt.date(2024, 1, 15), 5])
    wb.save(tmp_path / "wide.xlsx")
    report = refused([tmp_path / "wide.xlsx"])
    assert errors(report) == [
        'file "wide.xlsx", sheet "Accounts": 16,384 columns; kamdash reads up to 4,096 columns '
        "per sheet. Remove unused columns and export again."
    ]


# --------------------------------------------------------------------------- money (issue 12)


def test_mixed_currencies_in_one_amount_column(tmp_path, refused):
    rev = write(
        tmp_path / "revenue.csv",
        "Account ID,Date,Amount\nA1,2024-01-15,$1000\nA2,2024-02-15,€1000\n"
        "A1,2024-03-15,£1000\nA2,2024-03-16,¥1000\nA1,2024-03-17,1000 EUR\n",
    )
    report = refused([write(tmp_path / "accounts.csv", ACCOUNTS), rev])
    assert errors(report) == [
        'file "revenue.csv", column "Amount", row 5: 1 amount(s) are written with "¥", which '
        'may be JPY or CNY. Say which in the settings, e.g. currency_symbols = {"¥" = "JPY"}.',
        'file "revenue.csv", column "Amount": the revenue amounts are in 4 currencies: EUR 2 '
        'rows (3, 6), GBP 1 row (4), USD 1 row (2), "¥" (JPY or CNY?) 1 row (5). Amounts in '
        "different currencies cannot be added up: export them in one currency, or set "
        "reporting_currency and its [currency_rates] in the settings to convert them.",
    ]


def test_two_codes_in_a_currency_column(tmp_path, refused):
    rev = write(
        tmp_path / "revenue.csv",
        "Account ID,Date,Amount,Currency\nA1,2024-01-15,10,USD\nA2,2024-01-16,20,EUR\n",
    )
    report = refused([write(tmp_path / "accounts.csv", ACCOUNTS), rev])
    assert errors(report) == [
        'file "revenue.csv", column "Amount": the revenue amounts are in 2 currencies (as column '
        '"Currency" says): EUR 1 row (3), USD 1 row (2). Amounts in different currencies cannot '
        "be added up: export them in one currency, or set reporting_currency and its "
        "[currency_rates] in the settings to convert them."
    ]


def test_nan_infinity_and_overflowing_amounts(tmp_path, refused):
    rev = write(
        tmp_path / "revenue.csv",
        "Account ID,Date,Amount\nA1,2024-01-15,NaN\nA2,2024-01-16,10\nA1,2024-01-17,Infinity\n"
        "A2,2024-01-18,1e309\n",
    )
    report = refused([write(tmp_path / "accounts.csv", ACCOUNTS), rev])
    assert errors(report) == [
        'file "revenue.csv", column "Amount", rows 2, 4, 5: 3 value(s) of amount are not finite '
        "numbers (NaN, Infinity, or beyond ±1.8e308), which no figure can use. Correct them, or "
        "leave the cells empty."
    ]


def test_one_currency_is_recorded_and_shown(tmp_path, loaded):
    rev = write(tmp_path / "revenue.csv", 'Account ID,Date,Amount\nA1,2024-01-15,"£1,200"\n')
    report, con = loaded([write(tmp_path / "accounts.csv", ACCOUNTS), rev])
    assert rows(con, "SELECT key, value FROM _meta WHERE key LIKE 'currency%' ORDER BY 1") == [
        ("currency", "GBP"),
        ("currency_symbol", "£"),
    ]
    assert one(report, "currency").message == (
        'file "revenue.csv", column "Amount": the revenue amounts are in GBP; money is shown '
        'with "£".'
    )
