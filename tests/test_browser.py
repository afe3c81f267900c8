"""Real-browser tests (servers and browser: conftest.py). Every page of the registry: open it,
wait until the script has finished and every Plotly figure is drawn, check the key elements
and that no exception is shown, save full-page and 1280x720 screenshots to test-artifacts/,
record the time to finish rendering (render_times.json)."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from pptx import Presentation

from kamdash.navigation import PAGES, default_page
from tests.helpers import (
    figure_data,
    leaked,
    main,
    metric_value,
    no_exception,
    real_names,
    screenshot,
    wait_rendered,
)

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Shows:
    """What a page shows on the shipped sample."""

    heading: str
    texts: list[str]
    query: str = ""  # what the page needs in its address to show them
    figures: bool = True
    filters: bool = True  # the global filters in the sidebar


# registry url path -> what the page shows on the sample
ON_SAMPLE = {
    "portfolio": Shows("Portfolio", ["Revenue TTM", "NRR", "Accounts needing attention"]),
    "tiers": Shows("Tiers", ["Tier heatmap", "Tiering scorecard", "What-if"]),
    "retention": Shows("Retention & wallet", ["Revenue bridge", "Share of wallet"]),
    "whitespace": Shows("Whitespace", ["Biggest opportunities"]),
    "program": Shows("KAM program", ["By KAM", "Team roll-up", "Trend over quarters"]),
    "qbr": Shows(
        "QBR scorecard",
        ["Harborview Machinery Ltd", "Stakeholder coverage"],
        query="?account=ACC-00057",
    ),
    "definitions": Shows("Definitions", ["Settings in force", "This snapshot"], figures=False),
    "upload": Shows(
        "Upload an extract", ["Drop this month's CRM export"], figures=False, filters=False
    ),
}
# registry url path -> messages shown on the accounts + opportunities extract
MISSING = {
    "portfolio": ["No wallet sheet in this extract", "No stakeholder sheet in this extract"],
    "tiers": ["No scores sheet in this extract"],
    "retention": ["No wallet sheet in this extract"],
    "program": ["No stakeholder sheet in this extract", "No targets sheet in this extract"],
    "qbr": ["No QBR sheet in this extract", "No stakeholder sheet in this extract"],
    "definitions": ["Revenue taken from won opportunities"],
}
HOME = default_page().url_path


def heading(pg) -> str:
    return main(pg).locator("h1").first.inner_text().strip()


def not_found(pg) -> None:
    """Streamlit's "Page not found" dialog is not shown."""
    expect(pg.get_by_text("Page not found")).to_have_count(0)


def is_current_menu_entry(pg, title: str) -> bool:
    link = pg.get_by_test_id("stSidebarNavLink").filter(has_text=title)
    return link.get_attribute("aria-current") == "page"


def test_every_page_has_expectations():
    assert set(ON_SAMPLE) == {p.url_path for p in PAGES}
    assert set(MISSING) <= set(ON_SAMPLE)


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.url_path)
def test_page(page, server, artifacts, render_times, spec):
    shows = ON_SAMPLE[spec.url_path]
    t0 = time.perf_counter()
    page.goto(f"{server.url}/{spec.url_path}{shows.query}")
    wait_rendered(page)
    render_times[spec.url_path] = round(time.perf_counter() - t0, 3)
    no_exception(page)
    not_found(page)
    assert heading(page) == shows.heading
    for text in shows.texts:
        expect(main(page).get_by_text(text, exact=False).first).to_be_visible()
    if shows.figures:
        assert main(page).get_by_test_id("stPlotlyChart").count() >= 1
    if shows.filters:
        expect(page.get_by_test_id("stSidebar").get_by_text("Quarter")).to_be_visible()
    screenshot(page, artifacts / f"{spec.url_path}.png")


def test_default_page_at_the_root(page, server):
    page.goto(server.url + "/")
    wait_rendered(page)
    no_exception(page)
    not_found(page)
    assert heading(page) == ON_SAMPLE[HOME].heading
    assert is_current_menu_entry(page, default_page().title)


def test_default_page_at_its_own_path_keeps_the_filters(page, server, artifacts):
    """`/portfolio` (a link to the default page by name) opens it, with the link's filters."""
    page.goto(f"{server.url}/{HOME}?region=APAC&region=Northern+Europe")
    wait_rendered(page)
    no_exception(page)
    not_found(page)
    assert heading(page) == ON_SAMPLE[HOME].heading
    region = (
        page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Region")
    )
    expect(region.get_by_text("APAC")).to_be_visible()
    expect(region.get_by_text("Northern Europe")).to_be_visible()
    assert "region=APAC&region=Northern+Europe" in page.url
    assert is_current_menu_entry(page, default_page().title)
    screenshot(page, artifacts / f"{HOME}_by_path.png")


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
    expect(region.get_by_text("APAC")).to_be_visible()
    apac = metric_value(page, "Revenue TTM")
    page.goto(server.url + "/")
    wait_rendered(page)
    assert metric_value(page, "Revenue TTM") != apac, "the filter from the URL applied"

    # a QBR link: account and quarter (and a region filter) restored
    page.goto(server.url + "/qbr?account=ACC-00057&period=2026Q1&region=Northern+Europe")
    wait_rendered(page)
    no_exception(page)
    expect(main(page).get_by_role("heading", name="Harborview Machinery Ltd")).to_be_visible()
    expect(main(page).get_by_text("as of 2026Q1")).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Northern Europe")).to_be_visible()
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
    assert heading(page) == ON_SAMPLE["qbr"].heading


@pytest.mark.parametrize("url_path", list(MISSING))
def test_missing_tables_say_so(page, minimal_server, artifacts, url_path):
    page.goto(f"{minimal_server.url}/{url_path}")
    wait_rendered(page)
    no_exception(page)
    for m in MISSING[url_path]:
        expect(main(page).get_by_text(m).first).to_be_visible()
    screenshot(page, artifacts / f"missing_{url_path}.png")


# ------------------------------------------------------- hide names, presentation mode, exports

FIGURES_JSON = """() => JSON.stringify([...document.querySelectorAll(
    '[data-testid="stPlotlyChart"] .js-plotly-plot')].map(g => [g.data, g.layout]))"""


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.url_path)
def test_hidden_names(page, server, sample_data_dir, artifacts, spec):
    """With ?anon=true no account or contact name of the snapshot is in the page's HTML or in
    its Plotly figures (data, hover text, annotations, axis labels)."""
    shows = ON_SAMPLE[spec.url_path]
    sep = "&" if shows.query else "?"
    page.goto(f"{server.url}/{spec.url_path}{shows.query}{sep}anon=true")
    wait_rendered(page)
    no_exception(page)
    assert heading(page) == shows.heading
    shown = (page.content() + page.evaluate(FIGURES_JSON)).casefold()
    assert leaked(shown, real_names(sample_data_dir)) == []
    if spec.url_path in ("qbr", "retention", "tiers"):
        page.screenshot(path=str(artifacts / f"hidden_{spec.url_path}_720.png"))
    if spec.url_path == "qbr":
        assert main(page).locator("h2").first.inner_text().startswith("Account ")


def test_presentation_mode(page, server, artifacts):
    page.goto(server.url + "/qbr?present=true&account=ACC-00057")
    wait_rendered(page)
    no_exception(page)
    expect(page.get_by_test_id("stSidebar")).not_to_be_visible()
    expect(page.get_by_test_id("stHeader")).not_to_be_visible()
    exit_button = main(page).get_by_role("button", name="Exit presentation")
    expect(exit_button).to_be_visible()
    expect(main(page).get_by_role("heading", name="Harborview Machinery Ltd")).to_be_visible()
    page.screenshot(path=str(artifacts / "present_qbr_720.png"))

    main(page).get_by_role("button", name="Next").click()
    page.wait_for_function("() => !location.search.includes('account=ACC-00057')")
    wait_rendered(page)
    no_exception(page)
    second = page.url
    assert "present=true" in second and "account=" in second
    account = main(page).locator("h2").first.inner_text()
    assert account != "Harborview Machinery Ltd"

    main(page).get_by_role("button", name="Previous").click()
    page.wait_for_function("() => location.search.includes('account=ACC-00057')")
    wait_rendered(page)

    # the link of the second account opens it, in presentation mode
    page.goto(second)
    wait_rendered(page)
    expect(page.get_by_test_id("stSidebar")).not_to_be_visible()
    assert main(page).locator("h2").first.inner_text() == account

    # names hidden while presenting
    page.goto(server.url + "/qbr?present=true&anon=true&account=ACC-00057")
    wait_rendered(page)
    assert main(page).locator("h2").first.inner_text().startswith("Account ")
    page.screenshot(path=str(artifacts / "present_qbr_hidden_720.png"))

    exit_button.click()
    page.wait_for_function("() => !location.search.includes('present=true')")
    wait_rendered(page)
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    assert "account=ACC-00057" in page.url and "anon=true" in page.url


def test_qbr_deck_download(page, server, sample_data_dir):
    page.goto(server.url + "/qbr?account=ACC-00057&anon=true")
    wait_rendered(page)
    with page.expect_download(timeout=60_000) as dl:
        main(page).get_by_role("button", name="Download QBR deck (PPTX)").click()
    assert dl.value.suggested_filename.endswith(".pptx")
    prs = Presentation(io.BytesIO(dl.value.path().read_bytes()))
    assert len(prs.slides) == 7
    text = " ".join(
        sh.text_frame.text for sl in prs.slides for sh in sl.shapes if sh.has_text_frame
    ).casefold()
    assert "harborview" not in text
    assert leaked(text, real_names(sample_data_dir)) == []
