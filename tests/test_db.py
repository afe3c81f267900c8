"""The DuckDB helpers."""

from kamdash.core.db import columns, has_table, rows, scalar
from kamdash.store.filters import Filters, scoped
from tests.helpers import canonical_db


def test_columns_of_a_filtered_view_listed_once_in_order():
    con = canonical_db(accounts=[{"account_id": "A", "account_name": "Acme", "region": "EMEA"}])
    cur = scoped(con, Filters(regions=("EMEA",)))
    assert columns(cur, "accounts") == columns(con, "accounts")
    assert columns(cur, "accounts")[:3] == ["account_id", "account_name", "owner"]
    assert has_table(cur, "accounts") and not has_table(cur, "wallet")


def test_helpers_fetch_fully():
    con = canonical_db(accounts=[{"account_id": "A", "account_name": "Acme"}])
    assert scalar(con, "SELECT count(*) FROM accounts") == 1
    # a second statement right after a single-row fetch works (nothing left unfetched)
    assert rows(con, "SELECT account_name FROM accounts") == [("Acme",)]
    assert scalar(con, "SELECT 1 WHERE false") is None


def test_has_table_finds_tables_views_and_attached_ones_only(tmp_path):
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE revenue (a INT)")
    con.execute("CREATE TEMP VIEW accounts AS SELECT 1 AS account_id")
    con.execute("ATTACH ? AS other", [str(tmp_path / "other.duckdb")])
    con.execute("CREATE TABLE other.main.wallet (a INT)")
    assert has_table(con, "revenue") and has_table(con, "accounts")
    assert has_table(con, "wallet")  # in an attached database: listed, though not resolved
    assert not has_table(con, "team") and not has_table(con, 'x" ; DROP TABLE revenue; --')
    assert has_table(con, "revenue")  # a strange name is a name, never SQL
