"""Real-browser tests, the way Streamlit's own e2e_playwright suite runs them: `streamlit run`
headless on a free port (one server per published data dir, for the whole session), Debian's
Chromium driven by Playwright's sync API (one browser), a 1280x720 viewport.

Each page: navigate, wait until the script has finished and every Plotly figure is drawn,
check the key elements and that no exception is shown, save full-page and 1280x720
screenshots to test-artifacts/, record the time to finish rendering (render_times.json).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, CHROMIUM, ROOT, VIEWPORT

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")


# url path -> (name, title, texts that must be visible)
PAGES = {
    "/": ("portfolio", "Portfolio", ["Revenue TTM", "NRR", "Accounts needing attention"]),
    "/tiers": ("tiers", "Tiers", ["Tier heatmap", "Tiering scorecard", "What-if"]),
    "/retention": ("retention", "Retention & wallet", ["Revenue bridge", "Share of wallet"]),
    "/whitespace": ("whitespace", "Whitespace", ["Biggest opportunities"]),
    "/qbr?account=ACC-00057": (
        "qbr",
        "QBR scorecard",
        ["Harborview Machinery Ltd", "Stakeholder coverage"],
    ),
    "/definitions": ("definitions", "Definitions", ["Settings in force", "This snapshot"]),
}
MISSING = {
    "/": ["No wallet sheet in this extract", "No stakeholder sheet in this extract"],
    "/tiers": ["No scores sheet in this extract"],
    "/retention": ["No wallet sheet in this extract"],
    "/qbr": ["No QBR sheet in this extract", "No stakeholder sheet in this extract"],
    "/definitions": ["Revenue taken from won opportunities"],
}

if not Path(CHROMIUM).exists():  # pragma: no cover - CI installs it
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "KAMDASH_DATA_DIR": str(data_dir)}
        self.log = open(ARTIFACTS / f"server-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not start: see {self.log.name}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def server(sample_data_dir, artifacts):
    s = Server(sample_data_dir)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def minimal_server(minimal_data_dir, artifacts):
    s = Server(minimal_data_dir)
    yield s
    s.stop()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    pg = ctx.new_page()
    yield pg
    ctx.close()


@pytest.fixture(scope="session")
def render_times(artifacts):
    times: dict[str, float] = {}
    yield times
    if times:
        (artifacts / "render_times.json").write_text(json.dumps(times, indent=2) + "\n")
        print("\nRender times (s): " + ", ".join(f"{k} {v:.2f}" for k, v in times.items()))


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
    deadline = time.time() + timeout
    while True:
        pg.wait_for_function(DONE, timeout=max(1, deadline - time.time()) * 1000)
        pg.wait_for_timeout(300)
        if pg.evaluate(DONE):
            return
        if time.time() > deadline:
            raise TimeoutError("the app kept running")


def screenshot(pg, path: Path) -> None:
    """A full-page screenshot at 1280 wide (Streamlit scrolls inside stMain, so the viewport is
    grown to the content's height), and one of the first screen at 1280x720."""
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
    pg.set_viewport_size(VIEWPORT)


def no_exception(pg) -> None:
    exc = pg.locator('[data-testid="stException"]')
    assert exc.count() == 0, exc.first.inner_text()


def main(pg):
    return pg.get_by_test_id("stMain")


@pytest.mark.parametrize("path", list(PAGES), ids=[v[0] for v in PAGES.values()])
def test_page(page, server, artifacts, render_times, path):
    name, title, visible = PAGES[path]
    t0 = time.perf_counter()
    page.goto(server.url + path)
    wait_rendered(page)
    render_times[name] = round(time.perf_counter() - t0, 3)
    no_exception(page)
    assert main(page).locator("h1").first.inner_text().strip() == title
    for text in visible:
        sync_api.expect(main(page).get_by_text(text, exact=False).first).to_be_visible()
    if name != "definitions":
        assert main(page).get_by_test_id("stPlotlyChart").count() >= 1
    # the sidebar carries the global filters
    sync_api.expect(page.get_by_test_id("stSidebar").get_by_text("Quarter")).to_be_visible()
    screenshot(page, artifacts / f"{name}.png")


def figure_data(pg, index: int = 0):
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


def test_filter_changes_figures_and_url(page, server, artifacts):
    page.goto(server.url + "/retention")
    wait_rendered(page)
    before = figure_data(page, 0)
    assert before
    region = (
        page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Region")
    )
    region.locator("input").click()
    page.keyboard.type("APAC")
    page.wait_for_timeout(200)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    wait_rendered(page)
    no_exception(page)
    assert "region=APAC" in page.url
    after = figure_data(page, 0)
    assert after and after != before, "the NRR figure follows the region filter"
    screenshot(page, artifacts / "retention_apac.png")


def test_shared_urls_restore_the_view(page, server, artifacts):
    # a portfolio link filtered to one region
    page.goto(server.url + "/?region=APAC")
    wait_rendered(page)
    no_exception(page)
    region = (
        page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Region")
    )
    sync_api.expect(region.get_by_text("APAC")).to_be_visible()
    apac = metric_value(page, "Revenue TTM")
    page.goto(server.url + "/")
    wait_rendered(page)
    assert metric_value(page, "Revenue TTM") != apac, "the filter from the URL applied"

    # a QBR link: account and quarter (and a region filter) restored
    page.goto(server.url + "/qbr?account=ACC-00057&period=2026Q1&region=Northern+Europe")
    wait_rendered(page)
    no_exception(page)
    sync_api.expect(
        main(page).get_by_role("heading", name="Harborview Machinery Ltd")
    ).to_be_visible()
    sync_api.expect(main(page).get_by_text("as of 2026Q1")).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    sync_api.expect(sidebar.get_by_text("Northern Europe")).to_be_visible()
    assert "account=ACC-00057" in page.url and "period=2026Q1" in page.url
    screenshot(page, artifacts / "qbr_shared_link.png")


def test_attention_link_opens_the_qbr_page(page, server):
    page.goto(server.url + "/")
    wait_rendered(page)
    hrefs = page.evaluate(
        """() => [...document.querySelectorAll('a')].map(a => a.getAttribute('href'))
               .filter(h => h && h.includes('account='))"""
    )
    # the attention table is a canvas grid: its links are not DOM anchors, so follow the URL
    # the page builds (ui.qbr_url) for the first flagged account instead
    url = hrefs[0] if hrefs else "qbr?account=ACC-00061"
    page.goto(server.url + "/" + url.lstrip("/"))
    wait_rendered(page)
    no_exception(page)
    assert main(page).locator("h1").first.inner_text().strip() == "QBR scorecard"


def test_missing_tables_say_so(page, minimal_server, artifacts):
    for path, messages in MISSING.items():
        page.goto(minimal_server.url + path)
        wait_rendered(page)
        no_exception(page)
        for m in messages:
            sync_api.expect(main(page).get_by_text(m).first).to_be_visible()
        name = path.strip("/").split("?")[0] or "portfolio"
        screenshot(page, artifacts / f"missing_{name}.png")


# ------------------------------------------------------- hide names, presentation mode, exports

FIGURES_JSON = """() => JSON.stringify([...document.querySelectorAll(
    '[data-testid="stPlotlyChart"] .js-plotly-plot')].map(g => [g.data, g.layout]))"""


def test_hidden_names_in_every_page(page, server, sample_data_dir, artifacts):
    """With ?anon=true no account or contact name of the snapshot is in any page's HTML or in
    its Plotly figures (data, hover text, annotations, axis labels)."""
    import re

    from tests.test_pages import real_names

    names = real_names(sample_data_dir)
    for path, (name, title, _) in PAGES.items():
        sep = "&" if "?" in path else "?"
        page.goto(server.url + path + sep + "anon=true")
        wait_rendered(page)
        no_exception(page)
        assert main(page).locator("h1").first.inner_text().strip() == title
        shown = (page.content() + page.evaluate(FIGURES_JSON)).casefold()
        hits = [n for n in names if re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", shown)]
        assert hits == [], f"{name}: {hits[:5]}"
        if name in ("qbr", "retention", "tiers"):
            page.screenshot(path=str(artifacts / f"hidden_{name}_720.png"))
        if name == "qbr":
            assert main(page).locator("h2").first.inner_text().startswith("Account ")


def test_presentation_mode(page, server, artifacts):
    page.goto(server.url + "/qbr?present=true&account=ACC-00057")
    wait_rendered(page)
    no_exception(page)
    sync_api.expect(page.get_by_test_id("stSidebar")).not_to_be_visible()
    sync_api.expect(page.get_by_test_id("stHeader")).not_to_be_visible()
    exit_button = main(page).get_by_role("button", name="Exit presentation")
    sync_api.expect(exit_button).to_be_visible()
    sync_api.expect(
        main(page).get_by_role("heading", name="Harborview Machinery Ltd")
    ).to_be_visible()
    page.screenshot(path=str(artifacts / "present_qbr_720.png"))

    main(page).get_by_role("button", name="Next").click()
    page.wait_for_function("() => !location.search.includes('account=ACC-00057')")
    wait_rendered(page)
    no_exception(page)
    second = page.url
    assert "present=true" in second and "account=" in second
    heading = main(page).locator("h2").first.inner_text()
    assert heading != "Harborview Machinery Ltd"

    main(page).get_by_role("button", name="Previous").click()
    page.wait_for_function("() => location.search.includes('account=ACC-00057')")
    wait_rendered(page)

    # the link of the second account opens it, in presentation mode
    page.goto(second)
    wait_rendered(page)
    sync_api.expect(page.get_by_test_id("stSidebar")).not_to_be_visible()
    assert main(page).locator("h2").first.inner_text() == heading

    # names hidden while presenting
    page.goto(server.url + "/qbr?present=true&anon=true&account=ACC-00057")
    wait_rendered(page)
    assert main(page).locator("h2").first.inner_text().startswith("Account ")
    page.screenshot(path=str(artifacts / "present_qbr_hidden_720.png"))

    main(page).get_by_role("button", name="Exit presentation").click()
    page.wait_for_function("() => !location.search.includes('present=true')")
    wait_rendered(page)
    sync_api.expect(page.get_by_test_id("stSidebar")).to_be_visible()
    assert "account=ACC-00057" in page.url and "anon=true" in page.url


def test_table_csv_download(page, server, tmp_path):
    import csv

    page.goto(server.url + "/")
    wait_rendered(page)
    with page.expect_download(timeout=30_000) as dl:
        main(page).get_by_test_id("stDownloadButton").filter(has_text="CSV").first.click()
    path = tmp_path / "t.csv"
    dl.value.save_as(path)
    assert dl.value.suggested_filename == "kamdash_accounts_needing_attention.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    # the attention table's header (the Open → link column is not exported)
    assert rows[0] == ["Account", "Tier", "KAM", "TTM", "Why"]
    assert 1 < len(rows) <= 16


def test_qbr_deck_download(page, server, sample_data_dir, tmp_path):
    import io

    from pptx import Presentation

    from tests.test_pages import real_names

    page.goto(server.url + "/qbr?account=ACC-00057&anon=true")
    wait_rendered(page)
    with page.expect_download(timeout=60_000) as dl:
        main(page).get_by_role("button", name="Download QBR deck (PPTX)").click()
    data = dl.value.path().read_bytes()
    assert dl.value.suggested_filename.endswith(".pptx")
    prs = Presentation(io.BytesIO(data))
    assert len(prs.slides) == 6
    text = " ".join(
        sh.text_frame.text for sl in prs.slides for sh in sl.shapes if sh.has_text_frame
    ).casefold()
    names = real_names(sample_data_dir)
    assert "harborview" not in text and not [n for n in names if n in text][:1]
