"""Global filters (owner, team, region, industry, tier) as per-cursor TEMP VIEWs.

`scoped(con, filters)` returns a new cursor on which TEMP VIEWs named like the canonical tables
shadow the base tables, so metric SQL written against `accounts`, `revenue`... is filtered
transparently:

- `accounts`: rows whose owner / region / industry / tier is one of the chosen values (each
  non-empty dimension must match; an empty tuple means "all"); team: the account's owner is an
  owner of one of the chosen teams in the `team` table (no `team` table: nothing matches).
- `revenue`, `wallet`, `scores`, `stakeholders`, `opportunities`, `qbr`: rows of those accounts.
- `products`, `team`, `_meta`, `_columns`: not shadowed (read from the base tables).

The base tables are referenced fully qualified (`"<catalog>".main.<table>`, catalog =
`current_database()`, `snapshot` for a published snapshot) so the views do not refer to
themselves. Filter values come from users: they go through a parameterised INSERT into a
per-cursor temp table, never into SQL text. Temp objects live per cursor (connection), so two
cursors of one read-only snapshot connection can hold different filters.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import duckdb

from kamdash.core.db import quote_ident, rows, scalar

# Filter field -> accounts column (team is resolved through the team table).
_ACCOUNT_COLUMNS = {
    "owners": "owner",
    "regions": "region",
    "industries": "industry",
    "tiers": "tier",
}
# Tables restricted to the filtered accounts.
ACCOUNT_TABLES = ("revenue", "wallet", "scores", "stakeholders", "opportunities", "qbr")


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


def scoped(
    con: duckdb.DuckDBPyConnection, filters: Filters | None = None
) -> duckdb.DuckDBPyConnection:
    """A new cursor of `con` on which the canonical tables are restricted to `filters`.

    With no filter set, a plain cursor (same data, its own temp objects).
    """
    cur = con.cursor()
    if filters is None or filters.is_empty():
        return cur
    catalog = scalar(cur, "SELECT current_database()")
    present = _base_tables(cur, catalog)

    def base(table: str) -> str:
        return f"{quote_ident(catalog)}.main.{quote_ident(table)}"

    cur.execute("CREATE OR REPLACE TEMP TABLE _kd_filter (dim VARCHAR, value VARCHAR)")
    values = [
        [f.name, str(v)] for f in fields(filters) for v in getattr(filters, f.name) if v is not None
    ]
    if values:
        cur.executemany("INSERT INTO temp.main._kd_filter VALUES (?, ?)", values)

    def chosen(dim: str) -> str:
        # the chosen values of one filter field (dim is one of our own field names, not user text)
        return f"(SELECT value FROM temp.main._kd_filter WHERE dim = '{dim}')"

    # The filtered account ids, materialised once per cursor.
    if "accounts" in present:
        conds = [
            f"{col} IN {chosen(field)}"
            for field, col in _ACCOUNT_COLUMNS.items()
            if getattr(filters, field)
        ]
        if filters.teams:
            team_owners = (
                f"(SELECT owner FROM {base('team')} WHERE team IN {chosen('teams')})"
                if "team" in present
                else "(SELECT NULL::VARCHAR WHERE false)"
            )
            conds.append(f"owner IN {team_owners}")
        where = " AND ".join(conds) or "true"
        cur.execute(
            f"CREATE OR REPLACE TEMP VIEW accounts AS SELECT * FROM {base('accounts')} WHERE {where}"
        )
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
    return cur


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The distinct non-empty values present for each filter field (sorted)."""
    out: dict[str, list[str]] = {f.name: [] for f in fields(Filters)}
    cols = {
        r[0]
        for r in rows(
            con, "SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts'"
        )
    }
    for field, col in _ACCOUNT_COLUMNS.items():
        if col in cols:
            out[field] = [
                r[0]
                for r in rows(
                    con,
                    f"SELECT DISTINCT {col} FROM accounts WHERE nullif(trim({col}), '') IS NOT NULL "
                    f"ORDER BY {col}",
                )
            ]
    team_cols = {
        r[0]
        for r in rows(
            con, "SELECT column_name FROM information_schema.columns WHERE table_name = 'team'"
        )
    }
    if "team" in team_cols:
        out["teams"] = [
            r[0]
            for r in rows(
                con,
                "SELECT DISTINCT team FROM team WHERE nullif(trim(team), '') IS NOT NULL "
                "ORDER BY team",
            )
        ]
    return out
