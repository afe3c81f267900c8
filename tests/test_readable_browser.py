"""Issue 14 in a real browser at 1280x720 with the sidebar open: what a sales VP reads on screen.

Each test opens a page, asserts on what is drawn (bounding boxes of Plotly's SVG text, the
data grid's scroll sizes, the metric's arrow) and saves a 1280x720 screenshot of the part it
checks to test-artifacts/readable/browser_*.png (the lower parts of a page are scrolled to:
Streamlit scrolls inside its main area, which a full-page screenshot does not capture).

Servers: `server` (the shipped sample); the reseller workbook (701 accounts, revenue only:
no tier, contacts, plans or QBRs) and a flat three-account extract, started on first use."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kamdash.core.periods import period_context
from kamdash.core.settings import Settings
from kamdash.store.snapshots import SnapshotStore, open_snapshot
from kamdash.views import portfolio
from tests.helpers import main, no_exception, wait_rendered

pytestmark = pytest.mark.browser

# the attention list's "Why" column width (pages/portfolio.py) and a cell's side padding
WHY_PX, CELL_PAD = 340, 17
WRAPPED_ROW = 64  # Streamlit wraps cell text when rows are taller than this (px)


@pytest.fixture(scope="module")
def shots(artifacts):
    folder = artifacts / "readable"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def reseller(serve, reseller_data_dir):
    return serve(reseller_data_dir)


@pytest.fixture(scope="module")
def flat(serve, flat_data_dir):
    return serve(flat_data_dir)


def open_page(pg, srv, path: str) -> None:
    pg.goto(f"{srv.url}/{path}")
    wait_rendered(pg, 90)
    no_exception(pg)
    expect(pg.get_by_test_id("stSidebar")).to_be_visible()  # the sidebar is open


def scroll_to(pg, text: str) -> None:
    """Bring the heading / label / caption holding `text` to the top of the main area."""
    pg.evaluate(
        """(t) => {
            const m = document.querySelector('[data-testid="stMain"]');
            const e = [...m.querySelectorAll('h1,h2,h3,p,label')].find(x => x.innerText.includes(t));
            e.scrollIntoView({block: 'start'}); m.scrollBy(0, -40);
        }""",
        text,
    )
    pg.wait_for_timeout(600)


def chart(pg, title: str):
    """The Plotly chart whose title holds `title`."""
    return main(pg).get_by_test_id("stPlotlyChart").filter(has_text=title).first


def boxes(locator) -> list[dict]:
    return [b for b in (locator.nth(i).bounding_box() for i in range(locator.count())) if b]


def overlap(a: dict, b: dict) -> bool:
    return (
        min(a["x"] + a["width"], b["x"] + b["width"]) > max(a["x"], b["x"]) + 0.5
        and min(a["y"] + a["height"], b["y"] + b["height"]) > max(a["y"], b["y"]) + 0.5
    )


def grid_sizes(pg, index: int) -> dict:
    """The `index`-th data grid of the page: its width, the scroller's scroll and client sizes
    (a horizontal overflow means cut-off columns)."""
    return pg.evaluate(
        """(i) => {
            const e = document.querySelectorAll('[data-testid="stDataFrame"]')[i];
            const s = e.querySelector('.dvn-scroller');
            return {width: e.clientWidth, sw: s.scrollWidth, cw: s.clientWidth,
                    sh: s.scrollHeight};
        }""",
        index,
    )


def text_px(pg, text: str) -> float:
    """Width of `text` in the data grid's font (14 px, the app's sans-serif)."""
    return pg.evaluate(
        """(t) => {
            const font = getComputedStyle(document.querySelector('[data-testid="stMain"]'))
                .fontFamily;
            const c = document.createElement('canvas').getContext('2d');
            c.font = '14px ' + font;
            return c.measureText(t).width;
        }""",
        text,
    )


def trace_names(pg, title: str) -> list[str]:
    return chart(pg, title).evaluate(
        "(c) => c.querySelector('.js-plotly-plot').data.map(t => t.name)"
    )


# -- Portfolio --------------------------------------------------------------------------------


def test_attention_why_column_fits_or_wraps(page, server, sample_data_dir, shots):
    store = SnapshotStore(sample_data_dir)
    con = open_snapshot(str(store.path(store.current_id()))).cursor()
    s = Settings()
    top = portfolio.attention(con, s, period_context(con, s).last_complete).shown()[0]
    whys = [" · ".join(r.text for r in rs) for rs in top["reasons"]]
    open_page(page, server, "portfolio")
    scroll_to(page, "Accounts needing attention")
    page.screenshot(path=str(shots / "browser_portfolio_attention.png"))
    g = grid_sizes(page, 0)
    assert g["sw"] <= g["cw"] + 1, "columns run past the table: some are cut off"
    widest = max(text_px(page, w) for w in whys)
    row = (g["sh"] - 35) / len(top)  # the header row is 35 px
    # the longest reason shown fits its column, or the rows are tall enough to wrap it
    assert widest + CELL_PAD <= WHY_PX or row > WRAPPED_ROW, (widest, row)
    caption = main(page).get_by_text("revenue at risk (their TTM)", exact=False)
    expect(caption).to_be_visible()
    assert "$" in main(page).get_by_test_id("stButtonGroup").first.inner_text()  # at risk


def test_metric_deltas_no_arrow_on_zero_and_no_bare_yoy(page, flat, shots):
    open_page(page, flat, "portfolio")
    page.screenshot(path=str(shots / "browser_portfolio_deltas.png"))
    metrics = main(page).get_by_test_id("stMetric")
    nrr = metrics.filter(has_text="NRR").first
    expect(nrr.get_by_test_id("stMetricDelta")).to_have_count(0)  # no change: nothing
    expect(nrr.get_by_text("YoY")).to_have_count(0)  # and no dangling "YoY"
    active = metrics.filter(has_text="Active accounts").first
    delta = active.get_by_test_id("stMetricDelta")
    expect(delta).to_contain_text("+0")
    assert delta.locator("svg").count() == 0, "an arrow on a change of zero"
    revenue = metrics.filter(has_text="Revenue TTM").first.get_by_test_id("stMetricDelta")
    expect(revenue).to_contain_text("+50%")
    assert revenue.locator("svg").count() == 1  # a real change keeps its arrow


def test_not_checked_is_never_an_all_clear(page, reseller, shots):
    open_page(page, reseller, "portfolio")
    scroll_to(page, "Accounts needing attention")
    page.screenshot(path=str(shots / "browser_reseller_not_checked.png"))
    m = main(page)
    for text in (
        "single-threaded not checked",
        "plan freshness not checked",
        "red QBR not checked",
    ):
        expect(m.get_by_text(text, exact=False)).to_be_visible()
    expect(m.get_by_text("No account is shrinking", exact=False)).to_have_count(0)


def test_tier_mix_in_tier_order(page, server):
    open_page(page, server, "portfolio")
    assert trace_names(page, "Share of accounts vs share") == ["Tier 1", "Tier 2", "Tier 3"]


# -- Retention & wallet -----------------------------------------------------------------------


def test_nrr_labels_not_crossed_by_the_target_line(page, server, shots):
    open_page(page, server, "retention")
    page.screenshot(path=str(shots / "browser_retention_nrr.png"))
    c = chart(page, "NRR and GRR")
    assert trace_names(page, "NRR and GRR")[0] == "NRR target 110%"
    line = c.locator(".scatterlayer .trace").first.locator("path.js-line").bounding_box()
    assert line and line["height"] < 2  # a horizontal line
    labels = boxes(c.locator(".scatterlayer .textpoint text"))
    assert len(labels) >= 10
    y = line["y"] + line["height"] / 2
    crossed = [b for b in labels if b["y"] < y < b["y"] + b["height"]]
    assert not crossed, crossed
    # no annotation inside the plot next to the labels
    assert c.locator(".annotation-text").count() == 0


def test_retention_groups_counted_marked_and_in_tier_order(page, server, shots):
    open_page(page, server, "retention?region=Latin+America")
    scroll_to(page, "Split by")
    page.screenshot(path=str(shots / "browser_retention_groups_filtered.png"))
    names = trace_names(page, "NRR by tier")
    assert [n.split(" (")[0] for n in names] == ["Tier 1", "Tier 2", "Tier 3"]
    assert all("(n=" in n for n in names)
    # Latin America has 3 Tier 1 accounts: marked, not drawn as comparable
    assert names[0].endswith("too few to compare")
    assert not any(n.endswith("too few to compare") for n in names[1:])
    expect(main(page).get_by_text("too few accounts to compare", exact=False)).to_be_visible()


def test_split_by_defaults_to_a_dimension_with_values(page, reseller, shots):
    open_page(page, reseller, "retention")
    scroll_to(page, "Split by")
    page.screenshot(path=str(shots / "browser_reseller_split_by.png"))
    split = main(page).get_by_test_id("stSelectbox").filter(has_text="Split by")
    expect(split.get_by_role("combobox")).to_have_value("Region")  # the extract has no tier
    assert len(trace_names(page, "NRR by region")) == 6  # six countries


def test_wallet_labels_do_not_overlap(page, server, shots):
    open_page(page, server, "retention")
    scroll_to(page, "Label the largest accounts")
    page.screenshot(path=str(shots / "browser_retention_wallet.png"))
    notes = chart(page, "Wallet size vs share").locator(".annotation")
    named = [
        notes.nth(i).locator(".annotation-text-g").bounding_box()
        for i in range(notes.count())
        if not notes.nth(i).text_content().strip().isupper()  # not the quadrant corner words
        and not notes.nth(i).text_content().startswith("GROW")
    ]
    assert len(named) >= 6
    clashes = [(a, b) for i, a in enumerate(named) for b in named[i + 1 :] if overlap(a, b)]
    assert not clashes, clashes


# -- Tiers ------------------------------------------------------------------------------------


def test_scorecard_names_whole_and_tier_tables_fit(page, server, shots):
    open_page(page, server, "tiers")
    scroll_to(page, "Tiering scorecard")
    page.screenshot(path=str(shots / "browser_tiers_scorecard.png"))
    names = [
        t for t in chart(page, "Expansion").locator(".ytick text").all_text_contents() if t.strip()
    ]
    assert len(names) == 20 and not any("…" in n for n in names), names
    scroll_to(page, "Assigned vs suggested tier")
    page.screenshot(path=str(shots / "browser_tiers_assigned_vs_suggested.png"))
    g = grid_sizes(page, 0)
    assert g["sw"] <= g["cw"] + 1, "the assigned vs suggested table is cut off"
    heads = chart(page, "Suggested").locator(".xtick text")
    assert [t.strip() for t in heads.all_text_contents()] == ["Tier 1", "Tier 2", "Tier 3"]
    assert not any(overlap(a, b) for a, b in zip(boxes(heads), boxes(heads)[1:], strict=False))


def test_tiers_from_revenue_alone_say_so(page, reseller, shots):
    open_page(page, reseller, "tiers")
    scroll_to(page, "Tiers from revenue alone")
    page.screenshot(path=str(shots / "browser_reseller_revenue_tiers.png"))
    m = main(page)
    expect(
        m.get_by_text("Tier 1 = the top 10% of accounts by TTM revenue", exact=False)
    ).to_be_visible()
    assert trace_names(page, "Share of accounts vs share") == ["Tier 1", "Tier 2", "Tier 3"]
    expect(m.get_by_text("Tiering scorecard")).to_have_count(0)  # no column of 5s


# -- Whitespace -------------------------------------------------------------------------------


def test_opportunities_fit_and_say_their_confidence(page, server, shots):
    open_page(page, server, "whitespace")
    scroll_to(page, "Biggest opportunities")
    page.screenshot(path=str(shots / "browser_whitespace_opportunities.png"))
    g = grid_sizes(page, 0)
    assert g["sw"] <= g["cw"] + 1, "the opportunities table is cut off"
    row = (g["sh"] - 35) / 15
    assert row > WRAPPED_ROW  # long reasons wrap instead of being cut
    expect(
        main(page).get_by_text("estimates from industry peers first", exact=False)
    ).to_be_visible()


# -- QBR: a churned account -------------------------------------------------------------------


def test_churned_account_revenue_has_a_real_axis(page, server, shots):
    open_page(page, server, "qbr?account=ACC-00032")  # last revenue in 2024
    c = chart(page, "Revenue per quarter")
    c.scroll_into_view_if_needed()
    page.wait_for_timeout(600)
    page.screenshot(path=str(shots / "browser_qbr_churned.png"))
    ticks = [t.strip() for t in c.locator(".ytick text").all_text_contents()]
    assert ticks == ["$0"], ticks  # from $0: no -1, -0.5, 0.5, 1
    expect(c.get_by_text("No revenue in these quarters")).to_be_visible()
