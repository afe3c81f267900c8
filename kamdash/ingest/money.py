"""Money: which currency each amount column is in, and numbers no figure can use.

Computed per row in the typed build's one pass over each staging table (`per_row_checks` adds
the columns to each `TableBuilder`), then read from the typed tables (`check_money`: one query
per money column, plus one per table for its other numeric columns):
- the currency written beside each amount ("$1,200", "1.200 €", "EUR 1,200"), in a currency
  column of the same sheet ("Currency", "Deal - Currency", "Currency ISO Code": one code per
  row, as most CRMs export), or in the amount's header ("Amount (EUR)");
- NaN, Infinity and values beyond DOUBLE (1e309): errors naming their rows.

The rules (README "Money"): one currency across the money columns is recorded in the snapshot
(`_meta` keys `currency`, `currency_symbol`) and shown with its symbol. Several currencies in
one column, or money columns in different currencies (share of wallet compares revenue with
wallet), are refused unless the settings name a `reporting_currency` and `[currency_rates]` to
it: then amounts are converted (an info line gives the rates). An ambiguous symbol ("¥": JPY or
CNY; "$" beside other dollars, or with a reporting currency that is another one) needs
`currency_symbols` in the settings. With a reporting currency, amounts in another one need its
rate; amounts with no currency written are taken to be in it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from kamdash.core.db import quote_ident as q
from kamdash.core.db import rows as fetch
from kamdash.core.fmt import currency_symbol
from kamdash.core.settings import Settings
from kamdash.ingest.builder import TableBuilder, find_rows
from kamdash.ingest.casting import (
    DOLLARS,
    ISO_CODES,
    SYMBOL_CODES,
    US_AMOUNT,
    blank,
    number_expr,
    written,
)
from kamdash.ingest.contract import NUMBER, TABLES, normalize
from kamdash.ingest.mapping import Mapping, TableMapping
from kamdash.ingest.report import Report, where
from kamdash.ingest.sheetcheck import EXAMPLE_ROWS, located

# The money columns of each table, and what their amounts are called in messages.
MONEY_COLUMNS = {
    ("revenue", "amount"): "revenue amounts",
    ("opportunities", "amount"): "opportunity amounts",
    ("wallet", "wallet"): "wallet estimates",
    ("targets", "target"): "targets",
}
# A header naming a currency column (normalized): "Currency", "Deal - Currency", "Currency ISO
# Code", "CurrencyIsoCode", "Ccy"; not an exchange rate column.
CURRENCY_HEADER = re.compile(r"\b(currency|currencyisocode|ccy|curr|waehrung|währung|devise)\b")
NOT_CURRENCY_HEADER = re.compile(r"\b(rate|exchange|plan)\b")
# Currency names as CRMs write them in a currency column (Dynamics 365: "US Dollar", "Euro").
NAMES = {
    "us dollar": "USD",
    "us dollars": "USD",
    "dollar": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "pound sterling": "GBP",
    "british pound": "GBP",
    "japanese yen": "JPY",
    "yen": "JPY",
    "chinese yuan": "CNY",
    "yuan renminbi": "CNY",
    "renminbi": "CNY",
    "swiss franc": "CHF",
    "canadian dollar": "CAD",
    "australian dollar": "AUD",
    "new zealand dollar": "NZD",
    "indian rupee": "INR",
    "brazilian real": "BRL",
    "mexican peso": "MXN",
    "swedish krona": "SEK",
    "norwegian krone": "NOK",
    "danish krone": "DKK",
    "singapore dollar": "SGD",
    "hong kong dollar": "HKD",
    "south african rand": "ZAR",
    "polish zloty": "PLN",
}
# formatted text that may read as NaN or an infinity ("€ 1e309", "-Infinity $"), besides text
# of 300+ characters; plain "NaN", "inf", "1e309" are read by the cast tried first
NON_FINITE = "[0-9][eE]|[iI][nN][fF]|[nN][aA][nN]"
# the typed build's per-row column: that numeric column's value is NaN or infinite
NON_FINITE_COL = "_kd_nonfinite_{}"


@dataclass
class Group:
    """Rows of one money column sharing what is written: the currency beside the amount
    (`form`), the currency column's value (`listed`)."""

    form: str | None
    listed: str | None
    readable: bool  # the amount reads as a number
    n: int
    rows: list[int]
    code: str | None = None  # the currency these rows are in, once resolved
    written: str | None = None  # what is written beside the amount, a currency or not


@dataclass
class MoneyColumn:
    tm: TableMapping
    col: str
    header: str
    listed_header: str | None  # the currency column of the sheet, if any
    header_form: str | None  # a currency named in the amount's header
    stype: str = "VARCHAR"  # the staging column's type
    groups: list[Group] = field(default_factory=list)
    codes: dict[str, list[Group]] = field(default_factory=dict)
    ok: bool = True  # no error about this column's currency
    rate: float | None = None  # one rate for the whole column
    converted: bool = False  # rows converted at their own rates
    # SQL over the staging table: the currency written beside the amount, the currency
    # column's value, and "FROM ... WHERE" the rows that hold an amount
    form_sql: str = "NULL"
    listed_sql: str = "NULL"
    rows_sql: str = ""

    @property
    def what(self) -> str:
        return MONEY_COLUMNS[(self.tm.table, self.col)]

    def where(self, column: str | None = None, rows=None, n: int = 0) -> str:
        s = self.tm.sheet
        return where(s.file, s.sheet, column or self.header, rows, n)

    def loc(self, column: str | None = None, rows=None, n: int = 0) -> dict:
        return located(self.tm.sheet, column or self.header, rows, n)


@dataclass
class MoneyPlan:
    """What the load does about money: the snapshot's currency and the conversions to make."""

    currency: str | None = None
    symbol: str | None = None
    columns: list[MoneyColumn] = field(default_factory=list)

    def convert(self, con: duckdb.DuckDBPyConnection, raw) -> None:
        """Convert the typed tables (`raw(t)`: the in-memory table of t) to the reporting
        currency: a column at one rate, or each row at its own (`_kd_rate_<t>`)."""
        for mc in self.columns:
            t, c = raw(mc.tm.table), q(mc.col)
            if mc.converted:
                rates = q(f"_kd_rate_{mc.tm.table}")
                con.execute(
                    f"UPDATE {t} SET {c} = {c} * r.rate FROM {rates} r WHERE {t}._source_row = r._row"
                )
                con.execute(f"DROP TABLE {rates}")
            elif mc.rate is not None and mc.rate != 1:
                con.execute(f"UPDATE {t} SET {c} = {c} * ?", [mc.rate])

    def write_meta(self, con: duckdb.DuckDBPyConnection, out: str) -> None:
        """The snapshot's currency (ISO code and symbol) into `out`'s `_meta`."""
        if self.currency:
            con.executemany(
                f"INSERT INTO {out}._meta VALUES (?, ?)",
                [["currency", self.currency], ["currency_symbol", self.symbol]],
            )


def per_row_checks(builders: dict[str, TableBuilder]) -> list[MoneyColumn]:
    """Add to each builder the per-row values check_money() reads: whether each numeric value
    is finite and, for the money columns, the currency written beside the amount and in the
    currency column. Returns the money columns (not yet scanned)."""
    money = []
    for b in builders.values():
        tm = b.tm
        for c in _other_numbers(tm):
            keyed = _keyed(tm, c)
            b.extra[NON_FINITE_COL.format(c)] = lambda b, c=c, k=keyed: (
                f"coalesce(NOT isfinite({b.numbers[c]}), false){k}"
            )
        for t, col in MONEY_COLUMNS:
            if t == tm.table and col in tm.columns:
                mc = _money_column(tm, col, b.types.get(tm.columns[col], "VARCHAR"))
                b.extra.update(_money_sql(mc))
                money.append(mc)
    return money


def check_money(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    money: list[MoneyColumn],
    settings: Settings,
    report: Report,
    raw: Callable[[str], str],
) -> MoneyPlan:
    """Check every numeric column of the typed tables (`raw(t)`, built with per_row_checks'
    columns; the staging tables are still there, for the rows behind a problem) and decide the
    extract's currency (see the module docstring); problems go to `report`."""
    plan = MoneyPlan()
    for tm in mapping.tables.values():
        _non_finite(con, tm, raw(tm.table), report)
    if not _settings_ok(settings, report):
        return plan
    for mc in money:
        plan.columns.append(_scan(con, mc, raw(mc.tm.table), report))
    for mc in plan.columns:
        _resolve(mc, settings, report)
    if all(mc.ok for mc in plan.columns):
        _decide(plan, settings, report)
    if plan.currency:
        plan.symbol = currency_symbol(plan.currency)
    if any(mc.converted for mc in plan.columns) and not report.errors:
        for mc in plan.columns:
            if mc.converted:
                _rates_table(con, mc, settings)
    return plan


# -- settings ----------------------------------------------------------------------------------
def _settings_ok(s: Settings, report: Report) -> bool:
    """The money settings make sense: ISO codes and positive rates."""
    bad = []
    if s.reporting_currency is not None and str(s.reporting_currency).upper() not in ISO_CODES:
        bad.append(f'reporting_currency = "{s.reporting_currency}" is not an ISO currency code')
    for code, rate in s.currency_rates.items():
        if str(code).upper() not in ISO_CODES:
            bad.append(f'[currency_rates] names "{code}", which is not an ISO currency code')
        elif not isinstance(rate, int | float) or not math.isfinite(rate) or rate <= 0:
            bad.append(f"[currency_rates] {code} = {rate!r} is not a positive number")
    for form, code in s.currency_symbols.items():
        if str(code).upper() not in ISO_CODES:
            bad.append(f'currency_symbols "{form}" = "{code}" is not an ISO currency code')
    for text in bad:
        report.error(
            "currency_settings",
            f"Settings: {text} (ISO codes are like EUR, USD, GBP, JPY).",
        )
    return not bad


def _reporting(s: Settings) -> str | None:
    return str(s.reporting_currency).upper() if s.reporting_currency else None


def _rate(s: Settings, code: str) -> float | None:
    """Rate from `code` to the reporting currency (1 for the reporting currency itself)."""
    if code == _reporting(s):
        return 1.0
    rates = {str(k).upper(): float(v) for k, v in s.currency_rates.items()}
    return rates.get(code)


# -- numbers no figure can use -----------------------------------------------------------------
def _keyed(tm: TableMapping, col: str) -> str:
    """ " AND the row has its key": rows without it are skipped with their own warning."""
    key = TABLES[tm.table].required[0]
    if col == key or key not in tm.columns:
        return ""
    return f" AND NOT {blank(q(tm.columns[key]))}"


def _types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    sql = "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?"
    return dict(fetch(con, sql, [table]))


def _bad(tm: TableMapping, header: str, stype: str) -> str:
    """SQL: the cell reads as NaN, an infinity, or overflows DOUBLE (1e309). For text, only
    cells that could be one are read (the typed build reads them all anyway)."""
    src = q(header)
    x = number_expr(src, stype, tm.sheet.decimal)
    if stype != "VARCHAR":
        return f"coalesce(NOT isfinite({x}), false)"
    t = f"trim(CAST({src} AS VARCHAR))"
    fast = f"TRY_CAST({t} AS DOUBLE)"
    maybe = f"(regexp_matches({t}, '{NON_FINITE}') OR length({t}) > 300)"
    return (
        f"CASE WHEN {fast} IS NOT NULL THEN NOT isfinite({fast}) "
        f"WHEN {maybe} THEN coalesce(NOT isfinite({x}), false) ELSE false END"
    )


def _other_numbers(tm: TableMapping) -> list[str]:
    """The numeric columns of one sheet but its money column (checked by its scan)."""
    spec = TABLES[tm.table]
    return [
        c
        for c in spec.types
        if spec.types[c] == NUMBER and c in tm.columns and (tm.table, c) not in MONEY_COLUMNS
    ]


def _non_finite(
    con: duckdb.DuckDBPyConnection, tm: TableMapping, typed: str, report: Report
) -> None:
    """NaN, Infinity and overflowing values in the numeric columns of one sheet (but its
    money column, checked by its scan): errors. Counted in typed table `typed`."""
    cols = _other_numbers(tm)
    if not cols:
        return
    counts = fetch(
        con,
        "SELECT "
        + ", ".join(f"count(*) FILTER ({q(NON_FINITE_COL.format(c))})" for c in cols)
        + f" FROM {typed}",
    )[0]
    types = _types(con, tm.sheet.table) if any(counts) else {}
    for c, n in zip(cols, counts, strict=True):
        if n:
            cond = _bad(tm, tm.columns[c], types.get(tm.columns[c], "VARCHAR"))
            _report_non_finite(con, tm, c, cond, report)


def _report_non_finite(
    con: duckdb.DuckDBPyConnection, tm: TableMapping, c: str, cond: str, report: Report
) -> None:
    s, header = tm.sheet, tm.columns[c]
    n, rws, ex, offending = find_rows(con, q(s.table), "_row", f"{cond}{_keyed(tm, c)}", q(header))
    if n:
        report.error(
            "non_finite",
            f"{where(s.file, s.sheet, header, rws, n)}: {n} value(s) of {c.replace('_', ' ')} "
            "are not finite numbers (NaN, Infinity, or beyond ±1.8e308), which no figure can "
            "use. Correct them, or leave the cells empty.",
            examples=ex,
            offending=offending,
            **located(s, header, rws, n),
        )


# -- where the currency is written -------------------------------------------------------------
def currency_column(tm: TableMapping) -> str | None:
    """The sheet's currency column: the one mapped as `currency`, else an extra column named
    like one, preferring one named after the amount ("Amount Currency")."""
    if "currency" in tm.columns:
        return tm.columns["currency"]
    found = [
        h
        for h in tm.extras
        if CURRENCY_HEADER.search(normalize(h)) and not NOT_CURRENCY_HEADER.search(normalize(h))
    ]
    for col in MONEY_COLUMNS:
        if col[0] == tm.table and col[1] in tm.columns:
            amount = normalize(tm.columns[col[1]])
            own = [h for h in found if normalize(h).startswith(amount + " ")]
            if own:
                return own[0]
    return found[0] if found else None


def header_form(header: str) -> str | None:
    """The one currency a header names ("Amount (EUR)", "Revenue in €"), else None."""
    forms = {w for w in re.findall(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])", header)}
    forms &= ISO_CODES
    for sym in SYMBOL_CODES:
        if re.search(rf"(?<![A-Za-z$]){re.escape(sym)}(?![A-Za-z])", header):
            forms.add(sym)
    # "US$" also holds "$": keep the longest form of each place
    forms = {f for f in forms if not any(f != g and f in g for g in forms)}
    return forms.pop() if len(forms) == 1 else None


def _money_column(tm: TableMapping, col: str, stype: str) -> MoneyColumn:
    """One money column, with the SQL over its staging table that says what is written."""
    s, header = tm.sheet, tm.columns[col]
    mc = MoneyColumn(tm, col, header, currency_column(tm), header_form(header), stype=stype)
    src = q(header)
    t = f"trim(CAST({src} AS VARCHAR))"
    mc.form_sql = "CAST(NULL AS VARCHAR)"
    if stype == "VARCHAR":
        # what is left of the text without digits, signs and separators ("$", "EUR",
        # "TBD"); kept as a currency only when it is one (see _scan)
        # "$" of "$1,234.50" without the (slower) regex replace
        mc.form_sql = (
            f"CASE WHEN TRY_CAST({t} AS DOUBLE) IS NOT NULL THEN NULL "
            f"WHEN regexp_full_match({t}, '{US_AMOUNT}') THEN "
            f"CASE WHEN contains({t}, '$') THEN '$' END ELSE {written(t)} END"
        )
    mc.listed_sql = "CAST(NULL AS VARCHAR)"
    if mc.listed_header:
        mc.listed_sql = f"NULLIF(trim(CAST({q(mc.listed_header)} AS VARCHAR)), '')"
    mc.rows_sql = f"FROM {q(s.table)} WHERE NOT {blank(src)}{_keyed(tm, col)}"
    return mc


def _money_sql(mc: MoneyColumn) -> dict[str, Callable[[TableBuilder], str]]:
    """The builder's per-row columns for one money column: what is written (beside the amount,
    in the currency column), whether the amount reads as a number, whether the row holds an
    amount (and its key), whether the amount is finite."""
    src, col = q(mc.header), mc.col
    t = f"trim(CAST({src} AS VARCHAR))"
    # as the scan read it: an amount with no currency written reads as a number when the
    # cast reads it (with decimal commas the number may not) or the number does
    cast = f" OR TRY_CAST({t} AS DOUBLE) IS NOT NULL" if mc.tm.sheet.decimal == "," else ""
    return {
        "_kd_money_form": lambda b: b.shared(mc.form_sql),
        "_kd_money_listed": lambda b: b.shared(mc.listed_sql),
        "_kd_money_ok": lambda b: (
            f"{b.shared(mc.form_sql)} IS NOT NULL OR {b.shared(mc.listed_sql)} IS NOT NULL "
            f"OR {b.numbers[col]} IS NOT NULL{cast}"
        ),
        "_kd_money_here": lambda b: f"NOT {blank(src)}{_keyed(mc.tm, col)}",
        "_kd_money_bad": lambda b: f"coalesce(NOT isfinite({b.numbers[col]}), false)",
    }


def _scan(
    con: duckdb.DuckDBPyConnection, mc: MoneyColumn, typed: str, report: Report
) -> MoneyColumn:
    """The rows of the amount column (and the currency column) grouped by the currency
    written, from the per-row columns of typed table `typed`."""
    got = fetch(
        con,
        "SELECT _kd_money_form, _kd_money_listed, _kd_money_ok, count(*), "
        f"min(_source_row, {EXAMPLE_ROWS}), count(*) FILTER (_kd_money_bad) FROM {typed} "
        "WHERE _kd_money_here GROUP BY ALL ORDER BY min(_source_row)",
    )
    currencies = SYMBOL_CODES.keys() | ISO_CODES
    mc.groups = [
        Group(f if f in currencies else None, lst, ok, n, sorted(r), written=f)
        for f, lst, ok, n, r, _ in got
    ]
    if any(g[-1] for g in got):
        _report_non_finite(con, mc.tm, mc.col, _bad(mc.tm, mc.header, mc.stype), report)
    return mc


# -- what is written, read as ISO codes --------------------------------------------------------
def _meaning(form: str, s: Settings) -> tuple[str, ...]:
    """The ISO codes a written currency may mean: the settings' word for it, an ISO code, a
    symbol, a currency's name; () when it is no currency."""
    f = form.strip()
    own = {str(k).strip(): str(v).upper() for k, v in s.currency_symbols.items()}
    if f in own:
        return (own[f],)
    if f.upper() in ISO_CODES:
        return (f.upper(),)
    if f in SYMBOL_CODES:
        return SYMBOL_CODES[f]
    name = NAMES.get(normalize(f))
    return (name,) if name else ()


def _dollar_doubt(mc: MoneyColumn, s: Settings) -> str | None:
    """Why "$" cannot be taken for USD in this column (None: it can): other dollars written
    beside it, or a reporting currency that is another one."""
    forms = {g.form for g in mc.groups} | {g.listed for g in mc.groups} | {mc.header_form}
    others = sorted(
        f
        for f in forms - {None, "$"}
        if "$" in f or (len(_meaning(f, s)) == 1 and _meaning(f, s)[0] in DOLLARS)
    )
    if others:
        return "the column also has " + ", ".join(f'"{o}"' for o in others)
    rep = _reporting(s)
    return f"the reporting currency is {rep}" if rep and rep != "USD" else None


def _code(form: str, mc: MoneyColumn, s: Settings) -> tuple[str | None, str]:
    """(ISO code, "") of a written currency, or (None, why it is ambiguous or unknown)."""
    meaning = _meaning(form, s)
    if form.strip() == "$" and "$" not in s.currency_symbols:
        doubt = _dollar_doubt(mc, s)
        return ("USD", "") if doubt is None else (None, f"US dollars or another dollar ({doubt})")
    if len(meaning) == 1:
        return meaning[0], ""
    if meaning:
        return None, " or ".join([", ".join(meaning[:-1]), meaning[-1]])
    return None, ""


def _rows_text(groups: list[Group]) -> tuple[int, list[int], str]:
    """Rows of some groups: count, first row numbers, and "2 rows (3, 6)"."""
    n = sum(g.n for g in groups)
    rows = sorted(r for g in groups for r in g.rows)[:EXAMPLE_ROWS]
    shown = ", ".join(str(r) for r in rows[:3]) + (", …" if n > 3 else "")
    return n, rows, f"{n} row{'' if n == 1 else 's'} ({shown})"


def _resolve(mc: MoneyColumn, s: Settings, report: Report) -> None:
    """The currency of each group of rows; errors for what cannot be read as one currency."""
    if mc.listed_header and not any(_meaning(g.listed, s) for g in mc.groups if g.listed):
        report.warning(
            "currency_column_ignored",
            f"{mc.where(mc.listed_header)}: named like a currency column, but it holds no "
            "currency code, so it was not used.",
            **mc.loc(mc.listed_header),
        )
        _not_a_currency_column(mc)
    doubts: dict[tuple[str, str | None], list[Group]] = {}  # (written, where) -> rows
    unknown: dict[str, list[Group]] = {}
    clash: list[Group] = []
    for g in mc.groups:
        written = g.listed or g.form or mc.header_form
        if written is None:
            continue
        g.code, why = _code(written, mc, s)
        if g.code is None and why:
            doubts.setdefault((written, mc.listed_header if g.listed else mc.header), []).append(g)
        elif g.code is None:
            unknown.setdefault(written, []).append(g)
        elif g.listed and g.form and g.code not in (_code(g.form, mc, s)[0], *_meaning(g.form, s)):
            clash.append(g)
    for (written, column), groups in doubts.items():
        _ambiguous(mc, written, column, groups, s, report)
    if unknown:
        _unknown(mc, unknown, report)
    if clash:
        _clash(mc, clash, report)
    for g in mc.groups:
        if g.code is not None:
            mc.codes.setdefault(g.code, []).append(g)
    mc.ok = not (doubts or unknown or clash)
    if len(mc.codes) + len(doubts) > 1:
        _mixed(mc, doubts, s, report)


def _not_a_currency_column(mc: MoneyColumn) -> None:
    mc.listed_header = None
    for g in mc.groups:
        g.listed = None


def _ambiguous(mc, written, column, groups, s: Settings, report: Report) -> None:
    _, why = _code(written, mc, s)
    n, rows, _ = _rows_text(groups)
    what = f"{n} amount(s) are written with"
    if column == mc.listed_header:
        what = f"{n} row(s) say"
    elif not any(g.form for g in groups):
        what = "the header names"
    report.error(
        "ambiguous_currency",
        f'{mc.where(column, rows, n)}: {what} "{written}", which may be {why}. Say which in '
        f'the settings, e.g. currency_symbols = {{"{written}" = "{_example(written)}"}}.',
        **mc.loc(column, rows, n),
    )


def _example(written: str) -> str:
    meaning = SYMBOL_CODES.get(written.strip(), ("USD",))
    return meaning[0]


def _unknown(mc: MoneyColumn, unknown: dict[str, list[Group]], report: Report) -> None:
    n, rows, _ = _rows_text([g for gs in unknown.values() for g in gs])
    listed = ", ".join(f'"{w}" {_rows_text(gs)[2]}' for w, gs in list(unknown.items())[:5])
    first = next(iter(unknown))
    report.error(
        "unknown_currency",
        f"{mc.where(mc.listed_header, rows, n)}: {n} row(s) hold values that are not "
        f"currencies: {listed}. Write ISO codes such as EUR or USD, or say what they mean in "
        f'the settings, e.g. currency_symbols = {{"{first}" = "USD"}}.',
        examples=list(unknown)[:5],
        **mc.loc(mc.listed_header, rows, n),
    )


def _clash(mc: MoneyColumn, clash: list[Group], report: Report) -> None:
    n, rows, _ = _rows_text(clash)
    g = clash[0]
    report.error(
        "currency_mismatch",
        f"{mc.where(mc.listed_header, rows, n)}: {n} row(s) name another currency than the "
        f'one written beside the amount in column "{mc.header}" (e.g. "{g.listed}" beside '
        f'"{g.form}"). Correct one of the two.',
        **mc.loc(mc.listed_header, rows, n),
    )


def _mixed(mc: MoneyColumn, doubts: dict, s: Settings, report: Report) -> None:
    """Several currencies in one column: converted to the reporting currency when the settings
    give every rate (and each row says its currency), else refused."""
    rep = _reporting(s)
    missing = sorted(c for c in mc.codes if _rate(s, c) is None)
    unwritten = [g for g in mc.groups if g.code is None and g.readable and not _doubted(g, doubts)]
    if rep and mc.ok and not missing and not doubts and not unwritten:
        mc.converted = True
        return
    mc.ok = False
    parts = [f"{c} {_rows_text(gs)[2]}" for c, gs in sorted(mc.codes.items())]
    parts += [f'"{w}" ({_short(w, s)}) {_rows_text(gs)[2]}' for (w, _), gs in doubts.items()]
    via = (
        f' (as column "{mc.listed_header}" says)'
        if any(g.listed for gs in mc.codes.values() for g in gs)
        else ""
    )
    if not rep:
        advice = (
            "export them in one currency, or set reporting_currency and its [currency_rates] "
            "in the settings to convert them."
        )
    elif missing:
        advice = f"[currency_rates] in the settings has no rate to {rep} for {', '.join(missing)}."
    elif doubts:
        advice = "say first what the ambiguous symbol means (see the other error)."
    else:
        advice = "some have no currency written (see the next error)."
    _, rows, _ = _rows_text([g for gs in mc.codes.values() for g in gs])
    report.error(
        "mixed_currencies",
        f"{mc.where()}: the {mc.what} are in {len(parts)} currencies{via}: {', '.join(parts)}. "
        f"Amounts in different currencies cannot be added up: {advice}",
        **mc.loc(rows=rows),
    )
    if unwritten and rep and not missing:
        n, rows, _ = _rows_text(unwritten)
        report.error(
            "missing_currency",
            f"{mc.where(None, rows, n)}: {n} of the {mc.what} have no currency written while "
            f"the others are in {' and '.join(sorted(mc.codes))}, so they cannot be converted. "
            "Write the currency on every row (or in a currency column).",
            **mc.loc(None, rows, n),
        )


def _short(written: str, s: Settings) -> str:
    """What an ambiguous symbol may mean, in a few words: "JPY or CNY?", "which dollar?"."""
    if written.strip() == "$":
        return "which dollar?"
    return " or ".join(_meaning(written, s)) + "?"


def _doubted(g: Group, doubts: dict) -> bool:
    return any(g in gs for gs in doubts.values())


# -- the extract's currency --------------------------------------------------------------------
def _decide(plan: MoneyPlan, s: Settings, report: Report) -> None:
    """One currency for every money column: the reporting currency (converting what is in
    another one at its rate), else the one currency the columns are in."""
    rep = _reporting(s)
    single = [mc for mc in plan.columns if len(mc.codes) == 1]
    if rep is None:
        codes = {next(iter(mc.codes)) for mc in single}
        if len(codes) > 1:
            _columns_differ(single, report)
            return
        plan.currency = codes.pop() if codes else None
    else:
        for mc in single:
            code = next(iter(mc.codes))
            mc.rate = _rate(s, code)
            if mc.rate is None:
                report.error(
                    "missing_rate",
                    f"{mc.where()}: the {mc.what} are in {code}, but the reporting currency is "
                    f"{rep} and [currency_rates] in the settings has no rate for {code}. Add "
                    f"it: {code} = how many {rep} one {code} is worth.",
                    **mc.loc(rows=_rows_text(mc.codes[code])[1]),
                )
        if report.errors:
            return
        plan.currency = rep
    for mc in plan.columns:
        _say_currency(mc, plan.currency, s, report)


def _columns_differ(columns: list[MoneyColumn], report: Report) -> None:
    parts = [
        f"the {mc.what} in {code} ({mc.where()}, e.g. row {_rows_text(gs)[1][0]})"
        for mc in columns
        for code, gs in mc.codes.items()
    ]
    mc = columns[0]
    report.error(
        "currencies_differ",
        f"Amounts are in different currencies: {', '.join(parts)}. Share of wallet, growth "
        "goals and pipeline coverage compare them, so they must be in one currency: export "
        "them in one, or set reporting_currency and its [currency_rates] in the settings to "
        "convert them.",
        **mc.loc(rows=_rows_text(next(iter(mc.codes.values())))[1]),
    )


def _say_currency(mc: MoneyColumn, currency: str | None, s: Settings, report: Report) -> None:
    """An info line: the column's currency, and the rates it was converted at."""
    if mc.converted:
        parts = [
            f"1 {c} = {_rate(s, c):g} {currency} ({_rows_text(gs)[2].split(' (')[0]})"
            for c, gs in sorted(mc.codes.items())
            if c != currency
        ]
        text = f"were converted to {currency} with the rates in the settings: {', '.join(parts)}"
    elif mc.rate is not None and mc.rate != 1:
        code = next(iter(mc.codes))
        text = (
            f"are in {code} and were converted to {currency} at the rate in the settings "
            f"(1 {code} = {mc.rate:g} {currency})"
        )
    elif mc.codes:
        text = f"are in {currency}"
    else:
        return
    report.info(
        "currency",
        f'{mc.where()}: the {mc.what} {text}; money is shown with "{currency_symbol(currency)}".',
        **mc.loc(),
    )


def _rates_table(con: duckdb.DuckDBPyConnection, mc: MoneyColumn, s: Settings) -> None:
    """`_kd_rate_<table>(_row, rate)`: each row's rate to the reporting currency, read from
    the staging table before the typed build drops it."""
    rates = {(g.written, g.listed): _rate(s, g.code) for g in mc.groups if g.code}
    con.execute("CREATE OR REPLACE TABLE _kd_money_groups (f VARCHAR, l VARCHAR, rate DOUBLE)")
    con.executemany(
        "INSERT INTO _kd_money_groups VALUES (?, ?, ?)",
        [[f, lst, r] for (f, lst), r in rates.items()],
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {q(f'_kd_rate_{mc.tm.table}')} AS SELECT s._row, g.rate FROM "
        f"(SELECT _row, {mc.form_sql} AS _kd_f, {mc.listed_sql} AS _kd_l {mc.rows_sql}) s "
        "JOIN _kd_money_groups g ON s._kd_f IS NOT DISTINCT FROM g.f "
        "AND s._kd_l IS NOT DISTINCT FROM g.l WHERE g.rate <> 1"
    )
    con.execute("DROP TABLE _kd_money_groups")
