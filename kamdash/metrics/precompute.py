"""Aggregates precomputed once per snapshot, when it is published.

A snapshot never changes, so the two aggregates that cost most on every page run are built
once, into the snapshot file, by `build()` (called by `load.prepare()` after validation):

- `_kd_account_quarters`: the account x quarter grid of `grid.account_quarters` (one
  scan-and-group of the whole revenue table) for the fiscal year start in force, no as-of
  date. Every retention, wallet, concentration and attention figure reads it.
- `_kd_whitespace`: the whitespace cells (`whitespace.cells_frame`: peers, medians, reasons)
  of the last complete quarter for the peer settings in force, for every account. Peers
  always come from the whole portfolio, so a filtered view is a subset of its rows.

`_kd_derived(name, params)` records what each was built with. A metric uses a precomputed
table only when `lookup()` finds it built with the parameters in force (settings changed
since, another quarter chosen, an older snapshot without them: the metric computes as
before, from the canonical tables). Results are the same either way: the metric tests run
both paths.
"""

from __future__ import annotations

import dataclasses
import json
import time

import duckdb

from kamdash.core.db import has_table
from kamdash.core.fmt import with_snapshot_currency
from kamdash.core.periods import period_context, quarter_label
from kamdash.core.settings import Settings
from kamdash.metrics import whitespace
from kamdash.metrics.grid import REGISTRY, account_quarters, key, lookup


def build(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, float]:
    """Build every precomputed aggregate into the database of `con` (a snapshot being
    written, unfiltered). Returns the seconds each took."""
    con.execute(f"CREATE OR REPLACE TABLE {REGISTRY} (name VARCHAR, params VARCHAR)")
    took: dict[str, float] = {}
    if not has_table(con, "revenue"):
        return took
    # as the pages will ask: no as-of date, money in the snapshot's own currency
    s = with_snapshot_currency(dataclasses.replace(settings, as_of=None), con)
    fy = int(s.fiscal_year_start_month)

    t = time.perf_counter()
    aq = account_quarters(con, s)
    con.execute(f"CREATE OR REPLACE TABLE _kd_account_quarters AS SELECT * FROM {aq}")
    con.execute(f"INSERT INTO {REGISTRY} VALUES (?, ?)", ["account_quarters", key({"fy": fy})])
    took["account_quarters"] = time.perf_counter() - t

    t = time.perf_counter()
    qi = period_context(con, s).last_complete
    if qi is not None and whitespace._checks(con) is None:
        con.register("_kd_cells", whitespace.cells_frame(con, s, qi))
        con.execute("CREATE OR REPLACE TABLE _kd_whitespace AS SELECT * FROM _kd_cells")
        con.unregister("_kd_cells")
        con.execute(
            f"INSERT INTO {REGISTRY} VALUES (?, ?)",
            ["whitespace", key(whitespace.storage_params(s, qi))],
        )
        took["whitespace"] = time.perf_counter() - t
    return took


def status(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """One plain sentence for the Definitions page: what this snapshot has precomputed and
    whether the settings in force use it."""

    try:
        built = dict(con.execute(f"SELECT name, params FROM {REGISTRY}").fetchall())
    except duckdb.CatalogException:
        built = {}
    if not built:
        return (
            "Nothing precomputed in this snapshot (published before kamdash precomputed "
            "aggregates, or precomputing failed): every figure is computed on each view."
        )
    fy = int(settings.fiscal_year_start_month)
    parts = []
    if "account_quarters" in built:
        # as grid.account_quarters decides: no as-of date, same fiscal year start
        used = settings.as_of is None and lookup(con, "account_quarters", {"fy": fy}) is not None
        parts.append(
            "the account × quarter grid ("
            + (
                "in use"
                if used
                else "not used: built for other period settings; computed on each view"
            )
            + ")"
        )
    if "whitespace" in built:
        ws = json.loads(built["whitespace"])
        q = ws.get("quarter")
        used = (
            q is not None
            and lookup(con, "whitespace", whitespace.storage_params(settings, q)) is not None
        )
        label = quarter_label(int(q), int(ws.get("fy", fy))) if q is not None else "?"
        parts.append(
            f"the whitespace of {label} ("
            + ("in use" if used else "not used: built for other settings; computed on first view")
            + ")"
        )
    return "Precomputed when this snapshot was published: " + " and ".join(parts) + "."
