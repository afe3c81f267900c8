"""SQL that reads a staging column as the canonical type: numbers as written in exports
(currency signs, thousands separators, decimal commas, "(1,234)"), dates in whichever formats
the column holds (text, date cells, Excel serial numbers), text trimmed."""

from __future__ import annotations

import re

import duckdb

from kamdash.core.db import quote_ident as q
from kamdash.core.db import rows as fetch

# ISO 4217 codes in use: written before or after an amount ("EUR 1,000", "1.000 CHF")
_ISO = """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNH CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES
    KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
    MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB
    RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
    TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL"""
ISO_CODES = frozenset(_ISO.split())
DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "TWD"})
# Currency symbols as exports write them -> the ISO codes each may mean (more than one:
# ambiguous, the settings' `currency_symbols` say which). "$" alone is USD unless the column
# also writes other dollars or the reporting currency is another one (see ingest.money).
SYMBOL_CODES: dict[str, tuple[str, ...]] = {
    "US$": ("USD",),
    "CA$": ("CAD",),
    "C$": ("CAD",),
    "AU$": ("AUD",),
    "A$": ("AUD",),
    "NZ$": ("NZD",),
    "HK$": ("HKD",),
    "SG$": ("SGD",),
    "S$": ("SGD",),
    "MX$": ("MXN",),
    "NT$": ("TWD",),
    "R$": ("BRL",),
    "$": ("USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN"),
    "€": ("EUR",),
    "£": ("GBP",),
    "JP¥": ("JPY",),
    "CN¥": ("CNY",),
    "RMB": ("CNY",),
    "¥": ("JPY", "CNY"),
    "￥": ("JPY", "CNY"),
    "円": ("JPY",),
    "元": ("CNY",),
    "₹": ("INR",),
    "Rs.": ("INR", "PKR", "LKR", "NPR"),
    "Rs": ("INR", "PKR", "LKR", "NPR"),
    "₩": ("KRW",),
    "₪": ("ILS",),
    "₱": ("PHP",),
    "₦": ("NGN",),
    "₫": ("VND",),
    "฿": ("THB",),
    "₴": ("UAH",),
    "₺": ("TRY",),
    "₽": ("RUB",),
    "zł": ("PLN",),
    "Kč": ("CZK",),
    "SFr.": ("CHF",),
    "Fr.": ("CHF",),
    "SFr": ("CHF",),  # "SFr." as written() reads it (dots are separators there)
    "Fr": ("CHF",),
    "kr.": ("SEK", "NOK", "DKK", "ISK"),
    "kr": ("SEK", "NOK", "DKK", "ISK"),
}
# One alternation of every currency written beside a number, longest first (RE2 takes the
# first alternative that matches): "US$" before "$", "kr." before "kr"
CURRENCY_RE = (
    "(?:"
    + "|".join(
        re.escape(t) for t in sorted([*SYMBOL_CODES, *ISO_CODES], key=lambda t: (-len(t), t))
    )
    + ")"
)
_SPACE = "[\\s\u00a0\u202f]"
# removed from a number: spaces and apostrophes as thousands separators ("1 234", "1'234")
_SEPARATORS = "[\\s\u00a0\u202f''’]"
# what a formatted number is made of besides a currency
_NUMERIC = "[0-9.,()+\\-\\s\u00a0\u202f''’]"
# An amount as US exports write it, "$1,234.50", "-$1,234", "12,345.6": the slow path would
# only remove the "$" and the thousands commas (never a decimal comma: a comma is followed by
# three digits, and a point ends the number)
US_AMOUNT = "-?\\$?[0-9]{1,3}(,[0-9]{3})*(\\.[0-9]+)?"
# a character no plain or formatted number holds: the text may carry a currency
_NOT_NUMERIC = "[^0-9.,()+\\-\\s\u00a0\u202f''’eE]"

DATE_FORMATS = [
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%Y-%m",
    "%b %Y",
    "%B %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%Y%m%d",
]
# Excel serial day numbers of 1954..2119: a plausible CRM date written as a number
EXCEL_SERIAL_MIN, EXCEL_SERIAL_MAX = 20000, 80000


def blank(expr: str) -> str:
    return f"({expr} IS NULL OR trim(CAST({expr} AS VARCHAR)) = '')"


def number_expr(src: str, src_type: str, decimal: str = ".") -> str:
    """SQL turning a staging column into DOUBLE (NULL when it cannot be read as a number).

    Text: the currency written before or after the number (CURRENCY_RE), spaces and thousands
    separators are removed; "(1,234)" is -1234;
    with decimal commas ("1.234,56"), dots are thousands separators and the comma is the point.
    In a file read with a decimal point, a value that can only be a decimal comma ("1.234,56",
    "12,5", "1 234,5") is read as one: never 1.23456 or 125; "1,234" stays 1234.
    """
    if src_type in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT", "DECIMAL", "SMALLINT"):
        return f"CAST({src} AS DOUBLE)"
    if src_type == "BOOLEAN":
        return "CAST(NULL AS DOUBLE)"
    t0 = f"trim(CAST({src} AS VARCHAR))"
    if decimal == ",":
        return _slow_number(t0, decimal)
    # a plain number ("1234.5", "-3", "1e3") reads the same either way, as the slow path only
    # removes what a plain number cannot hold; so does a US-formatted amount ("-$1,234.50":
    # only "$" and thousands commas to remove). The slow path runs on the other rows only: its
    # input is NULL on these (COALESCE evaluates every argument on every row, but the regexes
    # skip NULLs), and unlike CASE, COALESCE lets DuckDB compute the repeated text once.
    fast = f"TRY_CAST({t0} AS DOUBLE)"
    us = f"regexp_full_match({t0}, '{US_AMOUNT}')"
    us_value = f"CASE WHEN {fast} IS NULL AND {us} THEN {plain_us(t0)} END"
    rest = f"CASE WHEN {fast} IS NULL AND NOT {us} THEN {t0} END"
    return f"COALESCE({fast}, {us_value}, {_slow_number(rest, decimal)})"


def _slow_number(t: str, decimal: str) -> str:
    """SQL: trimmed text `t` read as a number written any way number_expr() reads."""
    t = strip_currency(t)
    t = f"regexp_replace({t}, '{_SEPARATORS}', '', 'g')"
    neg = f"regexp_matches({t}, '^\\(.*\\)$')"
    t = f"regexp_replace({t}, '^\\((.*)\\)$', '\\1')"
    comma = f"replace(replace({t}, '.', ''), ',', '.')"
    if decimal != ",":
        euro = "-?([0-9]{1,3}(\\.[0-9]{3})+,[0-9]+|[0-9]+,[0-9]{1,2})"
        t = f"CASE WHEN regexp_full_match({t}, '{euro}') THEN {comma} ELSE replace({t}, ',', '') END"
    else:
        t = comma
    return f"(CASE WHEN {neg} THEN -1 ELSE 1 END) * TRY_CAST({t} AS DOUBLE)"


def plain_us(t: str) -> str:
    """SQL: text `t` matching US_AMOUNT read as a number."""
    return f"TRY_CAST(replace(replace({t}, '$', ''), ',', '') AS DOUBLE)"


def written(t: str) -> str:
    """SQL: what text `t` holds besides digits, signs, brackets and separators ("$" of
    "-$1,200", "EUR" of "1.200,50 EUR"), or NULL. Any word or symbol: the caller keeps those
    in SYMBOL_CODES or ISO_CODES (one character class runs much faster than the alternation
    of every currency)."""
    return f"NULLIF(regexp_replace({t}, '{_NUMERIC}+', '', 'g'), '')"


def strip_currency(t: str) -> str:
    """SQL: text `t` without the currency written before or after its number. Text holding
    nothing but digits, signs and separators is left as is without running the (slower)
    currency patterns."""
    out = (
        f"regexp_replace({t}, '^([-+(]?){_SPACE}*{CURRENCY_RE}{_SPACE}*([-+(]?[0-9.,])', '\\1\\2')"
    )
    out = f"regexp_replace({out}, '([0-9.,)]){_SPACE}*{CURRENCY_RE}{_SPACE}*(\\)?)$', '\\1\\2')"
    return f"CASE WHEN regexp_matches({t}, '{_NOT_NUMERIC}') THEN {out} ELSE {t} END"


def unreadable(expr: str, src: str, keyed: str) -> str:
    """Condition: the cell holds something (and the row its key) but `expr` reads NULL. The
    blank tests run only where `expr` is NULL (CASE evaluates a branch on its rows only)."""
    return f"CASE WHEN ({expr}) IS NULL THEN NOT {blank(src)}{keyed} ELSE false END"


def text_expr(src: str) -> str:
    return f"NULLIF(trim(CAST({src} AS VARCHAR)), '')"


# day-first and month-first readings of the same text
_DAY_MONTH = {
    "%d/%m/%Y": "%m/%d/%Y",
    "%m/%d/%Y": "%d/%m/%Y",
    "%d/%m/%y": "%m/%d/%y",
    "%m/%d/%y": "%d/%m/%y",
    "%d-%m-%Y": "%m-%d-%Y",
    "%m-%d-%Y": "%d-%m-%Y",
}


def date_expr(
    con: duckdb.DuckDBPyConnection, table: str, src: str, stype: str, european: bool
) -> tuple[str, str | None]:
    """SQL reading staging column `src` (quoted) of `table` as DATE, and the reading chosen
    ("day/month" or "month/day") when every date could be either, else None."""
    if stype == "DATE":
        return src, None
    if stype.startswith("TIMESTAMP"):
        return f"CAST({src} AS DATE)", None
    if stype in ("DOUBLE", "BIGINT", "INTEGER", "FLOAT", "HUGEINT"):
        # Excel serial day numbers (days since 1899-12-30)
        return (
            f"CASE WHEN {src} BETWEEN {EXCEL_SERIAL_MIN} AND {EXCEL_SERIAL_MAX} "
            f"THEN DATE '1899-12-30' + CAST(floor({src}) AS INTEGER) END"
        ), None
    t = f"NULLIF(trim(CAST({src} AS VARCHAR)), '')"
    serial = (
        f"CASE WHEN regexp_full_match({t}, '\\d{{5}}(\\.\\d+)?') AND TRY_CAST({t} AS DOUBLE) "
        f"BETWEEN {EXCEL_SERIAL_MIN} AND {EXCEL_SERIAL_MAX} THEN DATE '1899-12-30' + "
        f"CAST(floor(TRY_CAST({t} AS DOUBLE)) AS INTEGER) END"
    )
    counts = _format_counts(con, table, src)
    ranked = sorted([(c, i) for i, c in enumerate(counts) if c > 0], key=lambda x: (-x[0], x[1]))
    if not ranked:
        return serial, None
    best, reading = DATE_FORMATS[ranked[0][1]], None
    # day-first vs month-first: when both read every value, the day-first reading wins only
    # if the file uses decimal commas (a European export); otherwise month-first; say so.
    other = _DAY_MONTH.get(best)
    if other and counts[DATE_FORMATS.index(other)] == ranked[0][0]:
        best = [f for f in (best, other) if ("%d" in f.split("/")[0].split("-")[0]) == european][0]
        reading = "day/month" if european else "month/day"
    # a column may mix formats (date cells shown as ISO, text "15.01.2026", serials): every
    # format that reads some values is tried, best first, but never both readings of a
    # day/month pair
    fmts = [best]
    for _, i in ranked[1:]:
        if _DAY_MONTH.get(DATE_FORMATS[i]) not in fmts:
            fmts.append(DATE_FORMATS[i])
    parts = [f"CAST(try_strptime({t}, '{f}') AS DATE)" for f in dict.fromkeys(fmts)]
    if best != "%Y-%m-%d":
        parts.append(f"TRY_CAST({t} AS DATE)")
    return "COALESCE(" + ", ".join(parts + [serial]) + ")", reading


def _format_counts(con: duckdb.DuckDBPyConnection, table: str, src: str) -> list[int]:
    """How many values each of DATE_FORMATS reads, tried once per distinct text (a date column
    of millions of rows holds a few thousand distinct dates) and weighted by its count."""
    v = "NULLIF(trim(CAST(_v AS VARCHAR)), '')"
    return list(
        fetch(
            con,
            "SELECT "
            + ", ".join(
                f"coalesce(sum(_n) FILTER (try_strptime({v}, '{f}') IS NOT NULL), 0)"
                for f in DATE_FORMATS
            )
            + f" FROM (SELECT {src} AS _v, count(*) AS _n FROM {q(table)} GROUP BY 1)",
        )[0]
    )
