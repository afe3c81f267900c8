"""Decks that adapt (issue 14): on the sample and on an extract of only accounts and revenue, a
section whose table is missing is left out (never a slide saying "No ... sheet"), one closing
line says what the extract did not have, and a book deck is named for its filters and size."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pptx import Presentation

from kamdash.cli import main
from kamdash.core.settings import Settings
from kamdash.present.aliases import Aliases
from kamdash.present.deck import (
    ACCOUNT_SLIDES,
    book_heading,
    closing_note,
    deck_filename,
    deck_title,
    qbr_deck,
)
from kamdash.store.filters import Filters
from kamdash.store.load import load_extract
from kamdash.store.snapshots import SnapshotStore
from kamdash.views.account_review import account_qbr_data, accounts_for
from tests.helpers import small_extract

NOTE = "Not in this deck: "


def texts(slide) -> list[str]:
    out = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]
    for sh in slide.shapes:
        if getattr(sh, "has_table", False) and sh.has_table:
            out += [c.text for r in sh.table.rows for c in r.cells]
    return out


def deck(data: bytes):
    return Presentation(io.BytesIO(data))


@pytest.fixture(scope="module")
def revenue_only(tmp_path_factory) -> Path:
    """A data dir with an extract of only accounts (three, one KAM) and revenue published."""
    root = tmp_path_factory.mktemp("revenue-only")
    paths = small_extract(root / "src", 100)
    paths[0].write_text(
        "Account ID,Account Name,Tier,Owner\nA1,Acme,1,Kim Lee\nA2,Beta,2,Kim Lee\n"
        "A3,Gamma,3,Kim Lee\n"
    )
    assert load_extract(paths, root / "data").snapshot_id
    return root / "data"


@pytest.fixture(scope="module")
def cur(revenue_only):
    con = SnapshotStore(revenue_only).open()
    yield con.cursor()
    con.close()


def test_on_the_sample_every_section_is_there(sample_data_dir):
    con = SnapshotStore(sample_data_dir).open()
    try:
        cur = con.cursor()
        (d,) = account_qbr_data(cur, Settings(), ["ACC-00057"])
        assert closing_note(d) is None
        prs = deck(qbr_deck(cur, Settings(), ["ACC-00057"]))
    finally:
        con.close()
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == ["Harborview Machinery Ltd", *(m.TITLE for m in ACCOUNT_SLIDES)]
    shown = " ".join(t for s in prs.slides for t in texts(s))
    assert NOTE not in shown and "sheet in this extract" not in shown


def test_an_accounts_and_revenue_extract_leaves_sections_out_and_says_so_once(cur):
    prs = deck(qbr_deck(cur, Settings(), ["A1"]))
    titles = [s.shapes.title.text for s in prs.slides]
    # title, the KPI tiles and the revenue chart: each slide titled for what it shows
    assert titles == ["Acme", "Account scorecard", "Revenue trend"]
    every = [t for s in prs.slides for t in texts(s)]
    notes = [t for t in every if NOTE in t]
    assert len(notes) == 1 and notes[0] in texts(prs.slides[-1])  # one closing line, last
    note = notes[0]
    for lacking in (
        "no QBR sheet",
        "no wallet sheet",
        "no stakeholder sheet",
        "plan_updated",
        "product column",
    ):
        assert lacking in note, lacking
    # no slide says what it cannot show
    assert not [t for t in every if "sheet in this extract" in t and NOTE not in t]
    assert "QBR score" not in " ".join(texts(prs.slides[1]))


def test_a_book_on_that_extract_says_it_once_on_the_overview(cur):
    ids = ["A3", "A2", "A1"]
    prs = deck(qbr_deck(cur, Settings(), ids, heading=book_heading(Filters(tiers=("Tier 1",)))))
    assert len(prs.slides) == 1 + 3 * 3
    overview = texts(prs.slides[0])
    assert "Tier 1 · 3 accounts · 2024Q4" in overview
    notes = [(k, t) for k, s in enumerate(prs.slides) for t in texts(s) if NOTE in t]
    assert [k for k, _ in notes] == [0]
    # the overview's columns are those the extract feeds: no QBR score, no plan status
    (table,) = [sh.table for sh in prs.slides[0].shapes if getattr(sh, "has_table", False)]
    assert [c.text for c in table.rows[0].cells] == ["Account", "Tier", "TTM revenue", "NRR"]


def test_book_names_say_which_filters_and_how_many():
    assert book_heading(None) == book_heading(Filters()) == "All accounts"
    assert book_heading(Filters(owners=("Sarah Mitchell",))) == "Book of Sarah Mitchell"
    both = Filters(tiers=("Tier 1",), regions=("EMEA",))
    assert book_heading(both) == "Tier 1 · EMEA"
    assert deck_title("Tier 1 · EMEA", 12) == "Tier 1 · EMEA · 12 accounts"
    assert deck_title("Tier 1 · EMEA", 12, 12) == "Tier 1 · EMEA · 12 accounts"
    assert deck_title("All accounts", 40, 300) == "All accounts · the 40 largest of 300 accounts"
    assert deck_title("Book of Kim", 1) == "Book of Kim · 1 account"
    name = deck_filename(deck_title(book_heading(both), 12), "2026Q3")
    assert name == "qbr-2026Q3-tier-1-emea-12-accounts.pptx"
    two = Filters(owners=("Ann", "Bob"), industries=("Retail", "Energy"))
    assert book_heading(two) == "Books of Ann, Bob · Retail, Energy"
    assert (
        book_heading(two, owner=lambda o: f"KAM {o[0]}") == "Books of KAM A, KAM B · Retail, Energy"
    )
    long = deck_filename(deck_title("x" * 200, 12), "2026Q3")
    assert long.endswith("-12-accounts.pptx") and len(long) < 120


def test_a_book_deck_with_hidden_names_hides_its_kam(sample_data_dir):
    con = SnapshotStore(sample_data_dir).open()
    try:
        cur = con.cursor()
        al = Aliases.for_installation(cur, sample_data_dir)
        ids = accounts_for(cur, owner="Sarah Mitchell")[:3]
        heading = book_heading(Filters(owners=("Sarah Mitchell",)), al.owner)
        prs = deck(qbr_deck(cur, Settings(), ids, aliases=al, heading=heading, total=42))
    finally:
        con.close()
    kam = al.owner("Sarah Mitchell")
    assert prs.core_properties.title.endswith(f"Book of {kam} · the 3 largest of 42 accounts")
    shown = " ".join(t for s in prs.slides for t in texts(s))
    assert "sarah" not in shown.casefold() and "mitchell" not in shown.casefold()
    assert f"Account owner {kam}" in " ".join(" ".join(texts(prs.slides[1])).split())


def test_cli_book_deck_is_titled_and_hides_with_the_installations_aliases(
    revenue_only, cur, tmp_path, capsys
):
    out = tmp_path / "book.pptx"
    args = ["qbr-deck", "--owner", "kim lee", "--out", str(out), "--data-dir", str(revenue_only)]
    assert main(args) == 0
    prs = Presentation(str(out))
    assert "Book of kim lee · 3 accounts · 2024Q4" in texts(prs.slides[0])
    assert main([*args, "--hide-names"]) == 0
    assert "names hidden" in capsys.readouterr().out
    prs = Presentation(str(out))
    al = Aliases.for_installation(cur, revenue_only)  # as the app shows them
    assert f"Book of {al.owner('Kim Lee')} · 3 accounts · 2024Q4" in texts(prs.slides[0])
    titles = [s.shapes.title.text for s in prs.slides]
    assert {al.account(a) for a in ("A1", "A2", "A3")} <= set(titles)
    shown = " ".join(t for s in prs.slides for t in texts(s)).casefold()
    assert not [n for n in ("acme", "beta", "gamma", "kim lee") if n in shown]
