"""The Upload page in a real browser: upload the sample workbook, a CSV set that needs a column
choice, and a broken file; the report, the diff, the publish, and that a broken file leaves the
published figures unchanged."""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kamdash.core.settings import Settings
from kamdash.store.load import load_extract
from kamdash.store.snapshots import SnapshotStore
from kamdash.views.summary import metrics_summary
from tests.conftest import SAMPLE_CSV, SAMPLE_XLSX, VIEWPORT, Server
from tests.helpers import wait_rendered

pytestmark = pytest.mark.browser


def _tree_hash(d: Path) -> dict[str, str]:
    return {
        str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(d.rglob("*"))
        # remembered mappings and the audit trail (the check is recorded) may change
        if p.is_file() and "mappings" not in p.parts and p.name != "audit.jsonl"
    }


def _figures(data: Path) -> dict:
    con = SnapshotStore(data).open()
    try:
        return metrics_summary(con.cursor(), Settings())
    finally:
        con.close()


@pytest.fixture(scope="module")
def upload_env(tmp_path_factory, artifacts, browser):
    """A data dir with a small extract published (accounts + opportunities of the sample),
    a server on it, and one browser."""
    src = tmp_path_factory.mktemp("upload-src")
    paths = []
    for name in ("accounts.csv", "opportunities.csv"):
        shutil.copy(SAMPLE_CSV / name, src / name)
        paths.append(src / name)
    data = tmp_path_factory.mktemp("upload-data")
    assert load_extract(paths, data).ok
    server = Server(data)
    yield server, browser, data
    server.stop()


def _open_upload(server, browser):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(server.url + "/upload")
    page.get_by_text("Upload an extract").first.wait_for(timeout=30_000)
    return page


def _drop(page, files: list[Path]) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        [str(f) for f in files]
    )
    page.get_by_text("Checked:").first.wait_for(timeout=120_000)
    wait_rendered(page, timeout=120)


def _shot(page, artifacts: Path, name: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 2400})
    time.sleep(0.5)
    page.screenshot(path=str(artifacts / f"{name}.png"))
    page.set_viewport_size(VIEWPORT)


def test_broken_file_is_refused_and_published_figures_unchanged(upload_env, artifacts, tmp_path):
    server, browser, data = upload_env
    before_files, before = _tree_hash(data), _figures(data)
    broken = tmp_path / "revenue.xlsx"
    broken.write_text("this is not a workbook")
    page = _open_upload(server, browser)
    _drop(page, [broken])
    page.get_by_text("Checked: errors found").wait_for()
    page.get_by_text('file "revenue.xlsx" is not a valid Excel workbook').first.wait_for()
    assert page.get_by_role("button", name="Publish this extract").count() == 0
    _shot(page, artifacts, "upload-broken")
    assert _tree_hash(data) == before_files
    assert _figures(data) == before
    page.close()


def test_csv_with_non_standard_headers_needs_a_column_choice(upload_env, artifacts, tmp_path):
    server, browser, data = upload_env
    acc = tmp_path / "accounts.csv"
    # no header names an account ID or name ("Company" would serve as both: a name as ID)
    acc.write_text("Cust Ref,Descr,Region\nC1,Acme,EMEA\nC2,Beta,NA\n")
    rev = tmp_path / "revenue.csv"
    rev.write_text("Cust Ref,Posted,Net\nC1,2024-01-15,100\nC2,2024-02-15,40\n")
    page = _open_upload(server, browser)
    _drop(page, [acc, rev])
    page.get_by_text("Checked: errors found").wait_for()
    page.get_by_text("needs a column 'account id'").first.wait_for()
    for table, choices in {
        "accounts": {"account id *": "Cust Ref", "account name *": "Descr"},
        "revenue": {"account id *": "Cust Ref", "date *": "Posted", "amount *": "Net"},
    }.items():
        box = page.locator('[data-testid="stExpander"]', has_text=f"{table}:").first
        for label, value in choices.items():
            combo = box.get_by_role("combobox", name=label).first
            combo.click()
            page.keyboard.press("Control+A")
            page.keyboard.type(value)
            page.get_by_role("option", name=value, exact=True).first.wait_for(timeout=10_000)
            page.keyboard.press("Enter")
            expect(combo).to_have_value(value, timeout=10_000)
            wait_rendered(page, timeout=120)
    wait_rendered(page, timeout=120)  # every choice has reached the app
    page.get_by_role("button", name="Re-check with these columns").click()
    page.get_by_text("Checked: ready to publish").wait_for(timeout=120_000)
    page.get_by_text("2 account(s) added").first.wait_for()
    _shot(page, artifacts, "upload-mapping")
    before_id = SnapshotStore(data).current_id()
    page.get_by_role("button", name="Publish this extract").click()
    page.get_by_text(re.compile(r"^Published snapshot \d{8}T")).first.wait_for(timeout=30_000)
    assert SnapshotStore(data).current_id() != before_id
    s = _figures(data)
    assert [q["revenue"] for q in s["quarters"]] == [140.0]
    # the confirmed mapping is remembered for the next extract with the same headers
    assert len(list((data / "mappings").glob("*.toml"))) == 2
    page.close()


def test_upload_sample_workbook_shows_diff_and_publishes(upload_env, artifacts):
    server, browser, data = upload_env
    store = SnapshotStore(data)
    before_id = store.current_id()
    page = _open_upload(server, browser)
    _drop(page, [SAMPLE_XLSX])
    page.get_by_text("Checked: ready to publish").wait_for()
    page.get_by_text("3 · What changed").wait_for()
    page.get_by_text("Revenue by quarter").first.wait_for()
    assert store.current_id() == before_id  # nothing published before the confirmation
    _shot(page, artifacts, "upload-sample")
    page.get_by_role("button", name="Publish this extract").click()
    page.get_by_text(re.compile(r"^Published snapshot \d{8}T")).first.wait_for(timeout=30_000)
    assert store.current_id() != before_id
    assert store.manifest(store.current_id())["row_counts"]["revenue"] == 43_435
    # another page of the same session shows the new snapshot without a restart
    page.goto(server.url + "/")
    page.get_by_text("Revenue TTM").first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()
