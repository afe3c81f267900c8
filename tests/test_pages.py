"""Every page opens without an exception (Streamlit AppTest, no browser), on the full sample,
on an extract with only accounts + opportunities (the "missing" messages), with nothing
published, and with filters that leave no account."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")

# page file -> (title, a text that must appear on the full sample)
PAGES = {
    "pages/portfolio.py": ("Portfolio", "Accounts needing attention"),
    "pages/tiers.py": ("Tiers", "What-if: re-weight the criteria"),
    "pages/retention.py": ("Retention & wallet", "Revenue bridge"),
    "pages/whitespace.py": ("Whitespace", "Biggest opportunities"),
    "pages/qbr.py": ("QBR scorecard", "Stakeholder coverage"),
    "pages/definitions.py": ("Definitions", "Settings in force"),
}

# page file -> messages shown on the accounts + opportunities extract
MISSING = {
    "pages/portfolio.py": [
        "No wallet sheet in this extract: share of wallet not shown",
        "No stakeholder sheet in this extract: stakeholder coverage not shown",
        "No QBR sheet in this extract: QBR scorecards not shown",
    ],
    "pages/tiers.py": ["No scores sheet in this extract: tiers use current revenue only"],
    "pages/retention.py": ["No wallet sheet in this extract: share of wallet not shown"],
    "pages/whitespace.py": [],
    "pages/qbr.py": [
        "No QBR sheet in this extract: QBR scorecards not shown",
        "No stakeholder sheet in this extract: stakeholder coverage not shown",
        "No wallet sheet in this extract: share of wallet not shown",
    ],
    "pages/definitions.py": ["Revenue taken from won opportunities"],
}


def texts(at: AppTest) -> str:
    """Every piece of text the run produced (markdown, captions, alerts, titles, metrics)."""
    out = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "warning",
        "success",
        "error",
    ):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(out)


def open_page(monkeypatch, data_dir, page: str, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("KAMDASH_DATA_DIR", str(data_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", list(PAGES))
def test_page_on_full_sample(monkeypatch, sample_data_dir, page):
    at = open_page(monkeypatch, sample_data_dir, page)
    title, key_text = PAGES[page]
    assert at.title[0].value == title
    assert key_text in texts(at)
    assert "in this extract" not in texts(at), "the full sample lacks nothing"
    if page != "pages/definitions.py":
        assert at.get("plotly_chart"), "a figure is drawn"


@pytest.mark.parametrize("page", list(MISSING))
def test_page_on_extract_missing_tables(monkeypatch, minimal_data_dir, page):
    at = open_page(monkeypatch, minimal_data_dir, page)
    shown = texts(at)
    assert at.title[0].value == PAGES[page][0]
    for message in MISSING[page]:
        assert message in shown, f"{message!r} not on {page}"


@pytest.mark.parametrize("page", list(PAGES))
def test_page_with_nothing_published(monkeypatch, empty_data_dir, page):
    at = open_page(monkeypatch, empty_data_dir, page)
    assert "No data is published yet" in texts(at)
    assert not at.get("plotly_chart")


def test_filters_leaving_no_account(monkeypatch, sample_data_dir):
    at = open_page(monkeypatch, sample_data_dir, "pages/portfolio.py")
    # one KAM from North America and a region they have no account in
    at.multiselect(key="owner").set_value(["Sarah Mitchell"])
    at.multiselect(key="region").set_value(["APAC"]).run()
    assert not at.exception
    assert "No account matches the filters" in texts(at)
    assert not at.get("plotly_chart")


def test_qbr_account_from_the_url(monkeypatch, sample_data_dir):
    at = open_page(monkeypatch, sample_data_dir, "pages/qbr.py", {"account": "ACC-00057"})
    assert at.selectbox(key="account").value == "ACC-00057"
    assert at.header[0].value == "Harborview Machinery Ltd"
    assert at.query_params["account"] == ["ACC-00057"] or at.query_params["account"] == "ACC-00057"


def test_hidden_names(monkeypatch, sample_data_dir):
    at = open_page(monkeypatch, sample_data_dir, "pages/qbr.py", {"account": "ACC-00057"})
    at.toggle(key="anon").set_value(True).run()
    assert not at.exception
    assert "Harborview" not in texts(at)
