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


# ------------------------------------------------------------------------ hide names, exports


def real_names(data_dir) -> list[str]:
    """Every account and contact name of the published snapshot (full, and without the legal
    suffix: the forms a page could show)."""
    from kamdash.present.aliases import Aliases
    from kamdash.store.snapshots import SnapshotStore, open_snapshot

    store = SnapshotStore(data_dir)
    con = open_snapshot(str(store.path(store.current_id()))).cursor()
    return sorted(Aliases.from_connection(con, "test").real_names())


def everything(at: AppTest) -> str:
    """All the text of a run, tables and figure JSON included, casefolded."""
    out = [texts(at)]
    out += [e.value.to_csv() for e in at.dataframe]
    out += [e.proto.spec for e in at.get("plotly_chart")]
    for kind in ("selectbox", "multiselect", "radio"):
        for w in getattr(at, kind):
            out += [str(w.label), *(str(o) for o in w.options)]
    out += [str(e.proto.label) + " " + str(e.proto.help) for e in at.get("download_button")]
    out += [str(e.value) for e in at.get("text")]
    out += [str(e.proto.label) for e in at.get("expandable")]
    return "\n".join(out).casefold()


def leaked(text: str, names: list[str]) -> list[str]:
    import re

    return [n for n in names if re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text)]


@pytest.mark.parametrize("page", list(PAGES))
def test_hidden_names_on_every_page(monkeypatch, sample_data_dir, page):
    """With names hidden, no account or contact name of the snapshot is in the page: text,
    tables, figures (labels, hover, annotations), widget options."""
    names = real_names(sample_data_dir)
    assert "harborview machinery ltd" in names and len(names) > 500
    query = {"anon": "true", "account": "ACC-00057"}
    at = open_page(monkeypatch, sample_data_dir, page, query)
    shown = everything(at)
    assert PAGES[page][1].casefold() in shown
    if page == "pages/whitespace.py":  # the other grid: one account's business units
        at.radio(key="ws_mode").set_value("account").run()
        assert not at.exception
        shown += everything(at)
    if page == "pages/qbr.py":
        assert at.header[0].value.startswith("Account ")
        assert "contact " in shown, "contacts are shown by alias"
    assert leaked(shown, names) == []
    # and the same page with names shown does show some
    at.toggle(key="anon").set_value(False).run()
    assert leaked(everything(at), names) or page == "pages/definitions.py"


def test_aliases_stable_across_filters(monkeypatch, sample_data_dir):
    at = open_page(
        monkeypatch, sample_data_dir, "pages/qbr.py", {"anon": "true", "account": "ACC-00057"}
    )
    alias = at.header[0].value
    at.multiselect(key="region").set_value(["Northern Europe"]).run()
    assert not at.exception
    assert at.selectbox(key="account").value == "ACC-00057"
    assert at.header[0].value == alias, "an account keeps its alias whatever the filters"


def test_every_table_has_downloads(monkeypatch, sample_data_dir):
    for page in PAGES:
        at = open_page(monkeypatch, sample_data_dir, page, {"account": "ACC-00057"})
        labels = [e.proto.label for e in at.get("download_button")]
        n_tables = len(at.dataframe)
        assert labels.count("CSV") == n_tables and labels.count("XLSX") == n_tables, page


def test_qbr_deck_buttons(monkeypatch, sample_data_dir):
    at = open_page(
        monkeypatch,
        sample_data_dir,
        "pages/qbr.py",
        {"owner": "Sarah Mitchell", "account": "ACC-00057"},
    )
    labels = [e.proto.label for e in at.get("download_button")]
    assert "Download QBR deck (PPTX)" in labels
    assert any(lab.startswith("Download the book's decks (PPTX, 40 accounts)") for lab in labels)
    assert "40 largest of" in texts(at)


def test_presentation_mode_steps_through_the_book(monkeypatch, sample_data_dir):
    at = open_page(
        monkeypatch, sample_data_dir, "pages/qbr.py", {"present": "true", "account": "ACC-00057"}
    )
    assert at.selectbox(key="account").value == "ACC-00057"
    options = at.selectbox(key="account").options
    at.button(key="next_account").click().run()
    assert not at.exception
    second = at.selectbox(key="account").value
    assert second != "ACC-00057"
    assert at.query_params["account"] in (second, [second])
    at.button(key="prev_account").click().run()
    assert at.selectbox(key="account").value == "ACC-00057"
    assert options
    at.button(key="exit_present").click().run()
    assert not at.exception
    assert not at.toggle(key="present").value
    assert "next_account" not in [b.key for b in at.button]
