"""Money: currencies written in amounts, in a currency column or in a header; one currency is
recorded in the snapshot and shown with its symbol; several are refused unless the settings
give rates to a reporting currency; ambiguous symbols need the settings; NaN, infinities and
overflowing values are errors naming their rows. Figures are hand-computed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kamdash.core import fmt
from kamdash.core.db import rows
from kamdash.core.settings import Settings
from kamdash.ingest.casting import number_expr
from kamdash.store.load import load_extract
from kamdash.store.snapshots import SnapshotStore

ACCOUNTS = "Account ID,Account Name\nA1,Acme\nA2,Beta\n"
MIXED = (
    "Account ID,Date,Amount\nA1,2024-01-15,$1000\nA2,2024-02-15,€1000\nA1,2024-03-15,£1000\n"
    "A2,2024-03-16,¥1000\nA1,2024-03-17,1000 EUR\n"
)
ADVICE = (
    "Amounts in different currencies cannot be added up: export them in one currency, or set "
    "reporting_currency and its [currency_rates] in the settings to convert them."
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def load(tmp_path, monkeypatch):
    """load(files: {name: text}, settings TOML or None) -> (prepared load, snapshot or None)."""
    cons = []

    def run(files: dict[str, str], settings: str | None = None):
        d = tmp_path / f"x{len(cons)}"
        d.mkdir()
        if settings is not None:
            monkeypatch.setenv("KAMDASH_SETTINGS", str(write(d / "settings.toml", settings)))
        else:
            monkeypatch.delenv("KAMDASH_SETTINGS", raising=False)
        paths = [write(d / name, text) for name, text in files.items()]
        r = load_extract(paths, d / "data")
        con = SnapshotStore(d / "data").open() if r.snapshot_id else None
        cons.append(con)
        return r, con

    yield run
    for c in cons:
        if c is not None:
            c.close()


def messages(r, level: str = "error") -> list[str]:
    return [p.message for p in r.report.problems if p.level == level]


def meta(con) -> dict[str, str]:
    return dict(rows(con, "SELECT key, value FROM _meta WHERE key LIKE 'currency%'"))


# -- one currency ------------------------------------------------------------------------------
def test_one_euro_column_loads_and_is_shown_in_euros(load):
    rev = 'Account ID,Date,Amount\nA1,2024-01-15,"€1,000,000"\nA2,2024-02-15,"234.567,00 €"\n'
    r, con = load({"accounts.csv": ACCOUNTS, "revenue.csv": rev})
    assert r.snapshot_id, r.report.text()
    assert rows(con, "SELECT amount FROM revenue ORDER BY _source_row") == [
        (1_000_000.0,),
        (234_567.0,),
    ]
    assert meta(con) == {"currency": "EUR", "currency_symbol": "€"}
    assert messages(r, "info") == [
        'file "revenue.csv", column "Amount": the revenue amounts are in EUR; money is shown '
        'with "€".'
    ]
    shown = fmt.with_snapshot_currency(Settings(), con)
    assert shown.currency == "€"
    assert fmt.money(1_234_567, shown.currency) == "€1.2M"


def test_plain_numbers_record_no_currency_and_keep_the_settings_symbol(load):
    r, con = load(
        {"accounts.csv": ACCOUNTS, "revenue.csv": "Account ID,Date,Amount\nA1,2024-01-15,5\n"}
    )
    assert meta(con) == {}
    assert messages(r, "info") == []
    assert fmt.with_snapshot_currency(Settings(), con).currency == "$"
    assert fmt.with_snapshot_currency(Settings(reporting_currency="GBP"), con).currency == "£"


def test_one_code_in_a_currency_column(load):
    # Pipedrive's deals export: "Deal - Value" and "Deal - Currency"
    opps = (
        "Deal - Organization,Deal - Value,Deal - Currency,Deal - Status,Deal - Won time\n"
        "Acme,1200,EUR,Won,2024-01-10\nBeta,800,EUR,Won,2024-02-10\nAcme,500,EUR,Open,\n"
    )
    r, con = load({"deals.csv": opps})
    assert r.snapshot_id, r.report.text()
    assert meta(con) == {"currency": "EUR", "currency_symbol": "€"}
    assert rows(con, "SELECT sum(amount) FROM revenue") == [(2000.0,)]


def test_currency_names_in_a_dynamics_currency_column(load):
    rev = (
        "Account ID,Date,Amount,Currency\nA1,2024-01-15,10,US Dollar\nA2,2024-01-16,20,US Dollar\n"
    )
    r, con = load({"accounts.csv": ACCOUNTS, "revenue.csv": rev})
    assert meta(con) == {"currency": "USD", "currency_symbol": "$"}


def test_currency_in_the_header(load):
    rev = "Account ID,Date,Amount (CHF)\nA1,2024-01-15,1'000.50\nA2,2024-01-16,2000\n"
    r, con = load({"accounts.csv": ACCOUNTS, "revenue.csv": rev})
    assert r.snapshot_id, r.report.text()
    assert rows(con, "SELECT sum(amount) FROM revenue") == [(3000.5,)]
    assert meta(con) == {"currency": "CHF", "currency_symbol": "CHF "}
    assert fmt.money(3000.5, fmt.with_snapshot_currency(Settings(), con).currency) == "CHF 3k"


# -- several currencies ------------------------------------------------------------------------
def test_mixed_symbols_and_codes_are_refused_naming_them(load):
    r, con = load({"accounts.csv": ACCOUNTS, "revenue.csv": MIXED})
    assert con is None
    assert messages(r) == [
        'file "revenue.csv", column "Amount", row 5: 1 amount(s) are written with "¥", which '
        'may be JPY or CNY. Say which in the settings, e.g. currency_symbols = {"¥" = "JPY"}.',
        'file "revenue.csv", column "Amount": the revenue amounts are in 4 currencies: EUR 2 '
        'rows (3, 6), GBP 1 row (4), USD 1 row (2), "¥" (JPY or CNY?) 1 row (5). ' + ADVICE,
    ]


RATES = """reporting_currency = "EUR"
currency_symbols = {"¥" = "JPY", "$" = "USD"}
[currency_rates]
USD = 0.9
GBP = 1.2
JPY = 0.006
"""


def test_mixed_with_rates_are_converted(load):
    r, con = load({"accounts.csv": ACCOUNTS, "revenue.csv": MIXED}, RATES)
    assert r.snapshot_id, r.report.text()
    # 1000 × 0.9 + 1000 + 1000 × 1.2 + 1000 × 0.006 + 1000
    assert rows(con, "SELECT amount FROM revenue ORDER BY _source_row") == [
        (900.0,),
        (1000.0,),
        (1200.0,),
        (6.0,),
        (1000.0,),
    ]
    assert rows(con, "SELECT sum(amount) FROM revenue") == [(4106.0,)]
    assert meta(con) == {"currency": "EUR", "currency_symbol": "€"}
    assert messages(r, "info") == [
        'file "revenue.csv", column "Amount": the revenue amounts were converted to EUR with '
        "the rates in the settings: 1 GBP = 1.2 EUR (1 row), 1 JPY = 0.006 EUR (1 row), "
        '1 USD = 0.9 EUR (1 row); money is shown with "€".'
    ]


def test_a_missing_rate_is_named(load):
    settings = RATES.replace("GBP = 1.2\nJPY = 0.006\n", "")
    r, _ = load({"accounts.csv": ACCOUNTS, "revenue.csv": MIXED}, settings)
    assert messages(r) == [
        'file "revenue.csv", column "Amount": the revenue amounts are in 4 currencies: EUR 2 '
        "rows (3, 6), GBP 1 row (4), JPY 1 row (5), USD 1 row (2). Amounts in different "
        "currencies cannot be added up: [currency_rates] in the settings has no rate to EUR "
        "for GBP, JPY."
    ]


def test_two_codes_in_the_currency_column_are_refused(load):
    rev = (
        "Account ID,Date,Amount,Opportunity Currency\nA1,2024-01-15,10,USD\n"
        "A2,2024-01-16,20,EUR\nA1,2024-01-17,30,EUR\n"
    )
    r, _ = load({"accounts.csv": ACCOUNTS, "revenue.csv": rev})
    assert messages(r) == [
        'file "revenue.csv", column "Amount": the revenue amounts are in 2 currencies (as column '
        '"Opportunity Currency" says): EUR 2 rows (3, 4), USD 1 row (2). ' + ADVICE
    ]


def test_a_currency_column_converted_row_by_row(load):
    rev = (
        "Account ID,Date,Amount,Currency ISO Code\nA1,2024-01-15,10,USD\n"
        "A2,2024-01-16,20,EUR\nA1,2024-01-17,30,usd\n"
    )
    settings = 'reporting_currency = "EUR"\n[currency_rates]\nUSD = 0.5\n'
    r, con = load({"accounts.csv": ACCOUNTS, "revenue.csv": rev}, settings)
    assert rows(con, "SELECT amount FROM revenue ORDER BY _source_row") == [
        (5.0,),
        (20.0,),
        (15.0,),
    ]


def test_amounts_without_currency_beside_converted_ones_are_refused(load):
    rev = "Account ID,Date,Amount\nA1,2024-01-15,$10\nA2,2024-01-16,€20\nA1,2024-01-17,30\n"
    settings = 'reporting_currency = "EUR"\ncurrency_symbols = {"$" = "USD"}\n[currency_rates]\nUSD = 0.5\n'
    r, _ = load({"accounts.csv": ACCOUNTS, "revenue.csv": rev}, settings)
    assert messages(r)[1] == (
        'file "revenue.csv", column "Amount", row 4: 1 of the revenue amounts have no currency '
        "written while the others are in EUR and USD, so they cannot be converted. Write the "
        "currency on every row (or in a currency column)."
    )


def test_a_cell_and_its_currency_column_disagree(load):
    rev = "Account ID,Date,Amount,Currency\nA1,2024-01-15,€10,USD\nA2,2024-01-16,$20,USD\n"
    r, _ = load({"accounts.csv": ACCOUNTS, "revenue.csv": rev})
    assert messages(r)[0] == (
        'file "revenue.csv", column "Currency", row 2: 1 row(s) name another currency than the '
        'one written beside the amount in column "Amount" (e.g. "USD" beside "€"). Correct one '
        "of the two."
    )


def test_unknown_values_in_the_currency_column(load):
    rev = "Account ID,Date,Amount,Currency\nA1,2024-01-15,10,EUR\nA2,2024-01-16,20,Bucks\n"
    r, _ = load({"accounts.csv": ACCOUNTS, "revenue.csv": rev})
    assert messages(r) == [
        'file "revenue.csv", column "Currency", row 3: 1 row(s) hold values that are not '
        'currencies: "Bucks" 1 row (3). Write ISO codes such as EUR or USD, or say what they '
        'mean in the settings, e.g. currency_symbols = {"Bucks" = "USD"}.'
    ]


def test_a_column_named_currency_without_any_currency_is_ignored(load):
    rev = "Account ID,Date,Amount,Currency Type\nA1,2024-01-15,10,Corporate\n"
    r, con = load({"accounts.csv": ACCOUNTS, "revenue.csv": rev})
    assert r.snapshot_id, r.report.text()
    assert messages(r, "warning")[0] == (
        'file "revenue.csv", column "Currency Type": named like a currency column, but it '
        "holds no currency code, so it was not used."
    )


def test_revenue_and_wallet_in_different_currencies(load):
    rev = "Account ID,Date,Amount\nA1,2024-01-15,$100\nA2,2024-01-16,$50\n"
    wallet = "Account ID,Wallet\nA1,€1000\nA2,€500\n"
    files = {"accounts.csv": ACCOUNTS, "revenue.csv": rev, "wallet.csv": wallet}
    r, _ = load(files)
    assert messages(r) == [
        'Amounts are in different currencies: the revenue amounts in USD (file "revenue.csv", '
        'column "Amount", e.g. row 2), the wallet estimates in EUR (file "wallet.csv", column '
        '"Wallet", e.g. row 2). Share of wallet, growth goals and pipeline coverage compare '
        "them, so they must be in one currency: export them in one, or set reporting_currency "
        "and its [currency_rates] in the settings to convert them."
    ]
    # "$" beside a reporting currency that is not USD is ambiguous: the settings say which
    settings = 'reporting_currency = "EUR"\ncurrency_symbols = {"$" = "USD"}\n'
    r, con = load(files, settings + "[currency_rates]\nUSD = 0.8\n")
    assert rows(con, "SELECT sum(amount) FROM revenue") == [(120.0,)]  # (100 + 50) × 0.8
    assert rows(con, "SELECT sum(wallet) FROM wallet") == [(1500.0,)]
    assert messages(r, "info") == [
        'file "revenue.csv", column "Amount": the revenue amounts are in USD and were converted '
        'to EUR at the rate in the settings (1 USD = 0.8 EUR); money is shown with "€".',
        'file "wallet.csv", column "Wallet": the wallet estimates are in EUR; money is shown '
        'with "€".',
    ]


def test_one_currency_other_than_the_reporting_one_needs_a_rate(load):
    rev = "Account ID,Date,Amount\nA1,2024-01-15,GBP 100\n"
    r, _ = load({"accounts.csv": ACCOUNTS, "revenue.csv": rev}, 'reporting_currency = "EUR"\n')
    assert messages(r) == [
        'file "revenue.csv", column "Amount": the revenue amounts are in GBP, but the reporting '
        "currency is EUR and [currency_rates] in the settings has no rate for GBP. Add it: "
        "GBP = how many EUR one GBP is worth."
    ]


def test_plain_amounts_take_the_reporting_currency(load):
    rev = "Account ID,Date,Amount\nA1,2024-01-15,100\n"
    r, con = load({"accounts.csv": ACCOUNTS, "revenue.csv": rev}, 'reporting_currency = "JPY"\n')
    assert meta(con) == {"currency": "JPY", "currency_symbol": "¥"}


# -- ambiguous symbols -------------------------------------------------------------------------
def test_yen_needs_the_settings_to_say_which(load):
    rev = "Account ID,Date,Amount\nA1,2024-01-15,¥1000\nA2,2024-01-16,¥ 250\n"
    files = {"accounts.csv": ACCOUNTS, "revenue.csv": rev}
    r, _ = load(files)
    assert messages(r) == [
        'file "revenue.csv", column "Amount", rows 2, 3: 2 amount(s) are written with "¥", '
        "which may be JPY or CNY. Say which in the settings, e.g. currency_symbols = "
        '{"¥" = "JPY"}.'
    ]
    r, con = load(files, 'currency_symbols = {"¥" = "CNY"}\n')
    assert meta(con) == {"currency": "CNY", "currency_symbol": "CN¥"}
    assert rows(con, "SELECT sum(amount) FROM revenue") == [(1250.0,)]


def test_dollar_beside_other_dollars_is_ambiguous(load):
    rev = "Account ID,Date,Amount\nA1,2024-01-15,$10\nA2,2024-01-16,CA$20\n"
    r, _ = load({"accounts.csv": ACCOUNTS, "revenue.csv": rev})
    assert messages(r)[0] == (
        'file "revenue.csv", column "Amount", row 2: 1 amount(s) are written with "$", which may '
        'be US dollars or another dollar (the column also has "CA$"). Say which in the settings, '
        'e.g. currency_symbols = {"$" = "USD"}.'
    )


def test_dollar_alone_is_us_dollars_unless_the_reporting_currency_is_another(load):
    rev = "Account ID,Date,Amount\nA1,2024-01-15,$10\n"
    files = {"accounts.csv": ACCOUNTS, "revenue.csv": rev}
    _, con = load(files)
    assert meta(con) == {"currency": "USD", "currency_symbol": "$"}
    r, _ = load(files, 'reporting_currency = "CAD"\n')
    assert messages(r) == [
        'file "revenue.csv", column "Amount", row 2: 1 amount(s) are written with "$", which may '
        "be US dollars or another dollar (the reporting currency is CAD). Say which in the "
        'settings, e.g. currency_symbols = {"$" = "USD"}.'
    ]
    _, con = load(files, 'reporting_currency = "CAD"\ncurrency_symbols = {"$" = "CAD"}\n')
    assert meta(con) == {"currency": "CAD", "currency_symbol": "CA$"}


def test_bad_money_settings_are_refused_in_plain_words(load):
    r, _ = load(
        {"accounts.csv": ACCOUNTS, "revenue.csv": MIXED},
        'reporting_currency = "Euro"\n[currency_rates]\nUSD = -1\n',
    )
    assert messages(r) == [
        'Settings: reporting_currency = "Euro" is not an ISO currency code (ISO codes are like '
        "EUR, USD, GBP, JPY).",
        "Settings: [currency_rates] USD = -1 is not a positive number (ISO codes are like EUR, "
        "USD, GBP, JPY).",
    ]


# -- numbers no figure can use -----------------------------------------------------------------
def test_nan_infinity_and_overflow_are_errors_naming_rows(load):
    rev = (
        "Account ID,Date,Amount\nA1,2024-01-15,NaN\nA2,2024-01-16,10\nA1,2024-01-17,Infinity\n"
        "A2,2024-01-18,-inf\nA1,2024-01-19,1e309\n,2024-01-20,NaN\n"
    )
    scores = "Account ID,Strategic Fit\nA1,nan\nA2,3\n"
    r, con = load({"accounts.csv": ACCOUNTS, "revenue.csv": rev, "scores.csv": scores})
    assert con is None
    assert messages(r) == [
        'file "scores.csv", column "Strategic Fit", row 2: 1 value(s) of strategic fit are not '
        "finite numbers (NaN, Infinity, or beyond ±1.8e308), which no figure can use. Correct "
        "them, or leave the cells empty.",
        'file "revenue.csv", column "Amount", rows 2, 4, 5, 6: 4 value(s) of amount are not '
        "finite numbers (NaN, Infinity, or beyond ±1.8e308), which no figure can use. Correct "
        "them, or leave the cells empty.",
    ]
    bad = [p for p in r.report.errors if p.column == "Amount"][0]
    assert bad.examples == ["NaN", "Infinity", "-inf", "1e309"]


@pytest.mark.parametrize(
    ("text", "decimal", "value"),
    [
        ("$1,234.50", ".", 1234.5),
        ("-$100", ".", -100.0),
        ("$-100", ".", -100.0),
        ("($1,234)", ".", -1234.0),
        ("1000 EUR", ".", 1000.0),
        ("USD 2,000,000", ".", 2_000_000.0),
        ("R$ 1.234,56", ".", 1234.56),
        ("CHF 1'000.50", ".", 1000.5),
        ("₹1,00,000", ".", 100_000.0),
        ("US$ 5", ".", 5.0),
        ("100 kr.", ".", 100.0),
        ("1 234,5 €", ",", 1234.5),
        ("EURO 5", ".", None),  # not a currency: unreadable, reported
        ("TBD", ".", None),
    ],
)
def test_numbers_with_currencies(text, decimal, value):
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT ? AS v", [text])
    got = con.execute(f"SELECT {number_expr('v', 'VARCHAR', decimal)} FROM t").fetchone()[0]
    assert got == value
