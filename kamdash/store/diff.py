"""What changed between two snapshots (or a pending load and the current snapshot).

Accounts added and removed, revenue per quarter old vs new (restated history flagged: a
quarter that was complete in the old snapshot and whose revenue changed), tier changes, owner
changes, row counts per table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from kamdash.core.db import frame, rows
from kamdash.core.periods import is_partial, quarter_label, quarter_of, quarter_sql
from kamdash.store.snapshots import SnapshotDamaged, damaged_message, verify_path

RESTATE_TOLERANCE = 0.005  # money units; below this a difference is rounding


@dataclass
class SnapshotDiff:
    added: pd.DataFrame  # account_id, account_name
    removed: pd.DataFrame  # account_id, account_name
    revenue: pd.DataFrame  # quarter, old, new, change, restated
    tier_changes: pd.DataFrame  # account_id, account_name, old_tier, new_tier
    owner_changes: pd.DataFrame  # account_id, account_name, old_owner, new_owner
    row_counts: pd.DataFrame  # table, old, new
    notes: list[str] = field(default_factory=list)

    @property
    def restated(self) -> pd.DataFrame:
        return self.revenue[self.revenue["restated"]]

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} account(s) added",
            f"{len(self.removed)} removed",
            f"{len(self.tier_changes)} tier change(s)",
            f"{len(self.owner_changes)} owner change(s)",
        ]
        if len(self.restated):
            parts.append(
                f"revenue restated in {len(self.restated)} quarter(s): "
                + ", ".join(self.restated["quarter"])
            )
        return ", ".join(parts) + "."


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    return {
        r[0]
        for r in rows(
            con,
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ?",
            [catalog],
        )
    }


def _attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str) -> None:
    """Attach a snapshot file read-only (its path as a parameter: any character is fine),
    verified first; SnapshotDamaged (a StoreError) when it is damaged."""
    problem = verify_path(path, todo=_TODO)
    if problem is not None:
        raise SnapshotDamaged(problem)
    try:
        con.execute(f"ATTACH ? AS {alias} (READ_ONLY)", [str(path)])
    except duckdb.Error as e:
        why = f"DuckDB cannot open it ({' '.join(str(e).split())[:200]})"
        raise SnapshotDamaged(damaged_message(Path(path).parent.name, why, _TODO)) from e


_TODO = "It cannot be compared: choose another snapshot (and publish the extract again)."


def diff_snapshots(old_path: Path | None, new_path: Path, fy_start: int = 1) -> SnapshotDiff:
    """Compare two snapshot files. With no old snapshot, everything in the new one is added.
    SnapshotDamaged (a StoreError, with a plain message) when either is damaged."""
    con = duckdb.connect()
    try:
        _attach(con, Path(new_path), "new")
        if old_path is not None:
            _attach(con, Path(old_path), "old")
        else:  # an empty "old" snapshot with the same tables
            con.execute("ATTACH ':memory:' AS old")
            for t in ("accounts", "revenue"):
                if t in _tables(con, "new"):
                    con.execute(f"CREATE TABLE old.{t} AS SELECT * FROM new.{t} LIMIT 0")
        try:
            return _diff(con, fy_start)
        except duckdb.IOException as e:  # damaged after the check: a block cannot be read
            raise SnapshotDamaged(
                "One of the two snapshots is damaged: reading it failed "
                f"({' '.join(str(e).split())[:200]}). {_TODO}"
            ) from e
    finally:
        con.close()


def _diff(con: duckdb.DuckDBPyConnection, fy: int) -> SnapshotDiff:
    old_t, new_t = _tables(con, "old"), _tables(con, "new")
    notes = []
    counts = []
    for t in sorted((old_t | new_t) - {"_meta", "_columns"}):
        o = rows(con, f"SELECT count(*) FROM old.{t}")[0][0] if t in old_t else None
        n = rows(con, f"SELECT count(*) FROM new.{t}")[0][0] if t in new_t else None
        counts.append({"table": t, "old": o, "new": n})
    row_counts = pd.DataFrame(counts, columns=["table", "old", "new"])
    both_accounts = "accounts" in old_t and "accounts" in new_t
    if both_accounts:
        # added: in new, not in old; removed: in old, not in new
        added = frame(
            con,
            "SELECT account_id, account_name FROM new.accounts WHERE account_id NOT IN "
            "(SELECT account_id FROM old.accounts) ORDER BY account_id",
        )
        removed = frame(
            con,
            "SELECT account_id, account_name FROM old.accounts WHERE account_id NOT IN "
            "(SELECT account_id FROM new.accounts) ORDER BY account_id",
        )
        changed = (
            "SELECT n.account_id, n.account_name, o.{c} AS old_{c}, n.{c} AS new_{c} "
            "FROM new.accounts n JOIN old.accounts o USING (account_id) "
            "WHERE o.{c} IS DISTINCT FROM n.{c} ORDER BY n.account_id"
        )
        tiers = frame(con, changed.format(c="tier"))
        owners = frame(con, changed.format(c="owner"))
    else:
        empty = pd.DataFrame(columns=["account_id", "account_name"])
        added = removed = empty
        tiers = pd.DataFrame(columns=["account_id", "account_name", "old_tier", "new_tier"])
        owners = pd.DataFrame(columns=["account_id", "account_name", "old_owner", "new_owner"])
        notes.append("No accounts table on one side: accounts not compared.")
    revenue = pd.DataFrame(columns=["quarter", "old", "new", "change", "restated"])
    if "revenue" in old_t and "revenue" in new_t:
        old_as_of = rows(con, "SELECT max(date) FROM old.revenue")[0][0]
        last_complete_old = None
        if old_as_of is not None:
            qi = quarter_of(old_as_of, fy)
            last_complete_old = qi - 1 if is_partial(qi, old_as_of, fy) else qi
        qsql = quarter_sql("date", fy)
        r = rows(
            con,
            f"""
            WITH o AS (SELECT {qsql} AS qi, sum(amount) AS v FROM old.revenue GROUP BY 1),
                 n AS (SELECT {qsql} AS qi, sum(amount) AS v FROM new.revenue GROUP BY 1)
            SELECT coalesce(o.qi, n.qi) AS qi, o.v, n.v
            FROM o FULL OUTER JOIN n ON o.qi = n.qi ORDER BY 1
            """,
        )
        recs = []
        for qi, o, n in r:
            change = (n or 0.0) - (o or 0.0)
            restated = (
                last_complete_old is not None
                and qi <= last_complete_old
                and o is not None
                and abs(change) > RESTATE_TOLERANCE
            )
            recs.append(
                {
                    "quarter": quarter_label(qi, fy),
                    "old": o,
                    "new": n,
                    "change": change,
                    "restated": bool(restated),
                }
            )
        revenue = pd.DataFrame(recs, columns=["quarter", "old", "new", "change", "restated"])
    return SnapshotDiff(added, removed, revenue, tiers, owners, row_counts, notes)
