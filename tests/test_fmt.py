"""Money formatting: compact units, and no "$1000k" where a value rounds up to the next unit."""

from __future__ import annotations

import pytest

from kamdash.core import fmt


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (0.4, None, "$0"),
        (900, None, "$900"),
        (999.4, None, "$999"),
        (999.6, None, "$1k"),  # 999.6 rounds to 1000: written in thousands
        (12_345, None, "$12k"),
        (350_000, None, "$350k"),
        (999_499, None, "$999k"),
        (999_600, None, "$1.0M"),  # not "$1000k"
        (1_234_567, None, "$1.2M"),
        (609_600_000, None, "$609.6M"),
        (999_960_000, None, "$1.0B"),  # not "$1000.0M"
        (2_500_000_000_000, None, "$2500.0B"),  # nothing above B
        (-999_700, None, "-$1.0M"),
        (999_600, 2, "$999.60k"),
        (999_996, 2, "$1.00M"),
        (12_345, 2, "$12.35k"),
        (None, None, "–"),
        (float("nan"), None, "–"),
    ],
)
def test_money(value, digits, expected):
    assert fmt.money(value, digits=digits) == expected


def test_signed_money_rolls_over_too():
    assert fmt.signed_money(999_600) == "+$1.0M"
    assert fmt.money(1500, currency="€") == "€2k"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.123, "+12%"),
        (-0.25, "-25%"),
        (0.004, "+0.4%"),
        (-0.0049, "-0.5%"),
        (0, "0.0%"),
        (None, "–"),
    ],
)
def test_signed_pct(value, expected):
    assert fmt.signed_pct(value) == expected


def test_day_is_a_date_never_a_timestamp():
    import datetime as dt

    import pandas as pd

    assert fmt.day(dt.datetime(2026, 10, 13, 0, 0)) == "2026-10-13"
    assert fmt.day(pd.Timestamp("2026-10-13")) == "2026-10-13"
    assert fmt.day(dt.date(2026, 3, 31)) == "2026-03-31"
    assert fmt.day(None) == "–" and fmt.as_date(float("nan")) is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [("EUR", "€1.2M"), ("GBP", "£1.2M"), ("JPY", "¥1.2M"), ("BRL", "R$1.2M"), ("CHF", "CHF 1.2M")],
)
def test_money_in_a_currency(code, expected):
    assert fmt.money(1_234_567, fmt.currency_symbol(code)) == expected
    assert fmt.signed_money(-1_234_567, fmt.currency_symbol(code)) == "-" + expected
