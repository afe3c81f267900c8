"""Periods: (fiscal) quarters, their labels and bounds, the as-of date and partial quarters.

A quarter is identified by an integer index `qi` counting quarters since year 0 of the fiscal
calendar: qi = floor((12*year + month - fy_start) / 3). With the default January start,
qi = 4*year + (month-1)//3, so 2024Q1 is 8096.

Fiscal years are labelled by the calendar year in which they END (FY2025 starting Feb 2024
runs Feb 2024 - Jan 2025), the usual convention; with a January start that is the calendar year.

Partial quarter (design brief): a quarter is partial when the as-of date (the extract's latest
date, or the user-set "as of") falls before the quarter's last month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from kamdash.core.db import has_table, scalar
from kamdash.core.settings import Settings


def quarter_of(d: dt.date, fy_start: int = 1) -> int:
    return (12 * d.year + d.month - fy_start) // 3


def quarter_sql(date_expr: str, fy_start: int = 1) -> str:
    """SQL expression: the quarter index of a DATE expression."""
    return f"((12 * year({date_expr}) + month({date_expr}) - {int(fy_start)}) // 3)"


def quarter_start(qi: int, fy_start: int = 1) -> dt.date:
    m = 3 * qi + fy_start  # 12*year + month
    return dt.date((m - 1) // 12, (m - 1) % 12 + 1, 1)


def quarter_end(qi: int, fy_start: int = 1) -> dt.date:
    """Last day of the quarter."""
    return quarter_start(qi + 1, fy_start) - dt.timedelta(days=1)


def quarter_label(qi: int, fy_start: int = 1) -> str:
    """'2024Q1'; with a fiscal start other than January, the fiscal year (named by its end)."""
    fy_index, q = divmod(qi, 4)
    year = fy_index + (1 if fy_start != 1 else 0)
    return f"{year}Q{q + 1}"


def label_to_quarter(label: str, fy_start: int = 1) -> int:
    year, q = label.upper().split("Q")
    return (int(year) - (1 if fy_start != 1 else 0)) * 4 + int(q) - 1


def fiscal_year_of(d: dt.date, fy_start: int = 1) -> int:
    """The fiscal year containing `d`, named by the calendar year it ends in (2026 for
    2025-03-10 with a February start: FY2026 runs Feb 2025 - Jan 2026)."""
    return quarter_of(d, fy_start) // 4 + (1 if fy_start != 1 else 0)


def fiscal_year_bounds(year: int, fy_start: int = 1) -> tuple[dt.date, dt.date]:
    """First and last day of fiscal year `year` (FY2026: 2026-01-01 .. 2026-12-31 with a
    January start; 2025-02-01 .. 2026-01-31 with a February start)."""
    q0 = (year - (1 if fy_start != 1 else 0)) * 4
    return quarter_start(q0, fy_start), quarter_end(q0 + 3, fy_start)


def is_partial(qi: int, as_of: dt.date, fy_start: int = 1) -> bool:
    """True when as_of falls before the first day of the quarter's last month."""
    last_month_start = quarter_start(qi + 1, fy_start)
    m = 12 * last_month_start.year + last_month_start.month - 1 - 1  # previous month
    last_month_first = dt.date(m // 12, m % 12 + 1, 1)
    return as_of < last_month_first


@dataclass(frozen=True)
class PeriodContext:
    as_of: dt.date | None  # the extract's latest date or the user-set one
    first: int | None  # first quarter index with data
    current: int | None  # the quarter containing as_of
    last_complete: int | None  # the latest quarter that is not partial
    fy_start: int = 1

    def label(self, qi: int | None) -> str | None:
        return None if qi is None else quarter_label(qi, self.fy_start)

    def quarters(self) -> list[int]:
        """Every quarter from the first with data to the current one."""
        if self.first is None or self.current is None:
            return []
        return list(range(self.first, self.current + 1))


def period_context(con: duckdb.DuckDBPyConnection, settings: Settings) -> PeriodContext:
    """As-of date and quarter bounds of the revenue in `con` (filtered or not)."""
    fy = settings.fiscal_year_start_month
    as_of = dt.date.fromisoformat(settings.as_of) if settings.as_of else None
    if not has_table(con, "revenue"):
        return PeriodContext(as_of, None, None, None, fy)
    first_date = scalar(con, "SELECT min(date) FROM revenue")
    if as_of is None:
        as_of = (
            scalar(con, "SELECT value FROM _meta WHERE key = 'as_of'")
            if has_table(con, "_meta")
            else None
        )
        as_of = (
            dt.date.fromisoformat(as_of) if as_of else scalar(con, "SELECT max(date) FROM revenue")
        )
    if as_of is None or first_date is None:
        return PeriodContext(as_of, None, None, None, fy)
    current = quarter_of(as_of, fy)
    last_complete = current - 1 if is_partial(current, as_of, fy) else current
    return PeriodContext(as_of, quarter_of(first_date, fy), current, last_complete, fy)


def quarter_as_of(ctx: PeriodContext, qi: int) -> dt.date | None:
    """The date a look at quarter qi is as of (QBR page, deck, attention list): the end of qi
    for a quarter before the last complete one, so that plans and QBRs are as they were then;
    else the as-of date of `ctx`."""
    if ctx.last_complete is not None and qi < ctx.last_complete:
        return quarter_end(qi, ctx.fy_start)
    return ctx.as_of


def ttm_bounds(qi: int, fy_start: int = 1) -> tuple[dt.date, dt.date]:
    """First and last day of the trailing twelve months ending with quarter qi (Q-3..Q)."""
    return quarter_start(qi - 3, fy_start), quarter_end(qi, fy_start)


# Tables and columns holding activity dates (contacts, plan updates, QBRs). Activity dated after
# the as-of date is shown as written; it never moves the as-of date.
ACTIVITY_DATES = (("stakeholders", "last_contact"), ("accounts", "plan_updated"), ("qbr", "date"))


@dataclass(frozen=True)
class AsOf:
    """The one as-of rule. `date`: the user-set as-of date, else the latest revenue date (won
    deals standing in for revenue included); close dates of open deals never move it.
    `activity`: the latest activity date (contact, plan update, QBR), which may lie after it.
    Days since an activity are counted to `date` (never below zero)."""

    date: dt.date | None
    activity: dt.date | None
    user_set: bool = False

    def days_since(self, d: dt.date | None) -> int | None:
        if d is None or self.date is None:
            return None
        return max((self.date - d).days, 0)


def as_of(con: duckdb.DuckDBPyConnection, settings: Settings) -> AsOf:
    """The as-of date of `con` (filtered or not) under `settings`, and its latest activity."""
    activity = [
        scalar(con, f"SELECT max({column}) FROM {table}")
        for table, column in ACTIVITY_DATES
        if has_table(con, table)
    ]
    activity = [d for d in activity if d is not None]
    return AsOf(
        period_context(con, settings).as_of,
        max(activity) if activity else None,
        bool(settings.as_of),
    )
