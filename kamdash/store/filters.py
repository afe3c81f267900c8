"""The viewer's scope and the global filters (owner, team, region, industry, tier) as
per-cursor TEMP VIEWs: where every figure reads its data.

`scoped(con, filters, scope)` returns a new cursor on which TEMP VIEWs named like the canonical
tables shadow the base tables, so metric SQL written against `accounts`, `revenue`... sees only
the accounts of the viewer's scope (`store.access.Scope`: a KAM's book, a leader's teams) that
the filters keep:

- `accounts`: rows whose owner / region / industry / tier is one of the chosen values (each
  non-empty dimension must match; an empty tuple means "all"); team: the account's owner is an
  owner of one of the chosen teams in the `team` table (no `team` table: nothing matches).
  The owner is the account's owner by `account_owners_sql` (from its deals when the accounts
  sheet has none).
- `revenue`, `wallet`, `scores`, `stakeholders`, `opportunities`, `qbr`, `targets`: rows of
  those accounts.
- `team`: under a restricted scope, only the rows of the scope's owners or teams (a KAM never
  reads another KAM's name); else not shadowed.
- `products`, `_meta`, `_columns`: not shadowed (read from the base tables).

Scope matches owner and team names ignoring case and surrounding spaces (an access file is
typed by hand); filters match the values offered, exactly.

The base tables are referenced fully qualified (`"<catalog>".main.<table>`, catalog =
`current_database()`, `snapshot` for a published snapshot) so the views do not refer to
themselves. Filter values come from users: they go through a parameterised INSERT into a
per-cursor temp table, never into SQL text. Temp objects live per cursor (connection), so two
cursors of one read-only snapshot connection can hold different filters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import duckdb

from kamdash.core.db import columns, has_table, quote_ident, rows, scalar
from kamdash.ingest.rules import deal_owner_sql
from kamdash.store.access import EVERYTHING, Scope

# Filter field -> accounts column (owner comes from `account_owners_sql`, team through the
# team table).
_ACCOUNT_COLUMNS = {
    "regions": "region",
    "industries": "industry",
    "tiers": "tier",
}
# Tables restricted to the filtered accounts.
ACCOUNT_TABLES = (
    "revenue",
    "wallet",
    "scores",
    "stakeholders",
    "opportunities",
    "qbr",
    "targets",
)


@dataclass(frozen=True)
class Filters:
    owners: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


def _base_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    return {
        r[0]
        for r in rows(
            con,
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = ? AND table_schema = 'main'",
            [catalog],
        )
    }


def account_owners_sql(con: duckdb.DuckDBPyConnection, ref: Callable[[str], str] = str) -> str:
    """SQL (account_id, owner) of every account: the one account-owner rule of the filters.

    The owner is the accounts sheet's owner; when it is empty (a CRM export whose owners sit
    only on deals), `ingest.rules.deal_owner_sql` decides (the owner of the most recent won
    deal, else of the most recent deal). A load fills `accounts.owner` by that rule already;
    this covers snapshots published before it. `ref` maps a canonical table name to its SQL
    name (the base tables, under a filtered cursor)."""
    if "owner" not in columns(con, "accounts"):
        return f"SELECT account_id, NULL::VARCHAR AS owner FROM {ref('accounts')}"
    own = f"SELECT account_id, nullif(trim(owner), '') AS owner FROM {ref('accounts')}"
    if not has_table(con, "opportunities") or "owner" not in columns(con, "opportunities"):
        return own
    # every account has its owner (the usual case): no need to rank the deals on each run
    if not scalar(con, f"SELECT count(*) FROM ({own}) WHERE owner IS NULL"):
        return own
    return f"""
    SELECT a.account_id, coalesce(nullif(trim(a.owner), ''), d.owner) AS owner
    FROM {ref("accounts")} a LEFT JOIN ({deal_owner_sql(ref("opportunities"))}) d USING (account_id)
    """


def scoped(
    con: duckdb.DuckDBPyConnection,
    filters: Filters | None = None,
    scope: Scope = EVERYTHING,
) -> duckdb.DuckDBPyConnection:
    """A new cursor of `con` on which the canonical tables are restricted to the accounts of
    `scope` that `filters` keep.

    With every account in scope and no filter set, a plain cursor (its own temp objects).
    """
    cur = con.cursor()
    filters = filters or Filters()
    if filters.is_empty() and scope.everything:
        return cur
    catalog = scalar(cur, "SELECT current_database()")
    present = _base_tables(cur, catalog)

    def base(table: str) -> str:
        return f"{quote_ident(catalog)}.main.{quote_ident(table)}"

    cur.execute("CREATE OR REPLACE TEMP TABLE _kd_filter (dim VARCHAR, value VARCHAR)")
    values = [
        [f.name, str(v)] for f in fields(filters) for v in getattr(filters, f.name) if v is not None
    ]
    values += [["scope_owners", _key(v)] for v in scope.owners]
    values += [["scope_teams", _key(v)] for v in scope.teams]
    if values:
        cur.executemany("INSERT INTO temp.main._kd_filter VALUES (?, ?)", values)
    if "accounts" in present:
        conds = _scope_conditions(cur, scope, present, base) + _conditions(
            cur, filters, present, base
        )
        where = " AND ".join(conds) or "true"
        cur.execute(
            f"CREATE OR REPLACE TEMP VIEW accounts AS SELECT * FROM {base('accounts')} WHERE {where}"
        )
        # the filtered account ids, materialised once per cursor
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE _kd_accounts AS "
            "SELECT DISTINCT account_id FROM temp.main.accounts WHERE account_id IS NOT NULL"
        )
    else:  # without an accounts table no account can match a filter
        cur.execute("CREATE OR REPLACE TEMP TABLE _kd_accounts (account_id VARCHAR)")
    for table in ACCOUNT_TABLES:
        if table in present:
            cur.execute(
                f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM {base(table)} "
                "WHERE account_id IN (SELECT account_id FROM temp.main._kd_accounts)"
            )
    if not scope.everything and "team" in present:
        cur.execute(
            f"CREATE OR REPLACE TEMP VIEW team AS SELECT * FROM {base('team')} "
            f"WHERE {_norm('owner')} IN {_chosen('scope_owners')} "
            f"OR {_norm('team')} IN {_chosen('scope_teams')}"
        )
    return cur


def _key(name: str) -> str:
    """How the scope compares names: trimmed, case-folded."""
    return str(name).strip().lower()


def _norm(column: str) -> str:
    # SQL twin of `_key`
    return f"lower(trim({column}))"


def _scope_conditions(cur, scope: Scope, present: set[str], base: Callable[[str], str]) -> list:
    """The WHERE conditions of a restricted scope on the base accounts table (none for all)."""
    if scope.everything:
        return []
    owned = (
        f"(SELECT account_id FROM ({account_owners_sql(cur, base)}) WHERE {_norm('owner')} IN {{}})"
    )
    conds = []
    if scope.owners:
        conds.append(f"account_id IN {owned.format(_chosen('scope_owners'))}")
    if scope.teams and "team" in present:
        team_owners = (
            f"(SELECT {_norm('owner')} FROM {base('team')} "
            f"WHERE {_norm('team')} IN {_chosen('scope_teams')})"
        )
        conds.append(f"account_id IN {owned.format(team_owners)}")
    # a scope that names no one, or teams without a team table: no account
    return ["(" + " OR ".join(conds) + ")"] if conds else ["false"]


def _chosen(dim: str) -> str:
    # the chosen values of one filter field (dim is one of our own field names, not user text)
    return f"(SELECT value FROM temp.main._kd_filter WHERE dim = '{dim}')"


def _conditions(cur, filters: Filters, present: set[str], base: Callable[[str], str]) -> list:
    """The WHERE conditions on the base accounts table, one per filter field in use."""
    conds = [
        f"{col} IN {_chosen(field)}"
        for field, col in _ACCOUNT_COLUMNS.items()
        if getattr(filters, field)
    ]
    if not (filters.owners or filters.teams):
        return conds
    owners = f"(SELECT account_id FROM ({account_owners_sql(cur, base)}) WHERE owner IN {{}})"
    if filters.owners:
        conds.append(f"account_id IN {owners.format(_chosen('owners'))}")
    if filters.teams:
        team_owners = (
            f"(SELECT owner FROM {base('team')} WHERE team IN {_chosen('teams')})"
            if "team" in present
            else "(SELECT NULL::VARCHAR WHERE false)"
        )
        conds.append(f"account_id IN {owners.format(team_owners)}")
    return conds


def _distinct(con: duckdb.DuckDBPyConnection, column: str, source: str) -> list[str]:
    return [
        r[0]
        for r in rows(
            con,
            f"SELECT DISTINCT {column} FROM ({source}) "
            f"WHERE nullif(trim({column}), '') IS NOT NULL ORDER BY {column}",
        )
    ]


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The distinct non-empty values present for each filter field (sorted), keyed by the
    `Filters` field names; owners by `account_owners_sql`."""
    out: dict[str, list[str]] = {f.name: [] for f in fields(Filters)}
    if has_table(con, "accounts"):
        cols = columns(con, "accounts")
        out["owners"] = _distinct(con, "owner", account_owners_sql(con))
        for field, col in _ACCOUNT_COLUMNS.items():
            if col in cols:
                out[field] = _distinct(con, col, "SELECT * FROM accounts")
    if has_table(con, "team") and "team" in columns(con, "team"):
        out["teams"] = _distinct(con, "team", "SELECT * FROM team")
    return out
