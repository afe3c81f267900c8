"""Page render times in a real browser beside Streamlit's own floor, in one run.

    .venv/bin/python benchmarks/page_render.py [--rows 1000000] [--runs 5]

`--rows` 0 (the default) serves the shipped sample (data/sample/kamdash_sample.xlsx, published
into a temp dir); otherwise the CSV extract of `--rows` revenue rows (generated and cached in
benchmarks/out/ by `benchmarks/run.py`'s generator) is published once into its own data dir.
kamdash runs as `streamlit run app.py` headless on a free loopback port with KAMDASH_DATA_DIR
set (the browser tests' `Server`; open mode, admitted as the server is on 127.0.0.1). Debian's
Chromium (/usr/bin/chromium; never a downloaded browser) is driven by Playwright at 1280x720.

Rows of the table, each timed the same way:
- **floor: empty page**: a throwaway Streamlit script with a title and a line of text, served
  by its own `streamlit run` process;
- **floor: N charts**: the same script drawing N `go.Figure` line charts (`st.plotly_chart` as
  kamdash calls it) with as many points in all as the kamdash page drew, and no queries: one
  per chart count of the kamdash pages;
- **every kamdash page** (but Upload, a form).

Columns:
- *first visit, cold*: a fresh browser context (a new Streamlit session) opening the page for
  the first time since the server started. The server's own first run (importing the app and
  opening the snapshot) is a warm-up visit of /upload that is not counted.
- *first visit, warm*: later first visits (fresh contexts), median of `--runs`.
- *revisit*: a first visit (a new session) on a second tab of a context whose first tab opened
  the same page: the browser's HTTP cache holds Streamlit's JavaScript, as for someone who
  opened the app before; median of `--runs`, and its ratio to the empty page's revisit.
- *switch*: in one session, clicking the sidebar link of the page (from the previous page in
  menu order), median and worst of `--runs` rounds.
- *filter change*: in one session, on each page, choosing a value (a new one each round) in the
  sidebar's first filter, then removing it again (its chip's "x"): each one change, timed from
  the click; median and worst of the 2 × `--runs` changes.

Times are measured in the page's own clock (`performance.now()`): from navigation start (first
visits) or from the click (switches, filter changes) until the app is not running, a title is
shown, no skeleton is left and every Plotly figure has drawn its SVG (tests/helpers.py's `DONE`),
confirmed still so 300 ms later (not counted). Also shown: when the script run ended (the app's
state left "running" for the last time) and the Plotly data drawn (characters of the traces'
and layouts' JSON, and points), for the breakdown of where the time goes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import run as bench  # noqa: E402

from kamdash.navigation import PAGES as REGISTRY  # noqa: E402

# every page but Upload (a form, no figures), the default one at `/`
SPECS = [p for p in REGISTRY if p.file != "pages/upload.py"]
PAGES = {"/" if p.default else f"/{p.url_path}": p.title for p in SPECS}

FLOOR_SCRIPT = """
import streamlit as st

st.title("Floor")
st.write("A line of text, and nothing else unless the address asks for charts.")
n = int(st.query_params.get("n", 0))
points = int(st.query_params.get("p", 0))
if n:
    import plotly.graph_objects as go

    for i in range(n):
        k = max(2, points // n)
        fig = go.Figure(go.Scatter(x=list(range(k)), y=[(j * 37 + i) % 101 for j in range(k)]))
        fig.update_layout(title=f"Chart {i + 1}", height=360)
        st.plotly_chart(fig, width="stretch", key=f"c{i}", theme=None)
"""

# Installed before any page script: records, in the page's clock, when a script run starts and
# ends (a MutationObserver on stApp's state) and when the page was last seen rendered.
PROBE = """
(() => {
  const DONE = %s;
  window.__kd = {runStart: null, runEnd: null, doneAt: null};
  let observed = null;
  const tick = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (app && app !== observed) {
      observed = app;
      new MutationObserver(() => {
        const s = app.getAttribute('data-test-script-state');
        const now = performance.now();
        if (s === 'running') { window.__kd.runStart = now; window.__kd.runEnd = null; }
        else if (window.__kd.runStart !== null) { window.__kd.runEnd = now; }
      }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
      if (app.getAttribute('data-test-script-state') === 'running')
        window.__kd.runStart = performance.now();
    }
    const done = DONE();
    if (!done) window.__kd.doneAt = null;
    else if (window.__kd.doneAt === null) window.__kd.doneAt = performance.now();
  };
  setInterval(tick, 5);
})();
"""

PAYLOAD = """() => {
  const gds = [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')];
  let chars = 0, points = 0;
  for (const g of gds) {
    chars += JSON.stringify(g.data || []).length + JSON.stringify(g.layout || {}).length;
    for (const t of g.data || []) {
      const a = t.x || t.values || t.z || t.y || [];
      points += (a.length || 0);
    }
  }
  return {charts: gds.length, chars, points};
}"""


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--rows", type=int, default=0, help="revenue rows (0: the shipped sample, the default)"
    )
    ap.add_argument("--runs", type=int, default=5, help="warm first visits and switch rounds")
    ap.add_argument("--out", type=Path, default=bench.OUT)
    ap.add_argument("--markdown", type=Path, help="also write the table to this file")
    ap.add_argument("--json", type=Path, help="also write the raw results to this file")
    return ap.parse_args()


def _published(meta: dict) -> Path:
    """The data dir holding the extract published (once)."""
    data_dir = bench.snapshot_dir(meta)
    if not (data_dir / "CURRENT").exists():
        print(f"publishing {meta['revenue_rows']:,} revenue rows into {data_dir}…", flush=True)
        res = bench.measure(
            {"worker": "kamdash_load", "files": meta["files"], "keep": str(data_dir)}
        )
        if "error" in res:
            raise SystemExit(res["error"])
    return data_dir


def _sample(tmp: Path) -> tuple[Path, str]:
    from kamdash.store.load import load_extract
    from tests.conftest import SAMPLE_XLSX

    data_dir = tmp / "sample"
    prepared = load_extract([SAMPLE_XLSX], data_dir)
    if not prepared.ok:
        raise SystemExit(prepared.report)
    return data_dir, "the shipped sample (300 accounts, 43,435 revenue rows)"


def floor_server(tmp: Path):
    """`streamlit run` of FLOOR_SCRIPT from `tmp` (Streamlit's defaults, no kamdash config), on
    a free loopback port, in its own process: the browser tests' `Server`."""
    from tests.conftest import Server

    script = tmp / "floor.py"
    script.write_text(FLOOR_SCRIPT, encoding="utf-8")
    return Server(tmp, script=script, cwd=tmp, log_name="floor")


def _context(browser):
    from tests.conftest import VIEWPORT
    from tests.helpers import DONE

    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.add_init_script(PROBE % DONE)
    return ctx


def _settled(pg, since: float, timeout: float = 180) -> dict:
    """Wait until a run started after `since` (page clock, ms) is over and the page rendered,
    and still so 300 ms later; the probe's record (ms)."""
    deadline = time.monotonic() + timeout
    cond = f"""() => {{ const k = window.__kd; return k && k.runStart !== null &&
        k.runStart >= {since} && k.runEnd !== null && k.doneAt !== null && k.doneAt >= k.runEnd; }}"""
    while True:
        pg.wait_for_function(cond, timeout=max(1, deadline - time.monotonic()) * 1000, polling=20)
        first = pg.evaluate("() => ({...window.__kd})")
        pg.wait_for_timeout(300)
        again = pg.evaluate("() => ({...window.__kd})")
        if again["doneAt"] == first["doneAt"] and pg.evaluate(cond):
            return again
        if time.monotonic() > deadline:
            raise TimeoutError("the app kept running")


def _first_visit(browser, url: str, revisit: bool = False) -> dict:
    """A fresh context opening `url`: seconds to rendered, when the run ended, the payload.
    `revisit`: timed on a second tab of the context (a new session; the browser's HTTP cache
    already holds Streamlit's JavaScript, as for someone who opened the app before)."""
    from tests.helpers import no_exception

    ctx = _context(browser)
    try:
        if revisit:
            first = ctx.new_page()
            first.goto(url)
            _settled(first, 0)
            first.close()
        pg = ctx.new_page()
        pg.goto(url)
        k = _settled(pg, 0)
        no_exception(pg)
        pay = pg.evaluate(PAYLOAD)
    finally:
        ctx.close()
    return {"total": k["doneAt"] / 1000, "run_end": k["runEnd"] / 1000, **pay}


def _switches(browser, base: str, rounds: int) -> dict[str, list[dict]]:
    """One session: open the first page, then click each next page's sidebar link, `rounds`
    times round the menu; per page, the seconds from click to rendered."""
    from tests.helpers import no_exception

    out: dict[str, list[dict]] = {t: [] for t in PAGES.values()}
    ctx = _context(browser)
    try:
        pg = ctx.new_page()
        pg.goto(base + "/")
        _settled(pg, 0)
        order = list(PAGES.values())[1:] + list(PAGES.values())[:1]
        for _ in range(rounds):
            for title in order:
                link = pg.get_by_test_id("stSidebarNav").locator("a").filter(has_text=title)
                link.first.scroll_into_view_if_needed()
                t0 = pg.evaluate("() => performance.now()")
                link.first.click()
                k = _settled(pg, t0)
                no_exception(pg)
                out[title].append(
                    {"total": (k["doneAt"] - t0) / 1000, "run_end": (k["runEnd"] - t0) / 1000}
                )
    finally:
        ctx.close()
    return out


def _filter_changes(browser, base: str, rounds: int) -> dict[str, list[dict]]:
    """One session: on each page, `rounds` times, choose option `round` of the sidebar's first
    filter and remove it again; per page, the seconds from each click to rendered (none when
    the sidebar has no filter)."""
    from tests.helpers import no_exception

    out: dict[str, list[dict]] = {t: [] for t in PAGES.values()}
    ctx = _context(browser)
    try:
        pg = ctx.new_page()
        for path, title in PAGES.items():
            pg.goto(base + path)
            _settled(pg, 0)
            box = pg.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect")
            if not box.count():
                continue
            box = box.first
            for i in range(rounds):
                box.scroll_into_view_if_needed()
                box.locator("input").click()
                options = (
                    pg.get_by_test_id("stMultiSelectDropdown")
                    .get_by_role("option")
                    .filter(has_not_text="Select all")
                )
                options.first.wait_for()
                option = options.nth(i % options.count())
                remove = box.get_by_role("button", name="Remove")
                for click in (option.click, remove.first.click):
                    t0 = pg.evaluate("() => performance.now()")
                    click()
                    k = _settled(pg, t0)
                    no_exception(pg)
                    out[title].append(
                        {"total": (k["doneAt"] - t0) / 1000, "run_end": (k["runEnd"] - t0) / 1000}
                    )
                    if pg.get_by_test_id("stMultiSelectDropdown").count():
                        pg.keyboard.press("Escape")  # the list stays open after a choice
    finally:
        ctx.close()
    return out


def _med(xs: list[float]) -> float:
    return statistics.median(xs)


def _measure(data_dir: Path, runs: int, tmp: Path) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.conftest import ARGS, ARTIFACTS, CHROMIUM, Server

    ARTIFACTS.mkdir(exist_ok=True)
    res: dict = {"pages": {}, "floors": {}}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            server = Server(data_dir)
            try:
                _first_visit(browser, server.url + "/upload")  # warm-up: imports, snapshot
                for path, title in PAGES.items():
                    cold = _first_visit(browser, server.url + path)
                    res["pages"][title] = {"path": path, "cold": cold, "warm": []}
                    print(
                        f"  {title}: cold {cold['total']:.2f}s, {cold['charts']} charts", flush=True
                    )
                for _ in range(runs):
                    for path, title in PAGES.items():
                        res["pages"][title]["warm"].append(_first_visit(browser, server.url + path))
                for path, title in PAGES.items():
                    res["pages"][title]["revisit"] = [
                        _first_visit(browser, server.url + path, revisit=True) for _ in range(runs)
                    ]
                for title, xs in _switches(browser, server.url, runs).items():
                    res["pages"][title]["switch"] = xs
                for title, xs in _filter_changes(browser, server.url, runs).items():
                    res["pages"][title]["filter"] = xs
            finally:
                server.stop()
            floor = floor_server(tmp)
            try:
                _first_visit(browser, floor.url + "/")  # warm-up
                wanted = {"empty page": (0, 0)}
                for r in res["pages"].values():
                    n, pts = r["cold"]["charts"], r["cold"]["points"]
                    if n:
                        wanted.setdefault(f"{n} charts", (n, pts))
                for name, (n, pts) in wanted.items():
                    url = floor.url + (f"/?n={n}&p={pts}" if n else "/")
                    cold = _first_visit(browser, url)
                    warm = [_first_visit(browser, url) for _ in range(runs)]
                    again = [_first_visit(browser, url, revisit=True) for _ in range(runs)]
                    res["floors"][name] = {
                        "n": n,
                        "points": pts,
                        "cold": cold,
                        "warm": warm,
                        "revisit": again,
                    }
                    print(f"  floor {name}: {_med([w['total'] for w in warm]):.2f}s", flush=True)
            finally:
                floor.stop()
        finally:
            browser.close()
    return res


def _table(label: str, res: dict, runs: int) -> str:
    empty = _med([w["total"] for w in res["floors"]["empty page"]["warm"]])
    empty_again = _med([w["total"] for w in res["floors"]["empty page"].get("revisit", [])] or [0])

    def revisit(r: dict) -> str:
        xs = [w["total"] for w in r.get("revisit", [])]
        if not xs:
            return " | "
        ratio = f"{_med(xs) / empty_again:.2f}" if empty_again else ""
        return f"{_med(xs):.2f} | {ratio}"

    lines = [
        f"Browser render time, {label}, Chromium 1280x720, {runs} runs:",
        "",
        "| page | charts (points, KB of Plotly JSON) | first visit cold (s) | first visit warm, "
        "median (s) | × empty floor | × N-chart floor | run ended (warm, s) | revisit, median "
        "(s) | revisit × empty floor's | switch median / worst (s) | filter change median / "
        "worst (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, f in res["floors"].items():
        warm = _med([w["total"] for w in f["warm"]])
        lines.append(
            f"| floor: {name} | {f['cold']['charts']} ({f['cold']['points']:,}, "
            f"{f['cold']['chars'] / 1000:.0f}) | {f['cold']['total']:.2f} | {warm:.2f} | "
            f"{warm / empty:.2f} | | {_med([w['run_end'] for w in f['warm']]):.2f} | "
            f"{revisit(f)} | | |"
        )
    for title, r in res["pages"].items():
        c = r["cold"]
        warm = _med([w["total"] for w in r["warm"]])
        fl = res["floors"].get(f"{c['charts']} charts")
        nfloor = f"{warm / _med([w['total'] for w in fl['warm']]):.2f}" if fl else ""
        sw = [s["total"] for s in r.get("switch", [])]
        switch = f"{_med(sw):.2f} / {max(sw):.2f}" if sw else ""
        fc = [s["total"] for s in r.get("filter", [])]
        filt = f"{_med(fc):.2f} / {max(fc):.2f}" if fc else ""
        lines.append(
            f"| {title} | {c['charts']} ({c['points']:,}, {c['chars'] / 1000:.0f}) | "
            f"{c['total']:.2f} | {warm:.2f} | {warm / empty:.2f} | {nfloor} | "
            f"{_med([w['run_end'] for w in r['warm']]):.2f} | {revisit(r)} | {switch} | {filt} |"
        )
    allsw = [s["total"] for r in res["pages"].values() for s in r.get("switch", [])]
    if allsw:
        lines += [
            "",
            f"Switches, all pages: median {_med(allsw):.2f} s, worst {max(allsw):.2f} s "
            f"({len(allsw)} switches).",
        ]
    allfc = [s["total"] for r in res["pages"].values() for s in r.get("filter", [])]
    if allfc:
        lines.append(
            f"Filter changes, all pages: median {_med(allfc):.2f} s, worst {max(allfc):.2f} s "
            f"({len(allfc)} changes)."
        )
    return "\n".join(lines)


def main() -> int:
    args = _args()
    tmp = Path(tempfile.mkdtemp(prefix="kamdash-render-"))
    try:
        if args.rows:
            meta = bench.dataset("csv", args.rows, args.out)
            data_dir = _published(meta)
            label = (
                f"{meta['revenue_rows']:,} revenue rows ({meta['total_rows']:,} rows in all tables)"
            )
        else:
            data_dir, label = _sample(tmp)
        print(bench.machine(), flush=True)
        res = _measure(data_dir, args.runs, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    table = _table(label, res, args.runs)
    print()
    print(bench.machine())
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
