"""Extract text is data, never markup, in a real browser: every page on the hostile extract
(tests/conftest.py `hostile_data_dir`: Markdown images and links, `:red[]`, `$x$`, `<img>`,
`<a href>`, `javascript:` links and bare URLs / e-mails in names, regions, industries, tiers,
products, notes and a file name), and the Upload page with a hostile file dropped: no request
leaves the app's host, no link points to the hostile host (or runs script), no image loads
from outside, and the hostile text is still there to read."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from kamdash.navigation import PAGES
from kamdash.store.snapshots import SnapshotStore
from tests.conftest import HOSTILE, HOSTILE_FILE, HOSTILE_FORMULA, HOSTILE_HOST
from tests.helpers import main, no_exception, wait_rendered

pytestmark = pytest.mark.browser

WJ = "\u2060"
# every link and image of the page (HTML and SVG: Plotly draws <a> in SVG), made absolute
ANCHORS_AND_IMAGES = """() => {
    const abs = (v) => { try { return new URL(v, location.href).href; } catch (e) { return v; } };
    const links = [...document.querySelectorAll('a')].map(a =>
        abs(a.getAttribute('href') || a.getAttribute('xlink:href') || ''));
    const images = [...document.querySelectorAll('img, image')].map(i =>
        abs(i.getAttribute('src') || i.getAttribute('href') || i.getAttribute('xlink:href') || ''));
    return {links, images};
}"""


def outside(url: str, app: str) -> bool:
    """A request to anywhere but the app's own origin (data: and blob: URLs stay inside)."""
    if url.startswith(("data:", "blob:", "about:")):
        return False
    return urlsplit(url).netloc != urlsplit(app).netloc


class Watch:
    """A browser tab on the app that records every request leaving the app's host."""

    def __init__(self, browser, app: str):
        self.app = app
        self.ctx = browser.new_context(viewport={"width": 1280, "height": 720})
        self.page = self.ctx.new_page()
        self.requests: list[str] = []
        self.page.on("request", self._seen)

    def _seen(self, request) -> None:
        if outside(request.url, self.app):
            self.requests.append(request.url)

    def open(self, path: str) -> None:
        self.page.goto(self.app + path)
        wait_rendered(self.page, timeout=90)
        no_exception(self.page)

    def problems(self) -> list[str]:
        """Outside requests, links to the hostile host or to script, outside images."""
        found = self.page.evaluate(ANCHORS_AND_IMAGES)
        bad = [f"request {u}" for u in self.requests]
        for u in found["links"]:
            if HOSTILE_HOST in urlsplit(u).netloc or u.lower().startswith("javascript:"):
                bad.append(f"link {u}")
        bad += [f"image {u}" for u in found["images"] if outside(u, self.app)]
        return bad

    def text(self) -> str:
        """The page's visible text, word joiners dropped."""
        return main(self.page).inner_text().replace(WJ, "")

    def close(self) -> None:
        self.ctx.close()


@pytest.fixture(scope="module")
def hostile_server(serve, hostile_data_dir):
    return serve(hostile_data_dir)


@pytest.fixture
def watch(browser, hostile_server):
    w = Watch(browser, hostile_server.url)
    yield w
    w.close()


def hostile_tier_account(data_dir) -> str:
    con = SnapshotStore(data_dir).open()
    try:
        return (
            con.cursor()
            .execute(
                "SELECT a.account_id FROM accounts a JOIN qbr q USING (account_id) "
                "WHERE a.tier LIKE '%:red[%' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            )
            .fetchone()[0]
        )
    finally:
        con.close()


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.url_path)
def test_page_on_a_hostile_extract(watch, spec, artifacts):
    watch.open("/" + spec.url_path)
    watch.page.screenshot(path=str(artifacts / f"hostile-{spec.url_path}.png"))
    assert watch.problems() == []
    if spec.url_path in ("portfolio", "qbr", "definitions"):
        assert HOSTILE_HOST in watch.text(), "the hostile text is shown, as text"


def test_qbr_of_a_hostile_account_shows_its_text_as_written(watch, hostile_data_dir, artifacts):
    watch.open(f"/qbr?account={quote(hostile_tier_account(hostile_data_dir))}")
    watch.page.screenshot(path=str(artifacts / "hostile-qbr-account.png"))
    assert watch.problems() == []
    shown = watch.text()
    # the tier badge and the notes read exactly as the extract wrote them
    assert HOSTILE["directive"] in shown and HOSTILE["math"] in shown
    assert HOSTILE["autolink"] in shown


def test_whitespace_of_a_hostile_industry(watch, hostile_data_dir):
    con = SnapshotStore(hostile_data_dir).open()
    try:
        industry = con.cursor().execute("SELECT min(industry) FROM accounts").fetchone()[0]
    finally:
        con.close()
    watch.open(f"/whitespace?ws_industry={quote(industry)}")
    assert watch.problems() == []
    assert HOSTILE_HOST in watch.text()


def test_upload_of_a_hostile_file(watch, artifacts):
    """Drop an accounts file and a revenue file whose names, a header and bad cells are
    hostile: the check names them (errors, the column mapping) without a link or an image."""
    host = HOSTILE_HOST
    revenue_name = f"revenue ![x](https:{host}) [Fix it](https:{host}) www.{host}.csv"
    revenue = (
        f"Account ID,Date,Amount,{HOSTILE['image']} {HOSTILE['link']}\n"
        f'A1,2024-01-15,"{HOSTILE["image"]}",x\n'
        f'A2,2024-02-15,"{HOSTILE["link"]} {HOSTILE["directive"]} {HOSTILE["math"]}",y\n'
        f'A3,2024-03-15,"{HOSTILE_FORMULA.replace(chr(34), chr(34) * 2)}",z\n'
        "A4,2024-03-15,5,w\n"
    )
    accounts = (
        "Account ID,Account Name,Tier,Region\n"
        f'A1,"{HOSTILE["anchor"]}","{HOSTILE["directive"]}","{HOSTILE["autolink"]}"\n'
        f'A2,"{HOSTILE["javascript"]}",2,"{HOSTILE["html"]}"\n'
    )
    watch.open("/upload")
    watch.page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        [
            {"name": HOSTILE_FILE, "mimeType": "text/csv", "buffer": accounts.encode()},
            {"name": revenue_name, "mimeType": "text/csv", "buffer": revenue.encode()},
        ]
    )
    watch.page.get_by_text("Checked:").first.wait_for(timeout=120_000)
    wait_rendered(watch.page, timeout=120)
    # open the column mapping: sheet and header names as titles and options
    closed = watch.page.locator('[data-testid="stExpander"] details:not([open]) > summary')
    for _ in range(20):
        if not closed.count():
            break
        closed.first.click()
    wait_rendered(watch.page, timeout=120)
    watch.page.set_viewport_size({"width": 1280, "height": 2400})
    watch.page.screenshot(path=str(artifacts / "hostile-upload.png"))
    assert watch.problems() == []
    shown = watch.text()
    assert revenue_name in shown, "the file name is quoted as written"
    assert HOSTILE["image"] in shown, "the bad cell is quoted as written"
