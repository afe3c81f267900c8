"""The KAM program page and the growth goals in a real browser (servers and browser:
conftest.py): on the shipped sample (figures equal to `metrics --json`'s, the table's download,
the trend, a KAM's book from its link), on the accounts + opportunities extract (each view says
plainly what it misses), and signed in as a KAM (their own row only). Screenshots go to
test-artifacts/."""

from __future__ import annotations

import csv
import json

import pytest
from playwright.sync_api import expect

from kamdash.core.periods import period_context
from kamdash.core.settings import load_settings
from kamdash.metrics.program import kam_program
from kamdash.store.snapshots import SnapshotStore
from tests.helpers import (
    figure_data,
    main,
    metric_value,
    no_exception,
    screenshot,
    sign_in,
    wait_rendered,
)

pytestmark = pytest.mark.browser
AHEAD, BEHIND = "Olivia Chen", "Lukas Becker"  # the sample's goal stories (kamdash/sample.py)
KAM_OWNER = "Sarah Mitchell"  # the book of kam@example.com (tests/conftest.py ACCESS_TOML)


def heading(pg) -> str:
    return main(pg).locator("h1").first.inner_text().strip()


@pytest.fixture(scope="module")
def expected(sample_data_dir):
    """The program table of the sample, as the metric computes it (unfiltered)."""
    con = SnapshotStore(sample_data_dir).open()
    s = load_settings(data_dir=sample_data_dir)
    p = kam_program(con.cursor(), s, ctx=period_context(con.cursor(), s))
    con.close()
    return p


def download(pg, tmp_path, name: str) -> list[dict]:
    """The rows of the CSV download of the table whose file is `kamdash_<name>.csv`."""
    buttons = main(pg).get_by_test_id("stDownloadButton").filter(has_text="CSV")
    for i in range(buttons.count()):
        with pg.expect_download(timeout=30_000) as dl:
            buttons.nth(i).click()
        if dl.value.suggested_filename == f"kamdash_{name}.csv":
            path = tmp_path / dl.value.suggested_filename
            dl.value.save_as(path)
            return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    raise AssertionError(f"no download named kamdash_{name}.csv")


def test_kam_page_on_the_sample(page, server, expected, artifacts, tmp_path):
    page.goto(server.url + "/program")
    wait_rendered(page)
    no_exception(page)
    assert heading(page) == "KAM program"
    for text in ("By KAM", "Team roll-up", "Trend over quarters", "current only"):
        expect(main(page).get_by_text(text, exact=False).first).to_be_visible()
    t = expected.total
    assert metric_value(page, "Goal attainment") == f"{t['attainment'] * 100:.0f}%"
    assert metric_value(page, "Coverage") == f"{t['coverage']:.1f}×"
    assert metric_value(page, "Plans fresh") == f"{t['plan_fresh_rate'] * 100:.0f}%"
    assert metric_value(page, "QBR cadence") == f"{t['qbr_adherence'] * 100:.0f}%"
    assert metric_value(page, "Multithreaded") == f"{t['multithreaded_rate'] * 100:.0f}%"
    expect(main(page).get_by_text("No targets sheet")).to_have_count(0)
    screenshot(page, artifacts / "program.png")

    rows = download(page, tmp_path, "kam_program")
    by = {r["KAM"]: r for r in rows}
    assert list(by) == list(expected.table["group"])  # a row per KAM, largest book first
    assert "Book" not in rows[0]  # the link column is not data
    want = expected.table.set_index("group")
    for kam in (AHEAD, BEHIND):
        got = by[kam]
        assert int(got["Accounts"]) == want.at[kam, "accounts"]
        assert int(got["T1"]) == want.at[kam, "tiers"].get("Tier 1", 0)  # Tier 1, as on screen
        assert abs(float(got["Attainment"]) - want.at[kam, "attainment"]) < 1e-9
        assert abs(float(got["Coverage ×"]) - want.at[kam, "coverage"]) < 1e-9
        assert abs(float(got["Plans fresh"]) - want.at[kam, "plan_fresh_rate"]) < 1e-9
    # the stories: one KAM ahead of goal, one behind with thin pipeline
    assert float(by[AHEAD]["Projected"]) > 1.05 and float(by[AHEAD]["Coverage ×"]) > 1
    assert float(by[BEHIND]["Projected"]) < 0.85 and float(by[BEHIND]["Coverage ×"]) < 0.25
    assert min(by, key=lambda k: float(by[k]["Projected"] or 9)) == BEHIND
    # the team roll-up: the same table a row per team, the trend by team
    main(page).get_by_test_id("stButtonGroup").get_by_text("Team roll-up").click()
    wait_rendered(page)
    assert "prog_by=Team+roll-up" in page.url
    expect(main(page).get_by_text("Trend over quarters")).to_be_visible()
    teams = download(page, tmp_path, "kam_program_by_team")
    assert sum(int(r["Accounts"]) for r in teams) == t["accounts"]
    assert {r["Team"] for r in teams} == {"NA East", "NA West", "Europe North", "Europe South",
                                          "APAC", "LATAM"}  # fmt: skip
    screenshot(page, artifacts / "program_teams.png")


TRACES = """() => JSON.stringify(document.querySelector(
    '[data-testid="stPlotlyChart"] .js-plotly-plot').data.map(t => ({name: t.name, x: t.x, y: t.y})))"""


def test_the_trend_draws_a_line_per_kam_for_the_chosen_measure(page, server, artifacts):
    page.goto(server.url + "/program?prog_measure=NRR")  # the address holds the label
    wait_rendered(page)
    no_exception(page)
    traces = json.loads(page.evaluate(TRACES))
    assert len(traces) == 10 and {t["name"] for t in traces} >= {AHEAD, BEHIND}
    assert all(len(t["x"]) <= 8 for t in traces)  # the eight quarters to the chosen one
    main(page).get_by_test_id("stRadio").first.get_by_text("QBR cadence adherence").click()
    wait_rendered(page)
    assert "prog_measure=QBR+cadence+adherence" in page.url
    page.get_by_test_id("stPlotlyChart").first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "program_trend_qbr_720.png"))


def test_a_kams_book_from_the_program_page(page, server):
    # the Book column links to the KAM filter of the Portfolio page (the grid is a canvas: its
    # links are not DOM anchors, so open the address the page builds)
    page.goto(server.url + "/portfolio?owner=" + BEHIND.replace(" ", "+"))
    wait_rendered(page)
    no_exception(page)
    chosen = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first
    expect(chosen).to_contain_text(BEHIND)
    expect(main(page).get_by_text("Growth goals")).to_be_visible()


def test_attainment_on_the_portfolio_and_qbr_pages(page, server, artifacts):
    page.goto(server.url + "/")
    wait_rendered(page)
    no_exception(page)
    expect(main(page).get_by_text("Growth goals", exact=True)).to_be_visible()
    assert metric_value(page, "Attainment") == "72%"
    assert metric_value(page, "Projected") == "98%"
    main(page).get_by_text("Growth goals", exact=True).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "portfolio_goals_720.png"))
    page.goto(server.url + "/qbr?account=ACC-00057")
    wait_rendered(page)
    no_exception(page)
    line = main(page).locator("p", has_text="Growth goal FY2026").first
    expect(line).to_be_visible()
    assert "attained" in line.inner_text() and "projected" in line.inner_text()
    screenshot(page, artifacts / "qbr_goal.png")


@pytest.mark.parametrize(
    ("path", "messages"),
    [
        (
            "/program",
            [
                "No stakeholder sheet in this extract: multithreading and executive access "
                "not shown",
                "No wallet sheet in this extract: share of wallet not shown",
                "No targets sheet in this extract: growth goals not shown",
            ],
        ),
        ("/", ["No targets sheet in this extract: growth goals not shown"]),
        ("/qbr", ["No targets sheet in this extract: growth goals not shown"]),
    ],
    ids=["program", "portfolio", "qbr"],
)
def test_without_stakeholders_or_targets_each_view_says_so(
    page, minimal_server, artifacts, path, messages
):
    page.goto(minimal_server.url + path)
    wait_rendered(page)
    no_exception(page)
    shown = main(page).inner_text().replace("\u2060", "")  # fmt.md's joiners after ":"
    for m in messages:
        assert m in shown, m
        expect(main(page).get_by_text(m.split(":")[0]).first).to_be_visible()
    if path == "/program":
        assert metric_value(page, "Goal attainment") == "–"
        assert metric_value(page, "Multithreaded") == "–"
        expect(main(page).get_by_text("Team roll-up")).to_have_count(0)  # no team sheet
        screenshot(page, artifacts / "missing_program_goals.png")


def test_a_kam_sees_only_their_own_row(page, signed_in_server, expected, artifacts, tmp_path):
    sign_in(page, signed_in_server, "kam@example.com", "/program")
    no_exception(page)
    rows = download(page, tmp_path, "kam_program")
    assert [r["KAM"] for r in rows] == [KAM_OWNER]
    mine = expected.table.set_index("group").loc[KAM_OWNER]
    assert int(rows[0]["Accounts"]) == mine["accounts"]
    assert abs(float(rows[0]["Attainment"]) - mine["attainment"]) < 1e-9
    shown = page.content() + "".join(
        figure_data(page, i) or "" for i in range(page.get_by_test_id("stPlotlyChart").count())
    )
    others = [k for k in expected.table["group"] if k not in (KAM_OWNER, "(none)")]
    assert [k for k in others if k in shown] == []
    screenshot(page, artifacts / "program_kam_view.png")
