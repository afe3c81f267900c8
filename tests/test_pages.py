"""Every page opens without an exception (Streamlit AppTest, no browser), on the full sample,
on an extract with only accounts + opportunities (the "missing" messages), with nothing
published, and with filters that leave no account."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from kamdash.navigation import PAGES, default_page
from tests.conftest import ROOT
from tests.helpers import leaked, real_names, shown_text

APP = str(ROOT / "app.py")

# registry url path -> (the page's title, a text it shows on the full sample)
ON_SAMPLE = {
    "portfolio": ("Portfolio", "Accounts needing attention"),
    "tiers": ("Tiers", "What-if: re-weight the criteria"),
    "retention": ("Retention & wallet", "Revenue bridge"),
    "whitespace": ("Whitespace", "Biggest opportunities"),
    "program": ("KAM program", "Trend over quarters"),
    "qbr": ("QBR scorecard", "Stakeholder coverage"),
    "definitions": ("Definitions", "Settings in force"),
    "upload": ("Upload an extract", "Drop this month's CRM export"),
}
NO_FIGURE = {"definitions", "upload"}
# the pages in the shared frame (sidebar filters, hidden names, "nothing published" state)
FRAMED = [p for p in PAGES if p.url_path != "upload"]

# registry url path -> messages shown on the accounts + opportunities extract
MISSING = {
    "portfolio": [
        "No wallet sheet in this extract: share of wallet not shown",
        # the attention list's checks that cannot run (never an all-clear)
        "No stakeholder sheet in this extract: single-threaded not checked",
        "No QBR sheet in this extract: red QBR not checked",
        "No targets sheet in this extract: growth goals not shown",
    ],
    "tiers": ["No scores sheet in this extract: tiers use current revenue only"],
    "retention": ["No wallet sheet in this extract: share of wallet not shown"],
    "whitespace": [],
    "program": [
        "No stakeholder sheet in this extract: multithreading and executive access not shown",
        "No wallet sheet in this extract: share of wallet not shown",
        "No targets sheet in this extract: growth goals not shown",
    ],
    "qbr": [
        "No QBR sheet in this extract: QBR scorecards not shown",
        "No stakeholder sheet in this extract: stakeholder coverage not shown",
        "No wallet sheet in this extract: share of wallet not shown",
        "No targets sheet in this extract: growth goals not shown",
    ],
    "definitions": ["Revenue taken from won opportunities"],
}
BY_PATH = {p.url_path: p for p in PAGES}
QBR = BY_PATH["qbr"].file


def test_registry_is_every_page_once():
    assert sorted(p.file for p in PAGES) == sorted(
        str(f.relative_to(ROOT)) for f in (ROOT / "pages").glob("*.py")
    )
    assert len({p.url_path for p in PAGES}) == len(PAGES)
    assert len([p for p in PAGES if p.default]) == 1
    assert set(ON_SAMPLE) == set(BY_PATH) and set(MISSING) <= set(BY_PATH)


def texts(at: AppTest) -> str:
    """Every piece of text the run produced (markdown, captions, alerts, titles, metrics), as
    read (extract text is escaped Markdown: `shown_text`)."""
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
        out += [shown_text(e.value) for e in getattr(at, kind)]
    out += [f"{shown_text(m.label)} {m.value}" for m in at.metric]
    return "\n".join(out)


def open_page(monkeypatch, data_dir, page: str, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("KAMDASH_DATA_DIR", str(data_dir))
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    # The app opens on the default page. Before a first run AppTest finds a page by its file
    # name, and "portfolio" is the hidden page forwarding /portfolio to / (app.py), whose
    # every rerun would re-apply the URL over the widgets.
    if page != default_page().file:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.url_path)
def test_page_on_full_sample(monkeypatch, sample_data_dir, spec):
    at = open_page(monkeypatch, sample_data_dir, spec.file)
    title, key_text = ON_SAMPLE[spec.url_path]
    assert at.title[0].value == title
    assert key_text in texts(at)
    assert "in this extract" not in texts(at), "the full sample lacks nothing"
    if spec.url_path not in NO_FIGURE:
        assert at.get("plotly_chart"), "a figure is drawn"


@pytest.mark.parametrize("url_path", list(MISSING))
def test_page_on_extract_missing_tables(monkeypatch, minimal_data_dir, url_path):
    at = open_page(monkeypatch, minimal_data_dir, BY_PATH[url_path].file)
    shown = texts(at)
    assert at.title[0].value == ON_SAMPLE[url_path][0]
    for message in MISSING[url_path]:
        assert message in shown, f"{message!r} not on {url_path}"


@pytest.mark.parametrize("spec", FRAMED, ids=lambda p: p.url_path)
def test_page_on_a_crm_deal_export_alone(monkeypatch, vendor_data_dir, spec):
    # five accounts: every "how many to show" control must cope with fewer rows than its range
    at = open_page(monkeypatch, vendor_data_dir, spec.file)
    assert at.title[0].value == ON_SAMPLE[spec.url_path][0]


@pytest.mark.parametrize("spec", FRAMED, ids=lambda p: p.url_path)
def test_page_with_nothing_published(monkeypatch, empty_data_dir, spec):
    at = open_page(monkeypatch, empty_data_dir, spec.file)
    assert "No data is published yet" in texts(at)
    assert not at.get("plotly_chart")


def test_filters_leaving_no_account(monkeypatch, sample_data_dir):
    at = open_page(monkeypatch, sample_data_dir, BY_PATH["portfolio"].file)
    # one KAM from North America and a region they have no account in
    at.multiselect(key="owner").set_value(["Sarah Mitchell"])
    at.multiselect(key="region").set_value(["APAC"]).run()
    assert not at.exception
    assert "No account matches the filters" in texts(at)
    assert not at.get("plotly_chart")


def test_qbr_account_from_the_url(monkeypatch, sample_data_dir):
    at = open_page(monkeypatch, sample_data_dir, QBR, {"account": "ACC-00057"})
    assert at.selectbox(key="account").value == "ACC-00057"
    assert at.header[0].value == "Harborview Machinery Ltd"
    assert at.query_params["account"] == ["ACC-00057"] or at.query_params["account"] == "ACC-00057"


def test_hidden_names(monkeypatch, sample_data_dir):
    at = open_page(monkeypatch, sample_data_dir, QBR, {"account": "ACC-00057"})
    at.toggle(key="anon").set_value(True).run()
    assert not at.exception
    assert "Harborview" not in texts(at)


# ------------------------------------------------------------------------ hide names, exports


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


@pytest.mark.parametrize("spec", FRAMED, ids=lambda p: p.url_path)
def test_hidden_names_on_every_page(monkeypatch, sample_data_dir, spec):
    """With names hidden, no account or contact name of the snapshot is in the page: text,
    tables, figures (labels, hover, annotations), widget options."""
    names = real_names(sample_data_dir)
    assert "harborview machinery ltd" in names and len(names) > 500
    query = {"anon": "true", "account": "ACC-00057"}
    at = open_page(monkeypatch, sample_data_dir, spec.file, query)
    shown = everything(at)
    assert ON_SAMPLE[spec.url_path][1].casefold() in shown
    if spec.url_path == "whitespace":  # the other grid: one account's business units
        at.radio(key="ws_mode").set_value("account").run()
        assert not at.exception
        shown += everything(at)
    if spec.url_path == "qbr":
        assert at.header[0].value.startswith("Account ")
        assert "contact " in shown, "contacts are shown by alias"
    assert leaked(shown, names) == []
    # and the same page with names shown does show some
    at.toggle(key="anon").set_value(False).run()
    # (the KAM program page names KAMs and teams, never an account or a contact)
    assert leaked(everything(at), names) or spec.url_path in ("definitions", "program")


def test_aliases_stable_across_filters(monkeypatch, sample_data_dir):
    at = open_page(monkeypatch, sample_data_dir, QBR, {"anon": "true", "account": "ACC-00057"})
    alias = at.header[0].value
    at.multiselect(key="region").set_value(["Northern Europe"]).run()
    assert not at.exception
    assert at.selectbox(key="account").value == "ACC-00057"
    assert at.header[0].value == alias, "an account keeps its alias whatever the filters"


def test_every_table_has_downloads(monkeypatch, sample_data_dir):
    for spec in FRAMED:
        at = open_page(monkeypatch, sample_data_dir, spec.file, {"account": "ACC-00057"})
        labels = [e.proto.label for e in at.get("download_button")]
        n_tables = len(at.dataframe)
        assert labels.count("CSV") == n_tables and labels.count("XLSX") == n_tables, spec.file


def test_qbr_deck_buttons(monkeypatch, sample_data_dir):
    at = open_page(
        monkeypatch,
        sample_data_dir,
        QBR,
        {"owner": "Sarah Mitchell", "account": "ACC-00057"},
    )
    labels = [e.proto.label for e in at.get("download_button")]
    assert "Download QBR deck (PPTX)" in labels
    assert any(lab.startswith("Download the book's decks (PPTX, 40 accounts)") for lab in labels)
    assert "40 largest of" in texts(at)


def test_presentation_mode_steps_through_the_book(monkeypatch, sample_data_dir):
    at = open_page(monkeypatch, sample_data_dir, QBR, {"present": "true", "account": "ACC-00057"})
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
