"""Readers: CSV and XLSX into staging tables, with true row numbers, and clear refusals."""

from __future__ import annotations

import datetime as dt
import time
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from kamdash.core.db import rows
from kamdash.ingest.readers import SourceSheet, read_sources
from kamdash.ingest.report import ExtractError


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def _types(con, table: str) -> dict[str, str]:
    return {r[0]: r[1] for r in rows(con, f'DESCRIBE "{table}"')}


def _data(con, s: SourceSheet) -> list[tuple]:
    return rows(con, f'SELECT * FROM "{s.table}" ORDER BY _row')


def _refusal(paths, con, **kw) -> ExtractError:
    with pytest.raises(ExtractError) as ei:
        read_sources(paths, con, **kw)
    return ei.value


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- CSV


def test_csv_comma(tmp_path, con):
    p = _write(
        tmp_path / "accounts.csv", b"account_id,account_name,arr\nA1,Acme,100\nA2,Beta,250\n"
    )
    [s] = read_sources([p], con)
    assert (s.file, s.sheet, s.table) == ("accounts.csv", None, "stg_1")
    assert s.headers == ["account_id", "account_name", "arr"]
    assert (s.header_row, s.n_rows, s.delimiter, s.decimal) == (1, 2, ",", ".")
    assert _types(con, s.table) == {
        "_row": "BIGINT",
        "account_id": "VARCHAR",
        "account_name": "VARCHAR",
        "arr": "VARCHAR",
    }
    assert _data(con, s) == [(2, "A1", "Acme", "100"), (3, "A2", "Beta", "250")]


def test_csv_semicolon_decimal_comma_kept_as_text(tmp_path, con):
    p = _write(
        tmp_path / "revenue.csv",
        b"Kunde;Datum;Betrag\r\nK1;01.02.2024;1.234,56\r\nK2;02.02.2024;12,5\r\nK3;03.02.2024;-7,00\r\n",
    )
    [s] = read_sources([p], con)
    assert s.delimiter == ";"
    assert s.decimal == ","
    assert [r[3] for r in _data(con, s)] == ["1.234,56", "12,5", "-7,00"]
    assert [r[0] for r in _data(con, s)] == [2, 3, 4]


def test_csv_semicolon_without_decimal_commas(tmp_path, con):
    p = _write(tmp_path / "r.csv", b"a;b\nx;1.5\ny;2\n")
    [s] = read_sources([p], con)
    assert (s.delimiter, s.decimal) == (";", ".")


def test_csv_utf8_bom_header_clean(tmp_path, con):
    p = _write(tmp_path / "bom.csv", "\ufeffAccount ID,Name\nA1,Zoë\n".encode())
    [s] = read_sources([p], con)
    assert s.headers == ["Account ID", "Name"]
    assert s.encoding == "utf-8-sig"
    assert _data(con, s) == [(2, "A1", "Zoë")]


def test_csv_latin1_and_cp1252_names(tmp_path, con):
    latin = _write(tmp_path / "latin.csv", "id;name\n1;Müller\n2;Société\n".encode("latin-1"))
    cp = _write(tmp_path / "cp.csv", "id;name\n1;Café “Noël” €\n".encode("cp1252"))
    a, b = read_sources([latin, cp], con)
    assert [r[2] for r in _data(con, a)] == ["Müller", "Société"]
    assert a.encoding == "latin-1"
    assert [r[2] for r in _data(con, b)] == ["Café “Noël” €"]
    assert b.encoding == "cp1252"
    assert (a.table, b.table) == ("stg_1", "stg_2")


def test_csv_utf16_excel_unicode_text(tmp_path, con):
    p = _write(tmp_path / "u.txt", "id\tname\n1\tØresund\n".encode("utf-16"))
    [s] = read_sources([p], con)
    assert (s.delimiter, s.encoding) == ("\t", "utf-16")
    assert _data(con, s) == [(2, "1", "Øresund")]


def test_csv_quoted_delimiters_newlines_blank_lines_row_numbers(tmp_path, con):
    text = (
        b"id,name,note\n"  # row 1
        b'A1,"Acme, Inc","two\nlines"\n'  # row 2 (Excel shows one row)
        b"\n"  # row 3: blank line, dropped
        b'A2,"Beta ""B""",x\n'  # row 4
        b",,\n"  # row 5: empty fields only, dropped
        b"A3,Gamma,y\n"  # row 6
    )
    [s] = read_sources([_write(tmp_path / "q.csv", text)], con)
    assert _data(con, s) == [
        (2, "A1", "Acme, Inc", "two\nlines"),
        (4, "A2", 'Beta "B"', "x"),
        (6, "A3", "Gamma", "y"),
    ]
    assert s.n_rows == 3


def test_csv_title_lines_above_header(tmp_path, con):
    text = b"Accounts export\nGenerated on 2024-05-01\n\nid,name,owner\nA1,Acme,Bob\nA2,Beta,Al\n"
    [s] = read_sources([_write(tmp_path / "t.csv", text)], con)
    assert s.header_row == 4
    assert s.headers == ["id", "name", "owner"]
    assert [r[0] for r in _data(con, s)] == [5, 6]


def test_csv_duplicate_blank_headers_and_header_only(tmp_path, con):
    dup = _write(tmp_path / "dup.csv", b"Amount,amount,,_row\n1,2,3,4\n")
    only = _write(tmp_path / "only.csv", b"id,name\n")
    a, b = read_sources([dup, only], con)
    assert a.headers == ["Amount", "amount (2)", "Column C", "_row (2)"]
    assert _data(con, a) == [(2, "1", "2", "3", "4")]
    assert (b.headers, b.n_rows) == (["id", "name"], 0)


def test_csv_ragged_rows_all_kept(tmp_path, con):
    # short and long lines: DuckDB's sniffer would skip the first three lines as "titles"
    p = _write(tmp_path / "rag.csv", b"id,name,amount\nA1,x\nA2,y,3\nA3,z,4,extra\n")
    [s] = read_sources([p], con)
    assert s.header_row == 1
    assert s.headers == ["id", "name", "amount", "Column D"]
    assert _data(con, s) == [
        (2, "A1", "x", None, None),
        (3, "A2", "y", "3", None),
        (4, "A3", "z", "4", "extra"),
    ]


def test_csv_stray_whitespace_line_and_blank_line_inside_quotes(tmp_path, con):
    text = b'id,name,amount\n  \nA1,x,1\n\nA2,"a\n\nb",2\nA3,y,3\n\n\n'
    [s] = read_sources([_write(tmp_path / "w.csv", text)], con)
    assert s.delimiter == ","
    assert s.headers == ["id", "name", "amount"]
    # row 2 is the whitespace line (empty, dropped), row 4 the blank line
    assert _data(con, s) == [(3, "A1", "x", "1"), (5, "A2", "a\n\nb", "2"), (6, "A3", "y", "3")]


def test_csv_100k_rows_loads_with_right_count(tmp_path, con):
    p = tmp_path / "big.csv"
    p.write_text(
        "account_id,date,amount\n"
        + "".join(f"A{i % 997},2024-01-{i % 28 + 1:02d},{i}.5\n" for i in range(100_000))
    )
    [s] = read_sources([p], con)
    assert s.n_rows == 100_000
    assert rows(con, f"SELECT min(_row), max(_row), count(DISTINCT _row) FROM {s.table}") == [
        (2, 100_001, 100_000)
    ]
    assert rows(con, f"SELECT amount FROM {s.table} WHERE _row = 50002") == [("50000.5",)]


# --------------------------------------------------------------------------- XLSX


def _workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Revenue"
    ws["A1"] = "Revenue report"
    ws["A2"] = "Generated on 2024-05-01"
    ws.append([])
    ws.append(["Account", "Date", "Amount", "Amount", None, "Won"])  # row 4
    ws.append(["A1", dt.date(2024, 1, 5), 10.5, 1, "x", True])  # row 5
    ws.append([])  # row 6: empty
    ws.append(["A2", dt.date(2024, 2, 5), 11, "n/a", None, False])  # row 7
    ws.append([None, None, None, None, None, None])  # row 8: empty
    ws.append(["A3", dt.date(2024, 3, 5), 12.25, 3, None, True])  # row 9
    acc = wb.create_sheet("Accounts")
    acc.append(["account_id", "account_name", "since"])
    acc.append(["A1", "Acme", dt.datetime(2020, 1, 1, 9, 30)])
    acc.append(["A2", "Müller GmbH", dt.datetime(2021, 6, 1, 0, 0)])
    hidden = wb.create_sheet("Lookup")
    hidden.append(["code", "label"])
    hidden.append(["x", "y"])
    hidden.sheet_state = "hidden"
    wb.create_sheet("Empty")
    wb.save(path)
    return path


def test_xlsx_multi_sheet_types_titles_empty_rows_headers(tmp_path, con):
    sheets = read_sources([_workbook(tmp_path / "extract.xlsx")], con)
    assert [(s.sheet, s.table) for s in sheets] == [("Revenue", "stg_1"), ("Accounts", "stg_2")]
    rev, acc = sheets
    assert rev.file == "extract.xlsx"
    assert rev.header_row == 4
    assert rev.headers == ["Account", "Date", "Amount", "Amount (2)", "Column E", "Won"]
    assert rev.n_rows == 3
    assert _types(con, rev.table) == {
        "_row": "BIGINT",
        "Account": "VARCHAR",
        "Date": "DATE",
        "Amount": "DOUBLE",
        "Amount (2)": "VARCHAR",
        "Column E": "VARCHAR",
        "Won": "BOOLEAN",
    }
    assert _data(con, rev) == [
        (5, "A1", dt.date(2024, 1, 5), 10.5, "1", "x", True),
        (7, "A2", dt.date(2024, 2, 5), 11.0, "n/a", None, False),
        (9, "A3", dt.date(2024, 3, 5), 12.25, "3", None, True),
    ]
    assert acc.header_row == 1
    assert _types(con, acc.table)["since"] == "TIMESTAMP"
    assert _data(con, acc) == [
        (2, "A1", "Acme", dt.datetime(2020, 1, 1, 9, 30)),
        (3, "A2", "Müller GmbH", dt.datetime(2021, 6, 1)),
    ]


def test_xlsx_error_cells_kept_as_text(tmp_path, con):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["account_id", "amount"])
    ws.append(["A1", 5])
    ws.append(["A2", "#N/A"])  # openpyxl writes an error cell (t="e")
    ws.append(["A3", "#REF!"])
    wb.save(tmp_path / "err.xlsx")
    [s] = read_sources([tmp_path / "err.xlsx"], con)
    assert _data(con, s) == [(2, "A1", "5"), (3, "A2", "#N/A"), (4, "A3", "#REF!")]


def test_xlsx_display_name_and_mixed_with_csv(tmp_path, con):
    x = _workbook(tmp_path / "upload_1234.xlsx")
    c = _write(tmp_path / "team.csv", b"owner,manager\nBob,Al\n")
    sheets = read_sources([x, c], con, display_names={x: "May extract.xlsx"})
    assert [(s.file, s.table) for s in sheets] == [
        ("May extract.xlsx", "stg_1"),
        ("May extract.xlsx", "stg_2"),
        ("team.csv", "stg_3"),
    ]
    # a second call does not clobber the first one's tables
    [again] = read_sources([c], con)
    assert again.table == "stg_4"


# --------------------------------------------------------------------------- refusals


def _valid_xlsx_bytes(tmp_path) -> bytes:
    return _workbook(tmp_path / "_good.xlsx").read_bytes()


def test_refuse_xlsx_that_is_text(tmp_path, con):
    p = _write(tmp_path / "data.xlsx", b"id,name\nA1,Acme\n")
    err = _refusal([p], con)
    [prob] = err.problems
    assert prob.level == "error" and prob.file == "data.xlsx"
    assert prob.code == "not_a_workbook"
    assert 'file "data.xlsx" is not a valid Excel workbook (it looks like a text/CSV file)' in (
        prob.message
    )


def test_refuse_xlsx_that_is_html(tmp_path, con):
    p = _write(tmp_path / "report.xlsx", b"<html><body><table><tr><td>1</td></tr></table>")
    [prob] = _refusal([p], con).problems
    assert 'file "report.xlsx" is not a valid Excel workbook (it looks like an HTML page)' in (
        prob.message
    )


def test_refuse_truncated_xlsx(tmp_path, con):
    data = _valid_xlsx_bytes(tmp_path)
    p = _write(tmp_path / "cut.xlsx", data[: len(data) // 2])
    [prob] = _refusal([p], con).problems
    assert prob.code == "corrupt_workbook"
    assert 'file "cut.xlsx" is damaged or incomplete' in prob.message


def test_refuse_decompression_bomb_quickly(tmp_path, con):
    p = tmp_path / "bomb.xlsx"
    zeros = b"\0" * 2**20
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(200):
                member.write(zeros)
    assert p.stat().st_size < 2**20
    start = time.perf_counter()
    [prob] = _refusal([p], con).problems
    assert time.perf_counter() - start < 2  # central directory only, nothing decompressed
    assert prob.code == "zip_bomb"
    assert 'file "bomb.xlsx" was refused as a possible decompression bomb' in prob.message
    assert '"xl/worksheets/sheet1.xml" expands from' in prob.message


def test_refuse_total_uncompressed_size(tmp_path, con, monkeypatch):
    import kamdash.ingest.zipscan as zipscan

    monkeypatch.setattr(zipscan, "MAX_UNCOMPRESSED", 1000)
    p = tmp_path / "big.xlsx"
    p.write_bytes(_valid_xlsx_bytes(tmp_path))
    [prob] = _refusal([p], con).problems
    assert prob.code == "zip_bomb"
    assert "when opened (limit 0 MB)" in prob.message


def test_refuse_legacy_xls_and_ole_xlsx(tmp_path, con):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    xls = _write(tmp_path / "old.xls", ole)
    enc = _write(tmp_path / "locked.xlsx", ole)
    a, b = _refusal([xls, enc], con).problems
    assert a.code == "legacy_xls"
    assert a.message == (
        'file "old.xls" is a legacy .xls workbook, which is not supported: '
        "open it in Excel and save it as .xlsx"
    )
    assert b.code == "legacy_or_encrypted"
    assert 'file "locked.xlsx" is a legacy .xls or password-protected workbook' in b.message


def test_refuse_empty_file_and_unsupported_extension(tmp_path, con):
    empty = _write(tmp_path / "empty.csv", b"")
    pdf = _write(tmp_path / "deck.pdf", b"%PDF-1.4")
    blank = _write(tmp_path / "blank.csv", b"\n\n  \n")
    a, b, c = _refusal([empty, pdf, blank], con).problems
    assert (a.code, a.message) == ("empty_file", 'file "empty.csv" is empty (0 bytes)')
    assert b.code == "unsupported_type"
    assert 'file "deck.pdf" has an unsupported type ".pdf"' in b.message
    assert (c.code, c.message) == (
        "empty_file",
        'file "blank.csv" contains no data (only blank lines)',
    )


def test_refuse_binary_csv_and_oversized(tmp_path, con):
    junk = _write(tmp_path / "junk.csv", bytes(range(256)) * 20)
    zipped = _write(tmp_path / "book.csv", _valid_xlsx_bytes(tmp_path))
    big = _write(tmp_path / "big.csv", b"a,b\n" + b"1,2\n" * 1000)
    a, b = _refusal([junk, zipped], con).problems
    [c] = _refusal([big], con, max_bytes=2000).problems
    assert a.code == "not_text"
    assert 'file "junk.csv" is not a text file (it contains binary data)' in a.message
    assert 'file "book.csv" is not a text file (it looks like an Excel .xlsx workbook)' in (
        b.message
    )
    assert (c.code, c.file) == ("too_large", "big.csv")
    assert 'file "big.csv" is 0 MB, over the 0 MB limit' in c.message


def test_several_bad_files_reported_together_after_reading_all(tmp_path, con):
    good = _write(tmp_path / "good.csv", b"id\n1\n")
    bad1 = _write(tmp_path / "a.xlsx", b"hello")
    bad2 = _write(tmp_path / "b.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    bad3 = _write(tmp_path / "c.csv", b"")
    err = _refusal([bad1, good, bad2, bad3], con)
    assert [(p.file, p.code) for p in err.problems] == [
        ("a.xlsx", "not_a_workbook"),
        ("b.xls", "legacy_xls"),
        ("c.csv", "empty_file"),
    ]
    assert all(p.level == "error" for p in err.problems)
    assert 'file "a.xlsx"' in str(err) and 'file "c.csv"' in str(err)


def test_workbook_with_only_empty_or_hidden_sheets_refused(tmp_path, con):
    wb = openpyxl.Workbook()
    hidden = wb.create_sheet("Data")
    hidden.append(["a"])
    hidden.append([1])
    hidden.sheet_state = "hidden"
    wb.save(tmp_path / "nothing.xlsx")
    [prob] = _refusal([tmp_path / "nothing.xlsx"], con).problems
    assert prob.message == 'file "nothing.xlsx" has no data in any visible sheet'


def test_zip_that_is_not_a_workbook(tmp_path, con):
    p = tmp_path / "docs.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("readme.txt", "hi")
    [prob] = _refusal([p], con).problems
    assert prob.message == (
        'file "docs.xlsx" is not a valid Excel workbook (it is a ZIP archive with no workbook '
        "inside)"
    )
