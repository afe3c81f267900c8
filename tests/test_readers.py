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


# --------------------------------------------------------------------------- issue 12


def _one_warning(s: SourceSheet):
    [w] = s.warnings
    return w


def test_numeric_ids_staged_as_integer_text_and_decimals_as_excel_shows(tmp_path, con):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Accounts"
    for r in [
        ["Account ID", "Name", "Big ID", "Mixed", "Rate"],
        [599, "Acme", 12345678901234567, 100234, 0.1],
        [100234, "Beta", 123456789012345, "00042", 0.30000000000000004],
    ]:
        ws.append(r)
    wb.save(tmp_path / "ids.xlsx")
    [s] = read_sources([tmp_path / "ids.xlsx"], con)
    types = _types(con, s.table)
    assert (types["Account ID"], types["Big ID"], types["Mixed"], types["Rate"]) == (
        "BIGINT",
        "BIGINT",
        "VARCHAR",
        "DOUBLE",
    )
    assert rows(
        con,
        f'SELECT CAST("Account ID" AS VARCHAR), CAST("Big ID" AS VARCHAR), "Mixed" '
        f'FROM "{s.table}" ORDER BY _row',
    ) == [("599", "12345678901234570", "100234"), ("100234", "123456789012345", "00042")]
    from kamdash.ingest.staging import cell_text

    assert [cell_text(v) for v in (0.30000000000000004, 1e16, 0.00001, -2.5, 1234567.0)] == [
        "0.3",
        "10000000000000000",
        "0.00001",
        "-2.5",
        "1234567",
    ]


def test_formatted_report_titles_merged_groups_subtotals(tmp_path, con):
    """A Salesforce-style formatted report: title and filter lines, the group value merged down
    over its rows, a subtotal after each group and a grand total."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Report"
    for r in [
        ["Opportunities by Account"],
        ["Filtered By: Close Date equals THIS YEAR"],
        ["As of 2026-10-01"],
        [],
        ["Account Name", "Opportunity Name", "Stage", "Amount"],
        ["Acme", "Acme renewal", "Closed Won", 100],
        [None, "Acme upsell", "Prospecting", 50],
        [None, "Subtotal", None, 150],
        ["Total Energies", "TE pilot", "Closed Won", 70],
        [None, "Subtotal", None, 70],
        ["Grand Total (3 records)", None, None, 220],
    ]:
        ws.append(r)
    ws.merge_cells("A6:A8")
    ws.merge_cells("A9:A10")
    wb.save(tmp_path / "report.xlsx")
    [s] = read_sources([tmp_path / "report.xlsx"], con)
    assert s.header_row == 5
    assert _data(con, s) == [
        (6, "Acme", "Acme renewal", "Closed Won", 100),
        (7, "Acme", "Acme upsell", "Prospecting", 50),
        (9, "Total Energies", "TE pilot", "Closed Won", 70),
    ]
    w = _one_warning(s)
    assert (w.level, w.code, w.rows, w.count) == ("warning", "summary_rows", [8, 10, 11], 3)
    assert w.message == (
        'file "report.xlsx", sheet "Report", rows 8, 10, 11: 3 subtotal/total row(s) skipped'
    )
    assert s.n_rows == 3


def test_total_words_in_data_rows_are_kept(tmp_path, con):
    csv = (
        "Account ID,Account Name,Amount\nA1,Total Energies,10\nA2,Total,5\nA3,Sum Corp,1\n"
        "Total,,16\n"
    )
    [s] = read_sources([_write(tmp_path / "t.csv", csv.encode())], con)
    assert [r[1] for r in _data(con, s)] == ["A1", "A2", "A3"]
    assert _one_warning(s).message == 'file "t.csv", row 5: 1 subtotal/total row(s) skipped'


def test_salesforce_details_only_csv_footer(tmp_path, con):
    csv = (
        '"Opportunity Name","Account Name","Amount","Close Date"\n'
        '"Deal 1","Acme","1,000.00","1/15/2026"\n'
        '"Deal 2","Beta","500.00","2/15/2026"\n'
        '""\n'
        '"Opportunities Report"\n'
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
        '"Confidential Information - Do Not Distribute"\n'
        '"Generated By:  Pat Lee  10/1/2026 9:14 AM"\n'
        '"Acme Industries"\n'
    )
    [s] = read_sources([_write(tmp_path / "report1759300000000.csv", csv.encode())], con)
    assert [r[1] for r in _data(con, s)] == ["Deal 1", "Deal 2"]
    assert _one_warning(s).message == (
        'file "report1759300000000.csv", rows 5, 6, 7, 8, 9: 5 report footer row(s) skipped'
    )


def test_dynamics_helper_columns_and_hidden_sheet(tmp_path, con):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "My Open Opportunities"
    ws.append(
        [
            "(Do Not Modify) Opportunity",
            "(Do Not Modify) Row Checksum",
            "(Do Not Modify) Modified On",
            "Topic",
            "Est. Revenue",
        ]
    )
    ws.append(["7d5e-guid", "abc==", dt.datetime(2026, 1, 2, 3, 4), "Renewal", 1000])
    for c in "ABC":
        ws.column_dimensions[c].hidden = True
    hidden = wb.create_sheet("hiddenSheet")
    hidden.append(["opportunity", "meta"])
    hidden.sheet_state = "hidden"
    wb.save(tmp_path / "dyn.xlsx")
    [s] = read_sources([tmp_path / "dyn.xlsx"], con)
    # the record GUID is kept (the export's only ID); the bookkeeping columns are not
    assert s.headers == ["(Do Not Modify) Opportunity", "Topic", "Est. Revenue"]
    assert s.notes == [
        '2 Dynamics 365 helper column(s) left out (not data): "(Do Not Modify) Row Checksum", '
        '"(Do Not Modify) Modified On"'
    ]


def test_control_characters_and_nul_removed_csv(tmp_path, con):
    body = b"Account ID,Account Name,Notes\n" + b"".join(
        b"A%d,Name %d,ok\n" % (i, i) for i in range(60000)
    )
    body += b"B1,Ac\x00me\x07,fine\nB2,Beta,tab\there\x1b\n"  # past the first MiB
    [s] = read_sources([_write(tmp_path / "ctl.csv", body)], con)
    assert [w.message for w in s.warnings] == [
        'file "ctl.csv", column "Account Name", row 60002: 1 value(s) held control characters, '
        "removed",
        'file "ctl.csv", column "Notes", row 60003: 1 value(s) held control characters, removed',
    ]
    assert rows(con, f'SELECT "Account Name", "Notes" FROM "{s.table}" WHERE _row > 60001') == [
        ("Acme", "fine"),
        ("Beta", "tab\there"),
    ]


def test_binary_still_refused_nul_padding_in_text_is_not(tmp_path, con):
    junk = _write(tmp_path / "junk.csv", b"\x00\x01\x02" * 2000)
    err = _refusal([junk], con)
    assert err.problems[0].code == "not_text"
    ok = _write(tmp_path / "ok.csv", b"Account ID,Account Name\nA1,Acme\x00\x00\nA2,Beta\n")
    [s] = read_sources([ok], con)
    assert _data(con, s) == [(2, "A1", "Acme"), (3, "A2", "Beta")]


def test_control_characters_removed_xlsx(tmp_path, con):
    src = tmp_path / "src.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Accounts"
    for r in [["Account ID", "Account Name"], ["A1", "AcmeCTRL"], ["A2", "Beta"], ["A3", "XCTRL"]]:
        ws.append(r)
    wb.save(src)
    dst = tmp_path / "ctl.xlsx"
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w") as zo:
        for info in zi.infolist():
            data = zi.read(info.filename).replace(b"CTRL", b"_x0001__x001F_")
            zo.writestr(info.filename, data)
    [s] = read_sources([dst], con)
    assert [w.message for w in s.warnings] == [
        'file "ctl.xlsx", sheet "Accounts", column "Account Name", rows 2, 4: 2 value(s) held '
        "control characters, removed"
    ]
    assert [r[2] for r in _data(con, s)] == ["Acme", "Beta", "X"]


def test_too_many_columns_refused_plainly(tmp_path, con):
    wide = _write(
        tmp_path / "wide.csv",
        (
            ",".join(f"F{i}" for i in range(100_000)) + "\n" + ",".join("1" * 100_000) + "\n"
        ).encode(),
    )
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Accounts")
    ws.append(["Account ID"] + [f"F{i}" for i in range(16383)])
    ws.append(["A1"] + [1] * 16383)
    wb.save(tmp_path / "wide.xlsx")
    err = _refusal([wide, tmp_path / "wide.xlsx"], con)
    assert [(p.code, p.message) for p in err.problems] == [
        (
            "too_many_columns",
            'file "wide.csv": 100,000 columns; kamdash reads up to 4,096 columns per sheet. '
            "Remove unused columns and export again.",
        ),
        (
            "too_many_columns",
            'file "wide.xlsx", sheet "Accounts": 16,384 columns; kamdash reads up to 4,096 '
            "columns per sheet. Remove unused columns and export again.",
        ),
    ]


def test_columns_up_to_the_limit_load(tmp_path, con):
    n = 4096
    body = ",".join(["Account ID"] + [f"F{i}" for i in range(n - 1)]) + "\n"
    body += "".join(",".join([f"A{r}"] + [str(r)] * (n - 1)) + "\n" for r in range(3))
    [s] = read_sources([_write(tmp_path / "w.csv", body.encode())], con)
    assert (len(s.headers), s.n_rows) == (4096, 3)
