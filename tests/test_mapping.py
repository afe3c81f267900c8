"""Mapping sheets and headers to the data contract: synonyms, mapping files, remembered mappings."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from kamdash.core.db import rows
from kamdash.ingest import upload
from kamdash.ingest.contract import TABLES
from kamdash.ingest.mapping import (
    build_mapping,
    guess_columns,
    header_key,
    load_remembered,
    read_mapping_file,
    remember,
    table_by_name,
)
from kamdash.ingest.names import NearDuplicate
from kamdash.ingest.readers import SourceSheet
from kamdash.store.load import load_extract, prepare
from kamdash.store.snapshots import SnapshotStore


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


# -- vendor exports, mapped with no mapping file ------------------------------------------------
# Header sets as each CRM writes them: Salesforce opportunity report (Details Only), HubSpot
# deals export, Dynamics 365 "Export to Excel" (hidden "(Do Not Modify)" columns first),
# Pipedrive deals export ("Deal - " prefix), Zoho CRM deals export.
VENDORS = {
    "salesforce": (
        "report1714560000000.csv",
        None,
        [
            "Opportunity Owner",
            "Account Name",
            "Account ID",
            "Opportunity Name",
            "Type",
            "Stage",
            "Amount",
            "Probability (%)",
            "Close Date",
        ],
        {
            "account_id": "Account ID",
            "amount": "Amount",
            "stage": "Stage",
            "close_date": "Close Date",
            "owner": "Opportunity Owner",
            "account_name": "Account Name",
        },
    ),
    "hubspot": (
        "hubspot-crm-exports-all-deals-2024-05-01.csv",
        None,
        [
            "Record ID",
            "Deal Name",
            "Deal Stage",
            "Amount",
            "Close Date",
            "Deal owner",
            "Associated Company",
            "Pipeline",
            "Create Date",
        ],
        {
            "amount": "Amount",
            "stage": "Deal Stage",
            "opportunity_id": "Record ID",
            "close_date": "Close Date",
            "owner": "Deal owner",
            "account_name": "Associated Company",
        },
    ),
    "dynamics": (
        "All Opportunities 5-1-2024 10-00-00 AM.xlsx",
        "All Opportunities",
        [
            "(Do Not Modify) Opportunity",
            "(Do Not Modify) Row Checksum",
            "(Do Not Modify) Modified On",
            "Topic",
            "Potential Customer",
            "Est. Revenue",
            "Est. Close Date",
            "Actual Revenue",
            "Actual Close Date",
            "Status",
            "Status Reason",
            "Owner",
        ],
        {
            "opportunity_id": "(Do Not Modify) Opportunity",  # the record GUID
            "amount": "Est. Revenue",
            "status": "Status",
            "close_date": "Est. Close Date",
            "owner": "Owner",
            "account_name": "Potential Customer",
            "actual_amount": "Actual Revenue",
            "actual_close_date": "Actual Close Date",
        },
    ),
    "pipedrive": (
        "deals-9876543-21.csv",
        None,
        [
            "Deal - ID",
            "Deal - Title",
            "Deal - Owner",
            "Deal - Value",
            "Deal - Currency",
            "Deal - Organization",
            "Deal - Stage",
            "Deal - Status",
            "Deal - Won time",
            "Deal - Expected close date",
        ],
        {
            "amount": "Deal - Value",
            "stage": "Deal - Stage",
            "status": "Deal - Status",
            "opportunity_id": "Deal - ID",
            "close_date": "Deal - Expected close date",
            "owner": "Deal - Owner",
            "account_name": "Deal - Organization",
            "actual_close_date": "Deal - Won time",
        },
    ),
    "zoho": (
        "Deals_2024_05_01.csv",
        None,
        [
            "Record Id",
            "Deal Owner",
            "Deal Name",
            "Amount",
            "Closing Date",
            "Account Name",
            "Stage",
            "Type",
            "Probability (%)",
            "Expected Revenue",
        ],
        {
            "amount": "Amount",
            "stage": "Stage",
            "opportunity_id": "Record Id",
            "close_date": "Closing Date",
            "owner": "Deal Owner",
            "account_name": "Account Name",
        },
    ),
}


@pytest.mark.parametrize("vendor", VENDORS)
def test_vendor_deal_exports_map_to_opportunities_without_a_mapping_file(vendor):
    file, sheet_name, headers, expected = VENDORS[vendor]
    m = build_mapping([sheet(headers, sheet_name, file)])
    assert list(m.tables) == ["opportunities"]
    assert m.tables["opportunities"].columns == expected
    # Dynamics' bookkeeping columns are never mapped (its record GUID is the ID, above)
    assert not any(
        k in h for h in m.tables["opportunities"].columns.values() for k in ("Checksum", "Modified")
    )


def maven(name, headers):
    return sheet(headers, None, name)


MAVEN = [  # the public "CRM sales opportunities" dataset's files, headers as published
    maven("accounts.csv", ["account", "sector", "year_established", "revenue", "employees",
                           "office_location", "subsidiary_of"]),
    maven("data_dictionary.csv", ["Table", "Field", "Description"]),
    maven("products.csv", ["product", "series", "sales_price"]),
    maven("sales_pipeline.csv", ["opportunity_id", "sales_agent", "product", "account",
                                 "deal_stage", "engage_date", "close_date", "close_value"]),
    maven("sales_teams.csv", ["sales_agent", "manager", "regional_office"]),
]  # fmt: skip


def test_public_crm_dataset_mapped_by_name_and_content():
    m = build_mapping(MAVEN)
    assert {t: tm.sheet.file for t, tm in m.tables.items()} == {
        "accounts": "accounts.csv",
        "products": "products.csv",
        "opportunities": "sales_pipeline.csv",
        "team": "sales_teams.csv",
    }
    assert m.tables["accounts"].columns == {
        "account_id": "account",
        "account_name": "account",
        "region": "office_location",
        "industry": "sector",
        "parent_id": "subsidiary_of",
    }
    assert m.tables["products"].columns == {
        "product": "product",
        "product_line": "series",
        "list_price": "sales_price",
    }
    assert m.tables["opportunities"].columns == {
        "account_id": "account",
        "amount": "close_value",
        "stage": "deal_stage",
        "opportunity_id": "opportunity_id",
        "product": "product",
        "close_date": "close_date",
        "owner": "sales_agent",
    }
    assert m.tables["team"].columns == {
        "owner": "sales_agent",
        "manager": "manager",
        "team": "regional_office",
    }
    assert [s.file for s in m.unmatched] == ["data_dictionary.csv"]


def test_a_stage_column_means_deals_even_in_a_sheet_named_like_revenue():
    m = build_mapping([sheet(["Account ID", "Amount", "Stage", "Close Date"], "Sales")])
    assert list(m.tables) == ["opportunities"]
    assert (
        'sheet "Sales" read as the opportunities table (recognised by its columns)' in (m.notes[0])
    )
    # revenue lines named as such stay revenue
    m = build_mapping([sheet(["Account ID", "Date", "Amount"], "Sales")])
    assert list(m.tables) == ["revenue"]


def test_an_owner_column_alone_is_no_team_table():
    m = build_mapping([sheet(["Owner", "Colour"], "Sheet1")])
    assert m.tables == {}


@pytest.mark.parametrize(
    "stage,status,won,lost",
    [
        ("Closed Won", None, True, False),
        ("Closed won", None, True, False),
        ("closedwon", None, True, False),
        ("Closed - Won", None, True, False),
        ("WON", None, True, False),
        (None, "won", True, False),
        ("Propose", "Won", True, False),  # Dynamics: Status says it
        ("Closed Lost", None, False, True),
        ("closedlost", None, False, True),
        (None, "Out-Sold", False, True),  # Dynamics lost reasons
        (None, "Canceled", False, True),
        ("Appointment scheduled", None, False, False),
        ("Engaging", None, False, False),
        ("Assigned", None, False, False),  # "signed" only as a whole word
        ("Winning", None, False, False),
    ],
)
def test_won_and_lost_words_of_every_crm(stage, status, won, lost):
    spec = TABLES["opportunities"]
    got = duckdb.sql(
        f"SELECT {spec.derived['is_won']}, {spec.derived['is_lost']} "
        "FROM (SELECT ?::VARCHAR AS stage, ?::VARCHAR AS status)",
        params=[stage, status],
    ).fetchall()
    assert got == [(won, lost)]


def test_switching_a_tables_file_on_the_upload_page_keeps_name_matching():
    pipeline, teams = MAVEN[3], MAVEN[4]
    m = build_mapping([pipeline, teams])
    tm = m.tables["opportunities"]
    assert upload.columns_for("opportunities", pipeline, tm) == tm.columns
    assert upload.columns_for("team", pipeline, None) == {"owner": "sales_agent"}
    assert upload.columns_for("opportunities", teams, tm) == {"owner": "sales_agent"}


# -- whole loads: actual figures of won deals, near-duplicate names ----------------------------
def test_dynamics_won_deals_take_their_actual_revenue_and_close_date(tmp_path):
    f = tmp_path / "All Opportunities.csv"
    f.write_text(
        "(Do Not Modify) Opportunity,(Do Not Modify) Row Checksum,Topic,Potential Customer,"
        "Est. Revenue,Est. Close Date,Actual Revenue,Actual Close Date,Status,Status Reason,Owner\n"
        "g1,c1,Renewal,Contoso,100,2024-03-31,120,2024-02-15,Won,Won,Ann\n"
        "g2,c2,Upsell,Fabrikam,80,2024-05-01,0,2024-04-01,Lost,Out-Sold,Bob\n"
        "g3,c3,Expansion,Contoso,50,2024-06-30,,,Open,In Progress,Ann\n"
        "g4,c4,New site,Fabrikam,40,2024-04-20,,,Won,Won,Bob\n"
    )
    r = load_extract([f], tmp_path / "data")
    assert r.snapshot_id, r.report.text()
    con = SnapshotStore(tmp_path / "data").open()
    assert rows(con, "SELECT account_id, date, amount FROM revenue ORDER BY date") == [
        ("Contoso", dt.date(2024, 2, 15), 120.0),
        ("Fabrikam", dt.date(2024, 4, 20), 40.0),
    ]
    assert rows(con, "SELECT amount, is_won, is_lost, is_open FROM opportunities ORDER BY 1") == [
        (40.0, True, False, False),
        (50.0, False, False, True),
        (80.0, False, True, False),
        (120.0, True, False, False),
    ]
    con.close()


PRODUCTS = "Product,Series\nGTX Pro,GTX\nMG Special,MG\n"
DEALS = (
    "Opportunity ID,Account,Product,Stage,Close Date,Amount\n"
    "O1,Acme,GTXPro,Won,2024-01-10,100\n"
    "O2,Acme,GTX Pro,Won,2024-02-10,50\n"
    "O3,Beta,GTXPro,Lost,2024-02-11,70\n"
    "O4,Beta,MG Special,Won,2024-03-01,30\n"
)
NEAR_DUPLICATE = (
    'file "deals.csv", column "Product", rows 2, 4: 2 row(s) name the product "GTXPro", which '
    'differs from "GTX Pro" (file "products.csv", column "Product": 1 row(s); file "deals.csv", '
    'column "Product": 1 row(s)) only in case, spacing or punctuation. They are kept apart; to '
    "read them as one, tick the suggestion on the Upload page or add to the mapping file: "
    '[merge.product] "GTXPro" = "GTX Pro"'
)


def _extract(d):
    (d / "products.csv").write_text(PRODUCTS)
    (d / "deals.csv").write_text(DEALS)
    return [d / "products.csv", d / "deals.csv"]


def test_near_duplicate_product_names_reported_with_the_suggested_match(tmp_path):
    p = prepare(_extract(tmp_path), tmp_path / "data")
    found = [x for x in p.report.problems if x.code == "near_duplicate_name"]
    assert [(x.level, x.message, x.file, x.column, x.rows, x.count) for x in found] == [
        ("warning", NEAR_DUPLICATE, "deals.csv", "Product", [2, 4], 2)
    ]
    assert p.mapping.suggested == [NearDuplicate("product", "GTXPro", "GTX Pro", 2)]
    # confirmed on the Upload page: the re-check's sections carry the merge
    sections = upload.mapping_sections(p.mapping, {}, p.mapping.suggested)
    assert sections == {"merge": {"product": {"GTXPro": "GTX Pro"}}}
    p.discard()


def test_near_duplicates_merged_through_the_mapping_file(tmp_path):
    m = tmp_path / "map.toml"
    m.write_text('[merge.product]\n"GTXPro" = "GTX Pro"\n')
    data = tmp_path / "data"
    r = load_extract(_extract(tmp_path), data, mapping_file=m)
    assert r.snapshot_id, r.report.text()
    codes = [x.code for x in r.report.problems]
    assert "near_duplicate_name" not in codes and "unknown_product" not in codes
    merged = [x for x in r.report.problems if x.code == "merged_names"]
    assert [x.message for x in merged] == [
        'file "deals.csv", column "Product", rows 2, 4: 2 row(s) name products that are merged '
        'as confirmed ([merge.product]), e.g. "GTXPro" read as "GTX Pro".'
    ]
    con = SnapshotStore(data).open()
    assert rows(con, "SELECT product, sum(amount) FROM revenue GROUP BY 1 ORDER BY 1") == [
        ("GTX Pro", 150.0),
        ("MG Special", 30.0),
    ]
    con.close()


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("[merge.colour]\n'a' = 'b'\n", "[merge.colour] is not a name kamdash merges"),
        ("[merge.product]\n'a' = 1\n", '[merge.product] must list "variant" = "name" lines'),
    ],
)
def test_bad_merge_tables_are_refused(tmp_path, text, fragment):
    f = tmp_path / "m.toml"
    f.write_text(text)
    with pytest.raises(ValueError) as e:
        read_mapping_file(f)
    assert fragment in str(e.value)
