"""Names written differently for the same thing: "GTX Pro" in the product list and "GTXPro" on
the deals, "Acme Corp." and "ACME Corp".

Two names are near-duplicates when they are equal once case, spacing and punctuation are
dropped (letters and digits of any script are kept, so "Café" and "Cafe" stay apart). Each one
is reported with the suggested name: the one in the product list (accounts table) when exactly
one of them is there, else the one on most rows. Nothing is merged until the user says so: a
`[merge.product]` / `[merge.account_name]` table of the mapping file (`"GTXPro" = "GTX Pro"`),
or a ticked suggestion on the Upload page. A merge rewrites the typed rows before the row rules,
so every later check and figure sees one name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from kamdash.core.db import quote_ident as q
from kamdash.core.db import rows as fetch
from kamdash.ingest.builder import TableBuilder
from kamdash.ingest.contract import TABLES
from kamdash.ingest.mapping import MERGE_KINDS, Mapping, header_keys, synonyms_for
from kamdash.ingest.report import Report, where
from kamdash.ingest.sheetcheck import EXAMPLE_ROWS

REPORTED = 20  # near-duplicates reported one by one per kind; the rest in one summary line
# where each kind is written, the first being the list it is defined in
_CATALOGUE = {"product": "products", "account_name": "accounts"}
_KEY = r"regexp_replace(lower(name), '[^\pL\pN]+', '', 'g')"


@dataclass(frozen=True)
class NearDuplicate:
    kind: str  # "product" | "account_name"
    variant: str  # the name as written on `rows` rows
    canonical: str  # the suggested name
    rows: int

    def toml(self) -> str:
        """The mapping-file line that merges it, under [merge.<kind>]."""
        return f"{_toml(self.variant)} = {_toml(self.canonical)}"


@dataclass(frozen=True)
class _Source:
    table: str
    column: str  # canonical column of `table` holding the names
    builder: TableBuilder

    @property
    def header(self) -> str:
        return self.builder.tm.columns[self.column]

    def where(self, rows: list[int] | None = None, count: int = 0) -> str:
        s = self.builder.s
        return where(s.file, s.sheet, self.header, rows, count)


def _toml(v: str) -> str:
    return json.dumps(v, ensure_ascii=False)


def _sources(builders: dict[str, TableBuilder], kind: str) -> list[_Source]:
    """The columns holding names of `kind`: the catalogue first. Account names are also read
    from account ID columns that hold names (a deal export's "Account Name" or bare "Account")."""
    names = set(synonyms_for("accounts", "account_name")) | {"account"}
    out, seen = [], set()
    tables = sorted(builders, key=lambda t: t != _CATALOGUE[kind])
    for t in tables:
        cols = builders[t].tm.columns
        wanted = [kind] if kind == "product" else ["account_name", "account_id"]
        for col in wanted:
            header = cols.get(col)
            if header is None or (t, header) in seen:
                continue
            if col == "account_id" and not names & set(header_keys(header)):
                continue
            seen.add((t, header))
            out.append(_Source(t, col, builders[t]))
    return out


def check_names(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    builders: dict[str, TableBuilder],
    report: Report,
) -> None:
    """Apply the confirmed merges to the typed tables (`rules.raw`), then report the
    near-duplicates left; they are kept on `mapping.suggested` for the Upload page."""
    mapping.suggested = []
    for kind in MERGE_KINDS:
        sources = _sources(builders, kind)
        if not sources:
            continue
        pairs = {v: c for v, c in mapping.merges.get(kind, {}).items() if v != c}
        if pairs:
            _merge(con, kind, sources, pairs, report)
        mapping.suggested += _near_duplicates(con, kind, sources, report)


def _raw(t: str) -> str:
    return q(f"_kd_raw_{t}")


def _merge(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    sources: list[_Source],
    pairs: dict[str, str],
    report: Report,
) -> None:
    """Rewrite each variant to its name, saying per column which rows were merged."""
    con.execute("CREATE OR REPLACE TEMP TABLE _kd_merge (variant VARCHAR, canonical VARCHAR)")
    con.executemany("INSERT INTO _kd_merge VALUES (?, ?)", list(pairs.items()))
    for src in sources:
        col = q(src.column)
        merged = fetch(
            con,
            f"UPDATE {_raw(src.table)} AS t SET {col} = m.canonical FROM _kd_merge AS m "
            f"WHERE t.{col} = m.variant RETURNING t._source_row",
        )
        if not merged:
            continue
        rws = sorted(r[0] for r in merged)
        n = len(rws)
        report.info(
            "merged_names",
            f"{src.where(rws[:EXAMPLE_ROWS], n)}: {n} row(s) name {MERGE_KINDS[kind]}s that "
            f"are merged as confirmed ([merge.{kind}]), e.g. "
            + ", ".join(f"{_toml(v)} read as {_toml(c)}" for v, c in list(pairs.items())[:3])
            + ".",
            **src.builder.loc(src.header, rws[:EXAMPLE_ROWS], n),
        )
    con.execute("DROP TABLE _kd_merge")


def _near_duplicates(
    con: duckdb.DuckDBPyConnection, kind: str, sources: list[_Source], report: Report
) -> list[NearDuplicate]:
    """One query: each name's rows per column, grouped by its key; a warning per variant and
    column (the first REPORTED variants), the suggestions returned."""
    union = " UNION ALL ".join(
        f"SELECT {i} AS src, {q(s.column)} AS name, _source_row AS r FROM {_raw(s.table)} "
        f"WHERE {q(s.column)} IS NOT NULL AND {TABLES[s.table].required[0]} IS NOT NULL"
        for i, s in enumerate(sources)  # rows without their key are skipped by the rules
    )
    found = fetch(
        con,
        f"WITH g AS (SELECT src, name, count(*) AS n, min(r, {EXAMPLE_ROWS}) AS rws "
        f"FROM ({union}) GROUP BY src, name), k AS (SELECT *, {_KEY} AS key FROM g), "
        "d AS (SELECT key FROM k WHERE key <> '' GROUP BY key HAVING count(DISTINCT name) > 1) "
        "SELECT key, src, name, n, rws FROM k WHERE key IN (SELECT key FROM d) "
        "ORDER BY key, src, name",
    )
    groups: dict[str, list[tuple]] = {}
    for key, src, name, n, rws in found:
        groups.setdefault(key, []).append((sources[src], name, n, sorted(rws)))
    out: dict[str, NearDuplicate] = {}
    for group in groups.values():
        canonical = _suggest(kind, group)
        for src, name, n, rws in group:
            if name == canonical:
                continue
            rank = list(out).index(name) if name in out else len(out)
            if rank < REPORTED:
                _warn(report, kind, NearDuplicate(kind, name, canonical, n), src, rws, group)
            rows = n + (out[name].rows if name in out else 0)
            out[name] = NearDuplicate(kind, name, canonical, rows)
    _summary(report, kind, list(out.values()), sources)
    return list(out.values())


def _suggest(kind: str, group: list[tuple]) -> str:
    """The name a group is read as: the catalogue's when it has exactly one of them, else the
    one on most rows (then the first in sort order)."""
    listed = {name for src, name, _, _ in group if src.table == _CATALOGUE[kind]}
    if len(listed) == 1:
        return listed.pop()
    totals: dict[str, int] = {}
    for _, name, n, _ in group:
        totals[name] = totals.get(name, 0) + n
    return min(totals, key=lambda name: (-totals[name], name))


def _warn(
    report: Report, kind: str, dup: NearDuplicate, src: _Source, rws: list[int], group: list
) -> None:
    word = MERGE_KINDS[kind]
    seen = "; ".join(f"{s.where()}: {n} row(s)" for s, name, n, _ in group if name == dup.canonical)
    report.warning(
        "near_duplicate_name",
        f"{src.where(rws, dup.rows)}: {dup.rows} row(s) name the {word} {_toml(dup.variant)}, "
        f"which differs from {_toml(dup.canonical)} ({seen}) only in case, spacing or "
        "punctuation. They are kept apart; to read them as one, tick the suggestion on the "
        f"Upload page or add to the mapping file: [merge.{kind}] {dup.toml()}",
        examples=[dup.variant, dup.canonical],
        **src.builder.loc(src.header, rws, dup.rows),
    )


def _summary(report: Report, kind: str, found: list[NearDuplicate], sources: list) -> None:
    if len(found) <= REPORTED:
        return
    more = len(found) - REPORTED
    cols = "; ".join(s.where() for s in sources)
    report.warning(
        "near_duplicate_name",
        f"{cols}: {more} more {MERGE_KINDS[kind]} name(s) differ from another only in case, "
        "spacing or punctuation; the Upload page lists them all.",
        examples=[d.variant for d in found[REPORTED : REPORTED + 3]],
    )
