"""Sign-in through a real OpenID Connect provider (oidc-provider-mock), then each role sees
exactly its book: a KAM, a leader, an admin and an address the access file does not name.

One server (signed_in_server) for every test here; scope of every view, export and deck is
checked below the browser (test_access.py), the browser checks what a person sees."""

from __future__ import annotations

import csv

import pytest
from playwright.sync_api import expect

from kamdash.core.periods import period_context
from kamdash.core.settings import load_settings
from kamdash.store.access import Scope
from kamdash.store.filters import scoped
from kamdash.store.snapshots import SnapshotStore
from kamdash.views import portfolio as view
from tests.helpers import figure_data, main, metric_value, sign_in, wait_rendered

pytestmark = pytest.mark.browser
KAM_OWNER = "Sarah Mitchell"  # the book of kam@example.com (tests/conftest.py ACCESS_TOML)


def plain(text: str) -> str:
    """Page text without the invisible word joiners that keep addresses from auto-linking."""
    return text.replace("\u2060", "")


def expected(sample_data_dir, scope: Scope) -> tuple[int, set[str], set[str]]:
    """(active accounts of the scope's headline, its account names, every other name)."""
    con = SnapshotStore(sample_data_dir).open()
    settings = load_settings(data_dir=sample_data_dir)
    cur = scoped(con, None, scope)
    ctx = period_context(cur, settings)
    active = view.headline(cur, settings, ctx, ctx.last_complete).active
    mine = {r[0] for r in cur.execute("SELECT account_name FROM accounts").fetchall()}
    every = {r[0] for r in con.execute("SELECT account_name FROM accounts").fetchall()}
    return active, mine, every - mine


def figures_data(pg) -> list[str | None]:
    """The data of every Plotly figure on the page (JSON)."""
    n = pg.get_by_test_id("stPlotlyChart").count()
    return [figure_data(pg, i) for i in range(n)]


def test_before_sign_in_nothing_but_the_sign_in_button(page, signed_in_server):
    page.goto(signed_in_server.url + "/qbr?account=ACC-00057")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
    assert page.get_by_test_id("stSidebarNav").count() == 0
    body = page.get_by_test_id("stMain").inner_text()
    assert "Harborview" not in body and "Revenue" not in body


def test_a_kam_sees_their_book_only(page, signed_in_server, sample_data_dir, artifacts, tmp_path):
    sign_in(page, signed_in_server, "kam@example.com")
    active, mine, others = expected(sample_data_dir, Scope(owners=(KAM_OWNER,)))
    assert metric_value(page, "Active accounts") == f"{active:,}"
    # page text and chart data (tables are drawn on a canvas: the download below reads them)
    text = main(page).inner_text() + " ".join(filter(None, figures_data(page)))
    assert not [n for n in others if n in text]
    sidebar = plain(page.get_by_test_id("stSidebar").inner_text())
    assert "kam@example.com" in sidebar and "Sign out" in sidebar
    assert "Upload" not in page.get_by_test_id("stSidebarNav").inner_text()
    page.screenshot(path=str(artifacts / "signed_in_kam_720.png"))
    # the one download of this role: the attention table holds only the KAM's accounts
    attention = main(page).locator(".st-key-dl_accounts_needing_attention")
    with page.expect_download(timeout=30_000) as dl:
        attention.get_by_test_id("stDownloadButton").filter(has_text="CSV").click()
    path = tmp_path / "attention.csv"
    dl.value.save_as(path)
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows
    assert {r["Account"] for r in rows} <= mine
    assert {r["KAM"] for r in rows} == {KAM_OWNER}


def test_a_kam_cannot_reach_upload_nor_another_books_account(page, signed_in_server):
    sign_in(page, signed_in_server, "kam@example.com")
    page.goto(signed_in_server.url + "/upload")
    wait_rendered(page)
    assert page.get_by_role("button", name="Publish this extract").count() == 0
    assert "Upload an extract" not in main(page).inner_text()
    # ACC-00057 (Harborview) is not in Sarah Mitchell's book
    page.goto(signed_in_server.url + "/qbr?account=ACC-00057")
    wait_rendered(page)
    text = main(page).inner_text()
    assert "not in your book" in text
    assert "Harborview" not in text


def test_a_leader_sees_every_account_but_cannot_upload(page, signed_in_server, sample_data_dir):
    sign_in(page, signed_in_server, "leader@example.com")
    active, _, others = expected(sample_data_dir, Scope.all())
    assert not others
    assert metric_value(page, "Active accounts") == f"{active:,}"
    kam_active, _, _ = expected(sample_data_dir, Scope(owners=(KAM_OWNER,)))
    assert kam_active < active
    assert "Upload" not in page.get_by_test_id("stSidebarNav").inner_text()


def test_an_admin_may_upload_and_is_recorded_by_address(page, signed_in_server, artifacts):
    sign_in(page, signed_in_server, "admin@example.com", "/upload")
    expect(main(page).get_by_text("Upload an extract")).to_be_visible()
    expect(main(page).get_by_text("Snapshot history")).to_be_visible()
    page.screenshot(path=str(artifacts / "signed_in_admin_upload_720.png"))


@pytest.mark.parametrize("address", ["stranger@example.com"])
def test_an_unknown_address_sees_no_access_and_sign_out(page, signed_in_server, address, artifacts):
    page.goto(signed_in_server.url + "/")
    page.get_by_role("button", name="Sign in").click()
    page.locator('input[name="sub"]').fill(address)
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_text("No access.")).to_be_visible(timeout=30_000)
    text = plain(page.get_by_test_id("stMain").inner_text())
    assert address in text
    assert page.get_by_test_id("stSidebarNav").count() == 0
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.screenshot(path=str(artifacts / "signed_in_unknown_720.png"))
    page.get_by_role("button", name="Sign out").click()
    # the provider confirms the end of its session, then sends the browser back
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
