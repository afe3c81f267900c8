"""A whole load: read -> map -> validate -> publish, the report's messages, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kamdash.cli import main as cli
from kamdash.core.db import rows
from kamdash.store.load import load_extract, prepare
from kamdash.store.snapshots import SnapshotStore
from tests.helpers import workbook

ROOT = Path(__file__).resolve().parent.parent

ACCOUNTS = "Account ID,Account Name,KAM,Region,Tier\nA1,Acme,Ann,EMEA,1\nA2,Beta,Bob,NA,T2\n"
REVENUE = "Acct ID,Invoice Date,ARR,Product\nA1,2024-01-15,100,Widgets\nA2,2024-03-01,50,Gadgets\n"


def write(d: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = d / name
    p.write_text(text, encoding=encoding)
    return p


def tree(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def codes(prepared, level=None):
    return [p.code for p in prepared.report.problems if level is None or p.level == level]


def only(prepared, code):
    found = [p for p in prepared.report.problems if p.code == code]
    assert len(found) == 1, (code, prepared.report.text())
    return found[0]


@pytest.fixture
def published(tmp_path):
    """A data dir with one published snapshot; returns (data_dir, snapshot id)."""
    data = tmp_path / "data"
    ex = tmp_path / "ok"
    ex.mkdir()
    r = load_extract([write(ex, "accounts.csv", ACCOUNTS), write(ex, "revenue.csv", REVENUE)], data)
    assert r.snapshot_id, r.report.text()
    return data, r.snapshot_id


def test_csv_extract_publishes_typed_canonical_tables(published):
    data, sid = published
    con = SnapshotStore(data).open()
    assert rows(con, "SELECT account_id, account_name, owner, tier FROM accounts ORDER BY 1") == [
        ("A1", "Acme", "Ann", "Tier 1"),
        ("A2", "Beta", "Bob", "Tier 2"),
    ]
    assert rows(con, "SELECT account_id, date, amount, product FROM revenue ORDER BY 1") == [
        ("A1", dt.date(2024, 1, 15), 100.0, "Widgets"),
        ("A2", dt.date(2024, 3, 1), 50.0, "Gadgets"),
    ]
    # every contract column exists, absent ones NULL
    assert rows(con, "SELECT count(*) FROM accounts WHERE industry IS NULL") == [(2,)]
    assert dict(rows(con, "SELECT key, value FROM _meta"))["as_of"] == "2024-03-01"
    m = SnapshotStore(data).manifest(sid)
    assert m["row_counts"] == {"accounts": 2, "revenue": 2}
    assert [f["name"] for f in m["files"]] == ["accounts.csv", "revenue.csv"]
    assert m["tables"]["revenue"]["columns"]["amount"] == "ARR"


def test_workbook_with_many_sheets_and_extras_kept(tmp_path):
    wb = workbook(
        tmp_path / "crm.xlsx",
        {
            "Accounts": [["Account ID", "Account Name", "Website"], ["A1", "Acme", "acme.com"]],
            "Revenue": [
                ["Account ID", "Date", "Amount", "Invoice Number"],
                ["A1", dt.datetime(2024, 2, 1), 120.5, "INV-1"],
            ],
            "Stakeholders": [
                ["Account ID", "Contact Name", "Sentiment", "Relationship Strength"],
                ["A1", "Jo Park", "Champion", 4],
            ],
        },
    )
    r = load_extract([wb], tmp_path / "data")
    assert r.snapshot_id, r.report.text()
    con = SnapshotStore(tmp_path / "data").open()
    assert rows(con, "SELECT extra_website FROM accounts") == [("acme.com",)]
    assert rows(con, "SELECT amount, date, extra_invoice_number FROM revenue") == [
        (120.5, dt.date(2024, 2, 1), "INV-1")
    ]
    assert rows(con, "SELECT name, sentiment, strength FROM stakeholders") == [
        ("Jo Park", "champion", 4.0)
    ]


# -- errors: refuse the load, name file/sheet/column/row, leave the published data alone --------
def _refused(published, tmp_path, files: dict[str, str]):
    data, sid = published
    before = tree(data)
    d = tmp_path / "bad"
    d.mkdir(exist_ok=True)
    paths = [write(d, n, t) for n, t in files.items()]
    r = load_extract(paths, data)
    assert r.snapshot_id is None and r.report.errors
    assert tree(data) == before  # byte-identical: nothing published, nothing half-replaced
    assert SnapshotStore(data).current_id() == sid
    return r


def test_missing_required_column(published, tmp_path):
    r = _refused(
        published, tmp_path, {"accounts.csv": ACCOUNTS, "revenue.csv": "Acct ID,ARR\nA1,5\n"}
    )
    p = only(r, "missing_column")
    assert p.file == "revenue.csv" and "date" in p.message and "'Acct ID', 'ARR'" in p.message


def test_non_numeric_amounts_name_rows_and_values(published, tmp_path):
    bad = (
        REVENUE
        + "A1,2024-04-01,n/a,Widgets\nA2,2024-05-01,12 EUR,Widgets\nA2,2024-05-02,lots,Widgets\n"
    )
    r = _refused(published, tmp_path, {"accounts.csv": ACCOUNTS, "revenue.csv": bad})
    p = only(r, "non_numeric")
    assert (p.file, p.column, p.rows, p.count) == ("revenue.csv", "ARR", [4, 6], 2)
    assert p.examples == ["n/a", "lots"]
    # the whole offending rows, for the downloadable copy
    assert [(o["_row"], o["Acct ID"], o["ARR"]) for o in p.offending] == [
        (4, "A1", "n/a"),
        (6, "A2", "lots"),
    ]
    assert "offending" not in p.to_dict()
    assert 'file "revenue.csv", column "ARR", rows 4, 6' in p.message


def test_unreadable_dates(published, tmp_path):
    bad = REVENUE + "A1,someday,5,Widgets\n"
    p = only(
        _refused(published, tmp_path, {"accounts.csv": ACCOUNTS, "revenue.csv": bad}), "bad_date"
    )
    assert (p.column, p.rows) == ("Invoice Date", [4])


def test_revenue_alone_is_an_extract(tmp_path):
    """No accounts table: the accounts are derived from the revenue lines' account IDs."""
    r = load_extract([write(tmp_path, "revenue.csv", REVENUE)], tmp_path / "data")
    assert r.snapshot_id, r.report.text()
    assert only(r, "accounts_from_deals").message == (
        'No accounts table: 2 account(s) were derived from file "revenue.csv", column "Acct ID", '
        "one per account ID."
    )
    con = SnapshotStore(tmp_path / "data").open()
    assert rows(con, "SELECT account_id, account_name, owner FROM accounts ORDER BY 1") == [
        ("A1", "A1", None),
        ("A2", "A2", None),
    ]
    assert SnapshotStore(tmp_path / "data").manifest(r.snapshot_id)["row_counts"] == {
        "accounts": 2,
        "revenue": 2,
    }


def test_no_revenue_and_no_opportunities(published, tmp_path):
    r = _refused(published, tmp_path, {"accounts.csv": ACCOUNTS})
    assert [p.message for p in r.report.errors] == [
        "The extract needs a revenue or an opportunities table (a CRM's deal export on its own "
        "will do); tables recognised: accounts. Name the sheets or files like 'Revenue' or "
        "'Opportunities', or map them."
    ]


def test_empty_and_wrong_kind_files_are_refused(published, tmp_path):
    r = _refused(published, tmp_path, {"accounts.csv": "", "revenue.xlsx": "not a workbook"})
    files = {p.file for p in r.report.errors}
    assert files == {"accounts.csv", "revenue.xlsx"}


def test_bad_xlsx_cell_names_the_sheet(published, tmp_path):
    data, sid = published
    before = tree(data)
    wb = workbook(
        tmp_path / "crm.xlsx",
        {
            "Accounts": [["Account ID", "Account Name"], ["A1", "Acme"]],
            "Revenue": [
                ["Report: revenue by month"],
                [],
                ["Account ID", "Date", "Amount"],
                ["A1", dt.datetime(2024, 1, 1), "#N/A"],
            ],
        },
    )
    r = load_extract([wb], data)
    p = only(r, "non_numeric")
    assert (p.file, p.sheet, p.column, p.rows) == ("crm.xlsx", "Revenue", "Amount", [4])
    assert 'file "crm.xlsx", sheet "Revenue", column "Amount", row 4' in p.message
    assert tree(data) == before


# -- warnings: load, but report counts and examples --------------------------------------------
def test_warnings_are_reported_and_the_load_publishes(tmp_path):
    accounts = ACCOUNTS + "A2,Beta again,Bob,NA,2\n,Gamma,Cy,EU,3\n"
    revenue = (
        REVENUE + "A9,2024-02-01,10,Widgets\nA1,2024-02-15,-20,Widgets\nA1,2024-02-20,5,Gizmos\n"
        "A1,2024-04-10,5,Widgets\nA1,2024-03-20,900,Widgets\n"
    )  # A9: 10 of 1,090 revenue on an unknown account (0.9%, below the 2% that refuses)
    opps = "Opp ID,Account ID,Amount,Stage\nO1,A1,10,Proposal\nO2,ZZ,5,Closed Won\n"
    products = "Product,Product Line\nWidgets,Core\nGadgets,Core\n"
    d = tmp_path / "x"
    d.mkdir()
    paths = [
        write(d, "accounts.csv", accounts),
        write(d, "revenue.csv", revenue),
        write(d, "opportunities.csv", opps),
        write(d, "products.csv", products),
    ]
    r = load_extract(paths, tmp_path / "data")
    assert r.snapshot_id, r.report.text()
    assert only(r, "duplicate_id").rows == [4]
    assert only(r, "blank_key").rows == [5]
    unknown = only(r, "unknown_account")
    assert (unknown.file, unknown.rows, unknown.examples) == ("revenue.csv", [4], ["A9"])
    assert only(r, "opportunity_without_account").examples == ["ZZ"]
    neg = only(r, "negative_amount")
    assert (neg.file, neg.rows) == ("revenue.csv", [5])
    prod = only(r, "unknown_product")
    assert (prod.file, prod.rows, prod.examples) == ("revenue.csv", [6], ["Gizmos"])
    partial = only(r, "partial_quarter")  # latest date 2024-04-10 is before June: 2024Q2 partial
    assert "2024-04-10" in partial.message and "2024Q2" in partial.message


def test_partial_quarter_warning_only_before_the_last_month(tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    paths = [
        write(d, "accounts.csv", ACCOUNTS),
        write(d, "revenue.csv", REVENUE.replace("2024-03-01", "2024-02-29")),
    ]
    r = prepare(paths, tmp_path / "data")
    assert "2024Q1" in only(r, "partial_quarter").message
    r.discard()
    paths = [write(d, "accounts.csv", ACCOUNTS), write(d, "revenue.csv", REVENUE)]
    r = prepare(paths, tmp_path / "data")
    assert "partial_quarter" not in codes(r)
    r.discard()
    assert not list((tmp_path / "data" / "snapshots").glob(".tmp-*"))


# -- number and date formats --------------------------------------------------------------------
def test_semicolon_csv_with_decimal_commas_reads_right_numbers(tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    acc = write(d, "accounts.csv", "Account ID;Account Name\nA1;Müller GmbH\n", "latin-1")
    rev = write(
        d, "revenue.csv", "Account ID;Date;Amount\nA1;15.01.2024;1.234,56\nA1;16.01.2024;12,5\n"
    )
    r = load_extract([acc, rev], tmp_path / "data")
    assert r.snapshot_id, r.report.text()
    con = SnapshotStore(tmp_path / "data").open()
    assert rows(con, "SELECT account_name FROM accounts") == [("Müller GmbH",)]
    assert rows(con, "SELECT date, amount FROM revenue ORDER BY date") == [
        (dt.date(2024, 1, 15), 1234.56),
        (dt.date(2024, 1, 16), 12.5),
    ]


def test_ambiguous_dates_warn_and_excel_serials_read(tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    acc = write(d, "accounts.csv", ACCOUNTS)
    rev = write(d, "revenue.csv", "Account ID,Date,Amount\nA1,03/04/2024,1\nA1,45300,2\n")
    r = load_extract([acc, rev], tmp_path / "data")
    assert r.snapshot_id, r.report.text()
    assert only(r, "ambiguous_dates").column == "Date"
    con = SnapshotStore(tmp_path / "data").open()
    # 03/04/2024 read month/day; Excel serial 45292 is 2024-01-01, so 45300 is 2024-01-09
    assert rows(con, "SELECT date FROM revenue ORDER BY amount") == [
        (dt.date(2024, 3, 4),),
        (dt.date(2024, 1, 9),),
    ]


# -- revenue from opportunities -----------------------------------------------------------------
def test_won_opportunities_stand_in_for_revenue(tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    opps = (
        "Opportunity ID,Account ID,Close Value,Stage,Close Date,Product\n"
        "O1,A1,100,Closed Won,2024-02-10,Widgets\n"
        "O2,A1,999,Proposal,2024-06-30,Widgets\n"
        "O3,A2,40,Closed Lost,2024-03-01,Gadgets\n"
        "O4,A2,60,Won,2024-03-05,Gadgets\n"
    )
    r = load_extract(
        [write(d, "accounts.csv", ACCOUNTS), write(d, "opportunities.csv", opps)], tmp_path / "data"
    )
    assert r.snapshot_id, r.report.text()
    assert "won opportunities" in only(r, "revenue_from_opportunities").message
    con = SnapshotStore(tmp_path / "data").open()
    assert rows(con, "SELECT account_id, date, amount FROM revenue ORDER BY date") == [
        ("A1", dt.date(2024, 2, 10), 100.0),
        ("A2", dt.date(2024, 3, 5), 60.0),
    ]
    assert dict(rows(con, "SELECT key, value FROM _meta"))["revenue_source"] == "opportunities"
    assert rows(
        con, "SELECT opportunity_id, is_won, is_lost, is_open FROM opportunities ORDER BY 1"
    ) == [
        ("O1", True, False, False),
        ("O2", False, False, True),
        ("O3", False, True, False),
        ("O4", True, False, False),
    ]


def test_mapping_file_on_the_cli(tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    acc = write(d, "dim_reseller.csv", "ResellerKey,ResellerName\nR1,Bikes Inc\n")
    rev = write(d, "fact_sales.csv", "ResellerKey,OrderDate,SalesAmount\nR1,2024-01-05,10\n")
    m = write(
        d,
        "map.toml",
        '[accounts]\nsource = "dim_reseller.csv"\naccount_id = "ResellerKey"\naccount_name = "ResellerName"\n'
        '[revenue]\nsource = "fact_sales"\naccount_id = "ResellerKey"\ndate = "OrderDate"\namount = "SalesAmount"\n',
    )
    data = tmp_path / "data"
    assert cli(["load", str(acc), str(rev), "--data-dir", str(data)]) == 1  # not recognisable
    assert cli(["load", str(acc), str(rev), "--mapping", str(m), "--data-dir", str(data)]) == 0
    con = SnapshotStore(data).open()
    assert rows(con, "SELECT account_name FROM accounts") == [("Bikes Inc",)]


def test_cli_load_snapshots_use_and_metrics(tmp_path, capsys):
    d = tmp_path / "x"
    d.mkdir()
    data = str(tmp_path / "data")
    acc, rev = write(d, "accounts.csv", ACCOUNTS), write(d, "revenue.csv", REVENUE)
    assert cli(["load", str(acc), str(rev), "--data-dir", data]) == 0
    first = SnapshotStore(data).current_id()
    out = capsys.readouterr().out
    assert f"Published snapshot {first}" in out
    bad = write(d, "revenue.csv", "Acct ID,Invoice Date,ARR\nA1,2024-01-01,x\n")
    assert cli(["load", str(acc), str(bad), "--data-dir", data]) == 1
    captured = capsys.readouterr()
    assert 'ERROR: file "revenue.csv", column "ARR", row 2' in captured.out
    assert "current snapshot is unchanged" in captured.err
    write(d, "revenue.csv", REVENUE)
    assert cli(["load", str(acc), str(rev), "--data-dir", data]) == 0
    second = SnapshotStore(data).current_id()
    assert cli(["snapshots", "--data-dir", data]) == 0
    listing = capsys.readouterr().out
    assert f"* {second}" in listing and f"  {first}" in listing
    assert cli(["use", first, "--data-dir", data]) == 0
    assert SnapshotStore(data).current_id() == first
    assert cli(["use", "nope", "--data-dir", data]) == 2


def test_cli_runs_as_a_module(tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    acc, rev = write(d, "accounts.csv", ACCOUNTS), write(d, "revenue.csv", REVENUE)
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "kamdash",
            "load",
            str(acc),
            str(rev),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert p.returncode == 0, p.stderr
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "kamdash",
            "metrics",
            "--json",
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["as_of"] == "2024-03-01"
    assert [q["quarter"] for q in out["quarters"]] == ["2024Q1"]
    assert out["quarters"][0]["revenue"] == 150.0 and out["quarters"][0]["nrr"] is None


def test_rows_without_a_needed_value_are_skipped_with_their_own_message(tmp_path):
    """The contract's skip rules: revenue needs an amount and a date, a deal an amount."""
    revenue = REVENUE + "A1,2024-02-01,,Widgets\nA2,,7,Widgets\n"
    opps = "Opp ID,Account ID,Amount,Stage\nO1,A1,10,Proposal\nO2,A2,,Closed Won\n"
    d = tmp_path / "x"
    d.mkdir()
    paths = [write(d, n, t) for n, t in [("accounts.csv", ACCOUNTS), ("revenue.csv", revenue)]]
    r = load_extract([*paths, write(d, "opportunities.csv", opps)], tmp_path / "data")
    assert r.snapshot_id, r.report.text()
    messages = {(p.code, p.file): p.message for p in r.report.warnings}
    assert messages[("blank_amount", "revenue.csv")] == (
        'file "revenue.csv", column "ARR", row 4: 1 row(s) without an amount were skipped.'
    )
    assert messages[("blank_date", "revenue.csv")] == (
        'file "revenue.csv", column "Invoice Date", row 5: 1 row(s) without a date were skipped.'
    )
    assert messages[("blank_amount", "opportunities.csv")] == (
        'file "opportunities.csv", column "Amount", row 3: 1 row(s) without an amount were skipped.'
    )
    assert r.counts == {"accounts": 2, "revenue": 2, "opportunities": 1}


def test_out_of_memory_is_a_plain_refusal(published, tmp_path, monkeypatch):
    """Running out of the load's memory refuses in plain words and publishes nothing."""
    import duckdb

    import kamdash.store.load as load

    def explode(*args, **kwargs):
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate 12345 bytes")

    monkeypatch.setattr(load, "build_canonical", explode)
    r = _refused(published, tmp_path, {"accounts.csv": ACCOUNTS, "revenue.csv": REVENUE})
    assert [p.message for p in r.report.errors] == [
        "The extract does not fit in the memory a load may use (1GB); nothing was published. "
        "Remove unused columns or rows, or split it into smaller files."
    ]
    assert not list((published[0] / "snapshots").glob(".tmp-*"))


def test_cli_max_mb_sets_the_per_file_limit(tmp_path, capsys):
    d = tmp_path / "x"
    d.mkdir()
    acc = write(d, "accounts.csv", ACCOUNTS)
    lines = "".join(f"A1,2024-{1 + i % 12:02d}-01,{i}.50\n" for i in range(60_000))
    rev = write(d, "revenue.csv", "account_id,date,amount\n" + lines)
    assert 2**20 < rev.stat().st_size < 2 * 2**20
    data = str(tmp_path / "data")
    assert cli(["load", str(acc), str(rev), "--data-dir", data, "--max-mb", "1"]) == 1
    assert 'file "revenue.csv"' in capsys.readouterr().out
    assert cli(["load", str(acc), str(rev), "--data-dir", data, "--max-mb", "0"]) == 2
    assert cli(["load", str(acc), str(rev), "--data-dir", data, "--max-mb", "2"]) == 0
