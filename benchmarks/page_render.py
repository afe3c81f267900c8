"""Page render times in a real browser, on a large published portfolio.

    .venv/bin/python benchmarks/page_render.py [--rows 1000000] [--runs 3]

Publishes the CSV extract of `--rows` revenue rows (generated and cached in benchmarks/out/ by
`benchmarks/run.py`'s generator) into its own data dir, starts `streamlit run app.py` headless on
a free port with KAMDASH_DATA_DIR set (the browser tests' `Server`), and drives Debian's
Chromium (/usr/bin/chromium; never a downloaded browser) with Playwright at 1280x720.

Each page is opened in a fresh browser context (a new Streamlit session: "first visit") and then
reloaded `--runs` - 1 times ("reload", best of them). The time is from navigation until the app
has stopped running (`data-test-script-state="notRunning"` on stApp, checked again after
300 ms as a run can trigger a rerun), a title is shown, no skeleton is left and every Plotly
figure has drawn its SVG: what a person waits for. The server's first-ever run (importing the
app, opening the snapshot) is a warm-up visit that is not counted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import run as bench  # noqa: E402

from kamdash.navigation import PAGES as REGISTRY  # noqa: E402

# every page but Upload (a form, no figures), the default one at `/`
PAGES = {
    "/" if p.default else f"/{p.url_path}": p.title for p in REGISTRY if p.file != "pages/upload.py"
}


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="revenue rows (1,000,000)")
    ap.add_argument("--runs", type=int, default=3, help="visits per page: 1 first + reloads")
    ap.add_argument("--out", type=Path, default=bench.OUT)
    ap.add_argument("--markdown", type=Path, help="also write the table to this file")
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


def _visit(browser, url: str, reloads: int) -> list[float]:
    """Seconds to a rendered page: a first visit in a fresh context, then `reloads` reloads."""
    from tests.conftest import VIEWPORT
    from tests.helpers import no_exception, wait_rendered

    ctx = browser.new_context(viewport=VIEWPORT)
    pg = ctx.new_page()
    times = []
    try:
        t0 = time.perf_counter()
        pg.goto(url)
        wait_rendered(pg, timeout=180)
        times.append(time.perf_counter() - t0)
        no_exception(pg)
        for _ in range(reloads):
            t0 = time.perf_counter()
            pg.reload()
            wait_rendered(pg, timeout=180)
            times.append(time.perf_counter() - t0)
    finally:
        ctx.close()
    return times


def _measure(data_dir: Path, runs: int) -> list[tuple[str, str, float, float | None]]:
    """(title, path, first visit, best reload) of every page, on a server of its own."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import ARGS, ARTIFACTS, CHROMIUM, Server

    ARTIFACTS.mkdir(exist_ok=True)
    server = Server(data_dir)
    results = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                _visit(browser, server.url + "/definitions", 0)  # warm-up: opens the snapshot
                for path, title in PAGES.items():
                    times = _visit(browser, server.url + path, max(0, runs - 1))
                    reload = min(times[1:]) if len(times) > 1 else None
                    results.append((title, path, times[0], reload))
                    print(
                        f"  {title}: first visit {times[0]:.2f}s"
                        + (f", reload best of {len(times) - 1} {reload:.2f}s" if reload else ""),
                        flush=True,
                    )
            finally:
                browser.close()
    finally:
        server.stop()
    return results


def _table(meta: dict, results, runs: int) -> str:
    lines = [
        f"Browser render time, {meta['revenue_rows']:,} revenue rows "
        f"({meta['total_rows']:,} rows in all tables), Chromium 1280x720:",
        "",
        f"| page | path | first visit (s) | reload, best of {max(1, runs - 1)} (s) |",
        "|---|---|---|---|",
    ]
    for title, path, first, reload in results:
        shown = "" if reload is None else f"{reload:.2f}"
        lines.append(f"| {title} | `{path}` | {first:.2f} | {shown} |")
    return "\n".join(lines)


def main() -> int:
    args = _args()
    meta = bench.dataset("csv", args.rows, args.out)
    data_dir = _published(meta)
    print(bench.machine(), flush=True)
    table = _table(meta, _measure(data_dir, args.runs), args.runs)
    print()
    print(bench.machine())
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
