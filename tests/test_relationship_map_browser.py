"""The relationship map of the QBR page in a real browser (servers and browser: conftest.py):
drawn on the sample for the Tier 1 account whose only executive contact is a detractor (with
names, with names hidden, in presentation mode), and the accounts + opportunities extract says
plainly that it has no stakeholder sheet. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import leaked, main, no_exception, real_names, screenshot, wait_rendered

pytestmark = pytest.mark.browser

STORY = "ACC-00162"  # Whitecliff Shipping Group: 12 contacts, its one executive a detractor
MAP = ".st-key-relationship_map"


def traces(pg) -> list[dict]:
    """name, text, y of every trace of the relationship map, and its level ticks."""
    return pg.evaluate(
        """(sel) => {
            const g = document.querySelector(sel + ' .js-plotly-plot');
            // _fullData: the arrays decoded (data holds them base64-encoded)
            return g._fullData.map(t => ({name: t.name, text: Array.from(t.text || []),
                                          y: Array.from(t.y || []),
                                          ticks: g.layout.yaxis.ticktext}));
        }""",
        MAP,
    )


def open_map(pg, url: str) -> None:
    pg.goto(url)
    wait_rendered(pg)
    no_exception(pg)
    m = pg.locator(MAP)
    expect(m).to_have_count(1)
    m.scroll_into_view_if_needed()
    pg.wait_for_timeout(300)


def test_map_drawn_on_the_sample(page, server, artifacts):
    open_map(page, f"{server.url}/qbr?account={STORY}")
    by_name = {t["name"]: t for t in traces(page)}
    assert {"Reports to", "Champion", "Detractor"} <= set(by_name)
    # the only executive, a detractor, at the top of the map
    assert "Nadia Johnson" in by_name["Detractor"]["text"]
    top = max(y for t in by_name.values() if t["name"] != "Reports to" for y in t["y"] if y)
    k = by_name["Detractor"]["text"].index("Nadia Johnson")
    assert by_name["Detractor"]["y"][k] == top
    assert by_name["Detractor"]["ticks"][0] == "<b>Executive</b><br>1 of 1 active"
    assert len([t for tr in by_name.values() for t in tr["text"]]) == 12  # every contact named
    # the gaps beside it, in plain sentences
    body = main(page)
    expect(body.get_by_text("Executive access only through a detractor")).to_be_visible()
    expect(body.get_by_text("Buying roles with no active relationship")).to_be_visible()
    page.screenshot(path=str(artifacts / "relationship_map_story_map.png"))
    screenshot(page, artifacts / "relationship_map_story.png")


def test_map_hides_names(page, server, sample_data_dir, artifacts):
    open_map(page, f"{server.url}/qbr?account={STORY}&anon=true")
    labels = [t for tr in traces(page) for t in tr["text"]]
    assert len(labels) == 12 and all(t.startswith("Contact ") for t in labels)
    shown = main(page).locator(MAP).inner_text() + " " + " ".join(labels)
    assert leaked(shown, real_names(sample_data_dir)) == []
    page.screenshot(path=str(artifacts / "relationship_map_hidden.png"))


def test_map_in_presentation_mode(page, server, artifacts):
    open_map(page, f"{server.url}/qbr?account={STORY}&present=true")
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    box = page.locator(MAP).bounding_box()
    assert box["width"] >= 560 and box["height"] <= 720  # whole on one screen, wide enough
    expect(main(page).get_by_text("Executive access only through a detractor")).to_be_visible()
    page.screenshot(path=str(artifacts / "relationship_map_present.png"))


def test_no_stakeholder_sheet_says_so(page, minimal_server, artifacts):
    page.goto(f"{minimal_server.url}/qbr")
    wait_rendered(page)
    no_exception(page)
    body = main(page)
    expect(body.get_by_role("heading", name="Relationship map")).to_be_visible()
    note = body.get_by_test_id("stAlert").filter(has_text="relationship map not shown")
    expect(note).to_be_visible()
    # as read (fmt.md puts an invisible word joiner after a colon)
    said = note.inner_text().replace("\u2060", "")
    assert "No stakeholder sheet in this extract: relationship map not shown" in said
    expect(page.locator(MAP)).to_have_count(0)
    body.get_by_role("heading", name="Relationship map").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "relationship_map_minimal.png"))
