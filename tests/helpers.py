"""Test support: tiny in-memory snapshots shaped exactly like a published one, the names a
snapshot holds, and the helpers that drive a browser page (fixtures are in conftest.py)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd

from kamdash.core.db import quote_ident
from kamdash.core.periods import label_to_quarter, quarter_start
from kamdash.ingest.contract import TABLES
from kamdash.present.aliases import Aliases
from kamdash.store.snapshots import SnapshotStore, open_snapshot


def canonical_db(
    meta: dict[str, str] | None = None, **tables: list[dict] | pd.DataFrame
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the given canonical tables, every contract column present
    (NULL where not given) and typed as in the contract, plus `_meta`.

    canonical_db(accounts=[{"account_id": "A", "account_name": "Acme"}],
                 revenue=[{"account_id": "A", "date": "2024-01-15", "amount": 100}])
    """
    con = duckdb.connect()
    for name, data in tables.items():
        spec = TABLES[name]
        df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data))
        unknown = set(df.columns) - set(spec.types) - {"is_won", "is_lost", "is_open"}
        assert not unknown, f"{name}: not contract columns: {unknown}"
        con.register("_src", df if len(df.columns) else pd.DataFrame({"_": []}))
        select = []
        for col, typ in spec.types.items():
            src = (
                f"CAST(_src.{quote_ident(col)} AS {typ})"
                if col in df.columns
                else f"CAST(NULL AS {typ})"
            )
            select.append(f"{src} AS {quote_ident(col)}")
        if name == "opportunities":
            label = "lower(trim(coalesce(_src.stage, '') || ' ' || coalesce(_src.status, '')))"
            cols = set(df.columns)
            if not {"stage", "status"} & cols:
                label = "''"
            elif "stage" not in cols:
                label = "lower(trim(coalesce(_src.status, '')))"
            elif "status" not in cols:
                label = "lower(trim(coalesce(_src.stage, '')))"
            select += [
                f"({label} LIKE '%won%') AS is_won",
                f"({label} LIKE '%lost%') AS is_lost",
                f"NOT ({label} LIKE '%won%' OR {label} LIKE '%lost%') AS is_open",
            ]
        con.execute(f"CREATE TABLE {name} AS SELECT {', '.join(select)} FROM _src")
        con.unregister("_src")
    con.execute("CREATE TABLE _meta (key VARCHAR, value VARCHAR)")
    m = {"snapshot_id": "test", "revenue_source": "revenue"}
    if "revenue" in tables:
        as_of = con.execute("SELECT max(date) FROM revenue").fetchall()[0][0]
        m["as_of"] = str(as_of) if as_of else None
    m.update(meta or {})
    con.executemany("INSERT INTO _meta VALUES (?, ?)", [[k, v] for k, v in m.items()])
    return con


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """An .xlsx with one sheet per entry, rows as given (openpyxl types: numbers, dates...)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, data in sheets.items():
        ws = wb.create_sheet(name)
        for r in data:
            ws.append(r)
    wb.save(path)
    return path


def small_extract(folder: Path, scale: int) -> list[Path]:
    """accounts.csv + revenue.csv of three accounts, monthly over 2023-2024, every amount
    proportional to `scale`: extracts of two scales have different figures."""
    folder.mkdir(parents=True)
    rows = ["Account ID,Date,Amount"]
    for year in (2023, 2024):
        for month in range(1, 13):
            for i, acc in enumerate(("A1", "A2", "A3"), start=1):
                rows.append(f"{acc},{year}-{month:02d}-01,{scale * i * (year - 2021)}")
    (folder / "accounts.csv").write_text(
        "Account ID,Account Name,Tier\nA1,Acme,1\nA2,Beta,2\nA3,Gamma,3\n"
    )
    (folder / "revenue.csv").write_text("\n".join(rows) + "\n")
    return [folder / "accounts.csv", folder / "revenue.csv"]


def real_names(data_dir: Path) -> list[str]:
    """Every account and contact name of the published snapshot (full, and without the legal
    suffix: the forms a page could show), normalised as `Aliases` matches them."""
    store = SnapshotStore(data_dir)
    con = open_snapshot(str(store.path(store.current_id()))).cursor()
    return sorted(Aliases.from_connection(con, "test").real_names())


def leaked(text: str, names: list[str]) -> list[str]:
    """The names that appear in `text` as whole words ("Acme" is not in "Acmeville")."""
    return [n for n in names if re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text)]


# ---------------------------------------------------------------- driving a page in Chromium

DONE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (!document.querySelector('[data-testid="stMain"] h1')) return false;
    if (document.querySelector('[data-testid="stSkeleton"]')) return false;
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    return charts.every(c => c.querySelector('.main-svg'));
}"""


def wait_rendered(pg, timeout: float = 60) -> None:
    """Until the script run is over (and stays over: a run can trigger a rerun), a title is
    on the page and every Plotly figure is drawn."""
    deadline = time.monotonic() + timeout
    while True:
        pg.wait_for_function(DONE, timeout=max(1, deadline - time.monotonic()) * 1000)
        pg.wait_for_timeout(300)
        if pg.evaluate(DONE):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the app kept running")


def sign_in(pg, server, address: str, path: str = "/") -> None:
    """Press Sign in, type `address` into oidc-provider-mock's form (any subject becomes the
    e-mail claim), come back (to the home page, as Streamlit does), then open `path`."""
    pg.goto(server.url + "/")
    pg.get_by_role("button", name="Sign in").click()
    pg.locator('input[name="sub"]').fill(address)
    pg.get_by_role("button", name="Authorize").click()
    pg.wait_for_url(server.url + "/**", timeout=30_000)
    wait_rendered(pg)
    if path != "/":
        pg.goto(server.url + path)
        wait_rendered(pg)


def screenshot(pg, path: Path) -> None:
    """A full-page screenshot at 1280 wide (Streamlit scrolls inside stMain, so the viewport is
    grown to the content's height), and one of the first screen as it is (1280x720)."""
    first_screen = pg.viewport_size
    pg.screenshot(path=str(path.with_name(path.stem + "_720.png")))
    height = pg.evaluate(
        """() => Math.max(...['stMain', 'stSidebarContent'].map(id => {
            const e = document.querySelector(`[data-testid="${id}"]`);
            return e ? e.scrollHeight : 0;
        }), 720)"""
    )
    pg.set_viewport_size({"width": 1280, "height": int(height)})
    pg.wait_for_timeout(400)
    pg.screenshot(path=str(path), full_page=True)
    pg.set_viewport_size(first_screen)


def no_exception(pg) -> None:
    exc = pg.locator('[data-testid="stException"]')
    assert exc.count() == 0, exc.first.inner_text()


def main(pg):
    """The page's main area (not the sidebar)."""
    return pg.get_by_test_id("stMain")


def figure_data(pg, index: int = 0) -> str | None:
    """The x, y, z of every trace of the page's `index`-th Plotly figure, as JSON."""
    return pg.evaluate(
        """(i) => {
            const g = document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')[i];
            return g && g.data ? JSON.stringify(g.data.map(t => [t.x, t.y, t.z])) : null;
        }""",
        index,
    )


def metric_value(pg, label: str) -> str:
    m = main(pg).get_by_test_id("stMetric").filter(has_text=label).first
    return m.get_by_test_id("stMetricValue").inner_text()


# The retention portfolio of tests/test_retention.py (quarter revenue by account):
# The portfolio below (calendar quarters, one revenue row per account and quarter, dated in the
# quarter's second month) — quarter revenue:
#
#             2022 Q1-Q4        2023 Q1  Q2   Q3  Q4      2024 Q1  Q2  Q3  Q4 (partial)
#   A Tier 1  100 each          150 each                  150 each
#   B Tier 1  50 each           -  (churned)              80 each      (returns)
#   C Tier 2  40 each           40   40   40  40-30=10    20 each      (credit note in 2023Q4)
#   D Tier 2  -                 -    -    60  60          60 each      (new logo)
#   E Tier 3  -                 50  -50   -   -           -   -   -   30  (zero base)
#
# The last row is dated 2024-11-15, before December: 2024Q4 is partial.


def q_date(label: str, fy: int = 1) -> str:
    """A date in the second month of the quarter."""
    d = quarter_start(label_to_quarter(label, fy), fy)
    m = d.month + 1
    y, m = (d.year + 1, 1) if m == 13 else (d.year, m)
    return f"{y}-{m:02d}-15"


def lines(account: str, amounts: dict[str, float]) -> list[dict]:
    return [{"account_id": account, "date": q_date(q), "amount": a} for q, a in amounts.items()]


def year(y: int, amount: float) -> dict[str, float]:
    return {f"{y}Q{i}": amount for i in range(1, 5)}


ACCOUNTS = [
    {"account_id": "A", "account_name": "Acme", "tier": "Tier 1", "owner": "Ann", "region": "EU"},
    {"account_id": "B", "account_name": "Beta", "tier": "Tier 1", "owner": "Bob", "region": "US"},
    {"account_id": "C", "account_name": "Cyan", "tier": "Tier 2", "owner": "Ann", "region": "US"},
    {"account_id": "D", "account_name": "Delta", "tier": "Tier 2", "owner": "Bob", "region": "EU"},
    {"account_id": "E", "account_name": "Echo", "tier": "Tier 3", "owner": "Cat", "region": "EU"},
]


def portfolio_revenue() -> list[dict]:
    c_2023 = {"2023Q1": 40, "2023Q2": 40, "2023Q3": 40, "2023Q4": 40}
    return (
        lines("A", {**year(2022, 100), **year(2023, 150), **year(2024, 150)})
        + lines("B", {**year(2022, 50), **year(2024, 80)})
        + lines("C", {**year(2022, 40), **c_2023, **year(2024, 20)})
        + [{"account_id": "C", "date": "2023-11-20", "amount": -30}]  # credit note
        + lines("D", {"2023Q3": 60, "2023Q4": 60, **year(2024, 60)})
        + lines("E", {"2023Q1": 50, "2023Q2": -50, "2024Q4": 30})
    )


# ------------------------------------------------------------------ escaped Markdown, as read


def shown_text(markdown: str) -> str:
    """The text a reader sees of Markdown written with `fmt.md`: backslash escapes resolved,
    word joiners dropped ("extract\\: wallet" -> "extract: wallet")."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", str(markdown).replace("\u2060", ""))


# ------------------------------------------------- a revenue-only extract (no tiers, no contacts)


def write_reseller_extract(folder: Path, n: int = 701, seed: int = 14) -> list[Path]:
    """A reseller sales workbook's shape as CSV: accounts.csv (Account ID, Account Name,
    Industry = the business type, Country; no tier, owner, scores, contacts, plans or QBRs) and revenue.csv
    (one row per reseller, product category and quarter, 2021-2023), `n` resellers of very
    unequal size, a tenth of them gone before the end, a few new. Deterministic."""
    import random

    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    kinds = (("Warehouse", 0.35), ("Value Added Reseller", 0.4), ("Specialty Bike Shop", 0.25))
    countries = ("United States", "Canada", "France", "Germany", "United Kingdom", "Australia")
    products = (("Bikes", 0.55), ("Components", 0.5), ("Clothing", 0.35), ("Accessories", 0.5))
    acc = ["Account ID,Account Name,Industry,Country"]
    rev = ["Account ID,Order Date,Sales Amount,Product Category"]
    for i in range(1, n + 1):
        kind = rnd.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        acc.append(f"R{i:04d},Reseller {i:04d} Cycles,{kind},{rnd.choice(countries)}")
        size = rnd.lognormvariate(9.0, 1.4)
        bought = [p for p, w in products if rnd.random() < w] or ["Bikes"]
        first = 0 if rnd.random() > 0.08 else rnd.randrange(4, 10)
        last = 11 if rnd.random() > 0.1 else rnd.randrange(2, 11)
        growth = rnd.uniform(0.85, 1.2)
        for q in range(first, last + 1):
            y, qq = 2021 + q // 4, q % 4
            for p in bought:
                amount = size * growth ** (q / 4) * rnd.uniform(0.7, 1.3) / len(bought)
                rev.append(f"R{i:04d},{y}-{3 * qq + 2:02d}-15,{amount:.2f},{p}")
    (folder / "accounts.csv").write_text("\n".join(acc) + "\n", encoding="utf-8")
    (folder / "revenue.csv").write_text("\n".join(rev) + "\n", encoding="utf-8")
    return [folder / "accounts.csv", folder / "revenue.csv"]
