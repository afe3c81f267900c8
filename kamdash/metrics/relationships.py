"""Relationships: stakeholder coverage, multithreading and executive access per account.

Definitions (design brief, "Stakeholder coverage"; settings.active_strength_min, default 3):

- mapped = number of contacts (stakeholder rows) of the account.
- active = contacts with strength >= active_strength_min (a contact without a strength is not
  active).
- coverage = active / mapped (NaN when nothing is mapped).
- multithread depth = active; single-threaded = active <= 1 (an account with no contact mapped
  is single-threaded too).
- executive access = at least one contact with level 'executive' and strength >=
  active_strength_min (the brief's "strength >= 3" with the default setting).
- champions / detractors = contacts whose sentiment is 'champion' / 'detractor'.
- days since last contact = days from the latest last_contact to the as-of date
  (`periods.as_of`: the user-set as-of date, else the latest revenue date). A contact dated
  after it is shown as written and counts 0 days; it never moves the as-of date. None without
  an as-of date (no revenue and none set).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from kamdash.core.db import frame
from kamdash.core.missing import Missing, require
from kamdash.core.periods import as_of
from kamdash.core.settings import Settings


def _days(days: pd.Series) -> pd.Series:
    """Days since a contact, 0 for a contact dated after the as-of date."""
    return days.astype("Int64").clip(lower=0)


def relationships(con: duckdb.DuckDBPyConnection, settings: Settings) -> pd.DataFrame | Missing:
    """One row per account of `accounts`: account_id, account_name, owner, tier, mapped, active,
    coverage, multithread_depth, single_threaded, executive_access, champions, detractors,
    last_contact, days_since_contact. Sorted by account_id."""
    miss = require(con, "stakeholders", "stakeholder coverage") or require(
        con, "accounts", "stakeholder coverage"
    )
    if miss:
        return miss
    at = as_of(con, settings).date
    # coverage = active / mapped, active = contacts with strength >= active_strength_min;
    # executive access = any level 'executive' contact with strength >= active_strength_min
    sql = """
        WITH s AS (
            SELECT account_id, count(*) AS mapped,
                   count(*) FILTER (WHERE strength >= ?) AS active,
                   bool_or(lower(trim(level)) = 'executive' AND strength >= ?) AS exec_access,
                   count(*) FILTER (WHERE lower(trim(sentiment)) = 'champion') AS champions,
                   count(*) FILTER (WHERE lower(trim(sentiment)) = 'detractor') AS detractors,
                   max(last_contact) AS last_contact
            FROM stakeholders GROUP BY account_id
        )
        SELECT a.account_id, a.account_name, a.owner, a.tier,
               coalesce(s.mapped, 0) AS mapped, coalesce(s.active, 0) AS active,
               s.active / nullif(s.mapped, 0) AS coverage,
               coalesce(s.active, 0) AS multithread_depth,
               coalesce(s.active, 0) <= 1 AS single_threaded,
               coalesce(s.exec_access, false) AS executive_access,
               coalesce(s.champions, 0) AS champions, coalesce(s.detractors, 0) AS detractors,
               s.last_contact, date_diff('day', s.last_contact, ?::DATE) AS days_since_contact
        FROM accounts a LEFT JOIN s USING (account_id)
        ORDER BY a.account_id
    """
    t = settings.active_strength_min
    df = frame(con, sql, [t, t, at])
    df["days_since_contact"] = _days(df["days_since_contact"])
    for c in ("mapped", "active", "multithread_depth", "champions", "detractors"):
        df[c] = df[c].astype(int)
    df["coverage"] = df["coverage"].astype(float)
    return df


def contacts(
    con: duckdb.DuckDBPyConnection, settings: Settings, account_id: str
) -> pd.DataFrame | Missing:
    """One account's contacts for the QBR page: name, title, role, level, influence, sentiment,
    strength, active, last_contact, days_since_contact; executives first, then by influence and
    strength desc."""
    miss = require(con, "stakeholders", "stakeholder map")
    if miss:
        return miss
    at = as_of(con, settings).date
    # active = strength >= active_strength_min; days since contact = as_of - last_contact
    sql = """
        SELECT name, title, role, lower(trim(level)) AS level, influence,
               lower(trim(sentiment)) AS sentiment, strength,
               coalesce(strength >= ?, false) AS active, last_contact,
               date_diff('day', last_contact, ?::DATE) AS days_since_contact
        FROM stakeholders WHERE account_id = ?
        ORDER BY CASE lower(trim(level)) WHEN 'executive' THEN 0 WHEN 'manager' THEN 1
                 WHEN 'user' THEN 2 ELSE 3 END,
                 influence DESC NULLS LAST, strength DESC NULLS LAST, name
    """
    df = frame(con, sql, [settings.active_strength_min, at, account_id])
    df["days_since_contact"] = _days(df["days_since_contact"])
    return df
