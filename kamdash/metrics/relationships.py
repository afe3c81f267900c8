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
- days since last contact = as_of - latest last_contact, as_of = the user-set as-of date, else
  the extract's latest date in any table (revenue, last contact, plan update, QBR), so that
  no activity lies in the future; today when there is none (see `as_of_date`).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from kamdash.core.db import frame, has_table, scalar
from kamdash.core.missing import Missing, require
from kamdash.core.periods import period_context
from kamdash.core.settings import Settings


def as_of_date(con: duckdb.DuckDBPyConnection, settings: Settings) -> dt.date:
    """The date activity is measured at (days since contact, plan freshness): the user-set
    as-of date, else the extract's latest date in any table (revenue, last contact, plan
    update, QBR), so that no activity is "in the future"; today when there is none."""
    if settings.as_of:
        return dt.date.fromisoformat(settings.as_of)
    dates = [period_context(con, settings).as_of]
    for table, column in (
        ("stakeholders", "last_contact"),
        ("accounts", "plan_updated"),
        ("qbr", "date"),
    ):
        if has_table(con, table):
            dates.append(scalar(con, f"SELECT max({column}) FROM {table}"))
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else dt.date.today()


def relationships(con: duckdb.DuckDBPyConnection, settings: Settings) -> pd.DataFrame | Missing:
    """One row per account of `accounts`: account_id, account_name, owner, tier, mapped, active,
    coverage, multithread_depth, single_threaded, executive_access, champions, detractors,
    last_contact, days_since_contact. Sorted by account_id."""
    miss = require(con, "stakeholders", "stakeholder coverage") or require(
        con, "accounts", "stakeholder coverage"
    )
    if miss:
        return miss
    as_of = as_of_date(con, settings)
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
    df = frame(con, sql, [t, t, as_of])
    df["days_since_contact"] = df["days_since_contact"].astype("Int64")
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
    as_of = as_of_date(con, settings)
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
    df = frame(con, sql, [settings.active_strength_min, as_of, account_id])
    df["days_since_contact"] = df["days_since_contact"].astype("Int64")
    return df
