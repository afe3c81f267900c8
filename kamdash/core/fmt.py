"""Shared formatting and colours of every page and figure (no Streamlit, no Plotly).

Money is shown short ($1.2M, $350k, $900) with the snapshot's currency symbol, ratios as whole
percents (112%). Each tier and each RAG band has one colour used everywhere (sidebar, tables,
charts).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from kamdash.core.db import scalar, table_exists

if TYPE_CHECKING:
    from kamdash.core.settings import Settings

TIERS = ("Tier 1", "Tier 2", "Tier 3")
UNTIERED = "No tier"
TIER_COLORS = {
    "Tier 1": "#1f4e79",  # navy
    "Tier 2": "#4a90c8",  # mid blue
    "Tier 3": "#a8c6e0",  # pale blue
    UNTIERED: "#b0b0b0",
}
RAG = ("green", "amber", "red")
RAG_COLORS = {"green": "#2e7d32", "amber": "#e69a00", "red": "#c62828", None: "#9e9e9e"}
RAG_LABELS = {"green": "Green", "amber": "Amber", "red": "Red"}

# Two-series colours (NRR / GRR, ours / wallet...), then a qualitative palette for groups.
PRIMARY = "#1f4e79"
SECONDARY = "#e07b39"
GOOD = "#2e7d32"
BAD = "#c62828"
NEUTRAL = "#8a99a8"
GRID = "#e3e8ee"
PALETTE = (
    "#1f4e79",
    "#e07b39",
    "#2e8b57",
    "#8e44ad",
    "#c0392b",
    "#16a085",
    "#b7950b",
    "#5d6d7e",
    "#d35400",
    "#2874a6",
)
# Sequential scales: revenue / counts (blues), potential (oranges), ratios (red-white-green).
SCALE_REVENUE = [[0.0, "#eef4fa"], [0.5, "#6fa3d0"], [1.0, "#0b3a66"]]
SCALE_POTENTIAL = [[0.0, "#fff3e6"], [0.5, "#f5b47a"], [1.0, "#c25a0b"]]
SCALE_SCORE = [[0.0, "#c62828"], [0.5, "#f6e7a8"], [1.0, "#2e7d32"]]  # 1..5


# How money in an ISO 4217 currency is shown; a code not listed is shown as "SEK 1.2M".
SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "CN¥",
    "INR": "₹",
    "BRL": "R$",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "SGD": "S$",
    "MXN": "MX$",
    "TWD": "NT$",
    "KRW": "₩",
    "ILS": "₪",
    "PHP": "₱",
    "NGN": "₦",
    "VND": "₫",
    "THB": "฿",
    "UAH": "₴",
    "TRY": "₺",
    "RUB": "₽",
}


def currency_symbol(code: str) -> str:
    """The symbol money in ISO currency `code` is shown with ('EUR' -> '€', 'CHF' -> 'CHF ')."""
    code = code.strip().upper()
    return SYMBOLS.get(code, code + " ")


def with_snapshot_currency(settings: Settings, con: duckdb.DuckDBPyConnection) -> Settings:
    """`settings` with `currency` set to the symbol of the snapshot's money: the currency its
    load recorded in `_meta` (the reporting currency when the settings named one then), else
    the reporting currency of the settings, else `settings.currency`. The recorded one wins
    over today's settings: the amounts are in it."""
    code = None
    if table_exists(con, "_meta"):
        code = scalar(con, "SELECT value FROM _meta WHERE key = 'currency'")
    code = code or settings.reporting_currency
    if not code:
        return settings
    return dataclasses.replace(settings, currency=currency_symbol(code))


def is_missing(x) -> bool:
    """None, NaN, NaT or pd.NA."""
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def as_float(x) -> float | None:
    """A number as a float; None for None, NaN, NaT, pd.NA or what is not a number."""
    if is_missing(x):
        return None
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def money(x, currency: str = "$", digits: int | None = None) -> str:
    """$1.2M, $350k, $900; '–' for None/NaN. A value that rounds up to 1,000 of a unit is
    written in the next one ($999,600 is $1.0M, never $1000k)."""
    if is_missing(x):
        return "–"
    x = float(x)
    a = abs(x)
    sign = "-" if x < 0 else ""
    dk = 0 if digits is None else digits  # decimals of k
    dm = 1 if digits is None else digits  # decimals of M and B
    steps = ((1.0, "", 0), (1e3, "k", dk), (1e6, "M", dm), (1e9, "B", dm))
    i = max((k for k, step in enumerate(steps) if a >= step[0]), default=0)
    while True:
        scale, unit, d = steps[i]
        text = f"{a / scale:.{d}f}"
        if float(text) < 1000 or i == len(steps) - 1:
            return f"{sign}{currency}{text}{unit}"
        i += 1


def signed_money(x, currency: str = "$") -> str:
    if is_missing(x):
        return "–"
    return ("+" if float(x) > 0 else "") + money(x, currency)


def pct(x, digits: int = 0) -> str:
    """A ratio as a percent: 1.12 -> '112%'; '–' for None/NaN."""
    return "–" if is_missing(x) else f"{float(x) * 100:.{digits}f}%"


def signed_pct(x) -> str:
    """A growth rate with its sign: 0.123 -> '+12%'; below one percent one decimal ('+0.4%')."""
    if is_missing(x):
        return "–"
    v = float(x)
    return ("+" if v > 0 else "") + pct(v, 0 if abs(v) >= 0.01 else 1)


def pts(x, digits: int = 0) -> str:
    """A change of a ratio in percentage points: 0.031 -> '+3 pts'."""
    if is_missing(x):
        return "–"
    v = float(x) * 100
    if abs(v) < 1 and digits == 0:
        digits = 1  # "+0.4 pts", not "+0 pts"
    return f"{'+' if v > 0 else ''}{v:.{digits}f} pts"


def reads_as_zero(text) -> bool:
    """Whether a formatted change ('+0.0 pts', '0.0%', '+0', '$0') shows no change: it has no
    digit other than 0. A page shows such a change without an up or down arrow."""
    return (
        isinstance(text, str)
        and re.search(r"\d", text) is not None
        and not re.search(r"[1-9]", text)
    )


def number(x, digits: int = 0) -> str:
    return "–" if is_missing(x) else f"{float(x):,.{digits}f}"


def score(x) -> str:
    return "–" if is_missing(x) else f"{float(x):.1f}"


def rag_of(value, green_min: float, amber_min: float) -> str | None:
    if is_missing(value):
        return None
    v = float(value)
    return "green" if v >= green_min else "amber" if v >= amber_min else "red"


# Labels that mean "no tier" (the heatmap's, the metrics', a blank): always after the tiers.
NO_TIER_LABELS = frozenset({UNTIERED, "Unassigned", "(none)", "", "not scored"})


def tier_key(tier) -> tuple[int, str]:
    """The one tier order of every legend, table and heatmap: Tier 1, Tier 2, Tier 3, then any
    other label (alphabetically), then no tier. `sorted(labels, key=fmt.tier_key)`."""
    if not isinstance(tier, str) or tier.strip() in NO_TIER_LABELS:
        return (2, "" if not isinstance(tier, str) else tier)
    if tier in TIERS:
        return (0, str(TIERS.index(tier)))
    return (1, tier.casefold())


def tier_color(tier) -> str:
    return TIER_COLORS.get(tier if isinstance(tier, str) else UNTIERED, TIER_COLORS[UNTIERED])


def short(text, width: int = 22) -> str:
    """A label cut to `width` characters with an ellipsis (axis labels stay on one line)."""
    s = "" if text is None else str(text)
    return s if len(s) <= width else s[: width - 1].rstrip() + "…"


def as_date(x) -> dt.date | None:
    """A date, datetime or timestamp as a date (None for missing values)."""
    if is_missing(x):
        return None
    return pd.Timestamp(x).date()


def day(x) -> str:
    """A date as a date ('2026-03-31', never '2026-03-31 00:00:00'); '–' when missing."""
    d = as_date(x)
    return "–" if d is None else d.isoformat()


def utc_time(x) -> str:
    """A moment (ISO text or datetime) to the minute in UTC: '2026-12-02 03:10 UTC' (a time
    without a zone is taken as UTC); '–' when missing, text that is no time as written."""
    if is_missing(x) or x == "":
        return "–"
    try:
        t = x if isinstance(x, dt.datetime) else dt.datetime.fromisoformat(str(x))
    except ValueError:
        return str(x)
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC)
    return f"{t:%Y-%m-%d %H:%M} UTC"


def days(x) -> str:
    if is_missing(x):
        return "–"
    n = int(x)
    return f"{n:,} day" + ("" if n == 1 else "s")


# -- Extract text is data, never markup ----------------------------------------------------------
# Every text from an extract or a file name (account, tier, region, industry, product, notes,
# header, sheet and file names...) goes through one of these before it is shown or written:
# `md` where Streamlit renders Markdown, `plot_text` in a Plotly label, `cell_text` in an XLSX
# or PPTX part, `formula_safe` in a cell a spreadsheet could evaluate.

# Markdown punctuation escaped with a backslash (CommonMark escapes any ASCII punctuation).
_MD_SPECIAL = frozenset("\\`*_{}[]()#+-.!|<>~$&=")
# U+2060 WORD JOINER: invisible and unbreakable. Escapes are resolved before remark-gfm finds
# autolink literals in the text (http://x, www.x, a@b.c, mailto:...), so a backslash cannot stop
# those: a joiner after every ':', between 'www' and '.', and before '@' does.
WORD_JOINER = "\u2060"
_WWW = re.compile(r"(?<![0-9A-Za-z])(www)(?=\.)", re.IGNORECASE)
_NEWLINE = re.compile(r"\r\n?|\n")


def md(text) -> str:
    """`text` (from an extract, a file name...) as Markdown that shows exactly that text: no
    link, image, emphasis, heading, HTML, `$` math, `:color[...]` / `:icon:` directive or
    autolinked URL / e-mail; line breaks become spaces (the text stays inline). The escaped
    text reads the same; copied, it carries invisible word joiners inside URLs and e-mails.
    None is ''."""
    s = _NEWLINE.sub(" ", "" if text is None else str(text))
    s = _WWW.sub(lambda m: m.group(1) + WORD_JOINER, s)
    out = []
    for ch in s:
        if ch == ":":
            out.append("\\:" + WORD_JOINER)
        elif ch == "@":
            out.append(WORD_JOINER + "@")
        elif ch in _MD_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def plot_text(text) -> str:
    """`text` for a Plotly label (title, tick, legend, hover, annotation, cell text): Plotly
    reads a subset of HTML there (`<a href>`, `<b>`, `<br>`, entities), so `&`, `<` and `>`
    are written as entities and show as themselves. None is ''."""
    s = "" if text is None else str(text)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Characters an XML part (XLSX, PPTX) cannot hold: control characters other than tab, line
# feed and carriage return, lone surrogates, U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def cell_text(text) -> str:
    """`text` as an XLSX or PPTX part can hold it: each character XML cannot carry is replaced
    by U+FFFD (a deck or workbook never fails on a stray control character). None is ''."""
    return _XML_ILLEGAL.sub("\ufffd", "" if text is None else str(text))


# What can start a formula when a spreadsheet opens a cell ("CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(text: str) -> str:
    """`text` made inert in a spreadsheet cell: prefixed with `'` when its first character,
    after leading spaces, could start a formula (`= + - @`, tab, carriage return). The one
    neutraliser of every CSV and XLSX kamdash writes (exports, the offending rows)."""
    if text.lstrip(" ").startswith(FORMULA_TRIGGERS) or text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
