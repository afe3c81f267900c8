"""What leaves the screen, in a real browser at 1280x720 (issue 14): table downloads hold every
row behind the table (IDs, numbers as numbers, the screen's column names), hidden names are the
installation's stable aliases everywhere (screens, files, decks, the KAM filter), book decks are
named for their filters and size, and the Upload page's history reads as the rest of the app.
Screenshots: test-artifacts/exports_*.png."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pptx import Presentation

from kamdash.core.fmt import with_snapshot_currency
from kamdash.core.periods import period_context
from kamdash.core.settings import load_settings
from kamdash.present.aliases import Aliases
from kamdash.store.snapshots import SnapshotStore
from kamdash.views import portfolio
from kamdash.views import whitespace as ws_view
from tests.helpers import leaked, main, no_exception, wait_rendered

pytestmark = pytest.mark.browser

ATTENTION = ["Account ID", "Account", "Tier", "KAM", "TTM", "Why"]
KAM = "Sarah Mitchell"


@pytest.fixture(scope="module")
def sample(sample_data_dir):
    """The sample's cursor, settings, last complete quarter and its installation's aliases."""
    con = SnapshotStore(sample_data_dir).open()
    cur = con.cursor()
    settings = with_snapshot_currency(load_settings(data_dir=sample_data_dir), cur)
    qi = period_context(cur, settings).last_complete
    yield cur, settings, qi, Aliases.for_installation(cur, sample_data_dir)
    con.close()


@pytest.fixture(scope="module")
def names(sample):
    """Every real account, contact and KAM name of the sample, normalised."""
    cur, *_ = sample
    return sorted(Aliases.from_connection(cur, "test", hide_owners=True).real_names())


def download(pg, table_key: str, kind: str, tmp_path):
    """Click the CSV or XLSX button under a table (by its download row's key)."""
    row = pg.locator(f".st-key-dl_{table_key}")
    row.scroll_into_view_if_needed()
    with pg.expect_download(timeout=60_000) as dl:
        row.get_by_test_id("stDownloadButton").filter(has_text=kind).click()
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    return path


def read_csv(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def shot(pg, artifacts, name: str, text: str) -> None:
    """A 1280x720 screenshot with `text` (a heading, a caption) scrolled into view."""
    main(pg).get_by_text(text, exact=False).first.scroll_into_view_if_needed()
    pg.wait_for_timeout(400)
    pg.screenshot(path=str(artifacts / f"exports_{name}.png"))


def test_attention_downloads_hold_every_flagged_account(page, server, sample, tmp_path, artifacts):
    cur, settings, qi, _ = sample
    att = portfolio.attention(cur, settings, qi)
    every = att.matching(())
    assert len(every) > 15  # the screen shows the first 15
    page.goto(server.url + "/")
    wait_rendered(page)
    no_exception(page)
    expect(main(page).get_by_text(f"15 of {len(every):,} rows shown")).to_be_visible()
    shot(page, artifacts, "attention", "rows shown; the downloads hold all")

    rows = read_csv(download(page, "accounts_needing_attention", "CSV", tmp_path))
    assert rows[0] == ATTENTION  # the screen's names, and the ID
    assert len(rows) - 1 == len(every)
    assert [r[0] for r in rows[1:]] == every["account_id"].tolist()
    assert [float(r[4]) for r in rows[1:]] == pytest.approx(every["ttm"].round(2).tolist())

    wb = load_workbook(download(page, "accounts_needing_attention", "XLSX", tmp_path))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == ATTENTION
    assert ws.max_row - 1 == len(every)
    ttm = [r[0] for r in ws.iter_rows(min_row=2, min_col=5, max_col=5)]
    assert all(c.data_type == "n" for c in ttm)
    assert all(settings.currency in c.number_format for c in ttm)
    assert ttm[0].value == pytest.approx(round(float(every["ttm"].iloc[0]), 2))


def test_whitespace_download_holds_every_ranked_cell(page, server, sample, tmp_path, artifacts):
    from kamdash.metrics.whitespace import whitespace

    cur, settings, qi, _ = sample
    ranked = ws_view.opportunities(whitespace(cur, settings, qi=qi))
    page.goto(server.url + "/whitespace")
    wait_rendered(page)
    shot(page, artifacts, "whitespace", "Biggest opportunities")
    wb = load_workbook(download(page, "biggest_opportunities", "XLSX", tmp_path))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:2] == ["Account ID", "Account"] and "Potential" in header
    assert ws.max_row - 1 == len(ranked) > 50
    col = header.index("Potential") + 1
    cells = [r[0] for r in ws.iter_rows(min_row=2, min_col=col, max_col=col)]
    assert all(c.data_type == "n" and "$" in c.number_format for c in cells)


def test_hidden_names_are_the_installations_aliases_everywhere(
    page, browser, server, sample, names, tmp_path, artifacts
):
    cur, settings, qi, aliases = sample
    page.goto(server.url + "/?anon=true")
    wait_rendered(page)
    no_exception(page)
    shot(page, artifacts, "attention_hidden", "rows shown; the downloads hold all")
    path = download(page, "accounts_needing_attention", "CSV", tmp_path)
    text = path.read_text(encoding="utf-8-sig")
    assert leaked(text.casefold(), names) == []  # no account, contact or KAM name
    rows = read_csv(path)
    assert rows[0] == ATTENTION
    first_id, first_alias, kam = rows[1][0], rows[1][1], rows[1][3]
    assert first_alias.startswith("Account ") and kam.startswith("KAM ")
    assert first_alias == aliases.account(first_id)  # the installation's alias
    xlsx = download(page, "accounts_needing_attention", "XLSX", tmp_path)
    cells = [str(c.value) for r in load_workbook(xlsx).worksheets[0].iter_rows() for c in r]
    assert leaked(" ".join(cells).casefold(), names) == []

    # another browser session: the same account has the same alias on its QBR page
    other = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        pg = other.new_page()
        pg.goto(f"{server.url}/qbr?account={first_id}&anon=true")
        wait_rendered(pg)
        assert main(pg).locator("h2").first.inner_text() == first_alias
        content = pg.content().casefold()
        assert leaked(content, names) == []
        assert kam.casefold() in content  # the KAM by alias in the account's header
    finally:
        other.close()


def test_the_kam_filter_lists_aliases_and_keeps_them_in_the_address(page, server, sample):
    *_, aliases = sample
    alias = aliases.owner(KAM)
    page.goto(f"{server.url}/?anon=true&owner={alias.replace(' ', '+')}")
    wait_rendered(page)
    no_exception(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(alias)).to_be_visible()  # the chosen KAM, by alias
    assert KAM.casefold() not in page.content().casefold()
    assert "owner=KAM" in page.url and "Sarah" not in page.url
    # the filter applies: the attention list is this KAM's book
    caption = main(page).get_by_text("accounts flagged").first.inner_text()
    flagged = int(re.search(r"([\d,]+) accounts flagged", caption).group(1).replace(",", ""))
    assert 0 < flagged < 100


def test_the_book_deck_is_named_for_its_filters_and_size(page, server, artifacts):
    page.goto(f"{server.url}/qbr?owner={KAM.replace(' ', '+')}&tier=Tier+1")
    wait_rendered(page)
    button = main(page).get_by_role("button", name=re.compile("Download the book's decks"))
    n = int(re.search(r"(\d+) accounts", button.inner_text()).group(1))
    shot(page, artifacts, "book_deck", "QBR deck")
    with page.expect_download(timeout=120_000) as dl:
        button.click()
    name = f"Book of {KAM} · Tier 1 · {n} accounts"
    assert dl.value.suggested_filename.endswith(f"-book-of-sarah-mitchell-tier-1-{n}-accounts.pptx")
    prs = Presentation(io.BytesIO(dl.value.path().read_bytes()))
    assert prs.core_properties.title.endswith(name)
    first = " ".join(sh.text_frame.text for sh in prs.slides[0].shapes if sh.has_text_frame)
    assert name in first and "in these filters" not in first


def test_upload_history_is_readable(page, server, artifacts):
    page.goto(server.url + "/upload")
    wait_rendered(page)
    no_exception(page)
    shot(page, artifacts, "upload_history", "Snapshot history")
    grid = main(page).get_by_test_id("stDataFrame").last
    cells = grid.text_content() or ""  # the grid's accessible table (headers, cells)
    assert "Published" in cells and "UTC" in cells
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", cells)  # no raw ISO timestamps
    # a row: published (UTC), by (filled), rows (a number, drawn "47,891"), snapshot id
    row = re.search(r"UTC(?P<by>[^0-9]+)(?P<rows>\d+)(?P<id>\d{8}T\d{6,9}Z-[0-9a-f]{8})", cells)
    assert row and row["by"].strip() and int(row["rows"]) > 40_000
