"""Nothing exported carries a live formula.

- CSV / XLSX table exports: text starting with `= + - @`, tab or CR gets the neutralising `'`
  (`fmt.formula_safe`), numbers stay numbers, XLSX text cells are strings, never formulas.
- The QBR deck: the workbooks embedded in its charts (what "Edit Data" opens) hold text as
  text, never a formula or a hyperlink; a control character in a name never breaks a deck.
- The Upload page's offending rows: every field (header, file, sheet and column names, cells)
  neutralised, plain numbers kept.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation

from kamdash.core.settings import Settings
from kamdash.ingest.report import Report
from kamdash.ingest.upload import offending_rows_csv
from kamdash.metrics.whitespace import whitespace
from kamdash.present.deck import qbr_deck
from kamdash.present.exports import to_csv_bytes, to_xlsx_bytes
from kamdash.store.load import prepare
from kamdash.store.snapshots import SnapshotStore
from tests.conftest import HOSTILE_FORMULA, HOSTILE_HOST, HOSTILE_URL_PRODUCT
from tests.helpers import canonical_db

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
LIVE = [
    HOSTILE_FORMULA,
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "=cmd|' /C calc'!A0",
]


def is_live(field: str) -> bool:
    """Whether a spreadsheet could read `field` (a CSV cell) as a formula."""
    return field.lstrip(" ").startswith(TRIGGERS) or field.startswith(TRIGGERS)


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# -------------------------------------------------------------------------------- exports


def hostile_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            HOSTILE_FORMULA: LIVE,
            "amount": [-50, 1.5, 0, -1e6, 3, 4, 5, 6],
            "name": ["Acme", "Be\x01ta", "x", "y", "z", "w", "v", "u"],
        }
    )


def test_csv_export_neutralises_text_and_keeps_numbers():
    rows = read_csv(to_csv_bytes(hostile_table()))
    header, body = rows[0], rows[1:]
    assert header[0] == "'" + HOSTILE_FORMULA
    assert [r[0] for r in body] == ["'" + t for t in LIVE]
    assert [r[1] for r in body] == ["-50", "1.5", "0", "-1000000", "3", "4", "5", "6"]
    assert [f for r in rows for f in r if is_live(f)] == ["-50", "-1000000"], "numbers only"


def test_xlsx_export_has_no_formula_and_numbers_stay_numbers():
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(hostile_table())))
    ws = wb.active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    assert ws["A1"].data_type == "s" and ws["A2"].data_type == "s"
    assert [ws.cell(row=r, column=2).value for r in range(2, 4)] == [-50, 1.5]
    assert ws["B2"].data_type == "n"
    assert ws["C3"].value == "Be\ufffdta", "a control character is replaced, not fatal"


# ----------------------------------------------------------------------------------- deck


def chart_workbooks(prs) -> list[openpyxl.Workbook]:
    out = []
    for slide in prs.slides:
        for sh in slide.shapes:
            if getattr(sh, "has_chart", False) and sh.has_chart:
                blob = sh.chart.part.chart_workbook.xlsx_part.blob
                out.append(openpyxl.load_workbook(io.BytesIO(blob)))
    return out


def chart_categories(prs) -> list[str]:
    return [
        str(c)
        for slide in prs.slides
        for sh in slide.shapes
        if getattr(sh, "has_chart", False) and sh.has_chart
        for c in sh.chart.plots[0].categories
    ]


@pytest.fixture(scope="module")
def hostile_deck(hostile_data_dir):
    """The book deck of accounts whose biggest whitespace holds the formula product and the
    URL product (hostile extract)."""
    store = SnapshotStore(hostile_data_dir)
    con = store.open()
    try:
        cur = con.cursor()
        settings = Settings()
        ranked = whitespace(cur, settings).ranked()
        ids = []
        for product in (HOSTILE_FORMULA, HOSTILE_URL_PRODUCT):
            ids += list(ranked[ranked["product"] == product]["account_id"].head(2))
        data = qbr_deck(cur, settings, list(dict.fromkeys(ids)), heading="Book")
    finally:
        con.close()
    return Presentation(io.BytesIO(data))


def test_deck_charts_embed_no_formula_and_no_link(hostile_deck):
    books = chart_workbooks(hostile_deck)
    assert books
    cells = [c for wb in books for ws in wb for row in ws.iter_rows() for c in row]
    assert not [(c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert not [(c.coordinate, c.value) for c in cells if c.hyperlink is not None]
    # the names are there, as written, as text
    texts = {c.value for c in cells if c.data_type == "s"}
    assert HOSTILE_FORMULA in texts and HOSTILE_URL_PRODUCT in texts
    cats = chart_categories(hostile_deck)
    assert HOSTILE_FORMULA in cats and HOSTILE_URL_PRODUCT in cats


def test_deck_chart_parts_hold_no_formula(hostile_deck):
    """No `<f>` element in any embedded workbook's sheet XML (what Excel would evaluate)."""
    import zipfile

    for slide in hostile_deck.slides:
        for sh in slide.shapes:
            if getattr(sh, "has_chart", False) and sh.has_chart:
                blob = sh.chart.part.chart_workbook.xlsx_part.blob
                with zipfile.ZipFile(io.BytesIO(blob)) as z:
                    for name in z.namelist():
                        xml = z.read(name).decode("utf-8", "replace")
                        assert "<f>" not in xml and "<f " not in xml, name
                        assert HOSTILE_HOST not in xml or name.endswith("sharedStrings.xml")


CONTROL = "\x01\x07\x0b\x0c\x1b\x1f"


def control_extract():
    """Two accounts whose name, owner, tier, region and products carry control characters."""
    return canonical_db(
        accounts=[
            {
                "account_id": "A",
                "account_name": f"Ac{CONTROL}me",
                "owner": f"K{CONTROL}im",
                "tier": f"Tier{CONTROL} 1",
                "region": f"E{CONTROL}U",
                "industry": "Retail",
            },
            {
                "account_id": "B",
                "account_name": "Beta",
                "owner": f"K{CONTROL}im",
                "tier": "Tier 2",
                "industry": "Retail",
            },
        ],
        revenue=[
            {"account_id": a, "date": f"{y}-{m:02d}-15", "amount": 100.0 + m, "product": p}
            for a, products in (("A", ["P"]), ("B", ["P", f"Q{CONTROL}x", HOSTILE_FORMULA]))
            for p in products
            for y in (2024, 2025)
            for m in (3, 6, 9, 12)
        ],
    )


def test_control_characters_never_break_a_deck():
    con = control_extract()
    for ids, heading in ((["A"], None), (["A", "B"], f"Book of K{CONTROL}im")):
        data = qbr_deck(con, Settings(), ids, heading=heading)
        prs = Presentation(io.BytesIO(data))
        titles = [s.shapes.title.text for s in prs.slides if s.shapes.title is not None]
        assert "Ac\ufffd\ufffd\ufffd\ufffd\ufffd\ufffdme" in titles
        for wb in chart_workbooks(prs):
            for ws in wb:
                assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


# --------------------------------------------------------------------- offending rows (CSV)


def test_offending_rows_of_a_hostile_file_neutralise_every_field(tmp_path):
    name = "=1+2@evil revenue.csv"
    header = f'"=HYPERLINK(""http://{HOSTILE_HOST}"",""h"")"'
    (tmp_path / name).write_text(
        f"Account ID,Date,Amount,{header}\n"
        "A1,2024-01-15,abc,x\n"
        "A2,2024-02-15,=1+1,-y\n"
        "A3,2024-03-15,@SUM(A1),+z\n"
        "A4,2024-04-15,-7,z\n"
    )
    prepared = prepare([tmp_path / name], tmp_path / "data")
    try:
        rows = read_csv(offending_rows_csv(prepared.report))
    finally:
        prepared.discard()
    assert len(rows) >= 3, rows
    assert not [f for r in rows for f in r if is_live(f)], rows
    assert rows[0][-1] == "'" + f'=HYPERLINK("http://{HOSTILE_HOST}","h")'
    assert {r[2] for r in rows[1:]} == {"'" + name}


def test_offending_rows_neutralise_header_file_sheet_and_column_names():
    report = Report()
    report.error(
        "non_numeric",
        "bad amounts",
        file="=cmd|' /C calc'!A0.xlsx",
        sheet="@SUM(A1)",
        column="+Amount",
        offending=[
            {"-Account": "=1+1", "Amount": "-7", "Note": "\t=2", "_row": 4},
            {"-Account": "+x", "Amount": "1.5e3", "Note": " @y", "_row": 5},
        ],
    )
    rows = read_csv(offending_rows_csv(report))
    head = ["level", "problem", "file", "sheet", "column", "row", "'-Account", "Amount", "Note"]
    assert rows[0] == head
    first, second = rows[1], rows[2]
    assert first[2:5] == ["'=cmd|' /C calc'!A0.xlsx", "'@SUM(A1)", "'+Amount"]
    assert first[5:] == ["4", "'=1+1", "-7", "'\t=2"], "a plain number stays a number"
    assert second[5:] == ["5", "'+x", "1.5e3", "' @y"]
    assert [f for r in rows for f in r if is_live(f)] == ["-7"]
