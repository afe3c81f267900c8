"""Mapping sheets and headers to the data contract: synonyms, mapping files, remembered mappings."""

from __future__ import annotations

import pytest

from kamdash.ingest.mapping import (
    build_mapping,
    guess_columns,
    header_key,
    load_remembered,
    read_mapping_file,
    remember,
    table_by_name,
)
from kamdash.ingest.readers import SourceSheet


def sheet(headers, sheet_name=None, file="extract.xlsx"):
    return SourceSheet(
        file=file, sheet=sheet_name, table="stg_x", headers=list(headers), header_row=1, n_rows=0
    )


@pytest.mark.parametrize(
    "header,canonical",
    [
        ("Account Name", "account_name"),
        ("account_name", "account_name"),
        ("ACCOUNT-NAME ", "account_name"),
        ("Customer", "account_name"),
        ("Acct ID", "account_id"),
        ("Account #", "account_id"),
        ("Customer ID", "account_id"),
        ("Owner", "owner"),
        ("KAM", "owner"),
        ("Key Account Manager", "owner"),
        ("Plan Last Updated", "plan_updated"),
    ],
)
def test_account_headers_by_synonym(header, canonical):
    cols = guess_columns("accounts", ["Something else", header])
    assert cols.get(canonical) == header


@pytest.mark.parametrize(
    "header,canonical",
    [
        ("ARR", "amount"),
        ("Sales Amount", "amount"),
        ("Invoice Date", "date"),
        ("BU", "business_unit"),
    ],
)
def test_revenue_headers_by_synonym(header, canonical):
    assert guess_columns("revenue", ["Account ID", header]).get(canonical) == header


def test_close_value_is_opportunity_amount_and_each_header_used_once():
    cols = guess_columns(
        "opportunities", ["Opp ID", "Acct ID", "Close Value", "Stage", "Close Date"]
    )
    assert cols == {
        "account_id": "Acct ID",
        "amount": "Close Value",
        "stage": "Stage",
        "opportunity_id": "Opp ID",
        "close_date": "Close Date",
    }


def test_stakeholder_name_is_the_contact_not_the_account():
    cols = guess_columns("stakeholders", ["Account ID", "Name", "Title"])
    assert cols["name"] == "Name" and "account_name" not in cols


@pytest.mark.parametrize(
    "sheet_name,file,table",
    [
        ("Accounts", "x.xlsx", "accounts"),
        ("Opps", "x.xlsx", "opportunities"),
        (None, "revenue.csv", "revenue"),
        (None, "CRM Accounts export.csv", "accounts"),
        ("Stakeholder Map", "x.xlsx", "stakeholders"),
        ("Notes", "x.xlsx", None),
    ],
)
def test_table_by_sheet_or_file_name(sheet_name, file, table):
    assert table_by_name(sheet(["a"], sheet_name, file)) == table


def test_unnamed_sheet_recognised_by_its_columns_and_unknown_sheet_reported():
    sheets = [
        sheet(["Account ID", "Account Name", "Region"], "Sheet1"),
        sheet(["Acct ID", "Invoice Date", "ARR"], "Sheet2"),
        sheet(["Colour", "Size"], "Sheet3"),
    ]
    m = build_mapping(sheets)
    assert m.tables["accounts"].sheet.sheet == "Sheet1"
    assert m.tables["revenue"].columns == {
        "account_id": "Acct ID",
        "date": "Invoice Date",
        "amount": "ARR",
    }
    assert [s.sheet for s in m.unmatched] == ["Sheet3"]
    assert any('sheet "Sheet3" matches no kamdash table' in n for n in m.notes)


def test_extras_are_kept():
    m = build_mapping([sheet(["Account ID", "Account Name", "Website", "Employees"], "Accounts")])
    assert m.tables["accounts"].extras == ["Website", "Employees"]


def test_mapping_file_says_it_exactly(tmp_path):
    f = tmp_path / "m.toml"
    f.write_text(
        '[revenue]\nsource = "Sales"\naccount_id = "Reseller ID"\ndate = "Order Date"\n'
        'amount = "Sales Amount"\nproduct = "Product Category"\n'
    )
    sections = read_mapping_file(f)
    s = sheet(["Reseller ID", "Order Date", "Sales Amount", "Product Category", "Tax"], "Sales")
    m = build_mapping([s], sections)
    tm = m.tables["revenue"]
    assert tm.how == "mapping file"
    assert tm.columns == {
        "account_id": "Reseller ID",
        "date": "Order Date",
        "amount": "Sales Amount",
        "product": "Product Category",
    }
    assert tm.extras == ["Tax"]


def test_mapping_file_source_matches_csv_file_name(tmp_path):
    f = tmp_path / "m.toml"
    f.write_text(
        '[accounts]\nsource = "dim_reseller.csv"\naccount_id = "ResellerKey"\naccount_name = "ResellerName"\n'
    )
    s = sheet(["ResellerKey", "ResellerName"], None, "dim_reseller.csv")
    m = build_mapping([s], read_mapping_file(f))
    assert m.tables["accounts"].columns == {
        "account_id": "ResellerKey",
        "account_name": "ResellerName",
    }


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("[revenu]\nsource='x'\n", "[revenu] is not a table kamdash knows"),
        ("[revenue]\nsource='x'\nammount='A'\n", '"ammount", which is not a column of revenue'),
        ("[revenue\n", "m.toml"),
    ],
)
def test_bad_mapping_file_is_refused_with_a_clear_message(tmp_path, text, fragment):
    f = tmp_path / "m.toml"
    f.write_text(text)
    with pytest.raises(ValueError) as e:
        read_mapping_file(f)
    assert fragment in str(e.value)


def test_remembered_mapping_is_reused_for_the_same_headers(tmp_path):
    headers = ["Cust Ref", "Posted", "Net"]
    first = build_mapping([sheet(headers, "Revenue")])
    assert "account_id" not in first.tables["revenue"].columns  # not recognisable
    tm = first.tables["revenue"]
    tm.columns = {"account_id": "Cust Ref", "date": "Posted", "amount": "Net"}
    path = remember(tmp_path, tm)
    assert path.name == header_key(headers) + ".toml"
    again = build_mapping([sheet(headers, "Data")], remembered=load_remembered(tmp_path))
    assert again.tables["revenue"].how == "remembered"
    assert again.tables["revenue"].columns == tm.columns
    assert header_key(["cust ref", "POSTED", "net"]) == header_key(headers)
