"""QBR deck export (PPTX): one account, or every account of a book.

Per account, one module a slide: `title` (account, owner, tier, quarter, as-of date, latest
QBR score) · `scorecard` (QBR dimension scores, weighted score and RAG band; TTM revenue, NRR
against `settings.nrr_target`, share of wallet, plan freshness) · `trends` (native column chart
of quarterly revenue, native line chart of the QBR score) · `relationships` (coverage,
multithreading, champions, detractors, executive access, a single-threaded warning, key
contacts; native column chart of contacts by sentiment) · `relationship_map` (the contacts
as shapes on level bands by influence, sentiment and strength, reports-to connectors, and
the gaps: executive access, buying roles, levels, contacts not touched) · `whitespace` (the
biggest empty product cells with their potential and reason; a native bar chart) ·
`commitments` (commitments due / done and notes of the recent QBRs). A deck of several
accounts starts with an `overview` slide (one row per account). `draw` holds what they share.

The slides render `kamdash.views.account_review.AccountQbrData`, the very figures the QBR page
shows. A section the extract cannot feed (a `Missing` field: no stakeholder, QBR or wallet
sheet...) is left out, a slide with nothing left is dropped, a slide whose half is gone is
titled for what it still shows ("Revenue trend", "Account scorecard"), and one closing line says
what was left out and why: on the account's last slide; in a deck of several accounts that all
lack the same, once, on the overview.

A book deck (several accounts) is named for what it holds: `book_heading` says which filters
made it ("Book of Sarah Mitchell", "Tier 1 · EMEA") and `deck_title` adds how many accounts
("Tier 1 · EMEA · 12 accounts", "All accounts · the 40 largest of 300 accounts"); the overview,
the file's title property and `deck_filename` use that title.

Names: pass `aliases` (kamdash.present.aliases.Aliases) to hide account, contact and KAM names in
every text, table and chart of the deck, and in its document properties.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import duckdb

from kamdash.core.missing import Missing
from kamdash.core.settings import Settings
from kamdash.present.aliases import Aliases, passthrough
from kamdash.present.deck import (
    commitments,
    overview,
    relationship_map,
    relationships,
    scorecard,
    title,
    trends,
    whitespace,
)
from kamdash.present.deck.draw import Deck
from kamdash.store.filters import Filters
from kamdash.views.account_review import AccountQbrData, DeckError, account_qbr_data

ACCOUNT_SLIDES = (scorecard, trends, relationships, relationship_map, whitespace, commitments)
SLIDE_TITLES = {
    "scorecard": scorecard.TITLE,
    "trends": trends.TITLE,
    "relationships": relationships.TITLE,
    "relationship_map": relationship_map.TITLE,
    "whitespace": whitespace.TITLE,
    "commitments": commitments.TITLE,
    "overview": overview.TITLE,
}


def closing_note(d: AccountQbrData) -> str | None:
    """'Not in this deck: <sections> (<why>) · ...' for the account's Missing sections, those
    with the same reason named together; None when nothing is left out."""
    by_reason: dict[str, list[str]] = {}
    for slide in ACCOUNT_SLIDES:
        for label, field in slide.sections(d).items():
            if isinstance(field, Missing):
                # a Missing message reads "<why>: <what> not shown"; the label says the what
                why = field.message.split(":")[0].strip()
                by_reason.setdefault(why, []).append(label)
    if not by_reason:
        return None
    parts = [f"{', '.join(labels)} ({why})" for why, labels in by_reason.items()]
    return "Not in this deck: " + " · ".join(parts)


def _account(deck: Deck, d: AccountQbrData, note: str | None) -> None:
    title.render(deck, d)
    shown = [
        slide
        for slide in ACCOUNT_SLIDES
        if not all(isinstance(f, Missing) for f in slide.sections(d).values())
    ]
    for k, slide in enumerate(shown):
        slide.render(deck, d, note if k == len(shown) - 1 else None)


def book_heading(filters: Filters | None, owner: Callable[[str], str] = str) -> str:
    """Which filters made a book: "Book of Sarah Mitchell", "Tier 1 · EMEA", "Books of A, B ·
    Retail", "All accounts" (no filter). `owner`: how a KAM is named (an alias when hidden)."""
    if filters is None or filters.is_empty():
        return "All accounts"
    parts = []
    if filters.owners:
        kams = ", ".join(owner(o) for o in filters.owners)
        parts.append(("Book of " if len(filters.owners) == 1 else "Books of ") + kams)
    for values in (filters.teams, filters.tiers, filters.regions, filters.industries):
        if values:
            parts.append(", ".join(values))
    return " · ".join(parts)


def deck_title(heading: str | None, n: int, total: int | None = None) -> str:
    """A book deck's title: its heading and how many accounts it holds ("Tier 1 · EMEA · 12
    accounts"; "... · the 40 largest of 300 accounts" when the book holds more)."""
    count = f"{n:,} account{'' if n == 1 else 's'}"
    if total is not None and total > n:
        count = f"the {n:,} largest of {total:,} accounts"
    return f"{heading} · {count}" if heading else count[:1].upper() + count[1:]


def render_deck(
    data: Sequence[AccountQbrData],
    settings: Settings,
    aliases: Aliases | None = None,
    heading: str | None = None,
    total: int | None = None,
) -> bytes:
    """The PPTX bytes of figures from `account_qbr_data` (overview slide when > 1 account,
    titled `deck_title(heading, len(data), total)`)."""
    if not data:
        raise DeckError("no account to put in the deck")
    al = aliases or passthrough()
    deck = Deck(al, settings)
    notes = [closing_note(d) for d in data]
    common = None  # what every account of a book lacks: said once, on the overview
    if len(data) > 1 and notes[0] and all(n == notes[0] for n in notes):
        common = notes[0]
        notes = [None] * len(data)
    name = al.text(deck_title(heading, len(data), total))
    if len(data) > 1:
        overview.render(deck, list(data), name, common)
    for d, note in zip(data, notes, strict=True):
        _account(deck, d, note)
    what = deck.name(data[0]) if len(data) == 1 else name
    return deck.save(al.text(f"QBR {data[0].quarter_label}: {what}"))


def qbr_deck(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    account_ids: Sequence[str],
    quarter: int | str | None = None,
    aliases: Aliases | None = None,
    heading: str | None = None,
    total: int | None = None,
) -> bytes:
    """A QBR deck (PPTX bytes) for `account_ids` (`views.account_review.accounts_for` gives a
    KAM's book).

    `con`: an unfiltered cursor of the snapshot; `quarter`: index, '2026Q3' or None (the last
    complete quarter); `aliases`: hide names; `heading`: what made a multi-account deck
    (`book_heading`: "Book of Lukas Becker"), `total`: how many accounts that was when the deck
    holds only the largest; the overview is titled `deck_title(heading, n, total)`."""
    data = account_qbr_data(con, settings, account_ids, quarter)
    return render_deck(data, settings, aliases, heading, total)


def deck_filename(data_or_label: str, quarter_label: str) -> str:
    """A safe file name like 'qbr-2026Q3-account-k7.pptx' or
    'qbr-2026Q3-tier-1-emea-12-accounts.pptx'."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(data_or_label).casefold()).strip("-")
    if len(slug) > 90:  # keep the end ("...-12-accounts") of a long title
        slug = (slug[:50].rstrip("-") + "-" + slug[-39:].lstrip("-")).strip("-")
    return f"qbr-{quarter_label}-{slug or 'deck'}.pptx"


__all__ = [
    "SLIDE_TITLES",
    "book_heading",
    "closing_note",
    "deck_filename",
    "deck_title",
    "qbr_deck",
    "render_deck",
]
