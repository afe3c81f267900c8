"""One export alone is an extract: a CRM's deal (or revenue-line) export without an accounts
table publishes, with accounts derived from its account column, owners from the deals, won
deals as revenue; open deals without an amount are kept; revenue on unknown accounts above the
settings' share refuses the load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kamdash.cli import main as cli
from kamdash.core.db import rows
from kamdash.core.periods import period_context
from kamdash.core.settings import Settings
from kamdash.store.filters import Filters, filter_options, scoped
from kamdash.store.load import load_extract
from kamdash.store.snapshots import SnapshotStore
from kamdash.views.summary import metrics_summary

# Row numbers (header = row 1): O1 2, O2 3, O3 4, O4 5, O5 6, O6 7, O7 8, O8 9, O9 10.
DEALS = (
    "Opportunity ID,Account ID,Account Name,Amount,Stage,Close Date,Opportunity Owner\n"
    "O1,A1,Acme,100,Closed Won,2024-02-10,Ann\n"
    "O2,A1,Acme,200,Closed Won,2024-05-10,Bob\n"
    "O3,A1,Acme,,Proposal,2024-09-30,Cat\n"
    "O4,A2,Beta,50,Won,2024-03-05,Dan\n"
    "O5,A2,Beta,80,Closed Lost,2024-04-01,Eve\n"
    "O6,A3,Gamma,,Prospecting,2024-12-01,Fay\n"
    "O7,A3,Gamma,70,Negotiation,2025-01-01,Gus\n"
    "O8,A2,Beta,30,Closed Won,2024-06-20,Hal\n"
    "O9,A3,Gamma,,Closed Won,2024-04-15,Ivy\n"
)
ACCOUNTS = "Account ID,Account Name\nA1,Acme\nA2,Beta\n"


def write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.write_text(text, encoding="utf-8")
    return p


def messages(report, code: str) -> list[str]:
    return [p.message for p in report.problems if p.code == code]


@pytest.fixture
def load(tmp_path):
    """load({name: text}) -> (prepared load, read-only snapshot connection); must publish."""
    cons = []

    def run(files: dict[str, str]):
        d = tmp_path / f"x{len(cons)}"
        d.mkdir()
        data = tmp_path / f"data{len(cons)}"
        r = load_extract([write(d, n, t) for n, t in files.items()], data)
        assert r.snapshot_id, r.report.text()
        con = SnapshotStore(data).open()
        cons.append(con)
        return r, con

    yield run
    for c in cons:
        c.close()


def test_deals_export_alone_publishes_with_derived_accounts(load):
    r, con = load({"deals.csv": DEALS})
    assert r.counts == {"accounts": 3, "opportunities": 8, "revenue": 4}
    # owners: A1 Bob (most recent of two won deals; the later open deal of Cat does not count),
    # A2 Hal (the later of two won deals; Eve's lost deal between them does not count), A3 Gus
    # (its won deal has no amount and is skipped: the most recent of its deals)
    assert rows(con, "SELECT account_id, account_name, owner, tier FROM accounts ORDER BY 1") == [
        ("A1", "Acme", "Bob", None),
        ("A2", "Beta", "Hal", None),
        ("A3", "Gamma", "Gus", None),
    ]
    assert messages(r.report, "accounts_from_deals") == [
        'No accounts table: 3 account(s) were derived from file "deals.csv", column "Account ID" '
        '(names from column "Account Name"), one per account ID.'
    ]
    assert messages(r.report, "owners_from_deals") == [
        'The owner of each of 3 account(s) comes from file "deals.csv", column "Opportunity '
        'Owner": the owner of its most recent won deal, else of its most recent deal.'
    ]
    assert [p.code for p in r.report.warnings] == ["blank_amount"]
    # won deals are revenue on their close dates: Q1 = 100 + 50, Q2 = 200 + 30
    quarters = metrics_summary(con.cursor(), Settings(), ctx=period_context(con, Settings()))
    assert [(q["quarter"], q["revenue"], q["partial"]) for q in quarters["quarters"]] == [
        ("2024Q1", 150.0, False),
        ("2024Q2", 230.0, False),
    ]
    meta = dict(rows(con, "SELECT key, value FROM _meta"))
    assert (meta["as_of"], meta["revenue_source"]) == ("2024-06-20", "opportunities")
    assert ("accounts", "account_id", "deals.csv", None, "Account ID") in rows(
        con, "SELECT * FROM _columns"
    )


def test_open_deals_without_amount_are_kept_and_counted(load):
    r, con = load({"deals.csv": DEALS})
    assert messages(r.report, "open_deal_without_amount") == [
        'file "deals.csv", column "Amount", rows 4, 7: 2 open deal(s) have no amount: counted '
        "in the pipeline with the amount unknown."
    ]
    info = next(p for p in r.report.problems if p.code == "open_deal_without_amount")
    assert (info.level, info.rows, info.count) == ("info", [4, 7], 2)
    # a won deal without an amount still cannot be revenue: skipped, as before
    assert messages(r.report, "blank_amount") == [
        'file "deals.csv", column "Amount", row 10: 1 row(s) without an amount were skipped.'
    ]
    assert rows(
        con,
        "SELECT count(*), count(amount), sum(amount) FROM opportunities WHERE is_open",
    ) == [(3, 1, 70.0)]
    assert rows(con, "SELECT opportunity_id FROM opportunities WHERE amount IS NULL") == [
        ("O3",),
        ("O6",),
    ]


def test_filters_read_the_owners_from_the_deals(load):
    _, con = load({"deals.csv": DEALS})
    assert filter_options(con)["owners"] == ["Bob", "Gus", "Hal"]
    cur = scoped(con, Filters(owners=("Bob",)))
    assert rows(cur, "SELECT account_id FROM accounts") == [("A1",)]
    assert rows(cur, "SELECT sum(amount) FROM revenue") == [(300.0,)]


def test_name_only_deals_export_uses_the_name_as_the_id(load):
    deals = (
        "Account Name,Amount,Stage,Close Date,Owner\n"
        "Acme Corp,100,Closed Won,2024-01-10,Ann\n"
        "Beta Ltd,40,Closed Won,2024-02-10,Bob\n"
        "Acme Corp,,Qualification,2024-08-01,Cat\n"
    )
    r, con = load({"deals.csv": deals})
    assert messages(r.report, "name_as_id") == [
        'file "deals.csv", column "Account Name": there is no account ID column, so the account '
        "name serves as the account ID."
    ]
    assert messages(r.report, "accounts_from_deals") == [
        'No accounts table: 2 account(s) were derived from file "deals.csv", column "Account '
        'Name", one per account ID.'
    ]
    assert rows(con, "SELECT account_id, account_name, owner FROM accounts ORDER BY 1") == [
        ("Acme Corp", "Acme Corp", "Ann"),
        ("Beta Ltd", "Beta Ltd", "Bob"),
    ]
    assert rows(con, "SELECT account_id, date, amount FROM revenue ORDER BY date") == [
        ("Acme Corp", dt.date(2024, 1, 10), 100.0),
        ("Beta Ltd", dt.date(2024, 2, 10), 40.0),
    ]
    assert rows(con, "SELECT account_id, amount FROM opportunities WHERE is_open") == [
        ("Acme Corp", None)
    ]


def test_revenue_lines_alone_with_customer_names(load):
    revenue = (
        "Customer,Invoice Date,Amount\nNorth Ltd,2024-01-05,10\nSouth AG,2024-02-05,20\n"
        "North Ltd,2024-04-05,5\n"
    )
    r, con = load({"revenue.csv": revenue})
    assert rows(con, "SELECT account_id, account_name, owner FROM accounts ORDER BY 1") == [
        ("North Ltd", "North Ltd", None),
        ("South AG", "South AG", None),
    ]
    assert "owners_from_deals" not in [p.code for p in r.report.problems]
    assert r.counts == {"accounts": 2, "revenue": 3}


def test_deals_and_revenue_without_accounts_derive_from_both(load):
    revenue = (
        "Account ID,Account Name,Date,Amount\nA1,Acme Inc.,2024-01-05,10\nA7,Zeta,2024-02-05,20\n"
    )
    r, con = load({"deals.csv": DEALS, "revenue.csv": revenue})
    # the deals' name wins for A1 (deals are read first); A7 only has revenue
    assert rows(con, "SELECT account_id, account_name, owner FROM accounts ORDER BY 1") == [
        ("A1", "Acme", "Bob"),
        ("A2", "Beta", "Hal"),
        ("A3", "Gamma", "Gus"),
        ("A7", "Zeta", None),
    ]
    assert messages(r.report, "accounts_from_deals") == [
        'No accounts table: 4 account(s) were derived from file "deals.csv", column "Account ID" '
        '(names from column "Account Name") and file "revenue.csv", column "Account ID" (names '
        'from column "Account Name"), one per account ID.'
    ]
    assert not [p for p in r.report.warnings if "unknown" in p.code or "without_account" in p.code]


def test_accounts_without_owners_take_them_from_their_deals(load):
    accounts = "Account ID,Account Name,KAM\nA1,Acme,\nA2,Beta,Zoe\nA3,Gamma,\n"
    r, con = load({"accounts.csv": accounts, "deals.csv": DEALS})
    assert rows(con, "SELECT account_id, owner FROM accounts ORDER BY 1") == [
        ("A1", "Bob"),
        ("A2", "Zoe"),
        ("A3", "Gus"),
    ]
    assert messages(r.report, "owners_from_deals") == [
        '2 account(s) have no owner in file "accounts.csv", column "KAM": each takes the owner of '
        'its most recent won deal, else of its most recent deal (file "deals.csv", column '
        '"Opportunity Owner").'
    ]


# -- revenue on account IDs missing from the accounts table ---------------------------------------
def _unknown_share_files(d: Path, unknown_amount: int) -> list[Path]:
    revenue = (
        "Account ID,Date,Amount\nA1,2024-01-15,1000\nA2,2024-02-15,470\n"
        f"A9,2024-03-15,{unknown_amount}\n"
    )
    return [write(d, "accounts.csv", ACCOUNTS), write(d, "revenue.csv", revenue)]


def test_unknown_accounts_up_to_the_share_are_a_warning(tmp_path):
    # 30 of 1,500 is exactly 2%: not above the default share, so a warning naming the IDs
    r = load_extract(_unknown_share_files(tmp_path, 30), tmp_path / "data")
    assert r.snapshot_id, r.report.text()
    p = next(p for p in r.report.problems if p.code == "unknown_account")
    assert (p.level, p.message, p.examples) == (
        "warning",
        'file "revenue.csv", column "Account ID", row 4: 1 row(s) name an account ID that is not '
        "in the accounts table.",
        ["A9"],
    )


def test_unknown_accounts_above_the_share_refuse_the_load(tmp_path):
    data = tmp_path / "data"
    ok = tmp_path / "ok"
    ok.mkdir()
    assert cli(["load", *map(str, _unknown_share_files(ok, 30)), "--data-dir", str(data)]) == 0
    before = {p: p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}
    sid = SnapshotStore(data).current_id()
    bad = tmp_path / "bad"
    bad.mkdir()
    files = _unknown_share_files(bad, 31)
    r = load_extract(files, data)
    assert r.snapshot_id is None
    # 31 of 1,501 is 2.07%
    assert r.report.problems[0].message == (
        'file "revenue.csv", column "Account ID", row 4: 2.1% of revenue (31 of 1,501) is on 1 '
        'account ID(s) that are not in the accounts table, e.g. "A9". Are the IDs written the '
        'same way as in file "accounts.csv", column "Account ID"? Above 2% of revenue on unknown '
        "accounts the load is refused (setting unknown_revenue_max_share)."
    )
    assert [p.code for p in r.report.errors] == ["unknown_account_revenue"]
    assert cli(["load", *map(str, files), "--data-dir", str(data)]) == 1
    assert {p: p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()} == before
    assert SnapshotStore(data).current_id() == sid
    # a higher share in the settings lets it load, with the warning
    (data / "settings.toml").write_text("unknown_revenue_max_share = 0.05\n")
    r = load_extract(files, data)
    assert r.snapshot_id, r.report.text()
    assert [p.code for p in r.report.warnings] == ["unknown_account"]


def test_ids_written_differently_in_both_sheets_refuse_the_load(tmp_path):
    accounts = "Account ID,Account Name\nACC-599,Acme\nACC-601,Beta\nACC-602,Gamma\n"
    revenue = "Account ID,Date,Amount\n599,2024-01-15,1000\n601,2024-02-15,200\n599,2024-03-15,34\n"
    files = [write(tmp_path, "accounts.csv", accounts), write(tmp_path, "revenue.csv", revenue)]
    r = load_extract(files, tmp_path / "data")
    assert r.snapshot_id is None
    p = r.report.errors[0]
    assert p.message == (
        'file "revenue.csv", column "Account ID", rows 2, 3, 4: 100% of revenue (1,234 of 1,234) '
        'is on 2 account ID(s) that are not in the accounts table, e.g. "599", "601". Are the '
        'IDs written the same way as in file "accounts.csv", column "Account ID"? Above 2% of '
        "revenue on unknown accounts the load is refused (setting unknown_revenue_max_share)."
    )
    assert (p.file, p.column, p.rows, p.count) == ("revenue.csv", "Account ID", [2, 3, 4], 3)
    assert [o["account_id"] for o in p.offending] == ["599", "601", "599"]
    assert r.report.text().startswith("ERROR: " + p.message)


def test_won_deals_on_unknown_accounts_count_as_revenue_on_them(tmp_path):
    # no revenue table: revenue is the won deals, 80 of 380 of it (A2's) on an account not listed
    files = [write(tmp_path, "accounts.csv", "Account ID,Account Name\nA1,Acme\n")]
    files.append(write(tmp_path, "deals.csv", DEALS))
    r = load_extract(files, tmp_path / "data")
    assert [p.message for p in r.report.errors] == [
        'file "deals.csv", column "Account ID", rows 5, 9: 21.1% of revenue (80 of 380) is '
        'on 1 account ID(s) that are not in the accounts table, e.g. "A2". Are the IDs written '
        'the same way as in file "accounts.csv", column "Account ID"? Above 2% of revenue on '
        "unknown accounts the load is refused (setting unknown_revenue_max_share)."
    ]
