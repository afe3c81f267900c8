"""Global filters: per-cursor temp views restricting every account table."""

from __future__ import annotations

from dataclasses import fields

import duckdb
import pytest

from kamdash.core.db import rows, scalar
from kamdash.core.settings import Settings
from kamdash.metrics.retention import retention
from kamdash.store.filters import Filters, filter_options, scoped
from tests.helpers import ACCOUNTS, canonical_db, portfolio_revenue

S = Settings()
TEAM = [{"owner": "Ann", "team": "North"}, {"owner": "Bob", "team": "South"}]
ACCTS = [*ACCOUNTS, {"account_id": "O", "account_name": "Quote", "owner": "O'Brien"}]


def db():
    return canonical_db(
        accounts=ACCTS,
        revenue=portfolio_revenue(),
        team=TEAM,
        products=[{"product": "p1"}],
        wallet=[{"account_id": "A", "wallet": 1}, {"account_id": "B", "wallet": 2}],
        stakeholders=[{"account_id": "A", "name": "x"}, {"account_id": "C", "name": "y"}],
    )


def ids(cur, table="accounts"):
    return sorted({r[0] for r in rows(cur, f"SELECT account_id FROM {table}")})


def test_no_filter_is_a_plain_cursor():
    con = db()
    cur = scoped(con, Filters())
    assert ids(cur) == ["A", "B", "C", "D", "E", "O"]
    assert ids(scoped(con)) == ids(cur)


def test_filters_restrict_accounts_and_account_tables():
    con = db()
    cur = scoped(con, Filters(tiers=("Tier 2",)))
    assert ids(cur) == ["C", "D"]
    assert ids(cur, "revenue") == ["C", "D"]
    assert ids(cur, "stakeholders") == ["C"]
    assert ids(cur, "wallet") == []
    # passed through
    assert scalar(cur, "SELECT count(*) FROM products") == 1
    assert scalar(cur, "SELECT count(*) FROM team") == 2
    assert scalar(cur, "SELECT value FROM _meta WHERE key = 'snapshot_id'") == "test"
    # the base connection is untouched
    assert ids(con) == ["A", "B", "C", "D", "E", "O"]


def test_dimensions_combine_with_and_values_with_or():
    con = db()
    assert ids(scoped(con, Filters(regions=("EU",)))) == ["A", "D", "E"]
    assert ids(scoped(con, Filters(regions=("EU",), owners=("Ann", "Bob")))) == ["A", "D"]
    assert ids(scoped(con, Filters(industries=("Retail",)))) == []


def test_team_filter_through_team_table():
    con = db()
    assert ids(scoped(con, Filters(teams=("North",)))) == ["A", "C"]  # Ann's accounts
    assert ids(scoped(con, Filters(teams=("Nowhere",)))) == []
    no_team = canonical_db(accounts=ACCTS, revenue=portfolio_revenue())
    cur = scoped(no_team, Filters(teams=("North",)))  # no team table: nothing matches
    assert ids(cur) == [] and ids(cur, "revenue") == []


def test_user_values_are_data_not_sql():
    con = db()
    assert ids(scoped(con, Filters(owners=("O'Brien",)))) == ["O"]
    evil = "x') OR 1=1 --"
    assert ids(scoped(con, Filters(owners=(evil,)))) == []


def test_cursors_hold_independent_filters():
    con = db()
    t1 = scoped(con, Filters(tiers=("Tier 1",)))
    t2 = scoped(con, Filters(tiers=("Tier 2",)))
    assert ids(t1) == ["A", "B"] and ids(t2) == ["C", "D"]


def test_metrics_are_filtered():
    cur = scoped(db(), Filters(tiers=("Tier 2",)))
    df = retention(cur, S)
    last = df[df["label"] == "2024Q4"].iloc[0]
    # Tier 2 = C, D: quarter revenue 20 + 60; TTM 80 + 240; NRR = (80 + 240) / (130 + 120)
    assert last["revenue"] == 20 + 60
    assert last["ttm_revenue"] == 80 + 240
    assert last["nrr"] == pytest.approx(320 / 250)
    # equal to the Tier 2 group of the unfiltered grouped figures
    grouped = retention(db(), S, by="tier")
    g = grouped[(grouped["group"] == "Tier 2") & (grouped["label"] == "2024Q4")].iloc[0]
    assert g["nrr"] == pytest.approx(last["nrr"])


def test_filter_options():
    opts = filter_options(db())
    assert opts == {
        "owners": ["Ann", "Bob", "Cat", "O'Brien"],
        "teams": ["North", "South"],
        "regions": ["EU", "US"],
        "industries": [],
        "tiers": ["Tier 1", "Tier 2", "Tier 3"],
    }


def test_read_only_file_snapshot(tmp_path):
    """Published snapshots are opened read-only from snapshot.duckdb (catalog `snapshot`)."""
    src = db()
    path = tmp_path / "snapshot.duckdb"
    src.execute(f"ATTACH '{path}' AS snapshot")
    for (t,) in rows(
        src, "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'memory'"
    ):
        src.execute(f"CREATE TABLE snapshot.main.{t} AS SELECT * FROM memory.main.{t}")
    src.execute("DETACH snapshot")
    con = duckdb.connect(str(path), read_only=True)
    assert scalar(con, "SELECT current_database()") == "snapshot"
    cur = scoped(con, Filters(owners=("Bob",)))
    assert ids(cur) == ["B", "D"] and ids(cur, "revenue") == ["B", "D"]
    df = retention(cur, S)  # the metric cache (temp table) works on a read-only connection
    assert df[df["label"] == "2024Q4"].iloc[0]["revenue"] == 80 + 60
    assert ids(con.cursor()) == ["A", "B", "C", "D", "E", "O"]
    con.close()


def deal_owned_db(team=True):
    """A CRM export whose owners sit only on deals: accounts have no owner."""
    deals = [
        # X: won by Ann (older), a later open deal of Bob: the won deal decides -> Ann
        {
            "account_id": "X",
            "amount": 10,
            "stage": "Closed Won",
            "close_date": "2024-01-10",
            "owner": "Ann",
        },
        {
            "account_id": "X",
            "amount": 10,
            "stage": "Proposal",
            "close_date": "2024-06-01",
            "owner": "Bob",
        },
        # Y: no won deal; the most recent deal is Bob's -> Bob
        {
            "account_id": "Y",
            "amount": 5,
            "stage": "Proposal",
            "close_date": "2024-02-01",
            "owner": "Ann",
        },
        {
            "account_id": "Y",
            "amount": 5,
            "stage": "Closed Lost",
            "close_date": "2024-05-01",
            "owner": "Bob",
        },
        # Z keeps its own owner (Cat) whatever its deals say
        {
            "account_id": "Z",
            "amount": 5,
            "stage": "Closed Won",
            "close_date": "2024-05-01",
            "owner": "Ann",
        },
    ]
    accounts = [
        {"account_id": "X", "account_name": "Ex"},
        {"account_id": "Y", "account_name": "Why", "owner": " "},
        {"account_id": "Z", "account_name": "Zed", "owner": "Cat"},
        {"account_id": "W", "account_name": "No deal"},
    ]
    extra = {"team": [*TEAM, {"owner": "Cat", "team": "North"}]} if team else {}
    return canonical_db(accounts=accounts, opportunities=deals, **extra)


def test_owners_from_deals_when_accounts_have_none():
    con = deal_owned_db()
    assert filter_options(con)["owners"] == ["Ann", "Bob", "Cat"]
    assert ids(scoped(con, Filters(owners=("Ann",)))) == ["X"]
    assert ids(scoped(con, Filters(owners=("Bob",)))) == ["Y"]
    assert ids(scoped(con, Filters(owners=("Cat",)))) == ["Z"]
    # the team filter follows the same owners: North = Ann + Cat, South = Bob
    north = scoped(con, Filters(teams=("North",)))
    assert ids(north) == ["X", "Z"]
    assert ids(north, "opportunities") == ["X", "Z"]
    assert ids(scoped(con, Filters(teams=("South",)))) == ["Y"]


def test_filter_options_cover_every_field():
    """Every `Filters` field has its options, industries included."""
    con = canonical_db(
        accounts=[
            {"account_id": "A", "account_name": "a", "industry": "Retail", "owner": "Ann"},
            {"account_id": "B", "account_name": "b", "industry": "Energy"},
        ]
    )
    opts = filter_options(con)
    assert set(opts) == {f.name for f in fields(Filters)}
    assert opts["industries"] == ["Energy", "Retail"]
    assert ids(scoped(con, Filters(industries=("Retail",)))) == ["A"]
