"""Row rules and cross-table checks on the typed tables, then the final tables.

Per table, as its contract says (`TableSpec`): rows without their key or a needed value are
skipped, repeated account IDs keep their first row, derived columns (tier names, won/lost
flags) are added. Across tables: rows naming unknown accounts or products, negative amounts,
revenue taken from won deals when there is no revenue table, a partial last quarter. Then the
`_meta` and `_columns` tables the snapshot carries.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from kamdash.core.db import quote_ident as q
from kamdash.core.db import rows as fetch
from kamdash.core.fmt import number
from kamdash.core.periods import is_partial, quarter_label, quarter_of
from kamdash.ingest.builder import TableBuilder, find_rows
from kamdash.ingest.contract import TABLES
from kamdash.ingest.report import ERROR, INFO, WARNING, Problem, Report, where


def raw(t: str) -> str:
    """The in-memory typed table of canonical table t, before the row rules."""
    return q(f"_kd_raw_{t}")


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


class Rules:
    """The rules of one load: typed tables in `con`'s default catalog, final ones in `out`."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        out: str,
        builders: dict[str, TableBuilder],
        report: Report,
    ):
        self.con, self.out, self.builders, self.report = con, out, builders, report
        # _columns rows of a derived accounts table (table, column, file, sheet, header)
        self.derived_columns: list[list] = []

    def final(self, t: str) -> str:
        return f"{self.out}.{t}"

    def warn(
        self,
        t: str,
        code: str,
        source: str,
        cond: str,
        text: str,
        col=None,
        value="NULL",
        level=WARNING,
    ) -> int:
        """Warn about the rows of `source` (a table of t) matching `cond`; returns their count."""
        n, rws, ex, offending = find_rows(self.con, source, "_source_row", cond, value)
        if n:
            b = self.builders[t]
            header = b.tm.columns.get(col) if col else None
            self.report.add(
                level,
                code,
                f"{where(b.s.file, b.s.sheet, header, rws, n)}: {n} {text}",
                examples=ex,
                offending=offending,
                **b.loc(header, rws, n),
            )
        return n

    def _present(self) -> list[str]:
        """The tables of this extract, in the contract's order (the order of their warnings)."""
        return [t for t in TABLES if t in self.builders]

    def count(self, t: str, where_sql: str = "TRUE") -> int:
        return fetch(self.con, f"SELECT count(*) FROM {self.final(t)} WHERE {where_sql}")[0][0]

    # -- per table ---------------------------------------------------------------------------
    def skip_keyless(self, t: str) -> None:
        """Rows without their key (blank lines, total rows) are dropped with a warning showing
        what they held, e.g. "Total | 150.5", so a total row is recognisable."""
        key = TABLES[t].required[0]
        held = [c for c in _cols(self.con, None, f"_kd_raw_{t}") if c != "_source_row"]
        self.warn(
            t,
            "blank_key",
            raw(t),
            f"NOT ({key} IS NOT NULL)",
            f"row(s) without {key.replace('_', ' ')} were skipped (blank or total rows?).",
            key,
            value="concat_ws(' | ', " + ", ".join(f"CAST({q(c)} AS VARCHAR)" for c in held) + ")",
        )

    def finish_table(self, t: str) -> int:
        """The final table t: the rows kept by its rules, with its derived columns."""
        spec = TABLES[t]
        cond = f"{spec.required[0]} IS NOT NULL"
        for col in spec.skip_blank:
            kept = spec.keep_blank.get(col)
            keep = f"({kept[0]})" if kept else "false"
            self.warn(
                t,
                f"blank_{col}",
                raw(t),
                f"{cond} AND {col} IS NULL AND NOT {keep}",
                f"row(s) without {_a(col)} were skipped.",
                col,
                "account_id",
            )
            if kept:
                blank_kept = f"{cond} AND {col} IS NULL AND {keep}"
                self.warn(t, kept[1], raw(t), blank_kept, kept[2], col, "account_id", INFO)
            cond += f" AND ({col} IS NOT NULL OR {keep})"
        for check in spec.checks:  # the table's own row rules (contract.RowCheck)
            hit = f"coalesce({check.condition.replace('{t}', raw(t))}, false)"
            col, level = check.column, check.level
            self.warn(t, check.code, raw(t), f"{cond} AND {hit}", check.text, col, col, level)
            if check.drop:
                cond += f" AND NOT {hit}"
        if spec.one_row_per_id:
            cond += self._first_of_each_id(t, cond)
        cols = _cols(self.con, None, f"_kd_raw_{t}")
        cols += [c for c in spec.derived if c not in cols]
        select = ", ".join(
            f"{spec.derived[c]} AS {q(c)}" if c in spec.derived else q(c) for c in cols
        )
        self.con.execute(
            f"CREATE TABLE {self.final(t)} AS SELECT {select} FROM {raw(t)} WHERE {cond}"
        )
        self.con.execute(f"DROP TABLE {raw(t)}")
        return self.count(t)

    def _first_of_each_id(self, t: str, cond: str) -> str:
        """The condition keeping the first row of each account ID, once repeats are reported."""
        first = f"(SELECT min(_source_row) FROM {raw(t)} GROUP BY account_id)"
        repeated = f"(SELECT account_id FROM {raw(t)} GROUP BY 1 HAVING count(*) > 1)"
        dup = self.warn(
            t,
            "duplicate_id",
            raw(t),
            f"{cond} AND account_id IN {repeated} AND _source_row NOT IN {first}",
            "row(s) repeat an account ID already listed; the first row of each ID was kept.",
            "account_id",
            "account_id",
        )
        return f" AND _source_row IN {first}" if dup else ""

    # -- across tables -----------------------------------------------------------------------
    def _at(self, t: str, col: str) -> str:
        b = self.builders[t]
        return where(b.s.file, b.s.sheet, b.tm.columns.get(col))

    def derive_accounts(self) -> int:
        """No accounts table: one account per account ID of the revenue lines and deals, named
        by their account name column (the first name written; the ID when there is none)."""
        srcs = [t for t in ("opportunities", "revenue") if t in self.builders]
        named = " UNION ALL ".join(
            f"SELECT account_id, account_name, _source_row, {i} AS src FROM {self.final(t)}"
            for i, t in enumerate(srcs)
        )
        spec = TABLES["accounts"]
        cols = ", ".join(
            f"CAST(NULL AS {typ}) AS {q(c)}"
            for c, typ in spec.types.items()
            if c not in ("account_id", "account_name")
        )
        self.con.execute(
            f"CREATE TABLE {self.final('accounts')} AS SELECT account_id, "
            f"coalesce(name, account_id) AS account_name, {cols}, _source_row FROM ("
            "SELECT account_id, arg_min(account_name, [src, _source_row]) FILTER "
            "(account_name IS NOT NULL) AS name, arg_min(_source_row, [src, _source_row]) "
            "AS _source_row "
            f"FROM ({named}) GROUP BY account_id) ORDER BY account_id"
        )
        for t in srcs:
            b = self.builders[t]
            self.derived_columns += [
                ["accounts", c, b.s.file, b.s.sheet, b.tm.columns[c]]
                for c in ("account_id", "account_name")
                if c in b.tm.columns
            ]
        n = self.count("accounts")
        parts = []
        for t in srcs:
            b = self.builders[t]
            name = b.tm.columns.get("account_name")
            parts.append(
                self._at(t, "account_id") + (f' (names from column "{name}")' if name else "")
            )
        self.report.info(
            "accounts_from_deals",
            f"No accounts table: {n} account(s) were derived from {' and '.join(parts)}, one "
            "per account ID.",
        )
        return n

    def owners_from_deals(self, derived: bool) -> None:
        """Accounts without an owner take the owner of their deals (`deal_owner_sql`)."""
        tm = self.builders.get("opportunities")
        if tm is None or "owner" not in tm.tm.columns:
            return
        acc, deals = self.final("accounts"), self.final("opportunities")
        ownerless = "nullif(trim(owner), '') IS NULL"
        n = self.count("accounts", ownerless)
        if not n:
            return
        self.con.execute(
            f"UPDATE {acc} SET owner = d.owner FROM ({deal_owner_sql(deals)}) d "
            f"WHERE {acc}.account_id = d.account_id AND nullif(trim({acc}.owner), '') IS NULL"
        )
        filled = n - self.count("accounts", ownerless)
        rule = "the owner of its most recent won deal, else of its most recent deal"
        deal_owner = self._at("opportunities", "owner")
        if filled and derived:
            message = f"The owner of each of {filled} account(s) comes from {deal_owner}: {rule}."
        elif filled:
            message = (
                f"{filled} account(s) have no owner in {self._at('accounts', 'owner')}: each "
                f"takes {rule} ({deal_owner})."
            )
        else:
            return
        self.report.info("owners_from_deals", message)

    def unknown_accounts(self, max_share: float) -> bool:
        """Rows naming accounts missing from the accounts table: a warning per table, but an
        error when more than `max_share` of revenue is on them. True when refused."""
        known = f"(SELECT account_id FROM {self.final('accounts')})"
        source = "revenue" if "revenue" in self.builders else "opportunities"
        refused = False
        for t in self._present():
            if not TABLES[t].orphan:
                continue
            if t == source:
                verdict = self._unknown_revenue(source, known, max_share)
                refused = refused or verdict == "refused"
                if verdict != "warn":
                    continue
            code, text = TABLES[t].orphan
            cond = f"account_id NOT IN {known}"
            self.warn(t, code, self.final(t), cond, text, "account_id", "account_id")
        return refused

    def _unknown_revenue(self, t: str, known: str, max_share: float) -> str:
        """The verdict on revenue on unknown accounts: "refused" (with the error) above
        `max_share`, "warn" when some is on them, "none" when none is (one pass when all is
        well). Amounts count by their size, so credit notes never make a share negative."""
        rev, cond = self.final("revenue"), f"account_id NOT IN {known}"
        out, total, ids = fetch(
            self.con,
            f"SELECT coalesce(sum(abs(amount)) FILTER ({cond}), 0), "
            f"coalesce(sum(abs(amount)), 0), count(DISTINCT account_id) FILTER ({cond}) "
            f"FROM {rev}",
        )[0]
        if not ids:
            return "none"
        if not out or out / total <= max_share:
            return "warn"
        n, rws, _, offending = find_rows(self.con, rev, "_source_row", cond, "account_id")
        first = fetch(
            self.con,
            f"SELECT account_id FROM {rev} WHERE {cond} GROUP BY 1 "
            "ORDER BY min(_source_row) LIMIT 3",
        )
        b = self.builders[t]
        header = b.tm.columns["account_id"]
        self.report.problems.insert(
            0,
            Problem(
                ERROR,
                "unknown_account_revenue",
                f"{where(b.s.file, b.s.sheet, header, rws, n)}: {_share(out / total, max_share)} of revenue "
                f"({number(out)} of {number(total)}) is on {ids} account ID(s) that are not in "
                f"the accounts table, e.g. {', '.join(_quoted(r[0]) for r in first)}. Are the "
                f"IDs written the same way as in {self._at('accounts', 'account_id')}? Above "
                f"{_share(max_share)} of revenue on unknown accounts the load is refused "
                "(setting unknown_revenue_max_share).",
                offending=offending,
                **b.loc(header, rws, n),
            ),
        )
        return "refused"

    def amount_lines(self) -> None:
        """Revenue lines and deals: negative amounts, then products missing from the list."""
        lines = [t for t in self._present() if "amount" in TABLES[t].types]
        for t in lines:
            self.warn(
                t,
                "negative_amount",
                self.final(t),
                "amount < 0",
                "row(s) have a negative amount (credit notes?); they are kept and reduce revenue.",
                "amount",
                "amount",
            )
        if "products" not in self.builders:
            return
        listed = f"(SELECT product FROM {self.final('products')})"
        for t in lines:
            self.warn(
                t,
                "unknown_product",
                self.final(t),
                f"product IS NOT NULL AND product NOT IN {listed}",
                "row(s) name a product that is not in the product list.",
                "product",
                "product",
            )

    def no_revenue_at_all(self) -> bool:
        """No revenue table and no won deal: refused, as there is no revenue to show."""
        if "revenue" in self.builders or self.count("opportunities", "is_won"):
            return False
        b = self.builders["opportunities"]
        self.report.error(
            "no_won_opportunities",
            f"{where(b.s.file, b.s.sheet)}: there is no revenue table and no opportunity is "
            "won (stage or status like 'Closed Won'), so there is no revenue to show.",
            **b.loc(),
        )
        return True

    def revenue_from_opportunities(self) -> int:
        """The revenue table made of won deals on their close dates; returns its rows."""
        cols = ", ".join(
            c if c in ("account_id", "amount", "product", "business_unit") else f"close_date AS {c}"
            for c in TABLES["revenue"].types
        )
        self.con.execute(
            f"CREATE TABLE {self.final('revenue')} AS SELECT {cols}, _source_row "
            f"FROM {self.final('opportunities')} WHERE is_won AND close_date IS NOT NULL"
        )
        n = self.count("revenue")
        nodate = self.count("opportunities", "is_won AND close_date IS NULL")
        self.report.info(
            "revenue_from_opportunities",
            f"No revenue table: revenue is taken from {n} won opportunities on their close dates"
            + (
                f" ({nodate} won opportunities without a close date were left out)."
                if nodate
                else "."
            ),
        )
        return n

    def partial_quarter(self, as_of: dt.date | None) -> None:
        if as_of is not None and is_partial(quarter_of(as_of), as_of):
            self.report.warning(
                "partial_quarter",
                f"The latest date in the extract is {as_of:%Y-%m-%d}, so "
                f"{quarter_label(quarter_of(as_of))} is a partial quarter: it is flagged, and "
                "compared only with care.",
            )

    def write_meta(self, as_of: dt.date | None, source: str) -> None:
        """`_meta` (as-of date, where revenue comes from) and `_columns` (where each canonical
        column was read from)."""
        meta, columns = self.final("_meta"), self.final("_columns")
        self.con.execute(f"CREATE TABLE {meta} (key VARCHAR, value VARCHAR)")
        self.con.executemany(
            f"INSERT INTO {meta} VALUES (?, ?)",
            [
                ["as_of", as_of.isoformat() if isinstance(as_of, dt.date) else None],
                ["revenue_source", source],
            ],
        )
        self.con.execute(
            f"CREATE TABLE {columns} (table_name VARCHAR, column_name VARCHAR, "
            "source_file VARCHAR, source_sheet VARCHAR, source_column VARCHAR)"
        )
        self.con.executemany(
            f"INSERT INTO {columns} VALUES (?, ?, ?, ?, ?)",
            [
                [t, c, b.s.file, b.s.sheet, h]
                for t, b in self.builders.items()
                for c, h in b.tm.columns.items()
            ]
            + self.derived_columns,
        )


def deal_owner_sql(opportunities: str) -> str:
    """SQL (account_id, owner): the owner of each account's most recent won deal, else of its
    most recent deal (by close date; undated deals last, ties by owner name). The one rule for
    accounts whose owner sits only on their deals."""
    return f"""
    SELECT account_id, owner FROM (
        SELECT account_id, trim(owner) AS owner,
            row_number() OVER (
                PARTITION BY account_id
                ORDER BY coalesce(is_won, false) DESC, close_date DESC NULLS LAST, trim(owner)
            ) AS n
        FROM {opportunities} WHERE nullif(trim(owner), '') IS NOT NULL
    ) WHERE n = 1
    """


def _share(x: float, limit: float | None = None) -> str:
    """0.025 -> '2.5%', 1.0 -> '100%': one decimal where it says something, more when needed
    to tell a share above `limit` from the limit itself (2.004% is not "2%")."""
    digits = 1
    while limit is not None and digits < 4 and f"{x:.{digits + 2}f}" == f"{limit:.{digits + 2}f}":
        digits += 1
    return f"{x * 100:.{digits}f}".rstrip("0").removesuffix(".") + "%"


def _quoted(v: object) -> str:
    return '"' + str(v) + '"'


def apply_rules(
    con: duckdb.DuckDBPyConnection,
    out: str,
    builders: dict[str, TableBuilder],
    report: Report,
    counts: dict[str, int],
    max_unknown_share: float,
) -> None:
    """Row rules and cross-table checks; writes the final tables and _meta/_columns into `out`
    and their row counts into `counts`. More than `max_unknown_share` of revenue on accounts
    missing from the accounts table refuses the load."""
    rules = Rules(con, out, builders, report)
    for t in builders:
        rules.skip_keyless(t)
    for t in builders:
        counts[t] = rules.finish_table(t)
    derived = "accounts" not in builders
    if derived:  # first in the counts, as an accounts table would be
        kept = dict(counts)
        counts.clear()
        counts["accounts"] = rules.derive_accounts()
        counts.update(kept)
    rules.owners_from_deals(derived)
    if "opportunities" in builders and rules.no_revenue_at_all():
        return
    source = "revenue"
    if "revenue" not in builders:
        counts["revenue"] = rules.revenue_from_opportunities()
        source = "opportunities"
    refused = rules.unknown_accounts(max_unknown_share)
    rules.amount_lines()
    if refused:
        return
    as_of = None
    if "revenue" in counts:
        as_of = fetch(con, f"SELECT max(date) FROM {rules.final('revenue')}")[0][0]
    rules.partial_quarter(as_of)
    rules.write_meta(as_of, source)


def _cols(con: duckdb.DuckDBPyConnection, catalog: str | None, table: str) -> list[str]:
    """Columns of `table` in `catalog` (None: the connection's default, in-memory one)."""
    if catalog is None:
        catalog = fetch(con, "SELECT current_database()")[0][0]
    return [
        r[0]
        for r in fetch(
            con,
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? "
            "AND table_name = ? AND table_schema = 'main' ORDER BY ordinal_position",
            [catalog, table],
        )
    ]
